# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The three modules, run by ansible-playbook against the CXone sandbox (``connection: local``)."""

from __future__ import annotations

import subprocess

import pytest

from e2e_helpers import (  # pylint: disable=import-error
    ACCESS_KEY_ID,
    ACCESS_KEY_SECRET,
    API_USER,
    CLIENT_SECRET,
    agent_ids,
    make_tenant,
    operation_requests,
)

pytestmark = pytest.mark.e2e

ALICE, BOB, CAROL, DAVE = agent_ids(4)
ASYNC_AGENT = "5e2e0900-0000-4000-8000-000000000900"
IDLE_AGENT = "5e2e0901-0000-4000-8000-000000000901"


@pytest.fixture
def tenant(sandbox):
    """Alice, Bob, Carol and Dave on calls; an asynchronous agent on a call; an idle agent."""
    config = make_tenant(agents=[ALICE, BOB, CAROL, DAVE, IDLE_AGENT], calls=[ALICE, BOB, CAROL, DAVE, ASYNC_AGENT])
    config["agents"].append({"user_id": ASYNC_AGENT, "name": "Async Agent", "asynchronous": True})
    sandbox.add_tenant(config)
    return sandbox


def task(module, register="result", ignore_errors=False, **options):
    step = {"name": register, "cxone.recording." + module: options, "register": register}
    if ignore_errors:
        step["ignore_errors"] = True
    return step


def run_tasks(ansible, *tasks, check=False, **defaults):
    return ansible.run(ansible.play(list(tasks), module_defaults=ansible.direct_vars(**defaults)), check=check)


def recording_of(sandbox, user_id):
    return sandbox.agent_state(user_id)["contact"]["recording"]


def test_start_records_voice_by_default(ansible, tenant):
    run = run_tasks(ansible, task("cxone_recording_start", user_id=ALICE))
    result = run.result("result")
    assert run.rc == 0
    assert result["changed"] is True and result["outcome"] == "completed" and result["http_status"] == 200
    assert result["user_id"] == ALICE and result["contact_id"]
    assert result["summary"]["completed"] == 1
    (sent,) = operation_requests(tenant, "start")
    assert sent["query"]["mediaType"] == ["voice"]
    assert recording_of(tenant, ALICE) == "voice"


def test_start_voice_and_screen_stop_and_do_not_record(ansible, tenant):
    run = run_tasks(
        ansible,
        task("cxone_recording_start", "started", user_id=[ALICE, BOB], media_type="voiceAndScreen"),
        task("cxone_recording_stop", "stopped", user_id=BOB),
        task("cxone_do_not_record", "refused", user_id=CAROL),
    )
    assert run.rc == 0, run.output
    assert [entry["outcome"] for entry in run.result("started")["results"]] == ["completed", "completed"]
    assert [entry["query"]["mediaType"] for entry in operation_requests(tenant, "start")] == [["voiceAndScreen"]] * 2
    assert recording_of(tenant, ALICE) == "voiceAndScreen"
    bob = tenant.agent_state(BOB)["contact"]
    assert bob["recording"] == "off" and bob["segments"], "what was recorded before the stop stays"
    assert run.result("stopped")["outcome"] == "completed"
    assert tenant.agent_state(CAROL)["contact"]["do_not_record"] is True


def test_start_after_do_not_record_fails_with_409_naming_the_agent(ansible, tenant):
    run = run_tasks(
        ansible,
        task("cxone_do_not_record", "refused", user_id=CAROL),
        task("cxone_recording_start", "restart", ignore_errors=True, user_id=CAROL),
    )
    result = run.result("restart")
    assert result["failed"] is True and result["outcome"] == "failed" and result["http_status"] == 409
    assert "user %s: HTTP 409" % CAROL in result["msg"]
    assert "do not record" in result["msg"]
    assert recording_of(tenant, CAROL) == "off"


def test_asynchronous_agent_is_accepted(ansible, tenant):
    result = run_tasks(ansible, task("cxone_recording_start", user_id=ASYNC_AGENT)).result("result")
    assert result["outcome"] == "accepted" and result["http_status"] == 202 and result["changed"] is True


def test_no_active_call_fails_by_default_and_can_be_skipped(ansible, tenant):
    run = run_tasks(
        ansible,
        task("cxone_recording_stop", "default", ignore_errors=True, user_id=[ALICE, IDLE_AGENT]),
        task("cxone_recording_stop", "skipping", user_id=[ALICE, IDLE_AGENT], no_active_call="skip"),
    )
    failing = run.result("default")
    assert failing["failed"] is True
    assert [entry["outcome"] for entry in failing["results"]] == ["completed", "failed"]
    assert "1 of 2" in failing["msg"] and IDLE_AGENT in failing["msg"] and "no active call" in failing["msg"]
    skipping = run.result("skipping")
    assert not skipping.get("failed")
    assert [entry["outcome"] for entry in skipping["results"]] == ["completed", "skipped"]
    assert skipping["summary"]["skipped"] == 1


@pytest.mark.parametrize("fault", [
    {"status": 425},
    {"status": 429, "retry_after": "1"},
    {"status": 500},
    {"status": 502},
])
def test_retryable_answers_are_retried_to_success(ansible, tenant, fault):
    tenant.add_fault("status", count=2, **fault)
    result = run_tasks(ansible, task("cxone_recording_start", user_id=ALICE)).result("result")
    assert result["outcome"] == "completed"
    assert result["results"][0]["attempts"] == 3
    assert recording_of(tenant, ALICE) == "voice"


def test_retry_after_is_honoured(ansible, tenant):
    tenant.add_fault("status", status=429, retry_after="2", count=1)
    result = run_tasks(ansible, task("cxone_recording_stop", user_id=ALICE)).result("result")
    entry = result["results"][0]
    starts = [request["time"] for request in operation_requests(tenant, "stop")]
    assert entry["attempts"] == 2 and entry["outcome"] == "completed"
    assert starts[1] - starts[0] >= 1.9


def test_missing_permission_is_named(ansible, tenant):
    tenant.set_access_key(ACCESS_KEY_ID, ACCESS_KEY_SECRET, API_USER, permissions=[])
    result = run_tasks(ansible, task("cxone_recording_start", ignore_errors=True, user_id=ALICE)).result("result")
    assert result["http_status"] == 403
    assert "Interactions Hub > APIs > Multi-ACD Record on Demand API" in result["msg"]


def test_a_batch_of_fifty_returns_fifty_entries_in_input_order(ansible, sandbox):
    agents = agent_ids(50, prefix="5b00")
    on_call = [agent for number, agent in enumerate(agents) if number % 7]
    sandbox.add_tenant(make_tenant(agents=agents, calls=on_call))
    sandbox.set_latency(40)
    result = run_tasks(ansible, task("cxone_recording_start", ignore_errors=True, user_id=agents, concurrency=8)).result("result")
    assert [entry["user_id"] for entry in result["results"]] == agents
    outcomes = {entry["user_id"]: entry["outcome"] for entry in result["results"]}
    assert all(outcomes[agent] == ("completed" if agent in on_call else "failed") for agent in agents)
    assert result["summary"] == {"completed": len(on_call), "accepted": 0, "unchanged": 0, "skipped": 0,
                                 "failed": 50 - len(on_call), "planned": 0, "total": 50}
    assert "%d of 50" % (50 - len(on_call)) in result["msg"]
    assert sandbox.stats()["max_in_flight"] > 1


def test_duplicates_are_sent_once(ansible, tenant):
    result = run_tasks(ansible, task("cxone_recording_stop", user_id=[ALICE, " %s " % ALICE, BOB, ALICE])).result("result")
    assert [entry["user_id"] for entry in result["results"]] == [ALICE, BOB]
    assert len(operation_requests(tenant, "stop")) == 2


def test_check_mode_logs_in_but_sends_no_recording_request(ansible, tenant):
    run = run_tasks(ansible, task("cxone_do_not_record", user_id=[ALICE, BOB]), check=True)
    result = run.result("result")
    assert result["changed"] is True
    assert [entry["outcome"] for entry in result["results"]] == ["planned", "planned"]
    assert operation_requests(tenant) == []
    assert tenant.stats()["token_requests"]["password"] == 1
    assert tenant.agent_state(ALICE)["contact"]["do_not_record"] is False


def test_check_mode_still_catches_bad_credentials(ansible, tenant):
    run = run_tasks(ansible, task("cxone_recording_stop", user_id=ALICE), check=True, access_key_secret="wrong")
    assert run.rc != 0
    assert "login with access key %s failed: HTTP 400" % ACCESS_KEY_ID in run.result("result")["msg"]


@pytest.mark.parametrize("odd_id", ["agent&x=1", "agent with spaces", "José-Ünïcødé-坐席", "a+b%20c/d?e#f"])
def test_odd_user_ids_reach_cxone_exactly(ansible, sandbox, odd_id):
    sandbox.add_tenant(make_tenant(agents=[odd_id], calls=[odd_id]))
    result = run_tasks(ansible, task("cxone_recording_start", user_id=odd_id)).result("result")
    assert result["outcome"] == "completed" and result["user_id"] == odd_id
    assert operation_requests(sandbox, "start")[0]["query"]["userId"] == [odd_id]
    assert recording_of(sandbox, odd_id) == "voice"


@pytest.mark.parametrize("wrong, expected", [
    ({"access_key_secret": "not-the-secret"}, "HTTP 400: Invalid access key credentials [invalid_grant] (check the access key id and secret)"),
    ({"client_secret": "not-the-client-secret"}, "HTTP 401: Client authentication failed [invalid_client] (check the client id and secret"),
])
def test_wrong_credentials_fail_clearly_without_echoing_secrets(ansible, tenant, wrong, expected):
    run = run_tasks(ansible, task("cxone_recording_stop", user_id=[ALICE, BOB]), **wrong)
    result = run.result("result")
    assert run.rc != 0 and result["failed"] is True
    assert expected in result["msg"]
    assert [entry["outcome"] for entry in result["results"]] == ["failed", "failed"]
    for secret in list(wrong.values()) + [CLIENT_SECRET, ACCESS_KEY_SECRET]:
        assert secret not in run.output
    assert operation_requests(tenant) == []


@pytest.mark.parametrize("options, message", [
    ({"user_id": ["ok", "  "]}, "user_id: item 2 is empty"),
    ({"user_id": ["bad\u0007id"]}, "contains a control character"),
    ({"user_id": ALICE, "media_type": "screen"}, "media_type"),
    ({"user_id": ALICE, "concurrency": 0}, "concurrency: must be a whole number from 1 to 64, got 0"),
    ({"user_id": ALICE, "issuer": "http://cxone.example.com"}, "issuer:"),
])
def test_bad_input_is_refused_before_any_request(ansible, tenant, options, message):
    result = run_tasks(ansible, task("cxone_recording_start", ignore_errors=True, **options)).result("result")
    assert result["failed"] is True and message in result["msg"]
    assert tenant.requests()["requests"] == []


def test_missing_credentials_are_named(ansible, tenant):
    playbook = ansible.play([task("cxone_recording_stop", ignore_errors=True, user_id=ALICE)],
                            module_defaults={"issuer": ansible.sandbox_url, "client_id": "x"})
    result = ansible.run(playbook).result("result")
    assert "missing: client_secret, access_key_id, access_key_secret" in result["msg"]
    assert tenant.requests()["requests"] == []


def test_settings_come_from_the_environment(ansible, tenant):
    environment = {"CXONE_ISSUER": ansible.sandbox_url, "CXONE_CLIENT_ID": "e2e-client",
                   "CXONE_CLIENT_SECRET": CLIENT_SECRET, "CXONE_ACCESS_KEY_ID": ACCESS_KEY_ID,
                   "CXONE_ACCESS_KEY_SECRET": ACCESS_KEY_SECRET}
    playbook = ansible.play([task("cxone_recording_start", user_id=ALICE, media_type="voiceAndScreen")])
    run = ansible.run(playbook, env=environment)
    assert run.rc == 0, run.output
    assert recording_of(tenant, ALICE) == "voiceAndScreen"


def test_do_not_record_follows_the_contact_through_transfer_consult_and_conference(ansible, tenant):
    contact = tenant.agent_state(ALICE)["contact"]["contact_id"]
    first = run_tasks(ansible, task("cxone_recording_start", "recording", user_id=ALICE),
                      task("cxone_do_not_record", "refused", user_id=ALICE))
    assert first.rc == 0, first.output
    assert tenant.agent_state(ALICE)["contact"]["segments"], "what was recorded before stays available"
    tenant.end_call(tenant.agent_state(BOB)["contact"]["contact_id"])
    tenant.end_call(tenant.agent_state(CAROL)["contact"]["contact_id"])
    tenant.end_call(tenant.agent_state(DAVE)["contact"]["contact_id"])
    tenant.transfer(contact, BOB)
    tenant.consult(contact, CAROL)
    tenant.conference(contact, DAVE)
    later = run_tasks(ansible, task("cxone_recording_start", "restart", ignore_errors=True, user_id=[BOB, CAROL, DAVE]))
    result = later.result("restart")
    assert [entry["http_status"] for entry in result["results"]] == [409, 409, 409]
    assert {entry["contact_id"] for entry in result["results"]} == {contact}
    tenant.end_call(contact)
    tenant.start_call(ALICE)
    fresh = run_tasks(ansible, task("cxone_recording_start", "new_call", user_id=ALICE)).result("new_call")
    assert fresh["outcome"] == "completed" and fresh["contact_id"] != contact, "the refusal was for that call only"


@pytest.mark.parametrize("plugin", ["cxone_recording_start", "cxone_recording_stop", "cxone_do_not_record",
                                    "-t connection cxone_api"])
def test_documentation_renders_with_examples(plugin):
    *kind, name = plugin.split()
    shown = subprocess.run(["ansible-doc"] + kind + ["cxone.recording." + name], capture_output=True, text=True,
                           check=False, timeout=120)
    assert shown.returncode == 0, shown.stderr
    assert "EXAMPLES" in shown.stdout and "cxone.recording" in shown.stdout
