# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Fixtures: one sandbox server for the whole run, reset before every test, and a small CXone client."""

from __future__ import annotations

import os
import sys

import pytest

# The sandbox package (tests/sandbox) and sandbox_helpers (this folder) must be importable
# also without PYTHONPATH; pytest runs in importlib mode here, which adds neither.
_HERE = os.path.dirname(os.path.abspath(__file__))
for _path in (_HERE, os.path.dirname(_HERE)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from sandbox_helpers import CXone, make_tenant  # noqa: E402  pylint: disable=wrong-import-position
from cxone_sandbox import SandboxServer  # noqa: E402  pylint: disable=wrong-import-position


@pytest.fixture(name="server", scope="session")
def fixture_server():
    """One in-process sandbox (plain HTTP, empty model) for the whole run."""
    with SandboxServer() as running:
        yield running


@pytest.fixture(name="control")
def fixture_control(server):
    """The control client, on an empty model."""
    client = server.client()
    client.reset()
    return client


@pytest.fixture(name="cxone")
def fixture_cxone(server):
    """What the code under test does over HTTP, with its own connection pool."""
    api = CXone(server.url, server.api_url)
    yield api
    api.session.close()


@pytest.fixture(name="token")
def fixture_token(control, cxone):
    """One tenant ``tenant-a`` (area na1) with agents a1..a4, a1 and a2 on calls; a valid access token."""
    control.add_tenant(make_tenant(agents=["a1", "a2", "a3", "a4"], calls=["a1", "a2"]))
    return cxone.login()
