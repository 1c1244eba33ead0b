# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Masking a card payment: ``cxone_recording_mask`` and ``cxone_recording_unmask`` against the sandbox.

The sandbox marks the recording segments made while a call was masked, so a test can prove that
the masked span is the one between the mask and the unmask, and that nothing else was masked.
"""

from __future__ import annotations

import json

import pytest

from e2e_helpers import (  # pylint: disable=import-error
    ACCESS_KEY_ID,
    CONNECTION_MODES,
    ROLE,
    agent_ids,
    make_tenant,
    named_task,
    operation_requests,
    plays_in_mode,
    role_report,
)

pytestmark = pytest.mark.e2e

PAYER, INTERNAL, IDLE, RETRIED = agent_ids(4, prefix="3a5c")


def segments(sandbox, user_id):
    return [(segment["masked"], segment["started_by"], segment["ended_by"])
            for segment in sandbox.agent_state(user_id)["segments"]]


@pytest.mark.parametrize("mode", CONNECTION_MODES)
def test_a_payment_is_masked_and_unmasked_and_an_internal_call_fails_with_one_request(ansible, sandbox, mode):
    sandbox.add_tenant(make_tenant(agents=(PAYER, INTERNAL, IDLE), calls=(PAYER,)))
    sandbox.start_call(INTERNAL, internal=True)
    contact = sandbox.agent_state(PAYER)["contact_id"]
    tasks = [
        named_task("cxone_recording_start", "start", user_id=[PAYER, INTERNAL]),
        named_task("cxone_recording_mask", "mask", ignore_errors=True, user_ids=[PAYER, INTERNAL, IDLE],
                   expected_contacts={PAYER: contact}, wait=True, wait_timeout=10),
        named_task("cxone_recording_info", "while masked", user_id=PAYER),
        named_task("cxone_recording_unmask", "unmask", user_id=PAYER, expected_contacts={PAYER: contact}, wait=True),
        named_task("cxone_recording_info", "after unmask", user_id=PAYER),
        named_task("cxone_recording_unmask", "unmask no call", user_id=IDLE, no_active_call="skip"),
    ]
    playbook, inventory = plays_in_mode(ansible, mode, [(None, tasks)])
    run = ansible.run(playbook, inventory=inventory)
    assert run.rc == 0, run.output

    masked = run.result("mask")
    outcomes = {entry["user_id"]: (entry["outcome"], entry["http_status"], entry["confirmed"], entry["attempts"])
                for entry in masked["results"]}
    # The payer's status is read for the guard, then the mask, then its confirmation.
    assert outcomes[PAYER][:3] == ("completed", 200, True)
    assert outcomes[INTERNAL] == ("failed", 422, None, 1)
    assert outcomes[IDLE][:2] == ("failed", 404)
    internal = next(entry for entry in masked["results"] if entry["user_id"] == INTERNAL)
    assert "CXone cannot mask an internal (agent-to-agent) call" in internal["msg"] and INTERNAL in internal["msg"]
    assert "not retried" in internal["msg"]
    assert masked["summary"] == {"completed": 1, "accepted": 0, "unchanged": 0, "skipped": 0, "failed": 2, "planned": 0,
                                 "total": 3}
    assert [entry["user_id"] for entry in operation_requests(sandbox, "mask")].count(INTERNAL) == 1

    assert run.result("while masked")["results"][0]["status_reason"] == "Mask"
    unmasked = run.result("unmask")
    assert (unmasked["outcome"], unmasked["results"][0]["confirmed"]) == ("completed", True)
    assert run.result("after unmask")["results"][0]["status_reason"] not in ("Mask", None)
    no_call = run.result("unmask no call")
    assert (no_call["outcome"], no_call["http_status"], no_call["changed"]) == ("skipped", 404, False)
    # Recorded, masked from the mask to the unmask, recorded again.
    assert segments(sandbox, PAYER) == [(False, "on_demand", "mask"), (True, "on_demand", "unmask"),
                                        (False, "on_demand", None)]
    assert not sandbox.agent_state(INTERNAL)["masked"]


@pytest.mark.parametrize("mode", CONNECTION_MODES)
def test_masking_without_its_permission_names_it_and_check_mode_sends_nothing(ansible, sandbox, mode):
    sandbox.add_tenant(make_tenant(agents=(PAYER,), calls=(PAYER,)))
    playbook, inventory = plays_in_mode(ansible, mode, [(None, [
        named_task("cxone_recording_mask", "planned", user_id=PAYER),
        named_task("cxone_recording_unmask", "planned unmask", user_id=PAYER),
    ])])
    checked = ansible.run(playbook, inventory=inventory, check=True)
    assert checked.rc == 0, checked.output
    assert checked.result("planned")["outcome"] == "planned" and checked.result("planned unmask")["outcome"] == "planned"
    assert operation_requests(sandbox) == []

    sandbox.change_permissions(ACCESS_KEY_ID, deny=["masking"])
    playbook, inventory = plays_in_mode(ansible, mode, [(None, [
        named_task("cxone_recording_mask", "refused", ignore_errors=True, user_id=PAYER)])])
    run = ansible.run(playbook, inventory=inventory)
    refused = run.result("refused")
    assert (refused["outcome"], refused["http_status"]) == ("failed", 403)
    assert '"Interactions Hub > APIs > Multi-ACD Masking API" permission' in refused["msg"]
    assert not sandbox.agent_state(PAYER)["masked"]


def test_a_rate_limited_mask_is_retried_and_only_when_needed_leaves_a_masked_call_alone(ansible, sandbox):
    sandbox.add_tenant(make_tenant(agents=(RETRIED,), calls=(RETRIED,)))
    sandbox.add_fault(kind="status", status=429, retry_after="0", operation="mask", count=1)
    playbook, inventory = plays_in_mode(ansible, "local", [(None, [
        named_task("cxone_recording_start", "start", user_id=RETRIED),
        named_task("cxone_recording_mask", "mask", user_id=RETRIED),
        named_task("cxone_recording_mask", "mask again", user_id=RETRIED, only_when_needed=True),
    ])])
    run = ansible.run(playbook, inventory=inventory)
    assert run.rc == 0, run.output
    assert (run.result("mask")["outcome"], run.result("mask")["results"][0]["attempts"]) == ("completed", 2)
    again = run.result("mask again")
    assert (again["outcome"], again["changed"]) == ("unchanged", False)
    assert "already masked (reason Mask)" in again["results"][0]["msg"]
    assert len(operation_requests(sandbox, "mask")) == 2


def test_a_plan_starts_then_masks_and_the_evidence_records_both_masking_modules(ansible, sandbox, tmp_path):
    sandbox.add_tenant(make_tenant(agents=(PAYER, RETRIED), calls=(PAYER, RETRIED)))
    plan = [{"action": "mask", "user_ids": [PAYER]}, {"action": "start", "user_ids": [PAYER, RETRIED]},
            {"action": "unmask", "user_id": RETRIED}]
    evidence = tmp_path / "evidence"
    run = ansible.run(ansible.play([{"name": "apply", "ansible.builtin.include_role": {"name": ROLE}}],
                                   hosts="tenant_a", vars={"record_on_demand_plan": plan}),
                      ansible.tenant_inventory(),
                      env={"ANSIBLE_CALLBACKS_ENABLED": "task_results,cxone.recording.evidence",
                           "CXONE_EVIDENCE_PATH": str(evidence)})
    assert run.rc == 0, run.output[-3000:]
    # The start comes before the mask, whatever the plan's order; the unmask of an unmasked call changes nothing.
    sent = [(entry["operation"], entry["user_id"]) for entry in operation_requests(sandbox)]
    # One batch's requests run concurrently: their order within the batch is not fixed.
    assert sorted(sent[:2]) == sorted([("start", PAYER), ("start", RETRIED)]) and sent[2:] == [("mask", PAYER)]
    assert sandbox.agent_state(PAYER)["masked"] and not sandbox.agent_state(RETRIED)["masked"]
    summary = role_report(run)["summary"]
    assert summary[-2:] == ["mask: 1 agent: 1 completed", "unmask: 1 agent: 1 unchanged"]

    lines = [json.loads(line) for path in evidence.glob("cxone-evidence-*.jsonl") for line in path.read_text().splitlines()]
    recorded = {(line["module"], line["user_id"], line["outcome"]) for line in lines if line["record"] == "agent"}
    assert ("cxone.recording.cxone_recording_mask", PAYER, "completed") in recorded
    assert ("cxone.recording.cxone_recording_unmask", RETRIED, "unchanged") in recorded
