# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the end-to-end tests and the demo share: sandbox tenants, ansible-playbook runs and AWX-style jobs.

One home for each way of driving Ansible against the CXone sandbox, so that a change (a new
environment variable, the results callback, how secrets are passed) is made once:

- ``make_tenant`` and ``agent_ids`` build a sandbox tenant with the test client and access key;
- ``Ansible`` writes playbooks, inventories and a secrets file into a folder and runs the real
  ``ansible-playbook`` on them (``PlaybookRun`` holds what it did, task by task);
- ``run_runner_job`` runs a playbook with ansible-runner as AWX runs a job (credentials injected
  as environment variables, ``process_isolation: false``);
- ``operation_requests`` reads back the recording requests CXone (the sandbox) received,
  ``status_requests`` and ``user_hub_requests`` the reads;
- ``plays_in_mode`` runs the same tasks over ``connection: local`` or the ``cxone_api`` connection;
- ``apply_role`` plays a plan through the ``record_on_demand`` role, ``role_report``,
  ``role_outcomes`` and ``recording_module_tasks`` read what it did.

Nothing here reaches into the collection's code: what the callers check is what a user sees
(task results, output) and what CXone received. Importing this module makes the sandbox
package (tests/sandbox) importable too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import yaml

UTILS_DIR = os.path.dirname(os.path.abspath(__file__))
TESTS_DIR = os.path.dirname(UTILS_DIR)
SANDBOX_DIR = os.path.join(TESTS_DIR, "sandbox")
CALLBACK_DIR = os.path.join(UTILS_DIR, "callback_plugins")
if SANDBOX_DIR not in sys.path:
    sys.path.insert(0, SANDBOX_DIR)

# Distinctive secrets, so that a leak search cannot miss them.
CLIENT_ID = "e2e-client"
CLIENT_SECRET = "CLIENT-SECRET-q7Zp=&+x"
ACCESS_KEY_ID = "E2EKEYID"
ACCESS_KEY_SECRET = "KEY-SECRET-w4Rt%=&+y"
API_USER = "99999999-0000-4000-8000-0000000000e2"

TENANT_A = "aaaaaaaa-0000-4000-8000-00000000000a"
TENANT_B = "bbbbbbbb-0000-4000-8000-00000000000b"

PLAYBOOK_TIMEOUT = 600


def agent_ids(count, prefix="5e2e"):
    """``count`` distinct agent user ids shaped like User Hub UUIDs; ``prefix`` keeps each test's apart."""
    return ["%s%04d-0000-4000-8000-%012d" % (prefix, number, number) for number in range(count)]


# What the test access key may do: the recording operations and status, masking, and viewing User Hub.
PERMISSIONS = ("record_on_demand", "masking", "view_users")


def make_tenant(tenant_id=TENANT_A, area="na1", agents=(), calls=(), client_secret=CLIENT_SECRET,
                key_secret=ACCESS_KEY_SECRET, permissions=PERMISSIONS, users=(), teams=(), **settings):
    """A sandbox tenant with the test client and access key, ``agents`` and ``calls`` given as user ids.

    ``users`` and ``teams`` are its User Hub directory, each as the API answers it (see
    ``hub_user``); ``settings`` are further tenant fields (``token_lifetime``,
    ``access_token_format``, ``rate_limit``, ...).
    """
    tenant = {
        "tenant_id": tenant_id, "area": area, "clients": {CLIENT_ID: client_secret},
        "access_keys": [{"id": ACCESS_KEY_ID, "secret": key_secret, "user_id": API_USER,
                         "permissions": list(permissions)}],
        "users": list(users), "teams": list(teams),
        "agents": [{"user_id": agent, "name": "Agent %d" % number} for number, agent in enumerate(agents)],
        "calls": [{"user_id": agent} for agent in calls],
    }
    tenant.update(settings)
    return tenant


def operation_requests(sandbox, operation=None):
    """The recording requests CXone received (the sandbox's log): start, stop or do_not_record.

    Status reads (``get-recording-status``) are left out unless ``operation`` is ``"status"``
    (``status_requests``): a module reads them for ``wait``, ``expected_contacts`` and
    ``only_when_needed``, and they change nothing.
    """
    logged = sandbox.requests()["requests"]
    return [entry for entry in logged if entry["operation"]
            and (entry["operation"] == operation if operation else entry["operation"] != "status")]


def hub_user(user_id, user_name, team_id=None, status="ACTIVE", email=None, first_name=None, last_name=None):
    """A User Hub user as CXone's users list answers it (fields left out when None)."""
    user = {"id": user_id, "userName": user_name, "firstName": first_name, "lastName": last_name,
            "emailAddress": email, "teamId": team_id, "status": status}
    return {key: value for key, value in user.items() if value is not None}


def status_requests(sandbox):
    """The get-recording-status reads CXone received."""
    return operation_requests(sandbox, "status")


def user_hub_requests(sandbox):
    """The User Hub requests (users list, teams search) CXone received."""
    return [entry for entry in sandbox.requests()["requests"] if "/user-management/" in entry["path"]]


def write_yaml(path, data, mode=0o600):
    """Write ``data`` as YAML, readable only by its owner (it may hold secrets); returns the path."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
        yaml.safe_dump(data, stream, sort_keys=False, allow_unicode=True)
    return path


def quiet_ansible_environment(scratch):
    """Settings that keep Ansible's output plain and its temporary files, sockets included, under ``scratch``."""
    return {
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_LOCALHOST_WARNING": "0",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_LOCAL_TEMP": os.path.join(scratch, "ansible-tmp"),
        "ANSIBLE_PERSISTENT_CONTROL_PATH_DIR": os.path.join(scratch, "pc"),
        # The sandbox is on this machine: never through a proxy.
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }


class PlaybookRun:
    """What ansible-playbook did: exit code, output, and each task's result as registered."""

    def __init__(self, completed, results_file):
        self.rc = completed.returncode
        # None when the output went to the terminal (``Ansible.run(stream=True)``).
        self.stdout = completed.stdout or ""
        self.stderr = completed.stderr or ""
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
    """Writes playbooks, inventories and a secrets file into ``workdir`` and runs ansible-playbook on them.

    ``sandbox_url`` is the sandbox's issuer origin (discovery then finds its API origin);
    ``api_url`` its API origin, for the tests that set ``api_endpoint`` themselves.
    """

    SECRETS_FILE = "secrets.yml"

    def __init__(self, workdir, sandbox_url, api_url=None):
        self.workdir = workdir
        self.sandbox_url = sandbox_url
        self.api_url = api_url

    def secrets(self, **values):
        """Add variables to the secrets file that every run passes with ``-e @file``, as from a vault.

        Secrets are referenced from playbooks and inventories (``{{ name }}``), never written
        there: ansible-core quotes playbook lines in its error messages.
        """
        path = os.path.join(self.workdir, self.SECRETS_FILE)
        current = {}
        if os.path.exists(path):
            with open(path, encoding="utf-8") as stream:
                current = yaml.safe_load(stream) or {}
        current.update(values)
        return write_yaml(path, current)

    def direct_vars(self, **overrides):
        """Module options for ``connection: local`` against the sandbox (secrets go to the secrets file)."""
        values = {"issuer": self.sandbox_url, "client_id": CLIENT_ID, "client_secret": "{{ e2e_client_secret }}",
                  "access_key_id": ACCESS_KEY_ID, "access_key_secret": "{{ e2e_access_key_secret }}"}
        self.secrets(e2e_client_secret=overrides.pop("client_secret", CLIENT_SECRET),
                     e2e_access_key_secret=overrides.pop("access_key_secret", ACCESS_KEY_SECRET))
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
        """One ``cxone_api`` host, ``tenant_a``, logging in with the test credentials."""
        settings = self.direct_vars()
        settings.update(overrides)
        return self.inventory({"tenant_a": settings})

    def _write(self, name, data):
        return write_yaml(os.path.join(self.workdir, name), data)

    @staticmethod
    def play(tasks, hosts="localhost", module_defaults=None, **play):
        """A one-play playbook; ``module_defaults`` go to the collection's action group."""
        document = {"name": "e2e", "hosts": hosts, "gather_facts": False}
        if module_defaults is not None:
            document["module_defaults"] = {"group/cxone.recording.cxone": module_defaults}
        document.update(play)
        document["tasks"] = tasks
        return [document]

    def environment(self, results_file, env=None):
        """The environment of a run: this process's, without CXONE_* variables, plus the results callback."""
        environment = {name: value for name, value in os.environ.items() if not name.startswith("CXONE_")}
        environment.update(quiet_ansible_environment(self.workdir))
        environment.update({
            "TASK_RESULTS_FILE": results_file,
            "ANSIBLE_CALLBACK_PLUGINS": CALLBACK_DIR,
            "ANSIBLE_CALLBACKS_ENABLED": "task_results",
        })
        environment.update(env or {})
        return environment

    def run(self, playbook, inventory=None, extra_args=(), env=None, check=False, verbosity=0, stream=False):
        """Run ansible-playbook on ``playbook`` (a list of plays, written here, or a path or FQCN).

        ``stream``: the output goes to this terminal instead of being captured (the demo).
        """
        name = "playbook-%s" % uuid.uuid4().hex[:8]
        path = self._write(name + ".yml", playbook) if isinstance(playbook, list) else playbook
        results_file = os.path.join(self.workdir, name + ".results.jsonl")
        command = ["ansible-playbook", path]
        if inventory:
            command += ["-i", inventory]
        if check:
            command.append("--check")
        if verbosity:
            command.append("-" + "v" * verbosity)
        secrets = os.path.join(self.workdir, self.SECRETS_FILE)
        if os.path.exists(secrets):
            command += ["-e", "@" + secrets]
        command += list(extra_args)
        completed = subprocess.run(command, cwd=self.workdir, env=self.environment(results_file, env),
                                   capture_output=not stream, stdin=subprocess.DEVNULL, text=True,
                                   timeout=PLAYBOOK_TIMEOUT, check=False)
        return PlaybookRun(completed, results_file)


def named_task(module, name, ignore_errors=False, **options):
    """A task of the collection's ``module`` with ``options``, registered as its name with underscores."""
    step = {"name": name, "cxone.recording." + module: options, "register": name.replace(" ", "_")}
    if ignore_errors:
        step["ignore_errors"] = True
    return step


CONNECTION_MODES = ("local", "cxone_api")


def plays_in_mode(ansible, mode, plays):
    """``(playbook, inventory)`` running ``plays`` over ``connection: local`` or the ``cxone_api`` connection.

    ``plays`` is a list of ``(access key id or None for the test key, tasks)``: each becomes a play
    whose tasks log in with that key (same secret), as module defaults on localhost or as a
    ``cxone_api`` host of its own (``key0``, ``key1``, ... in the order given).
    """
    playbook, hosts = [], {}
    for number, (key_id, tasks) in enumerate(plays):
        settings = {"access_key_id": key_id} if key_id else {}
        if mode == "local":
            playbook += ansible.play(tasks, module_defaults=ansible.direct_vars(**settings))
        else:
            hosts["key%d" % number] = dict(ansible.direct_vars(), **settings)
            playbook += ansible.play(tasks, hosts="key%d" % number)
    return playbook, (ansible.inventory(hosts) if hosts else None)


def run_runner_job(private_dir, plays, envvars, extravars=None, inventory=None, verbosity=4, timeout=300):
    """Run ``plays`` with ansible-runner as AWX runs a job; returns the ``ansible_runner.Runner``.

    ``envvars`` are the job's injected variables (credentials as ``CXONE_*``), written to
    ``env/envvars`` beside the settings that keep the run's files in ``private_dir``;
    ``inventory`` is a YAML inventory (a dict) or None for the implicit localhost.
    """
    import ansible_runner  # pylint: disable=import-error,import-outside-toplevel  # only the AWX tests need it

    scratch = os.path.join(private_dir, "scratch")
    environment = quiet_ansible_environment(scratch)
    environment.update(envvars)
    environment["ANSIBLE_COLLECTIONS_PATH"] = os.environ.get("ANSIBLE_COLLECTIONS_PATH", "")
    environment["ANSIBLE_REMOTE_TEMP"] = os.path.join(scratch, "remote")
    write_yaml(os.path.join(private_dir, "env", "envvars"), environment)
    write_yaml(os.path.join(private_dir, "env", "extravars"), extravars or {})
    write_yaml(os.path.join(private_dir, "env", "settings"), {"process_isolation": False})
    if inventory is not None:
        write_yaml(os.path.join(private_dir, "inventory", "hosts"), inventory)
    write_yaml(os.path.join(private_dir, "project", "job.yml"), plays)
    return ansible_runner.run(private_data_dir=private_dir, playbook="job.yml", verbosity=verbosity, quiet=True,
                              timeout=timeout)


ROLE = "cxone.recording.record_on_demand"


def apply_role(ansible, plan, hosts="cxone", **role_vars):
    """A play that applies the plan through the record_on_demand role (which shows its report when it got that far)."""
    tasks = [{"name": "apply the plan", "ansible.builtin.include_role": {"name": ROLE}}]
    return ansible.play(tasks, hosts=hosts, vars=dict(role_vars, record_on_demand_plan=plan))


def role_report(run):
    """The fact the role set, as its report task returned it."""
    found = [record for record in run.records if "record_on_demand_report" in record["result"].get("ansible_facts", {})]
    assert found, run.output[-3000:]
    return found[-1]["result"]["ansible_facts"]["record_on_demand_report"]


def role_outcomes(report):
    """{(action, user id): outcome} of the role's report."""
    return {(entry["action"], entry["user_id"]): entry["outcome"] for entry in report["results"]}


def recording_module_tasks(run):
    """The task results of the run's recording modules (every module of the collection but the
    ``_info`` lookups), in order."""
    return [record for record in run.records
            if record["action"].startswith("cxone.recording.") and not record["action"].endswith("_info")]
