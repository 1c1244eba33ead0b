# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.cxone.recording.plugins.module_utils._results import (
    RESULT_FIELDS,
    planned_entries,
    result_entry,
    task_result,
)


def test_an_entry_has_every_documented_field():
    assert tuple(result_entry("u1", "completed")) == RESULT_FIELDS


def test_task_result_for_one_user_has_top_level_fields():
    result = task_result("stop recording", planned_entries(["u1"]))
    assert result["changed"] is True and result["outcome"] == "planned" and result["user_id"] == "u1"
    assert result["summary"] == {"completed": 0, "accepted": 0, "unchanged": 0, "skipped": 0, "failed": 0, "planned": 1, "total": 1}
    assert result["msg"] == "stop recording: 1 planned"


def test_task_result_names_failures_and_keeps_successes():
    entries = planned_entries(["a", "b"])
    entries[0].update(outcome="completed", msg=None)
    entries[1].update(outcome="failed", msg="user b: HTTP 409: no")
    result = task_result("start recording", entries)
    assert result["failed"] is True and result["changed"] is True
    assert result["msg"] == "start recording failed for 1 of 2 users: user b: HTTP 409: no"
    assert "user_id" not in result


def test_one_reason_shared_by_all_failures_is_given_once():
    entries = [result_entry(user_id, "failed", 400, msg="login with access key K failed: HTTP 400")
               for user_id in ("a", "b", "c")]
    result = task_result("stop recording", entries)
    assert result["msg"] == ("stop recording failed for 3 of 3 users: login with access key K failed: HTTP 400 "
                             "(users: a, b, c)")
    assert [entry["http_status"] for entry in result["results"]] == [400, 400, 400]


def test_task_result_lists_at_most_ten_failures():
    entries = planned_entries(["u%d" % number for number in range(25)])
    for entry in entries:
        entry.update(outcome="failed", msg="user %s: HTTP 500" % entry["user_id"])
    result = task_result("stop recording", entries)
    assert result["msg"].endswith("; and 15 more (see results)")
    assert result["changed"] is False


@pytest.mark.parametrize("total, word", [(1, "user"), (2, "users")])
def test_the_failure_count_is_singular_for_one_user(total, word):
    entries = [result_entry("u%d" % number, "failed", 409, msg="user u%d: HTTP 409" % number) for number in range(total)]
    result = task_result("stop recording", entries)
    assert result["msg"].startswith("stop recording failed for %d of %d %s: " % (total, total, word))
