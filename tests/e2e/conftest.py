# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""End-to-end fixtures: the CXone sandbox and ansible-playbook in each test's folder.

Playbooks run with the real ``ansible-playbook`` of the venv against the collection installed
from its built tarball (``make e2e`` sets ANSIBLE_COLLECTIONS_PATH). This file holds fixtures
only. The helpers (``make_tenant``, ``agent_ids``, ``operation_requests``, ``Ansible``, the test
credentials, ...) live in ``tests/utils/e2e_helpers.py``, shared with the demo and the
benchmarks: test files import them from there (``from e2e_helpers import ...``), which the
path set up below makes importable, and so is the sandbox package once e2e_helpers is imported.
"""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "utils"))

# pylint: disable=wrong-import-position,import-error
from e2e_helpers import Ansible  # noqa: E402
from cxone_sandbox import SandboxServer  # noqa: E402  (importable once e2e_helpers is)


@pytest.fixture(scope="session")
def sandbox_server():
    """One sandbox for the whole run: the issuer origin (``url``) and the API origin (``api_url``)."""
    with SandboxServer() as server:
        yield server


@pytest.fixture
def sandbox(sandbox_server):
    """The sandbox's control client, on an empty model."""
    client = sandbox_server.client()
    client.reset()
    return client


@pytest.fixture
def ansible(tmp_path, sandbox_server):
    """ansible-playbook in the test's own folder, against the sandbox."""
    return Ansible(str(tmp_path), sandbox_server.url, sandbox_server.api_url)
