# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ``cxone_api`` connection plugin: one login per play, renewals, tenants kept apart, no leaks."""

from __future__ import annotations

import os
import time
import types

import pytest

from e2e_helpers import (  # pylint: disable=import-error
    ACCESS_KEY_SECRET,
    CLIENT_SECRET,
    TENANT_A,
    TENANT_B,
    Ansible,
    agent_ids,
    make_tenant,
    operation_requests,
)

pytestmark = pytest.mark.e2e

AGENTS = agent_ids(6, prefix="5c0e")
# The sandbox issues tokens with these prefixes, so that a leak search can find any of them.
TOKEN_MARKERS = ("sbxAT", "sbxRT")


@pytest.fixture
def tenant(sandbox):
    sandbox.add_tenant(make_tenant(agents=AGENTS, calls=AGENTS))
    return sandbox


def step(module, name, **options):
    return {"name": name, "cxone.recording." + module: options, "register": name.replace(" ", "_")}


def five_tasks_and_a_loop():
    return [
        step("cxone_recording_start", "start one", user_id=AGENTS[0]),
        step("cxone_recording_start", "start two", user_id=AGENTS[1:3], media_type="voiceAndScreen"),
        step("cxone_recording_stop", "stop one", user_id=AGENTS[0]),
        step("cxone_recording_stop", "stop two", user_id=AGENTS[1:3]),
        dict(step("cxone_recording_start", "start each", user_id="{{ item }}"), loop=AGENTS[1:6]),
    ]


def token_requests(sandbox):
    counts = sandbox.stats()["token_requests"]
    return counts["password"] + counts["refresh_token"]


@pytest.fixture(scope="module")
def five_tasks(sandbox_server, tmp_path_factory):
    """One run of five tasks and a loop over the connection, read by two tests: at -vvvv, with the
    connection's log messages in ANSIBLE_LOG_PATH (what the leak search reads), and the sandbox's
    view of it taken at once (the next test resets the sandbox)."""
    control = sandbox_server.client()
    control.reset()
    control.add_tenant(make_tenant(agents=AGENTS, calls=AGENTS))
    ansible = Ansible(str(tmp_path_factory.mktemp("five-tasks")), sandbox_server.url, sandbox_server.api_url)
    log_path = os.path.join(ansible.workdir, "ansible.log")
    inventory = ansible.tenant_inventory(ansible_persistent_log_messages=True)
    run = ansible.run(ansible.play(five_tasks_and_a_loop(), hosts="cxone"), inventory=inventory, verbosity=4,
                      env={"ANSIBLE_LOG_PATH": log_path})
    log = ""
    if os.path.exists(log_path):
        with open(log_path, encoding="utf-8") as stream:
            log = stream.read()
    return types.SimpleNamespace(
        ansible=ansible, run=run, log=log, logins=token_requests(control), operations=len(operation_requests(control)),
        recording=[control.agent_state(agent)["contact"]["recording"] for agent in AGENTS[1:6]])


def test_a_play_logs_in_once(five_tasks):
    assert five_tasks.run.rc == 0, five_tasks.run.output
    assert five_tasks.logins == 1
    assert five_tasks.operations == 11
    assert five_tasks.recording == ["voice"] * 5


def test_short_lived_tokens_are_renewed_between_tasks(ansible, sandbox):
    sandbox.add_tenant(make_tenant(agents=AGENTS, calls=AGENTS, token_lifetime=2))
    tasks = [
        step("cxone_recording_start", "before the pause", user_id=AGENTS[0]),
        {"name": "pause", "ansible.builtin.pause": {"seconds": 3}},
        step("cxone_recording_stop", "after the pause", user_id=AGENTS[0]),
    ]
    run = ansible.run(ansible.play(tasks, hosts="cxone"), inventory=ansible.tenant_inventory())
    assert run.rc == 0, run.output
    assert run.result("after the pause")["outcome"] == "completed"
    counts = sandbox.stats()["token_requests"]
    assert counts["password"] == 1 and counts["refresh_token"] >= 1


def test_revoked_tokens_are_recovered_transparently(ansible, tenant, tmp_path):
    # The play revokes the tenant's tokens between two tasks, as an administrator might.
    revoke = {"name": "revoke", "ansible.builtin.uri": {
        "url": ansible.sandbox_url + "/_sandbox/tokens/revoke", "method": "POST", "body_format": "json",
        "body": {}, "status_code": 200}, "delegate_to": "localhost", "vars": {"ansible_connection": "local",
                                                                              "ansible_python_interpreter": "{{ ansible_playbook_python }}"}}
    tasks = [step("cxone_recording_start", "before", user_id=AGENTS[0]), revoke,
             step("cxone_recording_stop", "after", user_id=AGENTS[:3])]
    run = ansible.run(ansible.play(tasks, hosts="cxone"), inventory=ansible.tenant_inventory())
    assert run.rc == 0, run.output
    assert run.result("after")["summary"]["completed"] == 3
    counts = tenant.stats()["token_requests"]
    assert counts["password"] == 2, "one login, then one new login once revoked (the refresh token is revoked too)"
    del tmp_path


def test_two_tenants_in_one_play_stay_separate(ansible, sandbox):
    agents_a, agents_b = agent_ids(3, prefix="aaaa"), agent_ids(3, prefix="bbbb")
    sandbox.add_tenant(make_tenant(TENANT_A, "na1", agents=agents_a, calls=agents_a))
    tenant_b = make_tenant(TENANT_B, "eu1", agents=agents_b, calls=agents_b, key_secret="KEY-SECRET-B-7%+")
    tenant_b["clients"] = {"e2e-client-b": "CLIENT-SECRET-B-9=&"}
    sandbox.add_tenant(tenant_b)
    base = ansible.direct_vars()
    inventory = ansible.inventory({
        "tenant_a": dict(base, agents=agents_a),
        "tenant_b": dict(base, client_id="e2e-client-b", client_secret="CLIENT-SECRET-B-9=&",
                         access_key_secret="KEY-SECRET-B-7%+", agents=agents_b),
    })
    tasks = [step("cxone_recording_start", "start", user_id="{{ cxone_agents }}", media_type="voiceAndScreen"),
             step("cxone_recording_stop", "stop", user_id="{{ cxone_agents[0] }}")]
    run = ansible.run(ansible.play(tasks, hosts="cxone"), inventory=inventory, extra_args=["--forks", "2"])
    assert run.rc == 0, run.output
    assert run.result("start", "tenant_a")["summary"]["completed"] == 3
    assert run.result("start", "tenant_b")["summary"]["completed"] == 3
    logged = sandbox.requests()["requests"]
    logins = [entry for entry in logged if entry["grant_type"] == "password"]
    assert len(logins) == 2
    for prefix, agents in (("/api-na1/", agents_a), ("/api-eu1/", agents_b)):
        sent = [entry for entry in logged if entry["operation"] and entry["path"].startswith(prefix)]
        assert sorted({entry["user_id"] for entry in sent}) == sorted(agents)
        assert len({entry["token_sha256"] for entry in sent}) == 1
    tokens = {entry["token_sha256"] for entry in logged if entry["operation"]}
    assert len(tokens) == 2, "each tenant used its own token"
    assert sandbox.agent_state(agents_b[1], tenant_id=TENANT_B)["contact"]["recording"] == "voiceAndScreen"


def test_no_secret_or_token_in_verbose_output_or_connection_log(five_tasks):
    run, log = five_tasks.run, five_tasks.log
    assert run.rc == 0, run.output
    assert "cxone_api: POST %s/auth/token -> 200 in" % five_tasks.ansible.sandbox_url in log
    for text in (run.output, log):
        for secret in (CLIENT_SECRET, ACCESS_KEY_SECRET) + TOKEN_MARKERS:
            assert secret not in text
    assert "jsonrpc request" not in log


def test_invalid_credentials_fail_the_task_clearly(ansible, tenant):
    run = ansible.run(ansible.play([step("cxone_recording_stop", "stop", user_id=AGENTS[:2])], hosts="cxone"),
                      inventory=ansible.tenant_inventory(access_key_secret="wrong-secret"))
    result = run.result("stop")
    assert result["failed"] is True and "unreachable" not in run.records[-1]["status"]
    assert "login with access key E2EKEYID failed: HTTP 400" in result["msg"]
    assert [entry["outcome"] for entry in result["results"]] == ["failed", "failed"]
    assert tenant.stats()["token_requests"]["password"] == 1
    assert "wrong-secret" not in run.output


def test_connection_process_does_not_outlive_the_run(ansible, tenant, tmp_path):
    run = ansible.run(ansible.play([step("cxone_recording_stop", "stop", user_id=AGENTS[0])], hosts="cxone"),
                      inventory=ansible.tenant_inventory())
    assert run.rc == 0, run.output
    sockets = os.path.join(str(tmp_path), "pc")
    assert os.path.isdir(sockets), "the connection's socket directory was used"
    deadline = time.monotonic() + 5
    while _sockets(sockets) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _sockets(sockets) == []


def _sockets(folder):
    return [name for name in os.listdir(folder) if not name.startswith(".")]


def test_a_batch_longer_than_the_idle_timeout_keeps_the_login(ansible, sandbox):
    # The batch takes about 12 s, twice the idle timeout; the timeout leaves room for the next
    # task's start on a busy machine (several seconds), which is not what this test is about.
    agents = agent_ids(240, prefix="5d0e")
    sandbox.add_tenant(make_tenant(agents=agents, calls=agents))
    sandbox.set_latency(100)
    tasks = [step("cxone_recording_start", "long batch", user_id=agents, concurrency=2),
             step("cxone_recording_stop", "next task", user_id=agents[:2])]
    inventory = ansible.tenant_inventory(ansible_connect_timeout=6)
    run = ansible.run(ansible.play(tasks, hosts="cxone"), inventory=inventory)
    assert run.rc == 0, run.output
    assert run.result("long batch")["summary"]["completed"] == 240
    assert sandbox.stats()["token_requests"]["password"] == 1


def test_a_renewed_token_survives_a_later_revocation(ansible, tenant):
    """A token renewed in one task and used there is renewed again when revoked in a later task."""
    def revoke(name, keep_refresh):
        return {"name": name, "ansible.builtin.uri": {
            "url": ansible.sandbox_url + "/_sandbox/tokens/revoke", "method": "POST", "body_format": "json",
            "body": {"keep_refresh": keep_refresh}}, "delegate_to": "localhost",
            "vars": {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}}
    tasks = [step("cxone_recording_start", "first", user_id=AGENTS[0]), revoke("revoke one", True),
             step("cxone_recording_stop", "second", user_id=AGENTS[0]), revoke("revoke two", False),
             step("cxone_recording_start", "third", user_id=AGENTS[1]),
             step("cxone_recording_stop", "fourth", user_id=AGENTS[1])]
    run = ansible.run(ansible.play(tasks, hosts="cxone"), inventory=ansible.tenant_inventory())
    assert run.rc == 0, run.output
    assert [run.result(name)["outcome"] for name in ("first", "second", "third", "fourth")] == ["completed"] * 4
    counts = tenant.stats()["token_requests"]
    assert counts["password"] == 2 and counts["refresh_token"] >= 1
