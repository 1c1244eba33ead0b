# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The three recording modules run in-process against the scripted CXone, as a task would run them.

Direct mode (``connection: local``) unless a test says otherwise: the connection settings are
module options pointing at the scripted server. Each test reads the JSON the module printed.
"""

from __future__ import annotations

import importlib
from urllib.parse import quote, quote_plus

import pytest

from ansible_collections.cxone.recording.plugins.module_utils._operations import (
    DO_NOT_RECORD,
    OPERATIONS,
    START,
    STOP,
)
from ansible_collections.cxone.recording.plugins.module_utils._results import OUTCOMES
from ansible_collections.cxone.recording.plugins.module_utils._session import INSECURE_WARNING
from ansible_collections.cxone.recording.plugins.module_utils._settings import DEFAULT_RECORDING_API_PATH

MODULES = {importlib.import_module("ansible_collections.cxone.recording.plugins.modules." + operation.module): operation
           for operation in OPERATIONS}
BY_OPERATION = {operation: module for module, operation in MODULES.items()}
cxone_recording_start = BY_OPERATION[START]
cxone_recording_stop = BY_OPERATION[STOP]
cxone_do_not_record = BY_OPERATION[DO_NOT_RECORD]


def module_id(module):
    return module.__name__.rsplit(".", 1)[-1]


each_module = pytest.mark.parametrize("module", list(MODULES), ids=module_id)


def operation_path(module):
    return "%s/%s" % (DEFAULT_RECORDING_API_PATH, MODULES[module].path)


def summary(**counts):
    expected = dict.fromkeys(OUTCOMES, 0)
    expected.update(counts)
    expected["total"] = sum(counts.values())
    return expected


@pytest.fixture
def tenant(cxone_tenant):
    """The scripted CXone with the tenant's API at ``<server>/api``, as ``api_endpoint`` names it."""
    return cxone_tenant


def options(tenant, **overrides):
    values = tenant.settings(api_endpoint=tenant.url + "/api")
    values.update(overrides)
    return values


def script_mixed_answers(tenant, module):
    path = "/api" + operation_path(module)
    tenant.queue(path,
                 tenant.answer(200, {"description": "Request completed", "contactId": "c-200"}),
                 tenant.answer(202, {"description": "Request accepted", "contactId": 202}),
                 tenant.answer(404, {"description": "No active interaction found"}),
                 tenant.answer(409, {"description": "Recording is not allowed"}),
                 tenant.answer(500, {"description": "Internal error"}, headers={"Retry-After": "0"}),
                 tenant.answer(200, {"description": "Request completed", "contactId": "c-500"}))
    return path


USERS = ["u-200", "u-202", "u-404", "u-409", "u-500"]


@each_module
def test_a_mixed_batch_reports_every_agent_in_input_order(run_module, tenant, module):
    path = script_mixed_answers(tenant, module)
    run = run_module(module, options(tenant, user_ids=USERS, concurrency=1, retries=1))
    result = run.result
    assert run.exit_code == 1 and result["failed"] is True and result["changed"] is True
    entries = result["results"]
    assert [entry["user_id"] for entry in entries] == USERS
    assert [entry["outcome"] for entry in entries] == ["completed", "accepted", "failed", "failed", "completed"]
    assert [entry["http_status"] for entry in entries] == [200, 202, 404, 409, 200]
    assert [entry["contact_id"] for entry in entries] == ["c-200", "202", None, None, "c-500"]
    assert [entry["attempts"] for entry in entries] == [1, 1, 1, 1, 2]
    assert result["summary"] == summary(completed=2, accepted=1, failed=2)
    assert result["msg"] == (
        "%s failed for 2 of 5 users: user u-404: HTTP 404: No active interaction found (the agent has no "
        "active call; if that is not a failure, set no_active_call: skip (the role: record_on_demand_no_active_call: "
        "skip); if every agent gets this, check that recording_api_path and api_endpoint match the "
        "tenant's API); user u-409: HTTP 409: Recording is not allowed (CXone refused in the call's current "
        "state, e.g. after do-not-record)" % MODULES[module].in_words)
    assert "user_id" not in result and "outcome" not in result
    assert [request["query"]["userId"] for request in tenant.to(path)] == [[user] for user in USERS + ["u-500"]]


@each_module
def test_no_active_call_skip_turns_a_404_into_skipped(run_module, tenant, module):
    script_mixed_answers(tenant, module)
    run = run_module(module, options(tenant, user_ids=USERS, concurrency=1, retries=1, no_active_call="skip"))
    entries = run.result["results"]
    assert [entry["outcome"] for entry in entries] == ["completed", "accepted", "skipped", "failed", "completed"]
    assert entries[2]["msg"] == "user u-404 has no active call, skipped (HTTP 404: No active interaction found)"
    assert run.result["summary"] == summary(completed=2, accepted=1, skipped=1, failed=1)
    assert run.result["msg"].startswith("%s failed for 1 of 5 users: user u-409: HTTP 409" % MODULES[module].in_words)


@each_module
def test_a_concurrent_batch_keeps_input_order_and_loses_no_agent(run_module, tenant, module):
    path = "/api" + operation_path(module)
    tenant.default(path, tenant.answer(202, {"description": "Request accepted"}))
    users = ["agent-%02d" % number for number in range(12)]
    run = run_module(module, options(tenant, user_ids=users + users[:3], concurrency=4))
    assert run.exit_code == 0 and "failed" not in run.result
    assert [entry["user_id"] for entry in run.result["results"]] == users
    assert sorted(request["query"]["userId"][0] for request in tenant.to(path)) == users
    assert run.result["summary"] == summary(accepted=12)
    assert run.result["msg"] == "%s: 12 accepted" % MODULES[module].in_words


@each_module
def test_one_agent_is_also_reported_at_the_top_level(run_module, tenant, module):
    tenant.queue("/api" + operation_path(module), tenant.answer(200, {"description": "OK", "contactId": 4711}))
    run = run_module(module, options(tenant, user_id=" agent-1 "))
    result = run.result
    assert run.exit_code == 0 and result["changed"] is True and "failed" not in result
    assert (result["user_id"], result["outcome"], result["http_status"], result["contact_id"]) == (
        "agent-1", "completed", 200, "4711")
    assert result["results"][0]["user_id"] == "agent-1"
    assert result["msg"] == "%s: 1 completed" % MODULES[module].in_words


@each_module
def test_check_mode_sends_no_recording_request_and_plans_each_agent(run_module, tenant, module):
    run = run_module(module, options(tenant, user_ids=["a", "b"]), check_mode=True)
    assert run.exit_code == 0 and run.result["changed"] is True
    assert [entry["outcome"] for entry in run.result["results"]] == ["planned", "planned"]
    assert run.result["results"][0]["msg"] == "check mode: nothing was sent"
    assert run.result["summary"] == summary(planned=2)
    assert not [request for request in tenant.requests if request["path"].startswith("/api")]


@pytest.mark.parametrize("given, sent", [({}, "voice"), ({"media_type": "voiceAndScreen"}, "voiceAndScreen")])
def test_start_sends_the_media_type_in_the_query(run_module, tenant, given, sent):
    path = "/api" + operation_path(cxone_recording_start)
    tenant.queue(path, tenant.answer(200, {}))
    run_module(cxone_recording_start, options(tenant, user_id="a&b=c", **given))
    assert tenant.to(path)[0]["query"] == {"userId": ["a&b=c"], "mediaType": [sent]}
    assert tenant.to(path)[0]["body"] == ""


@pytest.mark.parametrize("module", [cxone_recording_stop, cxone_do_not_record], ids=module_id)
def test_stop_and_do_not_record_send_no_media_type_and_refuse_the_option(run_module, tenant, module):
    path = "/api" + operation_path(module)
    tenant.queue(path, tenant.answer(200, {}))
    run_module(module, options(tenant, user_id="a"))
    assert tenant.to(path)[0]["query"] == {"userId": ["a"]}
    refused = run_module(module, options(tenant, user_id="a", media_type="voice"))
    assert refused.exit_code == 1 and "media_type" in refused.result["msg"]
    assert len(tenant.to(path)) == 1


@each_module
@pytest.mark.parametrize("bad, reason", [
    ({"retries": 99}, "retries: must be a whole number from 0 to 20, got 99"),
    ({"client_secret": None}, "missing credentials: set access_token, or all of client_id, client_secret, "
                              "access_key_id and access_key_secret (missing: client_secret)"),
    ({"concurrency": 0}, "concurrency: must be a whole number from 1 to 64, got 0"),
    ({"api_endpoint": "http://api.example.com"}, "api_endpoint: 'http://api.example.com' uses plain http://"),
], ids=["retries", "credentials", "concurrency", "plain-http"])
def test_a_bad_setting_fails_every_agent_with_the_reason_before_any_request(run_module, tenant, module, bad,
                                                                            reason):
    run = run_module(module, options(tenant, user_ids=["a", "b"], **bad))
    result = run.result
    assert run.exit_code == 1 and result["failed"] is True and result["changed"] is False
    assert [entry["user_id"] for entry in result["results"]] == ["a", "b"]
    for entry in result["results"]:
        assert entry["outcome"] == "failed" and entry["msg"].startswith(reason)
        assert entry["attempts"] == 0 and entry["http_status"] is None
    assert result["summary"] == summary(failed=2)
    assert result["msg"].startswith("%s failed for 2 of 2 users: %s" % (MODULES[module].in_words, reason))
    assert result["msg"].endswith("(users: a, b)")
    assert tenant.requests == []


@each_module
def test_a_refused_login_fails_every_agent_with_cxones_message(run_module, tenant, module):
    tenant.default("/auth/token", tenant.answer(
        400, {"error": "invalid_grant", "error_description": "Invalid access key credentials"}))
    run = run_module(module, options(tenant, user_ids=["a", "b", "c"]))
    assert run.exit_code == 1
    assert {entry["http_status"] for entry in run.result["results"]} == {400}
    assert run.result["msg"] == (
        "%s failed for 3 of 3 users: login with access key KEY-ID failed: HTTP 400: Invalid access key "
        "credentials [invalid_grant] (check the access key id and secret) (users: a, b, c)" % MODULES[module].in_words)
    assert len(tenant.to("/auth/token")) == 1
    assert not tenant.to("/api" + operation_path(module))


@each_module
@pytest.mark.parametrize("user_ids, problem", [
    (["ok", "  "], "user_id: item 2 is empty"),
    (["ok", "bad\nid"], "user_id: item 2 ('bad\\nid') contains a control character"),
    ([], "user_id: give one user id or a non-empty list of user ids"),
], ids=["empty", "control-character", "none"])
def test_a_bad_user_id_fails_the_task_naming_the_option_before_any_request(run_module, tenant, module, user_ids,
                                                                           problem):
    run = run_module(module, options(tenant, user_ids=user_ids))
    assert run.exit_code == 1 and run.result["failed"] is True and run.result["changed"] is False
    assert run.result["msg"].startswith(problem)
    assert "results" not in run.result
    assert tenant.requests == []


def secret_forms(secret):
    return {secret, quote_plus(secret), quote(secret, safe="")}


@each_module
def test_secrets_echoed_by_a_refused_login_are_not_printed(run_module, tenant, module):
    values = options(tenant, user_id="a")
    echo = "rejected grant_type=password&username=KEY-ID&password=%s (client %s, %s)" % (
        quote_plus(values["access_key_secret"]), values["client_secret"], quote(values["client_secret"], safe=""))
    tenant.default("/auth/token", tenant.answer(400, {"error": "invalid_request", "error_description": echo}))
    run = run_module(module, values)
    assert "password=<redacted>" in run.result["msg"]
    for secret in (values["client_secret"], values["access_key_secret"]):
        for form in secret_forms(secret):
            assert form not in run.printed


@each_module
@pytest.mark.parametrize("token_from", ["login", "access_token"])
def test_a_token_echoed_by_cxone_is_not_printed(run_module, tenant, module, token_from):
    token = "tok+SECRET/with=chars"
    if token_from == "login":
        tenant.default("/auth/token", tenant.answer(200, {"access_token": token, "expires_in": 3600,
                                                          "refresh_token": "refresh+SECRET"}))
        values = options(tenant, user_id="a")
    else:
        values = options(tenant, user_id="a", access_token=token, client_id=None, client_secret=None,
                         access_key_id=None, access_key_secret=None)
    echo = "token %s (sent as %s / %s) may not do this" % (token, quote_plus(token), quote(token, safe=""))
    tenant.queue("/api" + operation_path(module), tenant.answer(409, {"description": echo}))
    run = run_module(module, values)
    assert run.result["results"][0]["description"].startswith("token <redacted> (sent as <redacted> / <redacted>)")
    for form in secret_forms(token) | secret_forms("refresh+SECRET"):
        assert form not in run.printed


def warning_texts(result):
    """The warnings' texts: plain strings before ansible-core 2.19, summaries of events since."""
    return [warning["event"]["msg"] if isinstance(warning, dict) else warning for warning in result.get("warnings", [])]


@each_module
def test_validate_certs_false_warns(run_module, tenant, module):
    tenant.default("/api" + operation_path(module), tenant.answer(200, {}))
    warned = run_module(module, options(tenant, user_id="a", validate_certs=False))
    assert warning_texts(warned.result) == [INSECURE_WARNING]
    verified = run_module(module, options(tenant, user_id="a"))
    assert "warnings" not in verified.result


@each_module
def test_over_the_cxone_api_connection_the_module_borrows_its_token(run_module, cxone_tenant, cxone_api_connection,
                                                                    broker_socket, module):
    cxone_tenant.queue("/auth/token", cxone_tenant.token_answer("tok-connection"))
    connection = cxone_api_connection(**cxone_tenant.settings())
    socket = broker_socket(connection)
    path = "/api" + operation_path(module)
    cxone_tenant.default(path, cxone_tenant.answer(202, {}))
    for _task in range(2):
        run = run_module(module, {"user_ids": ["a", "b"]}, socket_path=socket.path)
        assert run.exit_code == 0 and run.result["summary"] == summary(accepted=2)
    assert {request["headers"]["Authorization"] for request in cxone_tenant.to(path)} == {"Bearer tok-connection"}
    assert len(cxone_tenant.to("/auth/token")) == 1
    assert "tok-connection" not in run.printed


def test_agents_after_a_remembered_failure_report_no_attempts_they_did_not_make(run_module, tenant):
    path = "/api" + operation_path(cxone_recording_stop)
    tenant.queue("/auth/token", tenant.token_answer("tok-1"), tenant.token_answer("tok-2"))
    tenant.queue(path, tenant.answer(401, {}), tenant.answer(401, {}), tenant.answer(drop=True))
    tenant.default(path, tenant.answer(401, {}))
    run = run_module(cxone_recording_stop, options(tenant, user_ids=["a", "b", "c"], concurrency=1, retries=1))
    entries = run.result["results"]
    assert [entry["outcome"] for entry in entries] == ["failed"] * 3
    assert len(tenant.to(path)) == 4  # a: both tokens rejected; b: a lost answer, then rejected; c: nothing
    assert [(entry["attempts"], entry["unanswered_attempts"]) for entry in entries] == [(2, 0), (2, 1), (0, 0)]


@each_module
def test_a_login_without_answer_counts_no_attempt_for_the_agents(run_module, tenant, module):
    tenant.default("/auth/token", tenant.answer(drop=True))
    run = run_module(module, options(tenant, user_ids=["a", "b"], retries=1))
    entries = run.result["results"]
    assert [entry["outcome"] for entry in entries] == ["failed", "failed"]
    assert entries[0]["msg"].startswith(
        "login with access key KEY-ID: no answer from %s after 2 attempts" % tenant.url)
    assert not tenant.to("/api" + operation_path(module))
    assert [(entry["attempts"], entry["unanswered_attempts"]) for entry in entries] == [(0, 0), (0, 0)]
