# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""End-to-end: the collection's playbooks run as AWX runs a job template, against the sandbox.

Each job is an ansible-runner run the way AWX prepares one: a private data directory, the
credential injected only as environment variables rendered from the injectors of the
repository's credential type (extensions/awx/credential_type.yml), survey answers as extra
variables (strings: comma-separated ids, a JSON plan), ``process_isolation: false``, an
inventory with one ``cxone_api`` host per tenant, and a project playbook that imports the
collection's playbook. Then: what CXone received and its recording state, the report the job
published, and no secret or token anywhere in the job's events or output.
"""

from __future__ import annotations

import base64
import glob
import json
import os
import types
import urllib.parse

import ansible_runner  # pylint: disable=import-error
import jinja2.sandbox
import pytest
import yaml

from e2e_helpers import (  # pylint: disable=import-error
    ACCESS_KEY_ID,
    CLIENT_ID,
    agent_ids,
    make_tenant,
    operation_requests,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CREDENTIAL_TYPE = os.path.join(ROOT, "extensions", "awx", "credential_type.yml")

# Secrets only this module uses, so a hit cannot come from another test's output.
JOB_CLIENT_SECRET = "AWX-JOB-CLIENT-SECRET-v8&=+q"
JOB_KEY_SECRET = "AWX-JOB-KEY-SECRET-k3%=+z"

A, B, C, D, E, H = agent_ids(6, prefix="a3c0")
ON_CALL = [A, B, C, D, E]


def injected_environment(inputs):
    """The environment AWX injects for a credential of our type with these inputs.

    Rendered from the credential type file, as AWX renders injectors: a sandboxed Jinja
    environment in which a field left empty is an empty string.
    """
    with open(CREDENTIAL_TYPE, encoding="utf-8") as stream:
        credential_type = yaml.safe_load(stream)
    names = {field["id"] for field in credential_type["inputs"]["fields"]}
    assert set(inputs) <= names, "unknown inputs: %s" % (set(inputs) - names)
    renderer = jinja2.sandbox.ImmutableSandboxedEnvironment()
    return {name: renderer.from_string(template).render(**inputs)
            for name, template in credential_type["injectors"]["env"].items()}


class Job:  # pylint: disable=too-few-public-methods
    """What an AWX job left: ansible-runner's result, its events, stdout and published stats."""

    def __init__(self, runner, private_dir):
        self.runner = runner
        self.private_dir = private_dir
        self.events = list(runner.events)
        self.stdout = runner.stdout.read()
        stats = [event for event in self.events if event["event"] == "playbook_on_stats"]
        self.artifacts = stats[-1]["event_data"].get("artifact_data", {}) if stats else {}

    @property
    def report(self):
        return self.artifacts["record_on_demand_reports"]["tenant_a"]


def write_yaml(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as stream:
        yaml.safe_dump(data, stream, sort_keys=False)


def run_job(workdir, sandbox_url, playbook, extravars):
    """One job of a template running cxone.recording.<playbook> with these survey answers."""
    private_dir = os.path.join(workdir, "job-" + playbook)
    scratch = os.path.join(private_dir, "scratch")
    inputs = {"issuer": sandbox_url, "client_id": CLIENT_ID, "client_secret": JOB_CLIENT_SECRET,
              "access_key_id": ACCESS_KEY_ID, "access_key_secret": JOB_KEY_SECRET}
    envvars = dict(injected_environment(inputs),
                   ANSIBLE_COLLECTIONS_PATH=os.environ.get("ANSIBLE_COLLECTIONS_PATH", ""),
                   ANSIBLE_LOCAL_TEMP=os.path.join(scratch, "local"),
                   # A short path: a Unix socket's path has at most 107 characters.
                   ANSIBLE_PERSISTENT_CONTROL_PATH_DIR=os.path.join(workdir, "pc"),
                   ANSIBLE_NOCOLOR="1", NO_PROXY="127.0.0.1,localhost")
    write_yaml(os.path.join(private_dir, "env", "envvars"), envvars)
    write_yaml(os.path.join(private_dir, "env", "extravars"), extravars)
    write_yaml(os.path.join(private_dir, "env", "settings"), {"process_isolation": False})
    # The job template's inventory: one host per tenant; credentials come from the environment.
    write_yaml(os.path.join(private_dir, "inventory", "hosts"),
               {"all": {"children": {"cxone": {"hosts": {"tenant_a": {"ansible_connection": "cxone.recording.cxone_api"}}}}}})
    # The project's playbook, as a job template names it.
    write_yaml(os.path.join(private_dir, "project", playbook + ".yml"),
               [{"name": "Run the collection's playbook", "ansible.builtin.import_playbook": "cxone.recording." + playbook}])
    runner = ansible_runner.run(private_data_dir=private_dir, playbook=playbook + ".yml", verbosity=4, quiet=True,
                                timeout=300)
    return Job(runner, private_dir)


def leaks(job):
    """Every secret or token found in the job's events, stdout and artifacts (the job's input aside)."""
    needles = {"the client secret": JOB_CLIENT_SECRET, "the access key secret": JOB_KEY_SECRET,
               "an access token": "sbxAT", "a refresh token": "sbxRT",
               "the client credentials": base64.b64encode(("%s:%s" % (CLIENT_ID, JOB_CLIENT_SECRET)).encode()).decode()}
    for secret in (JOB_CLIENT_SECRET, JOB_KEY_SECRET):
        needles["%s, URL-encoded" % secret] = urllib.parse.quote_plus(secret)
    texts = {"stdout": job.stdout, "events": json.dumps(job.events)}
    for path in glob.glob(os.path.join(job.private_dir, "artifacts", "**", "*"), recursive=True):
        if os.path.isfile(path) and os.path.basename(path) != "command":
            # artifacts/<ident>/command is ansible-runner's record of the job's environment,
            # the injected credential included: the job's input, written by the runner.
            with open(path, encoding="utf-8", errors="replace") as stream:
                texts[os.path.relpath(path, job.private_dir)] = stream.read()
    return [(label, where) for where, text in texts.items() for label, needle in needles.items() if needle in text]


@pytest.fixture
def tenant(sandbox):
    sandbox.add_tenant(make_tenant(agents=ON_CALL + [H], calls=ON_CALL, recording_policy="voice",
                                   client_secret=JOB_CLIENT_SECRET, key_secret=JOB_KEY_SECRET))
    return sandbox


def test_stop_recording_job_with_a_survey_list_of_ids(tmp_path, sandbox_server, tenant):
    job = run_job(str(tmp_path), sandbox_server.url, "stop_recording",
                  {"user_ids": " %s, %s ,, %s, " % (A, B, H), "no_active_call": "skip"})
    assert job.runner.status == "successful", job.stdout[-3000:]
    # H has no call: its status read says so, and nothing is sent to it.
    assert sorted((entry["operation"], entry["user_id"]) for entry in operation_requests(tenant)) == sorted(
        [("stop", A), ("stop", B)])
    assert tenant.agent_state(A)["contact"]["recording"] == "off"
    assert tenant.agent_state(C)["contact"]["recording"] == "voice"
    assert job.report["by_action"]["stop"] == {"completed": 2, "skipped": 1, "total": 3}
    assert "stop: 3 agents: 2 completed, 1 skipped" in job.stdout
    assert leaks(job) == []


def test_start_recording_job_with_line_separated_ids_and_a_media_type(tmp_path, sandbox_server, tenant):
    job = run_job(str(tmp_path), sandbox_server.url, "start_recording",
                  {"user_ids": "%s\n%s\n" % (C, D), "media_type": "voiceAndScreen", "no_active_call": ""})
    assert job.runner.status == "successful", job.stdout[-3000:]
    assert tenant.agent_state(C)["contact"]["recording"] == "voiceAndScreen"
    assert tenant.agent_state(D)["contact"]["recording"] == "voiceAndScreen"
    assert [(entry["user_id"], entry["media_type"], entry["outcome"]) for entry in job.report["results"]] == [
        (C, "voiceAndScreen", "completed"), (D, "voiceAndScreen", "completed")]
    assert leaks(job) == []


def test_do_not_record_job(tmp_path, sandbox_server, tenant):
    job = run_job(str(tmp_path), sandbox_server.url, "do_not_record", {"user_ids": E})
    assert job.runner.status == "successful", job.stdout[-3000:]
    contact = tenant.agent_state(E)["contact"]
    assert contact["do_not_record"] is True and contact["recording"] == "off"
    assert job.report["summary"] == ["do_not_record: 1 agent: 1 completed", "stop: no agents, not run",
                                     "start: no agents, not run", "mask: no agents, not run",
                                     "unmask: no agents, not run"]
    assert leaks(job) == []


def test_apply_plan_job_with_a_json_plan_reports_every_agent_and_fails_at_the_end(tmp_path, sandbox_server, tenant):
    plan = [{"action": "start", "user_ids": [C, A], "media_type": "voiceAndScreen"},
            {"action": "stop", "user_ids": "%s, %s" % (B, H)},
            {"action": "do_not_record", "user_id": A}]
    job = run_job(str(tmp_path), sandbox_server.url, "apply_plan",
                  {"record_on_demand_plan": json.dumps(plan), "no_active_call": "fail"})
    # H has no call and no_active_call is fail: the job fails, after every action was applied.
    assert job.runner.status == "failed"
    sent = operation_requests(tenant)
    assert [entry["operation"] for entry in sent] == ["do_not_record", "stop", "start"]
    assert tenant.agent_state(A)["contact"]["do_not_record"] is True
    assert tenant.agent_state(C)["contact"]["recording"] == "voiceAndScreen"
    assert tenant.agent_state(B)["contact"]["recording"] == "off"
    outcomes = {(entry["action"], entry["user_id"]): entry["outcome"] for entry in job.report["results"]}
    assert outcomes == {("do_not_record", A): "completed", ("stop", B): "completed", ("stop", H): "failed",
                        ("start", C): "completed", ("start", A): "conflict"}
    assert [entry["http_status"] for entry in job.report["failed"]] == [404]
    failed = [event for event in job.events if event["event"] == "runner_on_failed"]
    assert [event["event_data"]["task"] for event in failed] == ["Fail when any agent failed"]
    assert "1 of 5 agent actions failed: stop: user %s has no active call (HTTP 404" % H in \
        failed[0]["event_data"]["res"]["msg"]
    assert leaks(job) == []


def test_the_leak_search_finds_a_planted_secret_or_token(tmp_path):
    (tmp_path / "artifacts" / "job").mkdir(parents=True)
    (tmp_path / "artifacts" / "job" / "stdout").write_text("Bearer sbxATplanted", encoding="utf-8")
    job = types.SimpleNamespace(stdout="password=" + urllib.parse.quote_plus(JOB_KEY_SECRET),
                                events=[{"event_data": {"res": {"msg": JOB_CLIENT_SECRET}}}], private_dir=str(tmp_path))
    found = leaks(job)
    assert ("%s, URL-encoded" % JOB_KEY_SECRET, "stdout") in found
    assert ("the client secret", "events") in found
    assert ("an access token", os.path.join("artifacts", "job", "stdout")) in found


def test_the_credential_type_injects_only_cxone_variables_and_marks_secrets():
    with open(CREDENTIAL_TYPE, encoding="utf-8") as stream:
        credential_type = yaml.safe_load(stream)
    assert set(credential_type) == {"name", "description", "kind", "inputs", "injectors"}
    assert set(credential_type["injectors"]) == {"env"}
    assert all(name.startswith("CXONE_") for name in credential_type["injectors"]["env"])
    secret = {field["id"] for field in credential_type["inputs"]["fields"] if field.get("secret")}
    assert secret == {"client_secret", "access_key_secret", "access_token"}
    # Left empty, the issuer falls back to CXone's default; other fields are injected empty (unset).
    injected = injected_environment({"client_id": "x"})
    assert injected["CXONE_ISSUER"] == "https://cxone.niceincontact.com"
    assert injected["CXONE_CLIENT_ID"] == "x" and injected["CXONE_ACCESS_TOKEN"] == ""
