# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

"""One agent's request and its result entry, against a scripted CXone over HTTP."""

import re

import pytest

from ansible_collections.cxone.recording.plugins.module_utils._api_client import ApiClient
from ansible_collections.cxone.recording.plugins.module_utils._auth import Authenticator
from ansible_collections.cxone.recording.plugins.module_utils._recording import (
    DO_NOT_RECORD,
    START,
    STOP,
    argument_spec,
    send,
)
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


def op_path(operation):
    return "%s/%s" % (API_PATH, operation.path)


def test_start_sends_user_and_media_in_the_query_with_no_body(server, session):
    server.queue(op_path(START), server.answer(200, {"description": "Recording started", "contactId": "42", "httpStatus": "OK"}))
    entry = send(session, START, "a&b=c d", "voiceAndScreen")
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
    entry = send(session, operation, "u1")
    assert server.to(op_path(operation))[0]["query"] == {"userId": ["u1"]}
    assert entry["outcome"] == "completed" and entry["contact_id"] == "7"


def test_202_is_accepted(server, session):
    server.queue(op_path(STOP), server.answer(202, {"description": "Request accepted", "contactId": "9"}))
    assert send(session, STOP, "u1")["outcome"] == "accepted"


def test_404_fails_by_default_and_is_skipped_on_request(server, session):
    server.default(op_path(STOP), server.answer(404, {"description": "No active interaction found for user u1"}))
    failed = send(session, STOP, "u1")
    assert failed["outcome"] == "failed" and failed["http_status"] == 404
    assert failed["msg"] == ("user u1: HTTP 404: No active interaction found for user u1 (the agent has no active call)")
    skipped = send(session, STOP, "u1", no_active_call="skip")
    assert skipped["outcome"] == "skipped" and "has no active call, skipped" in skipped["msg"]


def test_409_names_the_user_status_and_cxone_message(server, session):
    server.queue(op_path(START), server.answer(409, {"description": "Recording is not allowed (do not record)"}))
    entry = send(session, START, "agent-7", "voice")
    assert entry["msg"].startswith("user agent-7: HTTP 409: Recording is not allowed (do not record) (CXone refused")


def test_401_renews_the_token_once_and_retries(server, session):
    server.queue(op_path(STOP), server.answer(401, {"error": "invalid_token"}), server.answer(200, {}))
    entry = send(session, STOP, "u1")
    assert entry["outcome"] == "completed" and entry["attempts"] == 2
    tokens = [request["headers"]["Authorization"] for request in server.to(op_path(STOP))]
    assert tokens == ["Bearer tok-1", "Bearer tok-2"]


def test_401_after_renewal_fails_the_user(server, session):
    server.default(op_path(STOP), server.answer(401, {"error_description": "Access token not valid for this tenant"}))
    entry = send(session, STOP, "u1")
    assert entry["outcome"] == "failed" and entry["http_status"] == 401
    assert "Access token not valid for this tenant" in entry["msg"]


def test_unanswered_attempts_are_reported(server, session):
    server.queue(op_path(STOP), server.answer(drop=True), server.answer(200, {}))
    entry = send(session, STOP, "u1")
    assert entry["outcome"] == "completed" and entry["unanswered_attempts"] == 1
    assert "may have taken effect" in entry["msg"]


def test_a_success_whose_body_is_not_json_says_so(server, session):
    server.queue(op_path(STOP), server.answer(200, text="OK", content_type="text/plain"))
    entry = send(session, STOP, "u1")
    assert entry["outcome"] == "completed" and entry["contact_id"] is None and entry["description"] == "OK"
    assert entry["msg"] == "CXone answered HTTP 200 with a body that is not JSON (OK)"


def test_an_html_page_with_a_success_status_is_not_taken_for_cxone(server, session):
    server.queue(op_path(STOP), server.answer(200, text="<html><title>Sign in</title></html>", content_type="text/html"))
    entry = send(session, STOP, "u1")
    assert entry["outcome"] == "failed" and entry["http_status"] == 200
    assert entry["msg"].startswith("user u1: HTTP 200 with HTML page: Sign in instead of CXone's answer")


def test_a_lost_connection_after_all_retries_fails_the_user_with_its_attempts(server, session):
    server.default(op_path(STOP), server.answer(drop=True))
    entry = send(session, STOP, "u1")
    assert entry["outcome"] == "failed" and entry["http_status"] is None
    assert entry["attempts"] == 3 and entry["unanswered_attempts"] == 3
    assert entry["msg"].startswith("user u1: stop recording: no answer from")


def test_only_start_has_media_type():
    assert argument_spec(START)["media_type"]["choices"] == ["voice", "voiceAndScreen"]
    assert "media_type" not in argument_spec(STOP) and "media_type" not in argument_spec(DO_NOT_RECORD)
    assert argument_spec(STOP)["user_id"]["aliases"] == ["user_ids"]
