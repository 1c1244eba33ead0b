# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.cxone.recording.plugins.filter.record_on_demand_plan import record_on_demand_plan
from ansible_collections.cxone.recording.plugins.filter.record_on_demand_report import FilterModule, record_on_demand_report


def result(user_id, outcome, http_status=200, contact_id="700000000001", attempts=1, msg=None, description=None):
    return {"user_id": user_id, "outcome": outcome, "http_status": http_status, "contact_id": contact_id,
            "attempts": attempts, "msg": msg, "description": description}


SKIPPED_TASK = {"changed": False, "skipped": True, "skip_reason": "Conditional result was False"}


def test_every_agent_is_reported_with_counts_and_one_line_per_action():
    batches = record_on_demand_plan([
        {"action": "do_not_record", "user_ids": ["a"]},
        {"action": "start", "user_ids": ["a", "b", "c"]},
        {"action": "start", "user_ids": ["d"], "media_type": "voiceAndScreen"},
    ])
    report = record_on_demand_report(
        batches, do_not_record={"results": [result("a", "completed", description="Done")]}, stop=SKIPPED_TASK,
        start_voice={"results": [result("b", "accepted", 202), result("c", "skipped", 404, None, 1, "user c: no call")]},
        start_voice_and_screen={"results": [result("d", "failed", 409, attempts=1, msg="user d: HTTP 409: refused")]})
    assert [(entry["action"], entry["user_id"], entry["media_type"], entry["outcome"]) for entry in report["results"]] == [
        ("do_not_record", "a", None, "completed"), ("start", "b", "voice", "accepted"), ("start", "c", "voice", "skipped"),
        ("start", "d", "voiceAndScreen", "failed"), ("start", "a", None, "conflict")]
    assert report["results"][0]["msg"] == "Done"
    assert report["results"][3] == {"user_id": "d", "action": "start", "media_type": "voiceAndScreen", "outcome": "failed",
                                    "http_status": 409, "contact_id": "700000000001", "attempts": 1,
                                    "msg": "user d: HTTP 409: refused"}
    assert report["by_action"] == {"do_not_record": {"completed": 1, "total": 1}, "stop": {},
                                   "start": {"accepted": 1, "skipped": 1, "failed": 1, "conflict": 1, "total": 4},
                                   "mask": {}, "unmask": {}}
    assert report["by_outcome"] == {"completed": 1, "accepted": 1, "skipped": 1, "failed": 1, "conflict": 1, "total": 5}
    assert [entry["user_id"] for entry in report["failed"]] == ["d"]
    assert report["summary"] == ["do_not_record: 1 agent: 1 completed", "stop: no agents, not run",
                                 "start: 4 agents: 1 accepted, 1 skipped, 1 conflict, 1 failed",
                                 "mask: no agents, not run", "unmask: no agents, not run"]


def test_an_agent_missing_from_its_tasks_results_is_failed_with_the_tasks_message():
    batches = record_on_demand_plan([{"action": "stop", "user_ids": ["a", "b"]}])
    report = record_on_demand_report(batches, stop={"failed": True, "msg": "missing credentials: set access_token"})
    assert [(entry["user_id"], entry["outcome"], entry["msg"], entry["attempts"]) for entry in report["results"]] == [
        ("a", "failed", "missing credentials: set access_token", 0), ("b", "failed", "missing credentials: set access_token", 0)]
    report = record_on_demand_report(batches, stop={"results": [result("a", "completed")]})
    assert report["failed"][0]["user_id"] == "b"
    assert report["failed"][0]["msg"] == "the task returned no result for this agent"


def test_check_mode_outcomes_are_planned():
    batches = record_on_demand_plan([{"action": "stop", "user_ids": ["a", "b"]}])
    planned = {"results": [result(user_id, "planned", None, None, 0) for user_id in ("a", "b")]}
    report = record_on_demand_report(batches, stop=planned)
    assert report["summary"][1] == "stop: 2 agents: 2 planned" and report["failed"] == []


def test_input_that_is_not_the_plan_filters_batches_is_refused():
    with pytest.raises(AnsibleFilterError, match="batches of the cxone.recording.record_on_demand_plan filter"):
        record_on_demand_report([{"action": "stop", "user_ids": ["a"]}])


def test_the_filter_is_registered_under_its_documented_name():
    assert FilterModule().filters() == {"record_on_demand_report": record_on_demand_report}
