# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""get-recording-status: what it answers after every operation and call event, and its checks."""

from __future__ import annotations

import time

import pytest

from cxone_sandbox import SandboxError
from sandbox_helpers import RECORDING_PATH, STATUS_ENDPOINT


def _status(cxone, user_id, token):
    answer = cxone.status(user_id, token)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"] == "application/json"
    return answer.json()


def _reading(cxone, user_id, token):
    """(contact, status to agent, status from agent, reason): the parts the tests compare."""
    body = _status(cxone, user_id, token)
    return (body["contactId"], body["recordingStatusToAgent"], body["recordingStatusFromAgent"], body["statusReason"])


def _until(condition, timeout=5.0):
    """Poll ``condition`` until it holds (asynchronous operations apply a little later)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.02)


def test_the_answer_names_the_contact_segment_and_interaction(control, cxone, token):
    contact = control.agent_state("a1")["contact"]
    body = _status(cxone, "a1", token)
    assert set(body) == {"contactId", "segmentId", "interactionId", "recordingStatusToAgent",
                         "recordingStatusFromAgent", "statusReason"}
    assert body["contactId"] == contact["contact_id"]
    assert body["segmentId"] == contact["segment_ids"]["a1"] and body["segmentId"].isdigit()
    assert body["interactionId"] == contact["interaction_id"]
    assert _status(cxone, "a2", token)["interactionId"] != body["interactionId"]


def test_status_follows_each_operation_on_demand(control, cxone, token):
    contact_id = control.agent_state("a1")["contact_id"]
    assert _reading(cxone, "a1", token) == (contact_id, "NoRecording", "NoRecording", "Policy")
    cxone.operation("start", "a1", token)
    assert _reading(cxone, "a1", token) == (contact_id, "Recording", "Recording", "RecordOnDemand")
    cxone.operation("stop", "a1", token)
    assert _reading(cxone, "a1", token) == (contact_id, "Stopped", "Stopped", "StopOnDemand")
    cxone.operation("start", "a1", token, "voiceAndScreen")
    assert _reading(cxone, "a1", token) == (contact_id, "Recording", "Recording", "RecordOnDemand")
    cxone.operation("do_not_record", "a1", token)
    assert _reading(cxone, "a1", token) == (contact_id, "Stopped", "Stopped", "CustomerDisconsent")
    assert cxone.operation("start", "a1", token).status_code == 409
    assert _reading(cxone, "a1", token)[1:] == ("Stopped", "Stopped", "CustomerDisconsent")


def test_do_not_record_on_a_call_never_recorded(control, cxone, token):
    cxone.operation("do_not_record", "a2", token)
    assert _reading(cxone, "a2", token)[1:] == ("NoRecording", "NoRecording", "CustomerDisconsent")
    cxone.operation("stop", "a2", token)
    assert _reading(cxone, "a2", token)[3] == "CustomerDisconsent", "do-not-record outranks a later stop"


def test_policy_recorded_and_not_recorded_calls(control, cxone, token):
    control.settings(recording_policy="voice")
    contact_id = control.start_call("a3")["contact_id"]
    assert _reading(cxone, "a3", token) == (contact_id, "Recording", "Recording", "Policy")
    cxone.operation("start", "a3", token, "voiceAndScreen")
    assert _reading(cxone, "a3", token)[3] == "RecordOnDemand"
    cxone.operation("stop", "a3", token)
    assert _reading(cxone, "a3", token)[1:] == ("Stopped", "Stopped", "StopOnDemand")
    assert _reading(cxone, "a1", token)[1:] == ("NoRecording", "NoRecording", "Policy"), "began while the policy was off"


def test_a_new_call_is_a_new_contact_with_a_fresh_status(control, cxone, token):
    first = control.agent_state("a1")["contact_id"]
    cxone.operation("do_not_record", "a1", token)
    control.end_call(first)
    answer = cxone.status("a1", token)
    assert answer.status_code == 404
    assert answer.json() == {"description": "No active interaction found for user a1", "httpStatus": "NOT_FOUND"}
    second = control.start_call("a1")["contact_id"]
    assert second != first
    assert _reading(cxone, "a1", token) == (second, "NoRecording", "NoRecording", "Policy")


def test_a_transfer_moves_the_status_to_the_new_agent(control, cxone, token):
    contact_id = control.agent_state("a1")["contact_id"]
    cxone.operation("start", "a1", token)
    before = _status(cxone, "a1", token)
    control.transfer(contact_id, "a3")
    assert cxone.status("a1", token).status_code == 404
    after = _status(cxone, "a3", token)
    assert (after["contactId"], after["interactionId"], after["recordingStatusToAgent"]) == (
        contact_id, before["interactionId"], "Recording")
    assert after["segmentId"] != before["segmentId"], "the new agent's leg is a new segment"


def test_an_accepted_operation_shows_only_once_applied(control, cxone, token):
    control.add_agent("async-1", asynchronous=True)
    contact_id = control.start_call("async-1")["contact_id"]
    control.settings(async_delay_ms=300)
    assert cxone.operation("start", "async-1", token).status_code == 202
    assert _reading(cxone, "async-1", token) == (contact_id, "NoRecording", "NoRecording", "Policy"), \
        "reading is not locked and shows the state before the 202 applies"
    _until(lambda: _reading(cxone, "async-1", token)[1] == "Recording")
    assert _reading(cxone, "async-1", token)[3] == "RecordOnDemand"


def test_an_agent_whose_accepted_requests_never_apply(control, cxone, token):
    control.add_agent("lost-1", asynchronous=True, accepted_never_applies=True)
    control.start_call("lost-1")
    control.settings(async_delay_ms=50)
    assert cxone.operation("start", "lost-1", token).status_code == 202
    # The contact is locked while the request is pending, then free again, with nothing applied.
    _until(lambda: cxone.operation("stop", "lost-1", token).status_code == 202)
    _until(lambda: cxone.operation("do_not_record", "lost-1", token).status_code == 202)
    _until(lambda: cxone.operation("start", "lost-1", token).status_code == 202)
    agent = control.agent_state("lost-1")
    assert (agent["accepted_never_applies"], agent["recording"], agent["stopped_on_demand"], agent["do_not_record"],
            agent["segments"]) == (True, "off", False, False, [])
    assert _reading(cxone, "lost-1", token)[1:] == ("NoRecording", "NoRecording", "Policy")
    with pytest.raises(SandboxError) as refused:
        control.add_agent("lost-2", accepted_never_applies="yes")
    assert refused.value.status == 400


def test_checks_in_the_operations_order(control, cxone, token):
    assert cxone.status("a1", None).status_code == 401
    assert cxone.status("a1", "not-a-token").json()["error"] == "invalid_token"
    missing = cxone.status(None, token)
    assert (missing.status_code, missing.json()["description"]) == (400, "userId is required")
    assert cxone.status("a1", token, **{"user-id": "a1"}).status_code == 200
    assert cxone.session.get(cxone.api + "/api-na1" + RECORDING_PATH + STATUS_ENDPOINT,
                             params=[("userId", "a1"), ("userId", "a2")],
                             headers={"Authorization": "Bearer " + token}).status_code == 400
    assert cxone.status("nobody", token).status_code == 404
    assert cxone.status("a1", token, area="xx1").status_code == 404
    posted = cxone.session.post(cxone.api + "/api-na1" + RECORDING_PATH + STATUS_ENDPOINT, params={"userId": "a1"},
                                headers={"Authorization": "Bearer " + token})
    assert (posted.status_code, posted.headers["Allow"]) == (405, "GET")
    control.set_access_key("TESTKEY", "test-key-secret", "api-user", permissions=["view_users"])
    forbidden = cxone.status("a1", token)
    assert forbidden.status_code == 403
    assert forbidden.json() == {"description": "User lacks the Multi-ACD Record on Demand API permission", "httpStatus": "FORBIDDEN"}


def test_the_unversioned_path_of_a_tenant_serves_the_status_too(control, cxone, token):
    control.settings(recording_api_path="/interaction-recording-management-service/interactions")
    assert cxone.status("a1", token).status_code == 404
    served = cxone.session.get(cxone.api + "/api-na1/interaction-recording-management-service/interactions/" + STATUS_ENDPOINT,
                               params={"userId": "a1"}, headers={"Authorization": "Bearer " + token})
    assert served.status_code == 200 and served.json()["statusReason"] == "Policy"


def test_faults_rate_limit_log_and_counters(control, cxone, token):
    control.add_fault("status", status=503, count=1, operation="status")
    control.add_fault("drop", count=1, user_id="a2")
    assert cxone.operation("start", "a1", token).status_code == 200, "a rule for status reads spares the operations"
    faulted = cxone.status("a1", token)
    assert (faulted.status_code, faulted.text) == (503, "Service Unavailable")
    with pytest.raises(Exception):
        cxone.status("a2", token)      # a rule without an operation applies to status reads too
    assert cxone.status("a1", token).status_code == 200
    logged = [entry for entry in control.requests()["requests"] if entry["operation"] == "status"]
    assert [(entry["user_id"], entry["status"], entry["fault"], entry["method"]) for entry in logged] == [
        ("a1", 503, "status", "GET"), ("a2", None, "drop", "GET"), ("a1", 200, None, "GET")]
    assert all(entry["token_sha256"] and entry["path"].endswith("/" + STATUS_ENDPOINT) for entry in logged)
    assert control.stats()["operation_requests"] == {"start": 1, "stop": 0, "do_not_record": 0, "mask": 0, "unmask": 0, "status": 3}
    control.settings(rate_limit=1)
    assert [cxone.status("a1", token).status_code for _attempt in range(2)] == [200, 429]
