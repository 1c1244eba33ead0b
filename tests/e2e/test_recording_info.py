# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""``cxone_recording_info`` against the sandbox, over ``connection: local`` and the ``cxone_api`` connection."""

from __future__ import annotations

import pytest

from e2e_helpers import (  # pylint: disable=import-error
    ACCESS_KEY_SECRET,
    API_USER,
    CONNECTION_MODES,
    agent_ids,
    make_tenant,
    named_task,
    operation_requests,
    plays_in_mode,
    status_requests,
)

pytestmark = pytest.mark.e2e

POLICY, ON_DEMAND, STOPPED, REFUSED, UNRECORDED, IDLE = AGENTS = agent_ids(6, prefix="1f0e")
UNKNOWN = "1f0e9999-0000-4000-8000-000000009999"
RECORDER_ONLY_KEY = "E2ERECORDONLY"
VIEWER_ONLY_KEY = "E2EVIEWONLY"
STATUS_FIELDS = ("contact_id", "recording_status_to_agent", "recording_status_from_agent", "status_reason")


@pytest.fixture
def tenant(sandbox):
    """Five agents on calls (one recorded by the policy), one idle; a second key that may only view users."""
    sandbox.add_tenant(make_tenant(agents=AGENTS, calls=[ON_DEMAND, STOPPED, REFUSED, UNRECORDED]))
    sandbox.settings(recording_policy="voice")
    sandbox.start_call(POLICY)
    sandbox.settings(recording_policy="off")
    sandbox.set_access_key(VIEWER_ONLY_KEY, ACCESS_KEY_SECRET, API_USER, permissions=["view_users"])
    return sandbox


@pytest.mark.parametrize("mode", CONNECTION_MODES)
def test_statuses_after_each_operation_in_check_mode_too_and_never_changed(ansible, tenant, mode):
    every_agent = AGENTS + [UNKNOWN]
    tasks = [
        named_task("cxone_recording_start", "start", user_id=[ON_DEMAND, STOPPED]),
        named_task("cxone_recording_stop", "stop", user_id=STOPPED),
        named_task("cxone_do_not_record", "refuse", user_id=REFUSED),
        named_task("cxone_recording_info", "read", user_id=every_agent, concurrency=3),
        dict(named_task("cxone_recording_info", "read in check mode", user_ids=[POLICY, IDLE]), check_mode=True),
        named_task("cxone_recording_info", "read one", user_id=ON_DEMAND),
    ]
    forbidden = [dict(named_task("cxone_recording_info", "read without permission", user_id=[POLICY, IDLE]),
                      ignore_errors=True)]
    playbook, inventory = plays_in_mode(ansible, mode, [(None, tasks), (VIEWER_ONLY_KEY, forbidden)])
    run = ansible.run(playbook, inventory=inventory)
    assert run.rc == 0, run.output

    contacts = {agent: tenant.agent_state(agent)["contact_id"] for agent in AGENTS}
    read = run.result("read")
    assert read["changed"] is False and read["failed"] is False
    by_agent = {entry["user_id"]: entry for entry in read["results"]}
    assert [entry["user_id"] for entry in read["results"]] == every_agent
    assert {agent: tuple(by_agent[agent][field] for field in STATUS_FIELDS) for agent in AGENTS} == {
        POLICY: (contacts[POLICY], "Recording", "Recording", "Policy"),
        ON_DEMAND: (contacts[ON_DEMAND], "Recording", "Recording", "RecordOnDemand"),
        STOPPED: (contacts[STOPPED], "Stopped", "Stopped", "StopOnDemand"),
        REFUSED: (contacts[REFUSED], "NoRecording", "NoRecording", "CustomerDisconsent"),
        UNRECORDED: (contacts[UNRECORDED], "NoRecording", "NoRecording", "Policy"),
        IDLE: (None, None, None, None),
    }
    assert [by_agent[agent]["outcome"] for agent in every_agent] == ["found"] * 5 + ["no_active_call"] * 2
    assert all(by_agent[agent]["http_status"] == 200 and by_agent[agent]["segment_id"]
               and by_agent[agent]["interaction_id"] for agent in AGENTS[:5])
    assert by_agent[IDLE]["http_status"] == 404 and IDLE in by_agent[IDLE]["msg"]
    assert read["summary"] == {"found": 5, "no_active_call": 2, "failed": 0, "total": 7}

    in_check_mode = run.result("read in check mode")
    assert in_check_mode["changed"] is False
    assert [(entry["outcome"], entry["recording_status_to_agent"]) for entry in in_check_mode["results"]] == [
        ("found", "Recording"), ("no_active_call", None)]
    assert run.result("read one")["changed"] is False
    assert run.result("read one")["results"][0]["status_reason"] == "RecordOnDemand"

    refused = run.result("read without permission")
    assert refused["failed"] is True and refused["changed"] is False
    assert [(entry["user_id"], entry["outcome"], entry["http_status"]) for entry in refused["results"]] == [
        (POLICY, "failed", 403), (IDLE, "failed", 403)]
    assert POLICY in refused["msg"] and IDLE in refused["msg"] and "403" in refused["msg"]
    assert "Multi-ACD Record on Demand API permission" in refused["msg"]

    # Reading changed nothing: only the three playbook operations were sent; every read reached CXone.
    assert sorted(entry["operation"] for entry in operation_requests(tenant) if entry["operation"] != "status") == [
        "do_not_record", "start", "start", "stop"]
    assert len(status_requests(tenant)) == len(every_agent) + 2 + 1 + 2
    assert [tenant.agent_state(agent)["recording"] for agent in (POLICY, ON_DEMAND)] == ["voice", "voice"]
