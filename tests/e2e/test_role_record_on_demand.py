# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""End-to-end: the role cxone.recording.record_on_demand applies plans against the sandbox.

What a runbook author relies on: do-not-record goes first, then stop, then start, each as one
batched task; a consent refusal wins over a start in the same plan; a plan that is wrong or
ambiguous is refused before anything reaches CXone; check mode sends nothing; the report lists
every agent and the role fails at the end, not in the middle. A plan applied as a desired state
(twice, changing nothing the second time) is in ``test_role_desired_state.py``.
"""

from __future__ import annotations

import pytest

from e2e_helpers import (  # pylint: disable=import-error
    ACCESS_KEY_ID,
    ACCESS_KEY_SECRET,
    CLIENT_ID,
    CLIENT_SECRET,
    ROLE,
    agent_ids,
    apply_role,
    hub_user,
    make_tenant,
    operation_requests,
    recording_module_tasks,
    role_outcomes,
    role_report,
)

# Agents a..g on calls, h without a call.
A, B, C, D, E, F, G, H = agent_ids(8, prefix="70de")


@pytest.fixture
def tenant(sandbox):
    sandbox.add_tenant(make_tenant(agents=[A, B, C, D, E, F, G, H], calls=[A, B, C, D, E, F, G]))
    return sandbox


def test_a_plan_runs_do_not_record_then_stop_then_start(ansible, tenant):
    plan = [
        {"action": "start", "user_ids": [D, A], "media_type": "voice"},
        {"action": "stop", "user_ids": "%s, %s" % (B, C)},
        {"action": "start", "user_id": E, "media_type": "voiceAndScreen"},
        {"action": "do_not_record", "user_ids": [A, F]},
        {"action": "stop", "user_id": B},
        {"action": "start", "user_ids": [D, H]},
    ]
    run = ansible.run(apply_role(ansible, plan, record_on_demand_no_active_call="skip"), ansible.tenant_inventory())
    assert run.rc == 0, run.output[-3000:]

    sent = operation_requests(tenant)
    actions = [entry["operation"] for entry in sent]
    assert actions == sorted(actions, key=["do_not_record", "stop", "start"].index), actions
    # H has no call: its status read says so, and no start is sent (a plan is a desired state).
    assert sorted((entry["operation"], entry["user_id"]) for entry in sent) == sorted([
        ("do_not_record", A), ("do_not_record", F), ("stop", B), ("stop", C),
        ("start", D), ("start", E)])
    # One batched task per action and media type; duplicate entries merged.
    assert [record["action"].rsplit(".", 1)[1] for record in recording_module_tasks(run)] == [
        "cxone_do_not_record", "cxone_recording_stop", "cxone_recording_start", "cxone_recording_start"]

    report = role_report(run)
    assert role_outcomes(report) == {
        ("do_not_record", A): "completed", ("do_not_record", F): "completed",
        ("stop", B): "completed", ("stop", C): "completed",
        ("start", D): "completed", ("start", H): "skipped", ("start", E): "completed", ("start", A): "conflict"}
    entry_d = next(entry for entry in report["results"] if entry["user_id"] == D)
    assert entry_d["http_status"] == 200 and entry_d["contact_id"] and entry_d["attempts"] == 1
    assert entry_d["media_type"] == "voice"
    assert report["by_action"]["start"] == {"completed": 2, "skipped": 1, "conflict": 1, "total": 4}
    assert report["by_outcome"] == {"completed": 6, "skipped": 1, "conflict": 1, "total": 8}
    assert report["failed"] == []
    for line in ("do_not_record: 2 agents: 2 completed", "stop: 2 agents: 2 completed",
                 "start: 4 agents: 2 completed, 1 skipped, 1 conflict"):
        assert line in run.stdout

    assert tenant.agent_state(A)["contact"]["do_not_record"] is True
    assert tenant.agent_state(A)["contact"]["recording"] == "off"
    assert tenant.agent_state(D)["contact"]["recording"] == "voice"
    assert tenant.agent_state(E)["contact"]["recording"] == "voiceAndScreen"
    assert tenant.agent_state(C)["contact"]["stopped_on_demand"] is True


def test_a_failed_agent_fails_the_role_at_the_end_after_every_action(ansible, tenant):
    tenant.add_fault("status", status=403, operation="stop", user_id=B, body='{"description": "Forbidden here"}')
    plan = [{"action": "stop", "user_ids": [H, B]}, {"action": "start", "user_ids": [C]}]
    run = ansible.run(apply_role(ansible, plan), ansible.tenant_inventory())
    assert run.rc != 0
    # The start was still sent after the stop batch failed.
    assert ("start", C) in {(entry["operation"], entry["user_id"]) for entry in operation_requests(tenant)}
    report = role_report(run)
    failed = {entry["user_id"]: entry for entry in report["failed"]}
    assert set(failed) == {H, B}
    assert failed[H]["http_status"] == 404 and failed[B]["http_status"] == 403
    assert role_outcomes(report)[("start", C)] == "completed"
    result = [record for record in run.records if record["status"] == "failed"][-1]
    assert result["task"].endswith("Fail when any agent failed")
    result = result["result"]
    assert "2 of 3 agent actions failed" in result["msg"]
    assert "stop: user %s has no active call (HTTP 404: " % H in result["msg"]
    assert "stop: user %s: HTTP 403: " % B in result["msg"]
    assert "Forbidden here" in result["msg"]


BAD_PLANS = {
    "unknown action": ([{"action": "pause", "user_ids": [A]}], "pause"),
    "missing ids": ([{"action": "stop"}], "user_ids"),
    "empty id list": ([{"action": "stop", "user_ids": []}], "entry 1: user_ids is empty"),
    "blank id": ([{"action": "stop", "user_ids": [A, "  "]}], "entry 1: user_ids item 2 is empty"),
    "media type on a stop": ([{"action": "start", "user_ids": [A]}, {"action": "stop", "user_ids": [B], "media_type": "voice"}],
                             "entry 2: media_type is only for start entries"),
    "unknown key": ([{"action": "stop", "user_ids": [A], "users": [B]}], "users"),
    "unknown media type": ([{"action": "start", "user_ids": [A], "media_type": "video"}], "video"),
    "plan not a list of entries": (["stop %s" % A], "record_on_demand_plan"),
    "stop and start": ([{"action": "start", "user_ids": [C, A]}, {"action": "stop", "user_ids": [B, A]}],
                       "agent %s is in a stop entry (entry 2) and a start entry (entry 1)" % A),
    "two media types": ([{"action": "start", "user_ids": [A]}, {"action": "start", "user_ids": [A], "media_type": "voiceAndScreen"}],
                        "agent %s is given different media types for start (voice in entry 1, voiceAndScreen in entry 2)" % A),
    "mask and unmask": ([{"action": "mask", "user_ids": [A, B]}, {"action": "unmask", "user_ids": [B]}],
                        "agent %s is in a mask entry (entry 1) and an unmask entry (entry 2)" % B),
    "unknown no_active_call": ([{"action": "stop", "user_ids": [A]}], "record_on_demand_no_active_call"),
    "concurrency out of range": ([{"action": "stop", "user_ids": [A]}],
                                 "record_on_demand_concurrency: must be a whole number from 1 to 64, got 65"),
}


def test_bad_and_ambiguous_plans_are_refused_before_any_request(ansible, tenant):
    """One play tries every bad plan in a block; each must fail with its message, none may send."""
    tasks = []
    for number, (label, (plan, _expected)) in enumerate(BAD_PLANS.items()):
        role_vars = {"record_on_demand_plan": plan}
        if label == "unknown no_active_call":
            role_vars["record_on_demand_no_active_call"] = "ignore"
        if label == "concurrency out of range":
            role_vars["record_on_demand_concurrency"] = 65
        tasks.append({"name": "case %d" % number, "block": [
            {"name": "apply %s" % label, "ansible.builtin.include_role": {"name": ROLE}, "vars": role_vars},
            {"name": "not refused %d" % number, "ansible.builtin.set_fact": {"refusals": "{{ refusals + ['NOT REFUSED'] }}"}},
        ], "rescue": [
            {"name": "refused %d" % number, "ansible.builtin.set_fact": {
                "refusals": "{{ refusals + [ansible_failed_task.name ~ ': ' ~ ansible_failed_result.msg] }}"}},
        ]})
    tasks.append({"name": "show refusals", "ansible.builtin.debug": {"var": "refusals"}})
    run = ansible.run(ansible.play(tasks, hosts="cxone", vars={"refusals": []}), ansible.tenant_inventory())
    assert run.rc == 0, run.output[-3000:]
    refusals = run.result("show refusals")["refusals"]
    assert len(refusals) == len(BAD_PLANS)
    for refusal, (label, (_plan, expected)) in zip(refusals, BAD_PLANS.items()):
        assert expected in refusal, (label, refusal)
        assert "Traceback" not in refusal
    assert recording_module_tasks(run) == []
    # Nothing reached CXone: no recording request, and not even a login.
    assert tenant.requests()["requests"] == []


def test_check_mode_plans_without_any_recording_request(ansible, tenant):
    plan = [{"action": "do_not_record", "user_ids": [A]}, {"action": "stop", "user_ids": [B]},
            {"action": "start", "user_ids": [C, A], "media_type": "voiceAndScreen"}]
    run = ansible.run(apply_role(ansible, plan), ansible.tenant_inventory(), check=True)
    assert run.rc == 0, run.output[-3000:]
    assert operation_requests(tenant) == []
    assert role_outcomes(role_report(run)) == {("do_not_record", A): "planned", ("stop", B): "planned",
                                               ("start", C): "planned", ("start", A): "conflict"}
    assert "start: 2 agents: 1 planned, 1 conflict" in run.stdout
    assert tenant.agent_state(C)["contact"]["recording"] == "off"


def test_a_300_agent_plan_runs_as_three_tasks_on_localhost_with_the_environment(ansible, sandbox):
    """connection: local, credentials only from the CXONE_* environment, as an AWX job injects them."""
    agents = agent_ids(300, prefix="7300")
    sandbox.add_tenant(make_tenant(agents=agents, calls=agents))
    plan = [{"action": "start", "user_ids": agents[200:]}, {"action": "stop", "user_ids": agents[100:200]},
            {"action": "do_not_record", "user_ids": agents[:100]}]
    environment = {"CXONE_ISSUER": ansible.sandbox_url, "CXONE_CLIENT_ID": CLIENT_ID, "CXONE_CLIENT_SECRET": CLIENT_SECRET,
                   "CXONE_ACCESS_KEY_ID": ACCESS_KEY_ID, "CXONE_ACCESS_KEY_SECRET": ACCESS_KEY_SECRET}
    # With some latency the requests overlap, so the sandbox sees how many were in flight at once:
    # more than the modules' default of 8 shows that the role passed record_on_demand_concurrency on.
    sandbox.set_latency(40)
    run = ansible.run(apply_role(ansible, plan, hosts="localhost", record_on_demand_concurrency=16), env=environment)
    assert run.rc == 0, run.output[-3000:]
    assert len(recording_module_tasks(run)) == 3
    assert 8 < sandbox.stats()["max_in_flight"] <= 16
    report = role_report(run)
    assert report["by_outcome"] == {"completed": 300, "total": 300}
    assert {action: counts.get("total", 0) for action, counts in report["by_action"].items()} == {
        "do_not_record": 100, "stop": 100, "start": 100, "mask": 0, "unmask": 0}
    sent = operation_requests(sandbox)
    assert len(sent) == 300
    assert [entry["operation"] for entry in sent] == ["do_not_record"] * 100 + ["stop"] * 100 + ["start"] * 100


def test_agents_named_by_team_login_name_and_e_mail_are_looked_up_once_before_any_request(ansible, sandbox):
    billing, support = "7ea30000-0000-4000-8000-00000000b111", "7ea30000-0000-4000-8000-00000000c222"
    users = [hub_user(A, "adams", billing, email="adams@example.com"), hub_user(B, "baker", billing),
             hub_user(C, "Clark", support, email="clark@example.com"), hub_user(D, "dunn", billing, status="INACTIVE")]
    teams = [{"id": billing, "name": "Billing EMEA", "status": "ACTIVE"},
             {"id": support, "name": "Support", "status": "ACTIVE"}]
    sandbox.add_tenant(make_tenant(agents=[A, B, C, D], calls=[A, B, C, D], users=users, teams=teams))
    plan = [{"action": "stop", "teams": ["billing emea"]},
            {"action": "do_not_record", "emails": ["CLARK@example.com"], "user_names": ["clark"]}]
    run = ansible.run(apply_role(ansible, plan), ansible.tenant_inventory())
    assert run.rc == 0, run.output[-3000:]
    assert role_outcomes(role_report(run)) == {("stop", A): "completed", ("stop", B): "completed",
                                               ("do_not_record", C): "completed"}, "the inactive agent of the team is left alone"
    sent = [(entry["operation"], entry["user_id"]) for entry in operation_requests(sandbox)]
    # The do-not-record first; the two stops of one batch in either order.
    assert sent[0] == ("do_not_record", C) and sorted(sent[1:]) == sorted([("stop", A), ("stop", B)])

    # A name that matches no active agent fails the plan before any recording request.
    before = len(operation_requests(sandbox))
    run = ansible.run(apply_role(ansible, [{"action": "stop", "user_names": ["dunn", "nobody"]}]),
                      ansible.tenant_inventory())
    assert run.rc != 0
    assert "user_name 'dunn' (matches only users with status INACTIVE); user_name 'nobody'" in run.output
    assert len(operation_requests(sandbox)) == before
