# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The guarantees under races, against the sandbox in both connection modes: the contact guard
through retries, confirmation on the same contact only, wait_timeout bounding the whole wait,
user ids matched whatever their case, and a token endpoint that recovers just before expiry.

Each race is played by a sandbox fault rule with ``next_call``: when it fires, the agent's call
ends and the agent takes the next one before the request is answered.
"""

from __future__ import annotations

import pytest

from e2e_helpers import (  # pylint: disable=import-error
    CONNECTION_MODES,
    agent_ids,
    make_tenant,
    named_task,
    operation_requests,
    plays_in_mode,
    status_requests,
)

pytestmark = pytest.mark.e2e

RETRIED, LANDED, NEVER_APPLIED, NEVER_RECORDED, SLOW_STATUS = RACE_AGENTS = agent_ids(5, prefix="ace0")
NEXT_CONTACT = "880000000001"
LANDED_CONTACT = "880000000002"
POLICY_CONTACT = "880000000003"


def task(module, name, **options):
    return named_task(module, name, ignore_errors=True, **options)


def contact(sandbox, contact_id):
    return {entry["contact_id"]: entry for entry in sandbox.state()["tenants"][0]["contacts"]}[contact_id]


@pytest.mark.parametrize("mode", CONNECTION_MODES)
def test_an_action_meant_for_one_call_never_completes_on_the_next(ansible, sandbox, mode):
    config = make_tenant(agents=RACE_AGENTS, calls=RACE_AGENTS, async_delay_ms=200)
    for agent in config["agents"]:
        agent["asynchronous"] = agent["user_id"] in (NEVER_APPLIED, NEVER_RECORDED)
        agent["accepted_never_applies"] = agent["asynchronous"]
    sandbox.add_tenant(config)
    first = {agent: sandbox.agent_state(agent)["contact_id"] for agent in RACE_AGENTS}
    # The do-not-record is told to come back later while the caller hangs up and the next call,
    # recorded by a policy, reaches the agent.
    sandbox.add_fault("status", status=429, retry_after="1", operation="do_not_record", user_id=RETRIED, count=1,
                      next_call={"contact_id": NEXT_CONTACT, "recording_policy": "voice"})
    # Between the guard's read and the request, the agent moves on: the request lands on the next call.
    sandbox.add_fault("slow", delay_ms=0, operation="stop", user_id=LANDED, count=1,
                      next_call={"contact_id": LANDED_CONTACT})
    # A start accepted for the first call never applies; the agent's next call is recorded by a policy.
    sandbox.add_fault("slow", delay_ms=0, operation="status", user_id=NEVER_APPLIED, count=1,
                      next_call={"contact_id": POLICY_CONTACT, "recording_policy": "voice"})
    # Every status read of this agent is told to come back in 25 s.
    sandbox.add_fault("status", status=429, retry_after="25", operation="status", user_id=SLOW_STATUS)
    tasks = [
        task("cxone_do_not_record", "refusal retried", user_id=RETRIED, expected_contacts={RETRIED: first[RETRIED]}),
        task("cxone_recording_stop", "stop landed elsewhere", user_id=LANDED, expected_contacts={LANDED: first[LANDED]}),
        task("cxone_recording_start", "start never applied", user_id=NEVER_APPLIED, wait=True, wait_timeout=10),
        task("cxone_recording_stop", "stop never applied", user_id=NEVER_RECORDED, wait=True, wait_timeout=2),
        task("cxone_recording_start", "start with slow status", user_id=SLOW_STATUS, wait=True, wait_timeout=2),
    ]
    playbook, inventory = plays_in_mode(ansible, mode, [(None, tasks)])
    run = ansible.run(playbook, inventory=inventory)
    assert run.rc == 0, run.output

    retried = run.result("refusal retried")
    assert (retried["outcome"], retried["contact_id"], retried["failed"]) == ("skipped", NEXT_CONTACT, False)
    assert first[RETRIED] in retried["results"][0]["msg"] and NEXT_CONTACT in retried["results"][0]["msg"]
    assert "before a retry" in retried["results"][0]["msg"]
    next_call = contact(sandbox, NEXT_CONTACT)
    assert (next_call["do_not_record"], next_call["recording"]) == (False, "voice"), "the next caller is untouched"
    assert len(operation_requests(sandbox, "do_not_record")) == 1

    landed = run.result("stop landed elsewhere")
    assert (landed["outcome"], landed["contact_id"]) == ("failed", LANDED_CONTACT)
    assert "landed on contact %s, expected %s" % (LANDED_CONTACT, first[LANDED]) in landed["msg"]

    never_applied = run.result("start never applied")
    assert (never_applied["outcome"], never_applied["results"][0]["confirmed"]) == ("failed", False)
    assert "for contact %s, but then the agent is on contact %s: the call ended or changed" % (
        first[NEVER_APPLIED], POLICY_CONTACT) in never_applied["msg"]
    assert contact(sandbox, POLICY_CONTACT)["recording"] == "voice"

    never_recorded = run.result("stop never applied")
    assert (never_recorded["outcome"], never_recorded["results"][0]["confirmed"]) == ("failed", False)
    assert "reason StopOnDemand or CustomerDisconsent within 2 s" in never_recorded["msg"]

    slow = run.result("start with slow status")
    assert (slow["outcome"], slow["results"][0]["confirmed"]) == ("failed", False)
    assert "within 2 s; last status read: status unknown" in slow["msg"]
    slow_reads = [entry for entry in status_requests(sandbox) if entry["user_id"] == SLOW_STATUS]
    assert len(slow_reads) == 1, "a read told to come back in 25 s is not retried within a 2 s wait"


CASED = agent_ids(2, prefix="cafe")
TOKEN_BATCH = agent_ids(24, prefix="70ce")


@pytest.mark.parametrize("mode", CONNECTION_MODES)
def test_user_ids_are_one_agent_whatever_their_case(ansible, sandbox, mode):
    sandbox.add_tenant(make_tenant(agents=CASED, calls=CASED))
    upper = CASED[0].upper()
    on_call = sandbox.agent_state(CASED[0])["contact_id"]
    # The sandbox, like CXone, knows the id as User Hub spells it: that spelling comes first and is sent.
    tasks = [task("cxone_do_not_record", "refusal", user_id=[CASED[0], upper, CASED[1]],
                  expected_contacts={upper: on_call})]
    playbook, inventory = plays_in_mode(ansible, mode, [(None, tasks)])
    run = ansible.run(playbook, inventory=inventory)
    assert run.rc == 0, run.output
    refusal = run.result("refusal")
    assert [(entry["user_id"], entry["outcome"]) for entry in refusal["results"]] == [
        (CASED[0], "completed"), (CASED[1], "completed")]
    sent = [entry["user_id"] for entry in operation_requests(sandbox, "do_not_record")]
    assert sorted(sent) == sorted(CASED), "sent once, with the first spelling"
    assert len([entry for entry in status_requests(sandbox) if entry["user_id"].casefold() == upper.casefold()]) == 1


@pytest.mark.parametrize("mode", CONNECTION_MODES)
def test_a_token_endpoint_back_just_before_expiry_costs_no_agent(ansible, sandbox, mode):
    # 4 s tokens are renewed 0.4 s before expiry; the renewal is refused once (no retries), and the
    # batch (24 agents, one at a time, 0.25 s each) runs on past the first token's expiry.
    sandbox.add_tenant(make_tenant(agents=TOKEN_BATCH, calls=TOKEN_BATCH, token_lifetime=4))
    sandbox.set_latency(250)
    sandbox.add_fault("status", status=503, applies_to="token", operation="refresh_token", count=1)
    tasks = [task("cxone_recording_start", "batch", user_id=TOKEN_BATCH, concurrency=1)]
    if mode == "local":
        playbook, inventory = ansible.play(tasks, module_defaults=ansible.direct_vars(retries=0)), None
    else:
        playbook, inventory = ansible.play(tasks, hosts="tenant_a"), ansible.tenant_inventory(retries=0)
    run = ansible.run(playbook, inventory=inventory)
    assert run.rc == 0, run.output
    batch = run.result("batch")
    assert batch["summary"]["completed"] == len(TOKEN_BATCH), batch["msg"] if batch.get("failed") else batch["summary"]
    stats = sandbox.stats()["token_requests"]
    assert stats["failed"] == 1 and stats["issued"] <= 4, stats
