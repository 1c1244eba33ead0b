# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The recording modules' ``wait`` (confirmation by the agent's status) and ``expected_contacts`` guard,
and bad input of every new option, against the sandbox."""

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

ASYNC_A, ASYNC_B, LOST, SYNC, SYNC_REFUSED = WAIT_AGENTS = agent_ids(5, prefix="3a17")
MOVED, STAYING, UNGUARDED, IDLE = GUARD_AGENTS = agent_ids(4, prefix="96a2")
BATCH = agent_ids(1000, prefix="ba7c")
UNKNOWN_CONTACT = "700000099999"


def contacts_by_agent(sandbox):
    """Each agent on a call -> its contact, from the sandbox's state."""
    state = sandbox.state()["tenants"][0]
    contacts = {contact["contact_id"]: contact for contact in state["contacts"]}
    return {agent["user_id"]: contacts[agent["contact_id"]] for agent in state["agents"] if agent["contact_id"]}


@pytest.mark.parametrize("mode", CONNECTION_MODES)
def test_wait_confirms_a_delayed_202_and_fails_on_one_that_never_applies(ansible, sandbox, mode):
    config = make_tenant(agents=WAIT_AGENTS, calls=WAIT_AGENTS, async_delay_ms=300)
    for agent in config["agents"]:
        agent["asynchronous"] = agent["user_id"] in (ASYNC_A, ASYNC_B, LOST)
        agent["accepted_never_applies"] = agent["user_id"] == LOST
    sandbox.add_tenant(config)
    lost_contact = sandbox.agent_state(LOST)["contact_id"]
    tasks = [
        named_task("cxone_recording_start", "start and wait", user_id=[ASYNC_A, SYNC], wait=True, wait_timeout=20),
        named_task("cxone_recording_start", "start lost", ignore_errors=True, user_id=LOST, wait=True, wait_timeout=2),
        named_task("cxone_recording_start", "start without wait", user_id=[ASYNC_B]),
        named_task("cxone_recording_stop", "stop and wait", user_id=ASYNC_A, wait=True),
        named_task("cxone_do_not_record", "refuse and wait", user_id=SYNC_REFUSED, wait=True),
    ]
    playbook, inventory = plays_in_mode(ansible, mode, [(None, tasks)])
    run = ansible.run(playbook, inventory=inventory)
    assert run.rc == 0, run.output

    started = run.result("start and wait")
    assert [(entry["user_id"], entry["outcome"], entry["http_status"], entry["confirmed"]) for entry in started["results"]] == [
        (ASYNC_A, "completed", 202, True), (SYNC, "completed", 200, True)]
    assert started["summary"]["completed"] == 2 and started["changed"] is True

    lost = run.result("start lost")
    assert lost["failed"] is True
    assert (lost["outcome"], lost["http_status"], lost["results"][0]["confirmed"]) == ("failed", 202, False)
    assert "did not show recording within 2 s" in lost["msg"]
    assert "last status read: contact %s, recording status NoRecording, reason Policy" % lost_contact in lost["msg"]
    assert LOST in lost["msg"]

    unconfirmed = run.result("start without wait")
    assert (unconfirmed["outcome"], unconfirmed["results"][0]["confirmed"]) == ("accepted", None)
    assert run.result("stop and wait")["results"][0]["confirmed"] is True
    assert (run.result("refuse and wait")["outcome"], run.result("refuse and wait")["results"][0]["confirmed"]) == (
        "completed", True)

    state = contacts_by_agent(sandbox)
    assert (state[ASYNC_A]["recording"], state[ASYNC_A]["stopped_on_demand"]) == ("off", True)
    assert state[SYNC]["recording"] == "voice"
    assert (state[LOST]["recording"], state[LOST]["segments"]) == ("off", [])
    assert state[SYNC_REFUSED]["do_not_record"] is True
    read_for = {entry["user_id"] for entry in status_requests(sandbox)}
    assert read_for == {ASYNC_A, SYNC, LOST, SYNC_REFUSED}, "no status read without wait"


def test_expected_contacts_send_only_to_agents_still_on_that_contact(ansible, sandbox):
    sandbox.add_tenant(make_tenant(agents=GUARD_AGENTS, calls=[MOVED, STAYING, UNGUARDED]))
    old_contact = sandbox.agent_state(MOVED)["contact_id"]
    staying_contact = sandbox.agent_state(STAYING)["contact_id"]
    sandbox.end_call(old_contact)
    new_contact = sandbox.start_call(MOVED)["contact_id"]
    guard = {MOVED: old_contact, STAYING: staying_contact}
    tasks = [
        dict(named_task("cxone_recording_stop", "guarded stop in check mode", user_id=[MOVED, STAYING], expected_contacts=guard),
             check_mode=True),
        named_task("cxone_recording_stop", "guarded stop", user_id=[MOVED, STAYING, UNGUARDED, IDLE],
                   expected_contacts=dict(guard, **{IDLE: UNKNOWN_CONTACT})),
        named_task("cxone_do_not_record", "guarded refusal", user_id=MOVED, expected_contacts={MOVED: new_contact}, wait=True),
    ]
    run = ansible.run(ansible.play(tasks, module_defaults=ansible.direct_vars()))
    assert run.rc == 0, run.output

    planned = run.result("guarded stop in check mode")
    assert [(entry["user_id"], entry["outcome"]) for entry in planned["results"]] == [(MOVED, "skipped"), (STAYING, "planned")]

    stopped = run.result("guarded stop")
    outcomes = {entry["user_id"]: entry for entry in stopped["results"]}
    assert [outcomes[agent]["outcome"] for agent in GUARD_AGENTS] == ["skipped", "completed", "completed", "skipped"]
    moved_msg = outcomes[MOVED]["msg"]
    assert old_contact in moved_msg and new_contact in moved_msg and "nothing was sent" in moved_msg
    assert outcomes[MOVED]["contact_id"] == new_contact
    assert UNKNOWN_CONTACT in outcomes[IDLE]["msg"] and "no active call" in outcomes[IDLE]["msg"]
    assert stopped["summary"]["skipped"] == 2 and stopped["summary"]["total"] == 4

    refusal = run.result("guarded refusal")
    assert (refusal["outcome"], refusal["results"][0]["confirmed"], refusal["contact_id"]) == ("completed", True, new_contact)

    sent = [(entry["operation"], entry["user_id"]) for entry in operation_requests(sandbox) if entry["operation"] != "status"]
    assert sorted(sent) == sorted([("stop", STAYING), ("stop", UNGUARDED), ("do_not_record", MOVED)])
    read_for = sorted(entry["user_id"] for entry in status_requests(sandbox))
    assert read_for.count(UNGUARDED) == 0, "an agent without an expected contact is not read"
    assert read_for.count(IDLE) == 1 and read_for.count(STAYING) == 2 and read_for.count(MOVED) >= 3
    assert sandbox.agent_state(STAYING)["stopped_on_demand"] is True
    assert sandbox.agent_state(MOVED)["contact"]["do_not_record"] is True


def test_a_thousand_asynchronous_agents_confirmed_under_injected_faults(ansible, sandbox):
    config = make_tenant(agents=BATCH, calls=BATCH, async_delay_ms=20)
    for agent in config["agents"]:
        agent["asynchronous"] = True
    sandbox.add_tenant(config)
    # About 30% of the recording service's requests (operations and status reads) fail: a tenth
    # each with 500, 503 and a dropped connection (rates of what the rules before left over).
    sandbox.add_fault("status", status=500, rate=0.1, seed=1)
    sandbox.add_fault("status", status=503, rate=0.1 / 0.9, seed=2)
    sandbox.add_fault("drop", rate=0.1 / 0.8, seed=3)
    tasks = [named_task("cxone_recording_start", "start all", ignore_errors=True, user_id=BATCH, concurrency=32, wait=True,
                        wait_timeout=120)]
    run = ansible.run(ansible.play(tasks, module_defaults=ansible.direct_vars()))
    assert run.rc == 0, run.output

    result = run.result("start all")
    entries = result["results"]
    assert [entry["user_id"] for entry in entries] == BATCH, "one entry per agent, in order"
    assert result["summary"]["total"] == 1000 and sum(result["summary"][outcome] for outcome in
                                                      ("completed", "accepted", "skipped", "failed", "planned")) == 1000
    state = contacts_by_agent(sandbox)
    completed = [entry for entry in entries if entry["outcome"] == "completed"]
    assert completed, result["msg"]
    for entry in completed:
        assert entry["confirmed"] is True and entry["http_status"] == 202
        assert state[entry["user_id"]]["recording"] == "voice", entry
    for entry in entries:
        assert entry["outcome"] in ("completed", "failed"), entry
        if entry["outcome"] == "failed":
            assert entry["user_id"] in entry["msg"]
    fired = sum(rule["fired"] for rule in sandbox.faults())
    assert fired > 300, "the faults really fired"


# (module, options, text the failure message must contain)
BAD_INPUT = [
    ("cxone_recording_start", {"user_id": MOVED, "wait": True, "wait_timeout": 0}, "wait_timeout: must be a whole number from 1 to 600, got 0"),
    ("cxone_recording_stop", {"user_id": MOVED, "wait": True, "wait_timeout": 601}, "wait_timeout: must be a whole number from 1 to 600, got 601"),
    ("cxone_do_not_record", {"user_id": MOVED, "wait": "maybe"}, "wait"),
    ("cxone_recording_stop", {"user_id": MOVED, "expected_contacts": [MOVED, "700000000001"]}, "expected_contacts"),
    ("cxone_do_not_record", {"user_id": MOVED, "expected_contacts": "just a contact"}, "expected_contacts"),
    ("cxone_recording_stop", {"user_id": MOVED, "expected_contacts": {STAYING: "700000000001"}},
     "expected_contacts: user '%s' is not one of the agents in user_id" % STAYING),
    ("cxone_do_not_record", {"user_id": MOVED, "expected_contacts": {MOVED: " "}}, "expected_contacts: the contact id of user %s" % MOVED),
    ("cxone_recording_start", {"user_id": MOVED, "expected_contacts": {MOVED: "700000000001"}}, "Unsupported parameters"),
    ("cxone_user_info", {"status": ["retired"]}, "status: 'retired' is not a User Hub status"),
    ("cxone_user_info", {"status": []}, "status: give at least one of"),
    ("cxone_user_info", {"user_name": [""]}, "user_name: item 1 must be a non-empty value"),
    ("cxone_user_info", {"email": ["a@example.test", "  "]}, "email: item 2 must be a non-empty value"),
    ("cxone_user_info", {"team": ["Night\tShift"]}, "team: item 1 must be a non-empty value without control characters"),
    ("cxone_user_info", {"user_id": [" "]}, "user_id: item 1 must be a non-empty value"),
    ("cxone_user_info", {"unmatched": "ignore"}, "unmatched must be one of: fail, skip"),
    ("cxone_recording_info", {"user_id": []}, "user_id: give one user id or a non-empty list"),
    ("cxone_recording_info", {"user_id": MOVED, "concurrency": 0}, "concurrency: must be a whole number from 1 to 64, got 0"),
]


def test_bad_input_of_the_new_options_is_refused_before_any_request(ansible, sandbox):
    sandbox.add_tenant(make_tenant(agents=[MOVED], calls=[MOVED]))
    tasks = [dict(named_task(module, "case %d" % number, ignore_errors=True, **options))
             for number, (module, options, _expected) in enumerate(BAD_INPUT)]
    run = ansible.run(ansible.play(tasks, module_defaults=ansible.direct_vars()))
    for number, (module, options, expected) in enumerate(BAD_INPUT):
        result = run.result("case %d" % number)
        assert result["failed"] is True and result["changed"] is False, (module, options)
        assert expected in result["msg"], (module, options, result["msg"])
    assert sandbox.requests()["requests"] == [], "nothing reached CXone"
