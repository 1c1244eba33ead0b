# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""End-to-end fixtures: the CXone sandbox, a tenant with agents on calls, and ansible-playbook.

Playbooks run with the real ``ansible-playbook`` of the venv against the collection installed
from its built tarball (``make e2e`` sets ANSIBLE_COLLECTIONS_PATH). Nothing here reaches into
the collection's code: what a test checks is what a user sees (task results, output) and what
CXone received (the sandbox's request log and recording state).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "sandbox"))

from cxone_sandbox import SandboxServer  # noqa: E402  pylint: disable=wrong-import-position

# Distinctive secrets, so that a leak search cannot miss them.
CLIENT_ID = "e2e-client"
CLIENT_SECRET = "CLIENT-SECRET-q7Zp=&+x"
ACCESS_KEY_ID = "E2EKEYID"
ACCESS_KEY_SECRET = "KEY-SECRET-w4Rt%=&+y"
API_USER = "99999999-0000-4000-8000-0000000000e2"

TENANT_A = "aaaaaaaa-0000-4000-8000-00000000000a"
TENANT_B = "bbbbbbbb-0000-4000-8000-00000000000b"


def agent_ids(count, prefix="5e2e"):
    return ["%s%04d-0000-4000-8000-%012d" % (prefix, number, number) for number in range(count)]


def make_tenant(tenant_id=TENANT_A, area="na1", agents=(), calls=(), client_secret=CLIENT_SECRET,
                key_secret=ACCESS_KEY_SECRET, **settings):
    tenant = {
        "tenant_id": tenant_id, "area": area, "clients": {CLIENT_ID: client_secret},
        "access_keys": [{"id": ACCESS_KEY_ID, "secret": key_secret, "user_id": API_USER,
                         "permissions": ["record_on_demand"]}],
        "agents": [{"user_id": agent, "name": "Agent %d" % number} for number, agent in enumerate(agents)],
        "calls": [{"user_id": agent} for agent in calls],
    }
    tenant.update(settings)
    return tenant


class PlaybookRun:
    """What ansible-playbook did: exit code, output, and each task's result as registered."""

    def __init__(self, completed, results_file):
        self.rc = completed.returncode
        self.stdout = completed.stdout
        self.stderr = completed.stderr
        self.records = []
        if os.path.exists(results_file):
            with open(results_file, encoding="utf-8") as stream:
                self.records = [json.loads(line) for line in stream]

    def result(self, task, host=None):
        """The result of the task with this name (the last one, for a host if given)."""
        found = [record for record in self.records
                 if record["task"] == task and (host is None or record["host"] == host)]
        assert found, "task %r has no result; output:\n%s\n%s" % (task, self.stdout[-3000:], self.stderr[-3000:])
        # As ``register`` gives it: ansible-core passes the failure as the status, not a key.
        return dict(found[-1]["result"], failed=found[-1]["status"] in ("failed", "ignored"))

    @property
    def output(self):
        return self.stdout + self.stderr


class Ansible:
    """Writes playbooks and inventories into a test's folder and runs ansible-playbook on them."""

    def __init__(self, workdir, sandbox_url):
        self.workdir = workdir
        self.sandbox_url = sandbox_url

    def direct_vars(self, **overrides):
        """Module options for ``connection: local`` against the sandbox.

        Secrets are referenced, not written into the playbook: their values come from a vars
        file as from a vault (ansible-core quotes playbook lines in its error messages).
        """
        values = {"issuer": self.sandbox_url, "client_id": CLIENT_ID, "client_secret": "{{ e2e_client_secret }}",
                  "access_key_id": ACCESS_KEY_ID, "access_key_secret": "{{ e2e_access_key_secret }}"}
        secrets = {"e2e_client_secret": overrides.pop("client_secret", CLIENT_SECRET),
                   "e2e_access_key_secret": overrides.pop("access_key_secret", ACCESS_KEY_SECRET)}
        self._write("secrets.yml", secrets)
        values.update(overrides)
        return values

    def inventory(self, hosts):
        """An inventory of ``cxone_api`` hosts: {name: {setting: value}} (``cxone_`` is added)."""
        inventory = {"all": {"children": {"cxone": {"hosts": {}}}}}
        for name, settings in hosts.items():
            host = {"ansible_connection": "cxone.recording.cxone_api"}
            host.update({key if key.startswith("ansible_") else "cxone_" + key: value
                         for key, value in settings.items()})
            inventory["all"]["children"]["cxone"]["hosts"][name] = host
        return self._write("inventory-%s.yml" % uuid.uuid4().hex[:8], inventory)

    def tenant_inventory(self, **overrides):
        settings = self.direct_vars()
        settings.update(overrides)
        return self.inventory({"tenant_a": settings})

    def _write(self, name, data):
        path = os.path.join(self.workdir, name)
        with open(path, "w", encoding="utf-8") as stream:
            yaml.safe_dump(data, stream, sort_keys=False)
        return path

    def play(self, tasks, hosts="localhost", module_defaults=None, **play):
        """A one-play playbook; ``module_defaults`` go to the collection's action group."""
        document = {"name": "e2e", "hosts": hosts, "gather_facts": False}
        if module_defaults is not None:
            document["module_defaults"] = {"group/cxone.recording.cxone": module_defaults}
        document.update(play)
        document["tasks"] = tasks
        return [document]

    def run(self, playbook, inventory=None, extra_args=(), env=None, check=False, verbosity=0):
        name = "playbook-%s" % uuid.uuid4().hex[:8]
        path = self._write(name + ".yml", playbook)
        results_file = os.path.join(self.workdir, name + ".results.jsonl")
        command = ["ansible-playbook", path]
        if inventory:
            command += ["-i", inventory]
        if check:
            command.append("--check")
        if verbosity:
            command.append("-" + "v" * verbosity)
        secrets = os.path.join(self.workdir, "secrets.yml")
        if os.path.exists(secrets):
            command += ["-e", "@" + secrets]
        command += list(extra_args)
        environment = dict(os.environ)
        environment.update({
            "TASK_RESULTS_FILE": results_file,
            "ANSIBLE_CALLBACK_PLUGINS": os.path.join(os.path.dirname(HERE), "utils", "callback_plugins"),
            "ANSIBLE_CALLBACKS_ENABLED": "task_results",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_LOCALHOST_WARNING": "0",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_LOCAL_TEMP": os.path.join(self.workdir, "ansible-tmp"),
            "ANSIBLE_PERSISTENT_CONTROL_PATH_DIR": os.path.join(self.workdir, "pc"),
            "NO_PROXY": "127.0.0.1,localhost",
        })
        for name_ in list(environment):
            if name_.startswith("CXONE_"):
                del environment[name_]
        environment.update(env or {})
        completed = subprocess.run(command, cwd=self.workdir, env=environment, capture_output=True,
                                   text=True, timeout=600, check=False)
        return PlaybookRun(completed, results_file)


@pytest.fixture(scope="session")
def sandbox_server():
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
    return Ansible(str(tmp_path), sandbox_server.url)


def operation_requests(sandbox, operation=None):
    """The recording requests CXone received (the sandbox's log): start, stop or do_not_record."""
    logged = sandbox.requests()["requests"]
    return [entry for entry in logged
            if entry["operation"] and (operation is None or entry["operation"] == operation)]
