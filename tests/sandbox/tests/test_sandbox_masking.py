# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The Masking API (mask, unmask): the model, its status reason, internal calls, its permission, and the
faults, asynchronous agents, locks and rate limit it shares with the other operations."""

from __future__ import annotations

import time

import pytest
import requests

from cxone_sandbox import SandboxError
from sandbox_helpers import KEY_ID, RECORDING_PATH, make_tenant

NO_MASKING = {"description": "User lacks the Multi-ACD Masking API permission", "httpStatus": "FORBIDDEN"}


@pytest.fixture(name="masking_token")
def fixture_masking_token(control, token):
    """The standard tenant (a1, a2 on calls), its key granted the masking permission besides record_on_demand."""
    granted = control.change_permissions(KEY_ID, grant=["masking"])
    assert granted["permissions"] == ["record_on_demand", "masking"]
    return token


def _contact(control, user_id):
    return control.agent_state(user_id)["contact"]


def _status(cxone, user_id, token):
    """(status to agent, status from agent, reason) as get-recording-status answers them."""
    answer = cxone.status(user_id, token)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    return body["recordingStatusToAgent"], body["recordingStatusFromAgent"], body["statusReason"]


def _timeline(control, user_id):
    """The contact's segments as (media, started_by, masked, ended_by)."""
    return [(s["media"], s["started_by"], s["masked"], s["ended_by"]) for s in _contact(control, user_id)["segments"]]


def _until(condition, timeout=5.0):
    """Poll ``condition`` until it holds (asynchronous operations apply a little later)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.02)


# -- the model ----------------------------------------------------------------------------------------


def test_mask_silences_the_recording_until_unmask(control, cxone, masking_token):
    contact_id = _contact(control, "a1")["contact_id"]
    assert cxone.operation("start", "a1", masking_token).status_code == 200
    masked = cxone.operation("mask", "a1", masking_token)
    assert masked.status_code == 200 and masked.headers["Content-Type"] == "application/json"
    assert masked.json() == {"description": "Recording masked", "contactId": contact_id, "httpStatus": "OK"}
    contact = _contact(control, "a1")
    assert (contact["masked"], contact["recording"]) == (True, "voice")
    assert control.agent_state("a1")["masked"] is True
    assert _status(cxone, "a1", masking_token) == ("Recording", "Recording", "Mask"), "still recording, silence"
    unmasked = cxone.operation("unmask", "a1", masking_token)
    assert unmasked.json() == {"description": "Recording unmasked", "contactId": contact_id, "httpStatus": "OK"}
    assert _status(cxone, "a1", masking_token) == ("Recording", "Recording", "RecordOnDemand"), "the reason before the mask"
    assert _contact(control, "a1")["masked"] is False
    # The timeline: recorded, then a masked stretch (silence, never recoverable), then recorded again.
    assert _timeline(control, "a1") == [("voice", "on_demand", False, "mask"), ("voice", "on_demand", True, "unmask"),
                                        ("voice", "on_demand", False, None)]
    segments = _contact(control, "a1")["segments"]
    assert segments[0]["ended_at"] == segments[1]["started_at"] and segments[1]["ended_at"] == segments[2]["started_at"]
    assert [(e["operation"], e["status"]) for e in control.requests()["requests"] if e["operation"] in ("mask", "unmask")] == [
        ("mask", 200), ("unmask", 200)]
    assert control.stats()["operation_requests"] == {"start": 1, "stop": 0, "do_not_record": 0, "mask": 1, "unmask": 1, "status": 2}


def test_unmask_gives_back_the_policy_reason(control, cxone, masking_token):
    control.settings(recording_policy="voiceAndScreen")
    control.start_call("a3")
    assert _status(cxone, "a3", masking_token)[2] == "Policy"
    cxone.operation("mask", "a3", masking_token)
    assert _status(cxone, "a3", masking_token) == ("Recording", "Recording", "Mask")
    cxone.operation("unmask", "a3", masking_token)
    assert _status(cxone, "a3", masking_token) == ("Recording", "Recording", "Policy")
    assert _timeline(control, "a3") == [("voiceAndScreen", "policy", False, "mask"), ("voiceAndScreen", "policy", True, "unmask"),
                                        ("voiceAndScreen", "policy", False, None)]


def test_masking_a_call_not_recorded_and_repeating_are_harmless(control, cxone, masking_token):
    # Not recorded: 200, nothing to silence, and a later start records normally (the mask did not wait for it).
    assert cxone.operation("mask", "a1", masking_token).status_code == 200
    assert (_contact(control, "a1")["masked"], _status(cxone, "a1", masking_token)) == (False, ("NoRecording", "NoRecording", "Policy"))
    assert cxone.operation("unmask", "a1", masking_token).status_code == 200
    cxone.operation("start", "a1", masking_token)
    assert _status(cxone, "a1", masking_token)[2] == "RecordOnDemand"
    assert _timeline(control, "a1") == [("voice", "on_demand", False, None)]
    # Unmask on an unmasked call: 200, nothing changes.
    assert cxone.operation("unmask", "a1", masking_token).status_code == 200
    assert _timeline(control, "a1") == [("voice", "on_demand", False, None)]
    # A second mask (and a second unmask) adds nothing.
    assert [cxone.operation("mask", "a1", masking_token).status_code for _attempt in range(2)] == [200, 200]
    assert [cxone.operation("unmask", "a1", masking_token).status_code for _attempt in range(2)] == [200, 200]
    assert [masked for _media, _by, masked, _end in _timeline(control, "a1")] == [False, True, False]


@pytest.mark.parametrize("operation, ended_by, reason", [
    ("stop", "on_demand_stop", "StopOnDemand"),
    ("do_not_record", "do_not_record", "CustomerDisconsent"),
])
def test_a_stop_while_masked_ends_the_mask_and_a_later_unmask_does_nothing(control, cxone, masking_token, operation, ended_by, reason):
    cxone.operation("start", "a1", masking_token)
    cxone.operation("mask", "a1", masking_token)
    assert cxone.operation(operation, "a1", masking_token).status_code == 200
    contact = _contact(control, "a1")
    assert (contact["recording"], contact["masked"]) == ("off", False)
    assert _status(cxone, "a1", masking_token) == ("Stopped", "Stopped", reason)
    assert _timeline(control, "a1") == [("voice", "on_demand", False, "mask"), ("voice", "on_demand", True, ended_by)]
    assert cxone.operation("unmask", "a1", masking_token).status_code == 200
    assert _status(cxone, "a1", masking_token) == ("Stopped", "Stopped", reason), "unmask does not resume a stopped recording"
    assert len(_contact(control, "a1")["segments"]) == 2
    if operation == "stop":
        # Only a start resumes, and it records unmasked: the mask ended with the stop.
        cxone.operation("start", "a1", masking_token)
        assert _status(cxone, "a1", masking_token)[2] == "RecordOnDemand"
        assert _timeline(control, "a1")[-1] == ("voice", "on_demand", False, None)


def test_a_hang_up_while_masked(control, cxone, masking_token):
    contact_id = _contact(control, "a1")["contact_id"]
    cxone.operation("start", "a1", masking_token)
    cxone.operation("mask", "a1", masking_token)
    ended = control.end_call(contact_id)
    assert (ended["ended"], ended["masked"], ended["recording"]) == (True, False, "off")
    assert [(s["masked"], s["ended_by"]) for s in ended["segments"]] == [(False, "mask"), (True, "call_end")]
    for operation in ("mask", "unmask"):
        gone = cxone.operation(operation, "a1", masking_token)
        assert (gone.status_code, gone.json()) == (404, {"description": "No active interaction found for user a1", "httpStatus": "NOT_FOUND"})
    control.start_call("a1")
    cxone.operation("start", "a1", masking_token)
    assert _status(cxone, "a1", masking_token)[2] == "RecordOnDemand", "a new call is not masked"


def test_the_mask_belongs_to_the_contact_and_outlives_a_media_change(control, cxone, masking_token):
    contact_id = _contact(control, "a1")["contact_id"]
    cxone.operation("start", "a1", masking_token)
    cxone.operation("mask", "a1", masking_token)
    cxone.operation("start", "a1", masking_token, "voiceAndScreen")
    assert _status(cxone, "a1", masking_token)[2] == "Mask"
    assert _timeline(control, "a1")[-1] == ("voiceAndScreen", "on_demand", True, None)
    control.conference(contact_id, "a3")
    assert _status(cxone, "a3", masking_token)[2] == "Mask", "every participant's recording is silenced"
    control.transfer(contact_id, "a4", from_user_id="a1")
    assert cxone.operation("unmask", "a4", masking_token).json()["contactId"] == contact_id
    assert _status(cxone, "a3", masking_token)[2] == "RecordOnDemand"


def test_no_active_interaction_is_404(cxone, masking_token):
    for operation in ("mask", "unmask"):
        for user_id in ("a3", "not-an-agent"):
            answer = cxone.operation(operation, user_id, masking_token)
            assert answer.status_code == 404
            assert answer.json() == {"description": "No active interaction found for user %s" % user_id, "httpStatus": "NOT_FOUND"}


def test_the_paths_and_the_checks_before_the_model(control, cxone, masking_token):
    assert cxone.operation("mask", "a1", None).status_code == 401
    missing = cxone.operation("mask", None, masking_token)
    assert (missing.status_code, missing.json()) == (400, {"description": "userId is required", "httpStatus": "BAD_REQUEST"})
    base = cxone.api + "/api-na1" + RECORDING_PATH
    headers = {"Authorization": "Bearer " + masking_token}
    assert cxone.session.post(base + "unmask", params=[("userId", "a1"), ("userId", "a2")], headers=headers).status_code == 400
    wrong_method = cxone.session.get(base + "mask", params={"userId": "a1"}, headers=headers)
    assert (wrong_method.status_code, wrong_method.headers["Allow"]) == (405, "POST")
    for path in ("masking", "mask/", "unmask-recording"):
        assert cxone.session.post(base + path, params={"userId": "a1"}, headers=headers).json() == {
            "message": "No API at POST /api-na1%s%s" % (RECORDING_PATH, path)}
    control.settings(recording_api_path="/interaction-recording-management-service/interactions")
    assert cxone.operation("mask", "a1", masking_token).status_code == 404, "the tenant's recording_api_path, as for the others"
    served = cxone.session.post(cxone.api + "/api-na1/interaction-recording-management-service/interactions/mask",
                                params={"userId": "a1"}, headers=headers)
    assert served.status_code == 200


# -- internal calls ----------------------------------------------------------------------------------


def test_internal_calls_cannot_be_masked(control, cxone, masking_token):
    control.settings(recording_policy="voice")
    contact = control.start_call("a3", internal=True)
    assert (contact["internal"], contact["recording"]) == (True, "voice")
    for operation in ("mask", "unmask"):
        refused = cxone.operation(operation, "a3", masking_token)
        assert refused.status_code == 422
        assert refused.json() == {"description": "Masking is not supported for internal (agent to agent) interactions",
                                  "contactId": contact["contact_id"], "httpStatus": "UNPROCESSABLE_ENTITY"}
    assert _status(cxone, "a3", masking_token) == ("Recording", "Recording", "Policy")
    assert _timeline(control, "a3") == [("voice", "policy", False, None)]
    # Record on Demand still works on an internal call; only masking is refused.
    assert cxone.operation("stop", "a3", masking_token).status_code == 200
    assert cxone.operation("mask", "a3", masking_token).status_code == 422, "refused whether recording or not"
    assert [e["status"] for e in control.requests()["requests"] if e["operation"] in ("mask", "unmask")] == [422, 422, 422]
    # The calls of the other agents are not internal.
    assert control.agent_state("a1")["contact"]["internal"] is False


def test_internal_calls_from_the_configuration_and_next_call(control, cxone):
    tenant = make_tenant(agents=["a1", "a2", "a3"], permissions=("record_on_demand", "masking"), recording_policy="voice")
    tenant["calls"] = [{"user_id": "a1", "internal": True}, {"user_id": "a2"}]
    control.reset({"tenants": [tenant]})
    token = cxone.login()
    assert [c["internal"] for c in control.state()["tenants"][0]["contacts"]] == [True, False]
    assert cxone.operation("mask", "a1", token).status_code == 422
    assert cxone.operation("mask", "a2", token).status_code == 200
    # A race to an internal call: the agent's call ends while the unmask waits, and the next one is internal.
    control.add_fault("slow", delay_ms=0, operation="unmask", user_id="a2", count=1, next_call={"internal": True})
    refused = cxone.operation("unmask", "a2", token)
    assert refused.status_code == 422
    assert refused.json()["contactId"] == control.agent_state("a2")["contact_id"]
    assert control.agent_state("a2")["contact"]["internal"] is True
    assert control.start_call("a3", internal=False)["internal"] is False
    for bad in ({"internal": "yes"}, {"internal": 1}):
        with pytest.raises(SandboxError) as error:
            control.call("POST", "/faults", {"next_call": bad})
        assert error.value.status == 400
    control.end_call(control.agent_state("a1")["contact_id"])
    with pytest.raises(SandboxError) as error:
        control.start_call("a1", internal="yes")
    assert error.value.status == 400 and "internal" in error.value.body["error"]
    assert control.agent_state("a1")["contact_id"] is None, "a refused call is not started"
    bad_tenant = make_tenant(tenant_id="tenant-b", area="eu1", agents=["b1"])
    bad_tenant["calls"] = [{"user_id": "b1", "internal": "no"}]
    with pytest.raises(SandboxError) as refused:
        control.add_tenant(bad_tenant)
    assert refused.value.status == 400


# -- the permission ----------------------------------------------------------------------------------


def test_masking_needs_its_own_permission(control, cxone, token):
    """The test key holds record_on_demand only: masking is refused, Record on Demand is not."""
    assert cxone.operation("start", "a1", token).status_code == 200
    for operation in ("mask", "unmask"):
        refused = cxone.operation(operation, "a1", token)
        assert (refused.status_code, refused.json()) == (403, NO_MASKING)
    assert _contact(control, "a1")["masked"] is False
    # Granted: the same token may mask now (the permission is checked on every request).
    assert control.change_permissions(KEY_ID, grant=["masking"])["permissions"] == ["record_on_demand", "masking"]
    assert cxone.operation("mask", "a1", token).status_code == 200
    # Masking without Record on Demand: mask and unmask still work, the others (and the status) do not.
    assert control.change_permissions(KEY_ID, deny=["record_on_demand"])["permissions"] == ["masking"]
    assert cxone.operation("unmask", "a1", token).status_code == 200
    for operation in ("start", "stop", "do_not_record"):
        assert cxone.operation(operation, "a1", token).json()["description"] == "User lacks the Multi-ACD Record on Demand API permission"
    assert cxone.status("a1", token).status_code == 403
    # Denied again.
    control.change_permissions(KEY_ID, grant=["record_on_demand"], deny=["masking"])
    assert cxone.operation("mask", "a1", token).json() == NO_MASKING
    assert cxone.operation("stop", "a1", token).status_code == 200


def test_a_key_configured_without_permissions_may_mask(control, cxone):
    tenant = make_tenant(agents=["a1"], calls=["a1"])
    del tenant["access_keys"][0]["permissions"]
    control.add_tenant(tenant)
    token = cxone.login()
    assert cxone.operation("mask", "a1", token).status_code == 200


@pytest.mark.usefixtures("token")
@pytest.mark.parametrize("body, status", [
    ({"grant": ["mask"]}, 400),                               # unknown permission: a typo fails loudly
    ({"deny": "masking"}, 400),                               # not a list
    ({"grant": ["masking"], "deny": ["masking"]}, 400),       # both
    ({"revoke": ["masking"]}, 400),                           # unknown field
])
def test_bad_permission_changes_are_refused(control, body, status):
    with pytest.raises(SandboxError) as refused:
        control.call("POST", "/access-keys/%s/permissions" % KEY_ID, body)
    assert refused.value.status == status
    with pytest.raises(SandboxError) as refused:
        control.change_permissions("NOKEY", grant=["masking"])
    assert refused.value.status == 404


# -- asynchronous agents, locks, faults, rate limit --------------------------------------------------


def test_an_asynchronous_agent_answers_202_and_masks_later(control, cxone, masking_token):
    control.add_agent("async-1", asynchronous=True)
    control.settings(recording_policy="voice", async_delay_ms=300)
    contact_id = control.start_call("async-1")["contact_id"]
    accepted = cxone.operation("mask", "async-1", masking_token)
    assert accepted.json() == {"description": "Request accepted for processing", "contactId": contact_id, "httpStatus": "ACCEPTED"}
    assert cxone.operation("unmask", "async-1", masking_token).status_code == 425, "locked until the mask applies"
    _until(lambda: _status(cxone, "async-1", masking_token)[2] == "Mask")
    _until(lambda: cxone.operation("unmask", "async-1", masking_token).status_code == 202)
    _until(lambda: _status(cxone, "async-1", masking_token)[2] == "Policy")
    assert [(masked, ended_by) for _media, _by, masked, ended_by in _timeline(control, "async-1")] == [
        (False, "mask"), (True, "unmask"), (False, None)]


def test_an_agent_whose_accepted_masks_never_apply(control, cxone, masking_token):
    control.add_agent("lost-1", asynchronous=True, accepted_never_applies=True)
    control.settings(recording_policy="voice", async_delay_ms=50)
    control.start_call("lost-1")
    assert cxone.operation("mask", "lost-1", masking_token).status_code == 202
    assert cxone.operation("unmask", "lost-1", masking_token).status_code == 425, "locked while the mask is pending"
    _until(lambda: cxone.operation("mask", "lost-1", masking_token).status_code == 202)
    _until(lambda: cxone.operation("start", "lost-1", masking_token).status_code == 202)
    assert _status(cxone, "lost-1", masking_token) == ("Recording", "Recording", "Policy"), "no mask ever applied"
    assert _timeline(control, "lost-1") == [("voice", "policy", False, None)]


def test_locks_answer_425_to_masking(control, cxone, masking_token):
    control.settings(processing_ms=60000)
    cxone.operation("start", "a1", masking_token)
    locked = cxone.operation("mask", "a1", masking_token)
    assert (locked.status_code, locked.json()["httpStatus"]) == (425, "TOO_EARLY")
    control.settings(processing_ms=0)
    control.lock_contact(_contact(control, "a1")["contact_id"], 0)
    assert cxone.operation("mask", "a1", masking_token).status_code == 200
    control.lock_contact(_contact(control, "a1")["contact_id"], 60000)
    assert cxone.operation("unmask", "a1", masking_token).status_code == 425
    assert _contact(control, "a1")["masked"] is True


def test_fault_rules_select_mask_and_unmask(control, cxone, masking_token):
    cxone.operation("start", "a1", masking_token)
    control.add_fault("status", status=503, count=1, operation="mask")
    control.add_fault("drop", count=1, operation="unmask", user_id="a1")
    assert cxone.operation("stop", "a2", masking_token).status_code == 200, "a rule for mask spares the other operations"
    faulted = cxone.operation("mask", "a1", masking_token)
    assert (faulted.status_code, faulted.text) == (503, "Service Unavailable")
    assert _contact(control, "a1")["masked"] is False, "a status fault applies nothing"
    assert cxone.operation("mask", "a1", masking_token).status_code == 200
    with pytest.raises(requests.ConnectionError):
        cxone.operation("unmask", "a1", masking_token)
    assert _contact(control, "a1")["masked"] is True, "a dropped unmask applies nothing"
    control.add_fault("drop", count=1, operation="unmask", after_effect=True)
    with pytest.raises(requests.ConnectionError):
        cxone.operation("unmask", "a1", masking_token)
    assert _contact(control, "a1")["masked"] is False, "dropped after the effect: unmasked, the client never learns it"
    logged = [(e["operation"], e["status"], e["fault"]) for e in control.requests()["requests"] if e["operation"] in ("mask", "unmask")]
    assert logged == [("mask", 503, "status"), ("mask", 200, None), ("unmask", None, "drop"), ("unmask", None, "drop")]
    assert [rule["operation"] for rule in control.faults()] == ["mask", "unmask", "unmask"]


def test_a_hang_up_racing_a_mask(control, cxone, masking_token):
    first = _contact(control, "a1")["contact_id"]
    cxone.operation("start", "a1", masking_token)
    control.add_fault("status", status=429, retry_after="2", operation="mask", user_id="a1", count=1,
                      next_call={"contact_id": "800000000001", "recording_policy": "voice"})
    assert cxone.operation("mask", "a1", masking_token).status_code == 429
    contacts = {c["contact_id"]: c for c in control.state()["tenants"][0]["contacts"]}
    assert (contacts[first]["ended"], contacts[first]["masked"]) == (True, False)
    retried = cxone.operation("mask", "a1", masking_token)
    assert retried.json()["contactId"] == "800000000001", "the retry masks the call the agent is on now"
    assert _status(cxone, "a1", masking_token)[2] == "Mask"


def test_the_rate_limit_counts_masking(control, cxone, masking_token):
    control.settings(rate_limit=1)
    assert [cxone.operation(operation, "a1", masking_token).status_code for operation in ("mask", "unmask")] == [200, 429]
    assert control.stats()["rate_limited"] == 1
    with pytest.raises(SandboxError) as refused:
        control.call("POST", "/faults", {"operation": "masking"})
    assert refused.value.status == 400 and "mask, unmask" in refused.value.body["error"]
