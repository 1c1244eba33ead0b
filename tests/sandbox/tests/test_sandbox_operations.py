# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The three operations and the contact-centre model behind them (the README's API section, "Meaning")."""

from __future__ import annotations

import time

import pytest

from cxone_sandbox import SandboxError
from sandbox_helpers import RECORDING_PATH


def _contact(control, user_id):
    return control.agent_state(user_id)["contact"]


def test_start_defaults_to_voice(control, cxone, token):
    answer = cxone.operation("start", "a1", token)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/json"
    contact = _contact(control, "a1")
    assert answer.json() == {"description": "Recording started", "contactId": contact["contact_id"], "httpStatus": "OK"}
    assert contact["contact_id"].isdigit()
    assert contact["recording"] == "voice"
    assert [(s["media"], s["started_by"], s["ended_by"]) for s in contact["segments"]] == [("voice", "on_demand", None)]


def test_start_voice_and_screen_and_switching_media(control, cxone, token):
    assert cxone.operation("start", "a1", token, "voiceAndScreen").status_code == 200
    assert _contact(control, "a1")["recording"] == "voiceAndScreen"
    assert cxone.operation("start", "a1", token, "voiceAndScreen").status_code == 200   # same media: nothing new
    assert cxone.operation("start", "a1", token, "voice").status_code == 200
    segments = _contact(control, "a1")["segments"]
    assert [(s["media"], s["ended_by"]) for s in segments] == [("voiceAndScreen", "media_change"), ("voice", None)]


def test_stop_and_repeated_stop(control, cxone, token):
    cxone.operation("start", "a1", token)
    for _attempt in range(2):
        answer = cxone.operation("stop", "a1", token)
        assert answer.status_code == 200
        assert answer.json()["description"] == "Recording stopped"
    contact = _contact(control, "a1")
    assert contact["recording"] == "off" and contact["stopped_on_demand"] is True
    assert [s["ended_by"] for s in contact["segments"]] == ["on_demand_stop"]
    assert cxone.operation("start", "a1", token).status_code == 200
    contact = _contact(control, "a1")
    assert contact["recording"] == "voice" and contact["stopped_on_demand"] is False and len(contact["segments"]) == 2


def test_do_not_record_stops_keeps_segments_and_refuses_starts(control, cxone, token):
    cxone.operation("start", "a1", token, "voiceAndScreen")
    answer = cxone.operation("do_not_record", "a1", token)
    assert answer.status_code == 200
    assert answer.json()["description"] == "Do not record applied"
    assert cxone.operation("do_not_record", "a1", token).status_code == 200    # repeating is harmless
    refused = cxone.operation("start", "a1", token)
    assert refused.status_code == 409
    assert refused.json() == {"description": "Recording is not allowed: the customer refused recording for this contact (do not record)",
                              "contactId": _contact(control, "a1")["contact_id"], "httpStatus": "CONFLICT"}
    contact = _contact(control, "a1")
    assert contact["do_not_record"] is True and contact["recording"] == "off"
    assert [(s["media"], s["ended_by"]) for s in contact["segments"]] == [("voiceAndScreen", "do_not_record")]
    assert cxone.operation("stop", "a1", token).status_code == 200


@pytest.mark.parametrize("event", ["transfer", "consult", "conference"])
def test_do_not_record_is_sticky_for_the_whole_contact(control, cxone, token, event):
    control.settings(recording_policy="voice")      # not even the policy may start it again
    contact_id = _contact(control, "a1")["contact_id"]
    cxone.operation("start", "a1", token)
    cxone.operation("do_not_record", "a1", token)
    if event == "transfer":
        control.transfer(contact_id, "a3")
        assert control.agent_state("a1")["contact_id"] is None
    else:
        getattr(control, event)(contact_id, "a3")
    assert control.agent_state("a3")["contact_id"] == contact_id
    assert cxone.operation("start", "a3", token).status_code == 409
    contact = _contact(control, "a3")
    assert contact["recording"] == "off" and contact["segments"][-1]["ended_by"] == "do_not_record"


def test_do_not_record_does_not_outlive_the_call(control, cxone, token):
    first = _contact(control, "a1")["contact_id"]
    cxone.operation("do_not_record", "a1", token)
    control.end_call(first)
    assert cxone.operation("start", "a1", token).status_code == 404
    second = control.start_call("a1")["contact_id"]
    assert second != first
    answer = cxone.operation("start", "a1", token)
    assert answer.status_code == 200 and answer.json()["contactId"] == second


def test_ending_a_call_ends_recording_and_frees_agents(control, cxone, token):
    contact_id = _contact(control, "a1")["contact_id"]
    cxone.operation("start", "a1", token)
    control.conference(contact_id, "a3")
    ended = control.end_call(contact_id)
    assert ended["ended"] is True and ended["segments"][-1]["ended_by"] == "call_end"
    assert control.agent_state("a1")["contact_id"] is None and control.agent_state("a3")["contact_id"] is None
    state = control.state()["tenants"][0]
    assert [c["contact_id"] for c in state["contacts"] if c["ended"]] == [contact_id]


def test_no_active_call_is_404(cxone, token):
    for user_id in ("a3", "not-an-agent"):
        answer = cxone.operation("start", user_id, token)
        assert answer.status_code == 404
        assert answer.json() == {"description": "No active interaction found for user %s" % user_id, "httpStatus": "NOT_FOUND"}


@pytest.mark.parametrize("params", [
    {},
    {"user-id": "a1"},
    {"userId": ""},
    {"userId": "a1", "mediaType": "screen"},
    {"userId": "a1", "mediaType": "Voice"},
])
def test_bad_parameters_are_400(cxone, token, params):
    answer = cxone.operation("start", None, token, **params)
    assert answer.status_code == 400
    body = answer.json()
    assert body["httpStatus"] == "BAD_REQUEST" and body["description"]


def test_only_the_served_path_answers(control, cxone, token):
    base = cxone.api + "/api-na1"
    headers = {"Authorization": "Bearer " + token}
    wrong = {
        "without /v1 (the help page's form)": base + RECORDING_PATH.replace("/v1", "") + "start-recording-on-demand",
        "without the API prefix": cxone.api + RECORDING_PATH + "start-recording-on-demand",
        "on the issuer origin": cxone.base + "/api-na1" + RECORDING_PATH + "start-recording-on-demand",
        "an unknown operation": base + RECORDING_PATH + "pause-recording",
        "an unknown area": cxone.api + "/api-xx1" + RECORDING_PATH + "do-not-record",
        "a trailing slash": base + RECORDING_PATH + "do-not-record/",
    }
    for what, url in wrong.items():
        answer = cxone.session.post(url, params={"userId": "a1"}, headers=headers)
        path = url.split("://", 1)[1].split("/", 1)[1]
        assert (answer.status_code, answer.json()) == (404, {"message": "No API at POST /" + path}), what
    wrong_method = cxone.session.get(base + RECORDING_PATH + "start-recording-on-demand", params={"userId": "a1"}, headers=headers)
    assert wrong_method.status_code == 405
    assert cxone.operation("start", "a1", token).status_code == 200
    assert control.stats()["operation_requests"] == {"start": 1, "stop": 0, "do_not_record": 0, "mask": 0, "unmask": 0, "status": 0}
    assert _contact(control, "a1")["segments"][0]["started_by"] == "on_demand"


def test_a_tenant_can_serve_the_help_pages_unversioned_path(control, cxone, token):
    unversioned = RECORDING_PATH.replace("/v1", "").rstrip("/")
    assert control.settings(recording_api_path=unversioned)["recording_api_path"] == unversioned
    headers = {"Authorization": "Bearer " + token}
    answer = cxone.session.post(cxone.api + "/api-na1" + unversioned + "/stop-recording-on-demand", params={"userId": "a1"},
                                headers=headers)
    assert answer.status_code == 200
    assert cxone.operation("stop", "a1", token).status_code == 404      # the versioned path is no longer served
    for bad in ("interactions", "/trailing/", "/a?b"):
        with pytest.raises(SandboxError) as refused:
            control.settings(recording_api_path=bad)
        assert refused.value.status == 400 and "recording_api_path" in refused.value.body["error"]


def test_policy_records_new_calls_and_never_restarts_after_a_stop(control, cxone, token):
    control.settings(recording_policy="voice")
    contact_id = control.start_call("a3")["contact_id"]
    contact = _contact(control, "a3")
    assert contact["recording"] == "voice" and contact["segments"][0]["started_by"] == "policy"
    assert cxone.operation("stop", "a3", token).status_code == 200
    control.conference(contact_id, "a4")            # an agent joining does not bring the policy back
    control.leave(contact_id, "a3")
    assert _contact(control, "a4")["recording"] == "off"
    assert cxone.operation("start", "a4", token, "voiceAndScreen").status_code == 200
    assert [(s["started_by"], s["media"]) for s in _contact(control, "a4")["segments"]] == [("policy", "voice"), ("on_demand", "voiceAndScreen")]


@pytest.mark.usefixtures("token")
def test_policy_voice_and_screen_and_policy_on_join(control):
    control.settings(recording_policy="voiceAndScreen")
    assert _contact(control, "a1")["recording"] == "off"     # calls begun before the change keep their state
    contact_id = _contact(control, "a1")["contact_id"]
    control.transfer(contact_id, "a3")
    assert _contact(control, "a3")["recording"] == "voiceAndScreen"
    assert control.start_call("a4")["recording"] == "voiceAndScreen"


def test_processing_time_locks_the_contact(control, cxone, token):
    control.settings(processing_ms=300)
    assert cxone.operation("start", "a1", token).status_code == 200
    locked = cxone.operation("stop", "a1", token)
    assert locked.status_code == 425
    assert locked.json()["description"] == "Interaction is locked while a previous request is processed"
    assert locked.json()["httpStatus"] == "TOO_EARLY"
    assert cxone.operation("start", "a2", token).status_code == 200     # other contacts are not locked
    time.sleep(0.35)
    assert cxone.operation("stop", "a1", token).status_code == 200


def test_lock_contact_control_call(control, cxone, token):
    control.lock_contact(_contact(control, "a1")["contact_id"], 200)
    assert cxone.operation("start", "a1", token).status_code == 425
    assert _contact(control, "a1")["recording"] == "off"
    time.sleep(0.25)
    assert cxone.operation("start", "a1", token).status_code == 200


def test_asynchronous_agent_202_then_locked_then_applied(control, cxone, token):
    control.add_agent("async-1", name="Async Agent", asynchronous=True)
    contact_id = control.start_call("async-1")["contact_id"]
    control.settings(async_delay_ms=300)
    answer = cxone.operation("start", "async-1", token, "voiceAndScreen")
    assert answer.status_code == 202
    assert answer.json() == {"description": "Request accepted for processing", "contactId": contact_id, "httpStatus": "ACCEPTED"}
    assert _contact(control, "async-1")["recording"] == "off"
    assert cxone.operation("stop", "async-1", token).status_code == 425
    time.sleep(0.45)
    assert _contact(control, "async-1")["recording"] == "voiceAndScreen"
    assert cxone.operation("do_not_record", "async-1", token).status_code == 202
    time.sleep(0.45)
    contact = _contact(control, "async-1")
    assert contact["do_not_record"] is True and contact["recording"] == "off"
    assert cxone.operation("start", "async-1", token).status_code == 409


def test_agent_on_a_consult_acts_on_the_shared_contact(control, cxone, token):
    contact_id = _contact(control, "a1")["contact_id"]
    control.consult(contact_id, "a3")
    answer = cxone.operation("start", "a3", token)
    assert answer.json()["contactId"] == contact_id
    assert _contact(control, "a1")["recording"] == "voice"
    control.leave(contact_id, "a3")
    assert control.agent_state("a3")["contact_id"] is None
    assert _contact(control, "a1")["participants"] == ["a1"]
