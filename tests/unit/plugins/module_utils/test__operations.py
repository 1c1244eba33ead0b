# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one list of operations: what each sends, what confirms it, and what reads the list."""

from __future__ import annotations

import pathlib

import pytest
import yaml

from ansible_collections.cxone.recording.plugins.module_utils._operations import (
    DO_NOT_RECORD,
    MASK,
    OPERATIONS,
    PLANNED,
    START,
    STOP,
    UNMASK,
    by_name,
)
from ansible_collections.cxone.recording.plugins.module_utils._recording_status import status_entry

ROOT = pathlib.Path(__file__).resolve().parents[4]


def status(recording="Recording", reason="Policy"):
    return status_entry("u1", "found", 200, contact_id="c-1", recording_status_to_agent=recording, status_reason=reason)


def test_each_operation_is_a_post_keyed_by_the_user_id_and_only_start_sends_a_media_type():
    assert START.request("/base", "a&b", "voiceAndScreen") == (
        "POST", "/base/start-recording-on-demand", {"userId": "a&b", "mediaType": "voiceAndScreen"})
    assert STOP.request("/base", "u1", "voice") == ("POST", "/base/stop-recording-on-demand", {"userId": "u1"})
    assert MASK.request("/base", "u1") == ("POST", "/base/mask", {"userId": "u1"})
    assert UNMASK.request("/base", "u1") == ("POST", "/base/unmask", {"userId": "u1"})
    assert DO_NOT_RECORD.request("/base", "u1") == ("POST", "/base/do-not-record", {"userId": "u1"})


@pytest.mark.parametrize("operation, confirming, not_confirming", [
    (START, status("Recording", "RecordOnDemand"), status("NoRecording", "Policy")),
    (STOP, status("NoRecording", "StopOnDemand"), status("NoRecording", "Policy")),
    (DO_NOT_RECORD, status("NoRecording", "CustomerDisconsent"), status("Recording", "CustomerDisconsent")),
    (MASK, status("Recording", "Mask"), status("Recording", "RecordOnDemand")),
    (UNMASK, status("Recording", "RecordOnDemand"), status("Recording", "Mask")),
], ids=lambda value: getattr(value, "name", ""))
def test_the_status_that_confirms_each_operation(operation, confirming, not_confirming):
    assert operation.confirmed_when(confirming) is True
    assert operation.confirmed_when(not_confirming) is False


def test_masking_answers_name_their_own_permission_and_internal_calls():
    assert "Multi-ACD Masking API" in MASK.hints[403] and "Record on Demand" in STOP.hints[403]
    assert "internal (agent-to-agent) call" in UNMASK.hints[422] and 422 not in START.hints


def test_the_plan_order_and_the_report_keywords():
    assert [operation.name for operation in PLANNED] == ["do_not_record", "stop", "start", "mask", "unmask"]
    assert START.plan_batches() == [("voice", "start_voice"), ("voiceAndScreen", "start_voice_and_screen")]
    assert MASK.plan_batches() == [(None, "mask")]
    assert by_name("unmask") is UNMASK and by_name("pause") is None


def test_every_operation_has_its_module_and_a_place_in_the_action_group():
    runtime = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text(encoding="utf-8"))
    for operation in OPERATIONS:
        assert (ROOT / "plugins" / "modules" / (operation.module + ".py")).is_file(), operation.module
        assert operation.module in runtime["action_groups"]["cxone"], operation.module
        assert operation.fqcn == "cxone.recording." + operation.module
