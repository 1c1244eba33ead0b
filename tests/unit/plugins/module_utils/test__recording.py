# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import re

import pytest

from ansible_collections.cxone.recording.plugins.module_utils._auth import Authenticator
from ansible_collections.cxone.recording.plugins.module_utils._errors import SettingsError
from ansible_collections.cxone.recording.plugins.module_utils._recording import (
    DO_NOT_RECORD,
    START,
    STOP,
    RecordingApi,
    check_concurrency,
    normalise_user_ids,
    planned_entries,
    run_batch,
    task_result,
)
from ansible_collections.cxone.recording.plugins.module_utils._settings import validate_settings
from ansible_collections.cxone.recording.plugins.module_utils._transport import Transport

API_PATH = "/interaction-recording-management-service/v1/interactions"


def test_user_ids_are_stripped_and_deduplicated_in_order():
    assert normalise_user_ids([" b ", "a", "b", "c", "a"]) == ["b", "a", "c"]
    assert normalise_user_ids("single") == ["single"]


@pytest.mark.parametrize("values, problem", [
    ([], "non-empty list"),
    (["ok", "  "], "user_id: item 2 is empty"),
    (["ok", "a\tb"], "user_id: item 2 ('a\\tb') contains a control character"),
    (["x\x7f"], "user_id ('x\\x7f') contains a control character"),
    (["u" * 257], "user_id is 257 characters long"),
    ([{"id": 1}], "user_id must be a string"),
])
def test_bad_user_ids_are_refused_naming_the_item(values, problem):
    with pytest.raises(SettingsError) as caught:
        normalise_user_ids(values)
    assert problem in caught.value.msg


@pytest.mark.parametrize("value", [0, 65, -1, True, "8"])
def test_concurrency_outside_range_is_refused(value):
    with pytest.raises(SettingsError, match="concurrency: must be a whole number from 1 to 64"):
        check_concurrency(value)


@pytest.fixture
def api(server):
    """A RecordingApi logged in against the scripted server."""
    server.default("/.well-known/openid-configuration", server.answer(200, {"token_endpoint": server.url + "/auth/token"}))
    server.queue("/auth/token", server.answer(200, {"access_token": "tok-1", "expires_in": 3600}),
                 server.answer(200, {"access_token": "tok-2", "expires_in": 3600}))
    settings = validate_settings({"issuer": server.url, "api_endpoint": server.url, "client_id": "c", "client_secret": "s",
                                  "access_key_id": "k", "access_key_secret": "ks", "retries": 2})
    transport = Transport.for_settings(settings, sleep=lambda seconds: None)
    return RecordingApi(Authenticator(settings, transport), transport, server.url, API_PATH)


def op_path(operation):
    return "%s/%s" % (API_PATH, operation.path)


def test_start_sends_user_and_media_in_the_query_with_no_body(server, api):
    server.queue(op_path(START), server.answer(200, {"description": "Recording started", "contactId": "42", "httpStatus": "OK"}))
    entry = api.send(START, "a&b=c d", "voiceAndScreen")
    request = server.to(op_path(START))[0]
    assert request["method"] == "POST" and request["body"] == ""
    assert request["query"] == {"userId": ["a&b=c d"], "mediaType": ["voiceAndScreen"]}
    assert request["headers"]["Authorization"] == "Bearer tok-1"
    assert entry["outcome"] == "completed" and entry["contact_id"] == "42"
    assert entry["description"] == "Recording started" and entry["attempts"] == 1
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", entry["requested_at"])


@pytest.mark.parametrize("operation", [STOP, DO_NOT_RECORD])
def test_stop_and_do_not_record_send_only_the_user(server, api, operation):
    server.queue(op_path(operation), server.answer(200, {"contactId": 7}))
    entry = api.send(operation, "u1")
    assert server.to(op_path(operation))[0]["query"] == {"userId": ["u1"]}
    assert entry["outcome"] == "completed" and entry["contact_id"] == "7"


def test_202_is_accepted(server, api):
    server.queue(op_path(STOP), server.answer(202, {"description": "Request accepted", "contactId": "9"}))
    assert api.send(STOP, "u1")["outcome"] == "accepted"


def test_404_fails_by_default_and_is_skipped_on_request(server, api):
    server.default(op_path(STOP), server.answer(404, {"description": "No active interaction found for user u1"}))
    failed = api.send(STOP, "u1")
    assert failed["outcome"] == "failed" and failed["http_status"] == 404
    assert failed["msg"] == ("user u1: HTTP 404: No active interaction found for user u1 (the agent has no active call)")
    skipped = api.send(STOP, "u1", no_active_call="skip")
    assert skipped["outcome"] == "skipped" and "has no active call, skipped" in skipped["msg"]


def test_409_names_the_user_status_and_cxone_message(server, api):
    server.queue(op_path(START), server.answer(409, {"description": "Recording is not allowed (do not record)"}))
    entry = api.send(START, "agent-7", "voice")
    assert entry["msg"].startswith("user agent-7: HTTP 409: Recording is not allowed (do not record) (CXone refused")


def test_401_renews_the_token_once_and_retries(server, api):
    server.queue(op_path(STOP), server.answer(401, {"error": "invalid_token"}), server.answer(200, {}))
    entry = api.send(STOP, "u1")
    assert entry["outcome"] == "completed" and entry["attempts"] == 2
    tokens = [request["headers"]["Authorization"] for request in server.to(op_path(STOP))]
    assert tokens == ["Bearer tok-1", "Bearer tok-2"]


def test_401_after_renewal_fails_the_user(server, api):
    server.default(op_path(STOP), server.answer(401, {"error_description": "Access token not valid for this tenant"}))
    entry = api.send(STOP, "u1")
    assert entry["outcome"] == "failed" and entry["http_status"] == 401
    assert "Access token not valid for this tenant" in entry["msg"]


def test_unanswered_attempts_are_reported(server, api):
    server.queue(op_path(STOP), server.answer(drop=True), server.answer(200, {}))
    entry = api.send(STOP, "u1")
    assert entry["outcome"] == "completed" and entry["unanswered_attempts"] == 1
    assert "may have taken effect" in entry["msg"]


def test_non_json_success_is_completed_without_contact(server, api):
    server.queue(op_path(STOP), server.answer(200, text="OK", content_type="text/plain"))
    entry = api.send(STOP, "u1")
    assert entry["outcome"] == "completed" and entry["contact_id"] is None and entry["description"] == "OK"


def test_batch_keeps_every_user_in_input_order(server, api):
    server.default(op_path(STOP), server.answer(200, {}))
    ids = ["u%02d" % number for number in range(40)]
    server.queue(op_path(STOP), *[server.answer(404, {}) for _failure in range(5)])
    entries = run_batch(api, STOP, ids, concurrency=8)
    assert [entry["user_id"] for entry in entries] == ids
    assert sum(entry["outcome"] == "failed" for entry in entries) == 5


def test_task_result_for_one_user_has_top_level_fields():
    result = task_result(STOP, planned_entries(["u1"]))
    assert result["changed"] is True and result["outcome"] == "planned" and result["user_id"] == "u1"
    assert result["summary"] == {"completed": 0, "accepted": 0, "skipped": 0, "failed": 0, "planned": 1, "total": 1}


def test_task_result_names_failures_and_keeps_successes():
    entries = planned_entries(["a", "b"])
    entries[0].update(outcome="completed", msg=None)
    entries[1].update(outcome="failed", msg="user b: HTTP 409: no")
    result = task_result(START, entries)
    assert result["failed"] is True and result["changed"] is True
    assert result["msg"] == "start recording failed for 1 of 2 user(s): user b: HTTP 409: no"
    assert "user_id" not in result


def test_one_reason_shared_by_all_failures_is_given_once():
    entries = planned_entries(["a", "b", "c"])
    for entry in entries:
        entry.update(outcome="failed", msg="login with access key K failed: HTTP 400")
    result = task_result(STOP, entries)
    assert result["msg"] == "stop recording failed for 3 of 3 user(s): login with access key K failed: HTTP 400 (users: a, b, c)"


def test_task_result_lists_at_most_ten_failures():
    entries = planned_entries(["u%d" % number for number in range(25)])
    for entry in entries:
        entry.update(outcome="failed", msg="user %s: HTTP 500" % entry["user_id"])
    result = task_result(STOP, entries)
    assert result["msg"].endswith("; and 15 more (see results)")
    assert result["changed"] is False
