# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""End-to-end fixtures: the CXone sandbox, a tenant with agents on calls, and ansible-playbook.

Playbooks run with the real ``ansible-playbook`` of the venv against the collection installed
from its built tarball (``make e2e`` sets ANSIBLE_COLLECTIONS_PATH). The helpers live in
``tests/utils/e2e_helpers.py``, shared with the demo; the names the test files import from
here (``make_tenant``, ``agent_ids``, ``operation_requests``, ``Ansible``, the test
credentials) are re-exported from it.
"""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "utils"))

# pylint: disable=wrong-import-position,import-error,unused-import
from e2e_helpers import (  # noqa: E402,F401  re-exported for the test files
    ACCESS_KEY_ID,
    ACCESS_KEY_SECRET,
    API_USER,
    CLIENT_ID,
    CLIENT_SECRET,
    TENANT_A,
    TENANT_B,
    Ansible,
    PlaybookRun,
    agent_ids,
    make_tenant,
    operation_requests,
    run_runner_job,
    write_yaml,
)
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
