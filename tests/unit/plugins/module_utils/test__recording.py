# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

"""One agent's request and its result entry, against a scripted CXone over HTTP."""

import re

import pytest

from ansible_collections.cxone.recording.plugins.module_utils._api_client import ApiClient
from ansible_collections.cxone.recording.plugins.module_utils._auth import Authenticator
from ansible_collections.cxone.recording.plugins.module_utils._operations import DO_NOT_RECORD, START, STOP
from ansible_collections.cxone.recording.plugins.module_utils._recording import (
    RecordingTask,
    TaskOptions,
    argument_spec,
    send,
)
from ansible_collections.cxone.recording.plugins.module_utils._recording_status import Waiter
from ansible_collections.cxone.recording.plugins.module_utils._session import Session
from ansible_collections.cxone.recording.plugins.module_utils._settings import validate_settings
from ansible_collections.cxone.recording.plugins.module_utils._transport import Transport

API_PATH = "/interaction-recording-management-service/v1/interactions"


@pytest.fixture
def session(server):
    """A session logged in against the scripted server."""
    server.default("/.well-known/openid-configuration", server.answer(200, {"token_endpoint": server.url + "/auth/token"}))
    server.queue("/auth/token", server.answer(200, {"access_token": "tok-1", "expires_in": 3600}),
                 server.answer(200, {"access_token": "tok-2", "expires_in": 3600}))
    settings = validate_settings({"issuer": server.url, "api_endpoint": server.url, "client_id": "c", "client_secret": "s",
                                  "access_key_id": "k", "access_key_secret": "ks", "retries": 2})
    transport = Transport.for_settings(settings, sleep=lambda seconds: None)
    return Session(ApiClient(Authenticator(settings, transport), transport, server.url), API_PATH)


def options(media_type=None, no_active_call="fail", expected_contacts=None, waiter=None, only_when_needed=False):
    return TaskOptions(media_type, no_active_call, expected_contacts or {}, waiter, only_when_needed)


def act_for_agent(session, operation, user_id, task_options, check_mode):
    return RecordingTask(operation, check_mode, task_options).act(session, user_id)


def op_path(operation):
    return "%s/%s" % (API_PATH, operation.path)


def test_start_sends_user_and_media_in_the_query_with_no_body(server, session):
    server.queue(op_path(START), server.answer(200, {"description": "Recording started", "contactId": "42", "httpStatus": "OK"}))
    entry = send(session, START, "a&b=c d", options(media_type="voiceAndScreen"))
    request = server.to(op_path(START))[0]
    assert request["method"] == "POST" and request["body"] == ""
    assert request["query"] == {"userId": ["a&b=c d"], "mediaType": ["voiceAndScreen"]}
    assert request["headers"]["Authorization"] == "Bearer tok-1"
    assert entry["outcome"] == "completed" and entry["contact_id"] == "42"
    assert entry["description"] == "Recording started" and entry["attempts"] == 1
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", entry["requested_at"])


@pytest.mark.parametrize("operation", [STOP, DO_NOT_RECORD])
def test_stop_and_do_not_record_send_only_the_user(server, session, operation):
    server.queue(op_path(operation), server.answer(200, {"contactId": 7}))
    entry = send(session, operation, "u1", options())
    assert server.to(op_path(operation))[0]["query"] == {"userId": ["u1"]}
    assert entry["outcome"] == "completed" and entry["contact_id"] == "7"


def test_202_is_accepted(server, session):
    server.queue(op_path(STOP), server.answer(202, {"description": "Request accepted", "contactId": "9"}))
    assert send(session, STOP, "u1", options())["outcome"] == "accepted"


def test_404_fails_by_default_and_is_skipped_on_request(server, session):
    server.default(op_path(STOP), server.answer(404, {"description": "No active interaction found for user u1"}))
    failed = send(session, STOP, "u1", options())
    assert failed["outcome"] == "failed" and failed["http_status"] == 404
    assert failed["msg"] == ("user u1: HTTP 404: No active interaction found for user u1 (the agent has no active "
                             "call; if that is not a failure, set no_active_call: skip (the role: "
                             "record_on_demand_no_active_call: skip); if every agent gets this, check that "
                             "recording_api_path and api_endpoint "
                             "match the tenant's API)")
    skipped = send(session, STOP, "u1", options(no_active_call="skip"))
    assert skipped["outcome"] == "skipped" and "has no active call, skipped" in skipped["msg"]


def test_409_names_the_user_status_and_cxone_message(server, session):
    server.queue(op_path(START), server.answer(409, {"description": "Recording is not allowed (do not record)"}))
    entry = send(session, START, "agent-7", options(media_type="voice"))
    assert entry["msg"].startswith("user agent-7: HTTP 409: Recording is not allowed (do not record) (CXone refused")


def test_401_renews_the_token_once_and_retries(server, session):
    server.queue(op_path(STOP), server.answer(401, {"error": "invalid_token"}), server.answer(200, {}))
    entry = send(session, STOP, "u1", options())
    assert entry["outcome"] == "completed" and entry["attempts"] == 2
    tokens = [request["headers"]["Authorization"] for request in server.to(op_path(STOP))]
    assert tokens == ["Bearer tok-1", "Bearer tok-2"]


def test_401_after_renewal_fails_the_user(server, session):
    server.default(op_path(STOP), server.answer(401, {"error_description": "Access token not valid for this tenant"}))
    entry = send(session, STOP, "u1", options())
    assert entry["outcome"] == "failed" and entry["http_status"] == 401
    assert "Access token not valid for this tenant" in entry["msg"]


def test_unanswered_attempts_are_reported(server, session):
    server.queue(op_path(STOP), server.answer(drop=True), server.answer(200, {}))
    entry = send(session, STOP, "u1", options())
    assert entry["outcome"] == "completed" and entry["unanswered_attempts"] == 1
    assert "may have taken effect" in entry["msg"]


def test_a_success_whose_body_is_not_json_says_so(server, session):
    server.queue(op_path(STOP), server.answer(200, text="OK", content_type="text/plain"))
    entry = send(session, STOP, "u1", options())
    assert entry["outcome"] == "completed" and entry["contact_id"] is None and entry["description"] == "OK"
    assert entry["msg"] == "CXone answered HTTP 200 with a body that is not JSON (OK)"


def test_an_html_page_with_a_success_status_is_not_taken_for_cxone(server, session):
    server.queue(op_path(STOP), server.answer(200, text="<html><title>Sign in</title></html>", content_type="text/html"))
    entry = send(session, STOP, "u1", options())
    assert entry["outcome"] == "failed" and entry["http_status"] == 200
    assert entry["msg"].startswith("user u1: HTTP 200 with HTML page: Sign in instead of CXone's answer")


def test_a_lost_connection_after_all_retries_fails_the_user_with_its_attempts(server, session):
    server.default(op_path(STOP), server.answer(drop=True))
    entry = send(session, STOP, "u1", options())
    assert entry["outcome"] == "failed" and entry["http_status"] is None
    assert entry["attempts"] == 3 and entry["unanswered_attempts"] == 3
    assert entry["msg"].startswith("user u1: stop recording: no answer from")


def test_only_start_has_media_type():
    assert argument_spec(START)["media_type"]["choices"] == ["voice", "voiceAndScreen"]
    assert "media_type" not in argument_spec(STOP) and "media_type" not in argument_spec(DO_NOT_RECORD)
    assert argument_spec(STOP)["user_id"]["aliases"] == ["user_ids"]


STATUS = API_PATH + "/get-recording-status"


def status_answer(server, contact_id="c-1", to_agent="Recording", reason="Policy"):
    return server.answer(200, {"contactId": contact_id, "recordingStatusToAgent": to_agent, "statusReason": reason})


class NoWait:
    """A Waiter without real sleeping: time advances by each sleep."""

    def __init__(self, timeout=10):
        self.now = 0.0
        self.waiter = Waiter(timeout, self._sleep, lambda: self.now)

    def _sleep(self, seconds):
        self.now += seconds


def test_an_agent_on_the_expected_contact_gets_the_request(server, session):
    server.queue(STATUS, status_answer(server, "c-1"))
    server.queue(op_path(DO_NOT_RECORD), server.answer(200, {"contactId": "c-1"}))
    entry = act_for_agent(session, DO_NOT_RECORD, "u1", options(expected_contacts={"u1": "c-1"}), False)
    assert entry["outcome"] == "completed" and entry["contact_id"] == "c-1"
    assert [request["path"] for request in server.requests if request["path"].startswith(API_PATH)] == [
        STATUS, op_path(DO_NOT_RECORD)]


@pytest.mark.parametrize("answer, ongoing", [
    ({"contactId": "c-2"}, "the agent is on contact c-2"),
    (None, "the agent has no active call"),
])
def test_an_agent_on_another_contact_or_none_is_skipped_and_nothing_is_sent(server, session, answer, ongoing):
    server.queue(STATUS, server.answer(200, answer) if answer else server.answer(404, {}))
    entry = act_for_agent(session, STOP, "u1", options(expected_contacts={"u1": "c-1"}), False)
    assert entry["outcome"] == "skipped" and entry["attempts"] == 1
    assert entry["msg"] == "user u1: expected contact c-1, but %s; nothing was sent" % ongoing
    assert server.to(op_path(STOP)) == []


def test_an_unreadable_status_fails_the_guarded_agent_without_sending(server, session):
    server.default(STATUS, server.answer(403, {"message": "Forbidden"}))
    entry = act_for_agent(session, STOP, "u1", options(expected_contacts={"u1": "c-1"}), False)
    assert entry["outcome"] == "failed" and entry["http_status"] == 403
    assert "it was needed to check the expected contact c-1, so nothing was sent" in entry["msg"]
    assert server.to(op_path(STOP)) == []


def test_check_mode_reads_the_guard_but_sends_nothing(server, session):
    server.queue(STATUS, status_answer(server, "c-1"), status_answer(server, "c-9"))
    guarded = options(expected_contacts={"u1": "c-1", "u2": "c-1"})
    assert act_for_agent(session, STOP, "u1", guarded, True)["outcome"] == "planned"
    assert act_for_agent(session, STOP, "u2", guarded, True)["outcome"] == "skipped"
    assert server.to(op_path(STOP)) == []


def test_an_unguarded_agent_is_not_read_first(server, session):
    server.queue(op_path(STOP), server.answer(200, {}))
    entry = act_for_agent(session, STOP, "u2", options(expected_contacts={"u1": "c-1"}), False)
    assert entry["outcome"] == "completed" and entry["confirmed"] is None and server.to(STATUS) == []


def test_waiting_confirms_an_accepted_start(server, session):
    server.queue(op_path(START), server.answer(202, {"contactId": "c-1"}))
    server.queue(STATUS, status_answer(server, to_agent="Stopped"), status_answer(server, reason="RecordOnDemand"))
    entry = act_for_agent(session, START, "u1", options(media_type="voice", waiter=NoWait().waiter), False)
    assert entry["outcome"] == "completed" and entry["confirmed"] is True
    assert entry["http_status"] == 202 and entry["attempts"] == 3 and entry["msg"] is None


def test_an_accepted_request_that_never_shows_fails_with_the_last_status(server, session):
    server.queue(op_path(DO_NOT_RECORD), server.answer(202, {"contactId": "c-1"}))
    server.default(STATUS, status_answer(server, to_agent="Recording", reason="Policy"))
    entry = act_for_agent(session, DO_NOT_RECORD, "u1", options(waiter=NoWait(timeout=5).waiter), False)
    assert entry["outcome"] == "failed" and entry["confirmed"] is False
    assert entry["msg"] == ("user u1: CXone answered HTTP 202, but the agent's status did not show not recording, "
                            "reason CustomerDisconsent within 5 s; last status read: contact c-1, recording status "
                            "Recording, reason Policy")


@pytest.mark.parametrize("operation, status, confirmed", [
    (STOP, {"recording_status_to_agent": "Stopped", "status_reason": "StopOnDemand"}, True),
    (STOP, {"recording_status_to_agent": "Recording", "status_reason": "Policy"}, False),
    (DO_NOT_RECORD, {"recording_status_to_agent": "Stopped", "status_reason": "StopOnDemand"}, False),
    (DO_NOT_RECORD, {"recording_status_to_agent": "NoRecording", "status_reason": "CustomerDisconsent"}, True),
    (START, {"recording_status_to_agent": "Recording", "status_reason": "Policy"}, True),
])
def test_each_operation_is_confirmed_by_its_own_state(operation, status, confirmed):
    assert operation.confirmed_when(status) is confirmed


def test_a_failed_request_is_not_waited_for(server, session):
    server.queue(op_path(STOP), server.answer(409, {}))
    entry = act_for_agent(session, STOP, "u1", options(waiter=NoWait().waiter), False)
    assert entry["outcome"] == "failed" and entry["confirmed"] is None and server.to(STATUS) == []


def test_only_stop_and_do_not_record_take_expected_contacts_and_all_take_wait():
    assert "expected_contacts" in argument_spec(STOP) and "expected_contacts" in argument_spec(DO_NOT_RECORD)
    assert "expected_contacts" not in argument_spec(START)
    for operation in (START, STOP, DO_NOT_RECORD):
        assert argument_spec(operation)["wait"] == {"type": "bool", "default": False}
        assert argument_spec(operation)["wait_timeout"] == {"type": "int", "default": 30}


# -- guarantees under races ----------------------------------------------------------------------

def api_requests(server):
    return [request["path"] for request in server.requests if request["path"].startswith(API_PATH)]


@pytest.mark.parametrize("refusal", [
    {"status": 429, "body": {"message": "Too Many Requests"}, "headers": {"Retry-After": "4"}},
    {"status": 425, "body": {"description": "Interaction is locked"}},
    {"status": 503, "body": {}},
])
def test_the_contact_is_read_again_before_a_retry_and_a_new_one_stops_the_retries(server, session, refusal):
    server.queue(STATUS, status_answer(server, "c-1"), status_answer(server, "c-2"))
    server.queue(op_path(DO_NOT_RECORD), server.answer(**refusal))
    server.default(op_path(DO_NOT_RECORD), server.answer(200, {"contactId": "c-2"}))
    entry = act_for_agent(session, DO_NOT_RECORD, "u1", options(expected_contacts={"u1": "c-1"}), False)
    assert entry["outcome"] == "skipped" and entry["contact_id"] == "c-2"
    assert entry["msg"] == ("user u1: expected contact c-1, but before a retry the agent is on contact c-2; nothing "
                            "more was sent (1 earlier attempt was not applied by CXone)")
    assert api_requests(server) == [STATUS, op_path(DO_NOT_RECORD), STATUS], "the next caller's contact is untouched"
    assert entry["attempts"] == 2


def test_a_call_ended_before_the_retry_is_skipped_too(server, session):
    server.queue(STATUS, status_answer(server, "c-1"), server.answer(404, {}))
    server.queue(op_path(STOP), server.answer(500, {}))
    entry = act_for_agent(session, STOP, "u1", options(expected_contacts={"u1": "c-1"}), False)
    assert entry["outcome"] == "skipped" and "before a retry the agent has no active call" in entry["msg"]
    assert len(server.to(op_path(STOP))) == 1


def test_a_status_that_cannot_be_read_before_the_retry_fails_without_sending_again(server, session):
    server.queue(STATUS, status_answer(server, "c-1"), server.answer(403, {"message": "Forbidden"}))
    server.queue(op_path(STOP), server.answer(500, {}))
    entry = act_for_agent(session, STOP, "u1", options(expected_contacts={"u1": "c-1"}), False)
    assert entry["outcome"] == "failed" and entry["http_status"] == 403
    assert "needed to check the expected contact c-1 before retrying, so nothing more was sent" in entry["msg"]
    assert len(server.to(op_path(STOP))) == 1


def test_an_agent_still_on_the_expected_contact_is_retried(server, session):
    server.default(STATUS, status_answer(server, "c-1"))
    server.queue(op_path(STOP), server.answer(425, {}), server.answer(425, {}))
    server.default(op_path(STOP), server.answer(200, {"contactId": "c-1"}))
    entry = act_for_agent(session, STOP, "u1", options(expected_contacts={"u1": "c-1"}), False)
    assert entry["outcome"] == "completed" and entry["attempts"] == 3
    assert api_requests(server) == [STATUS, op_path(STOP), STATUS, op_path(STOP), STATUS, op_path(STOP)]


def test_an_answer_for_another_contact_is_never_completed(server, session):
    server.queue(STATUS, status_answer(server, "c-1"))
    server.queue(op_path(DO_NOT_RECORD), server.answer(200, {"contactId": "c-2", "description": "Done"}))
    entry = act_for_agent(session, DO_NOT_RECORD, "u1", options(expected_contacts={"u1": "c-1"}), False)
    assert entry["outcome"] == "failed" and entry["contact_id"] == "c-2"
    assert entry["msg"].startswith("user u1: do not record landed on contact c-2, expected c-1")


@pytest.mark.parametrize("answered_contact, first_read", [("c-1", "c-2"), (None, None)])
def test_waiting_confirms_only_on_the_contact_the_answer_named(server, session, answered_contact, first_read):
    # Without a contact in the answer, the first read names the contact waited on: here c-1, then c-2.
    server.queue(op_path(START), server.answer(202, {"contactId": answered_contact} if answered_contact else {}))
    reads = [status_answer(server, "c-2", reason="Policy")] if first_read else [
        status_answer(server, "c-1", to_agent="NoRecording"), status_answer(server, "c-2", reason="Policy")]
    server.queue(STATUS, *reads)
    entry = act_for_agent(session, START, "u1", options(media_type="voice", waiter=NoWait().waiter), False)
    assert entry["outcome"] == "failed" and entry["confirmed"] is False
    assert "answered HTTP 202 for contact c-1, but then the agent is on contact c-2: the call ended or changed" in entry["msg"]
    assert len(server.to(STATUS)) == len(reads), "the wait ends at the first read of another contact"


def test_a_stop_on_a_call_never_recorded_is_not_confirmed(server, session):
    server.queue(op_path(STOP), server.answer(202, {"contactId": "c-1"}))
    server.default(STATUS, status_answer(server, "c-1", to_agent="NoRecording", reason="Policy"))
    entry = act_for_agent(session, STOP, "u1", options(waiter=NoWait(timeout=3).waiter), False)
    assert entry["outcome"] == "failed" and "reason StopOnDemand or CustomerDisconsent within 3 s" in entry["msg"]


def test_wait_timeout_bounds_status_reads_told_to_retry_later(server):
    server.default("/.well-known/openid-configuration", server.answer(200, {"token_endpoint": server.url + "/auth/token"}))
    server.default("/auth/token", server.answer(200, {"access_token": "tok-1", "expires_in": 3600}))
    server.queue(op_path(START), server.answer(202, {"contactId": "c-1"}))
    server.default(STATUS, server.answer(429, {"message": "Too Many Requests"}, headers={"Retry-After": "25"}))
    settings = validate_settings({"issuer": server.url, "api_endpoint": server.url, "client_id": "c", "client_secret": "s",
                                  "access_key_id": "k", "access_key_secret": "ks", "retries": 5})
    clock = NoWait(timeout=2)
    transport = Transport.for_settings(settings, sleep=clock._sleep, clock=lambda: clock.now)
    session = Session(ApiClient(Authenticator(settings, transport), transport, server.url), API_PATH)
    entry = act_for_agent(session, START, "u1", options(media_type="voice", waiter=clock.waiter), False)
    assert entry["outcome"] == "failed" and "within 2 s" in entry["msg"] and "HTTP 429" in entry["msg"]
    assert clock.now <= 2.0, "waits and retries of the status reads end within wait_timeout"
    assert len(server.to(STATUS)) >= 1


# -- acting only where needed ----------------------------------------------------------------------

@pytest.mark.parametrize("operation, media_type, status", [
    (START, "voice", {"to_agent": "Recording", "reason": "Policy"}),
    (STOP, None, {"to_agent": "Stopped", "reason": "StopOnDemand"}),
    (DO_NOT_RECORD, None, {"to_agent": "NoRecording", "reason": "CustomerDisconsent"}),
])
def test_an_agent_already_in_the_target_state_is_unchanged_and_nothing_is_sent(server, session, operation, media_type,
                                                                               status):
    server.queue(STATUS, status_answer(server, "c-1", **status))
    for check_mode in (False, True):
        server.queue(STATUS, status_answer(server, "c-1", **status))
    entries = [act_for_agent(session, operation, "u1", options(media_type=media_type, only_when_needed=True), check_mode)
               for check_mode in (False, True, False)]
    assert [entry["outcome"] for entry in entries] == ["unchanged"] * 3
    assert entries[0]["contact_id"] == "c-1" and entries[0]["msg"].startswith("already %s (contact c-1" % operation.goal)
    assert server.to(op_path(operation)) == []


def test_an_agent_not_in_the_target_state_gets_the_request_and_check_mode_plans_it(server, session):
    server.default(STATUS, status_answer(server, "c-1", to_agent="NoRecording", reason="Policy"))
    server.queue(op_path(STOP), server.answer(200, {"contactId": "c-1"}))
    assert act_for_agent(session, STOP, "u1", options(only_when_needed=True), True)["outcome"] == "planned"
    assert act_for_agent(session, STOP, "u1", options(only_when_needed=True), False)["outcome"] == "completed"
    assert len(server.to(op_path(STOP))) == 1 and len(server.to(STATUS)) == 2


def test_a_voice_and_screen_start_is_always_sent_and_a_failed_read_does_not_stop_the_request(server, session):
    server.queue(op_path(START), server.answer(200, {"contactId": "c-1"}), server.answer(200, {"contactId": "c-1"}))
    server.default(STATUS, server.answer(500, {}))
    screen = act_for_agent(session, START, "u1", options(media_type="voiceAndScreen", only_when_needed=True), False)
    assert screen["outcome"] == "completed" and server.to(STATUS) == [], "the status cannot tell: nothing is read"
    voice = act_for_agent(session, START, "u1", options(media_type="voice", only_when_needed=True), False)
    assert voice["outcome"] == "completed" and len(server.to(STATUS)) >= 1


@pytest.mark.parametrize("no_active_call, outcome", [("skip", "skipped"), ("fail", "failed")])
def test_an_agent_the_status_shows_on_no_call_gets_no_request(server, session, no_active_call, outcome):
    server.queue(STATUS, server.answer(404, {"description": "No active interaction"}))
    entry = act_for_agent(session, STOP, "u1", options(no_active_call=no_active_call, only_when_needed=True), False)
    assert (entry["outcome"], entry["http_status"]) == (outcome, 404)
    # A failure says how to make it a skip; a skip needs no hint.
    assert entry["msg"].endswith("nothing was sent" if outcome == "skipped" else
                                 "nothing was sent; if that is not a failure, set no_active_call: skip (the role: "
                                 "record_on_demand_no_active_call: skip)")
    assert server.to(op_path(STOP)) == []
