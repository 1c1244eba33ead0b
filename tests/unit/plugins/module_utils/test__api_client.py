# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Authenticated requests: the bearer token, one renewal after a 401, attempts, CXone's message.

The token source is a stand-in with the three documented methods, recording what the client
tells it; the requests go over HTTP to the scripted server.
"""

from __future__ import annotations

from urllib.parse import quote, quote_plus

import pytest

from ansible_collections.cxone.recording.plugins.module_utils._api_client import ApiClient
from ansible_collections.cxone.recording.plugins.module_utils._auth import Authenticator
from ansible_collections.cxone.recording.plugins.module_utils._tokens import token_fingerprint
from ansible_collections.cxone.recording.plugins.module_utils._errors import AuthError, TransportError
from ansible_collections.cxone.recording.plugins.module_utils._settings import validate_settings
from ansible_collections.cxone.recording.plugins.module_utils._transport import Transport

PATH = "/recording/stop-recording-on-demand"


class TokenSource:
    """Hands out ``tokens`` in turn, one more per renewal; ``refusal`` is raised by a renewal."""

    def __init__(self, *tokens, refusal=None):
        self._tokens = list(tokens)
        self.current = self._tokens.pop(0)
        self.refusal = refusal
        self.confirmed = []
        self.renewed = []

    def bearer(self):
        return self.current, 60.0

    def confirm(self, fingerprint):
        self.confirmed.append(fingerprint)

    def renew(self, fingerprint):
        self.renewed.append(fingerprint)
        if self.refusal is not None:
            raise self.refusal
        self.current = self._tokens.pop(0)
        return self.current, 60.0


def new_client(server, sleeps, source, retries=0):
    transport = Transport(5, retries, True, sleep=sleeps.append)
    return ApiClient(source, transport, server.url + "/api/")


def sent_tokens(server):
    return [request["headers"]["Authorization"] for request in server.to("/api" + PATH)]


def test_requests_carry_the_bearer_token_under_the_base_url(server, sleeps):
    server.queue("/api" + PATH, server.answer(200, {"contactId": "1"}))
    answer = new_client(server, sleeps, TokenSource("tok-1")).request("POST", PATH, "stop recording",
                                                                      params={"userId": "u 1"})
    request = server.to("/api" + PATH)[0]
    assert request["method"] == "POST" and request["query"] == {"userId": ["u 1"]}
    assert request["headers"]["Authorization"] == "Bearer tok-1"
    assert request["headers"]["Accept"] == "application/json"
    assert (answer.status, answer.ok, answer.body, answer.attempts) == (200, True, {"contactId": "1"}, 1)


def test_a_401_renews_the_token_once_and_retries_with_the_new_one(server, sleeps):
    server.queue("/api" + PATH, server.answer(401, {"error": "invalid_token"}), server.answer(202, {}))
    source = TokenSource("tok-1", "tok-2")
    answer = new_client(server, sleeps, source).request("POST", PATH, "stop recording")
    assert answer.status == 202 and answer.attempts == 2
    assert sent_tokens(server) == ["Bearer tok-1", "Bearer tok-2"]
    assert source.renewed == [token_fingerprint("tok-1")]
    assert source.confirmed == [token_fingerprint("tok-2")]


def test_a_second_401_is_the_answer_without_a_second_renewal(server, sleeps):
    server.default("/api" + PATH, server.answer(401, {"description": "Not authorized for this tenant"}))
    source = TokenSource("tok-1", "tok-2", "tok-3")
    answer = new_client(server, sleeps, source).request("POST", PATH, "stop recording")
    assert (answer.status, answer.ok, answer.attempts) == (401, False, 2)
    assert answer.message == "Not authorized for this tenant"
    assert len(source.renewed) == 1 and source.confirmed == []


def test_attempts_are_summed_across_both_tokens(server, sleeps):
    server.queue("/api" + PATH,
                 server.answer(drop=True), server.answer(401, {}),                              # the first token
                 server.answer(503, {}, headers={"Retry-After": "0"}), server.answer(200, {}))  # the renewed one
    client = new_client(server, sleeps, TokenSource("tok-1", "tok-2"), retries=1)
    answer = client.request("POST", PATH, "stop recording")
    assert (answer.status, answer.attempts, answer.unanswered_attempts) == (200, 4, 1)
    assert sent_tokens(server) == ["Bearer tok-1", "Bearer tok-1", "Bearer tok-2", "Bearer tok-2"]
    assert len(sleeps) == 2 and sleeps[1] == 0  # backoff after the lost answer, then Retry-After: 0


def test_a_transport_error_after_a_renewal_carries_every_attempt(server, sleeps):
    server.queue("/api" + PATH, server.answer(401, {}))
    server.default("/api" + PATH, server.answer(drop=True))
    with pytest.raises(TransportError) as caught:
        new_client(server, sleeps, TokenSource("tok-1", "tok-2"), retries=1).request("POST", PATH, "stop recording")
    assert (caught.value.attempts, caught.value.unanswered_attempts) == (3, 2)
    assert caught.value.msg.startswith("stop recording: no answer from %s after 2 attempts" % server.url)


def test_a_refused_renewal_carries_the_attempts_made(server, sleeps):
    server.queue("/api" + PATH, server.answer(drop=True), server.answer(401, {}))
    refusal = AuthError("CXone rejected a newly issued access token too (HTTP 401)", 401)
    with pytest.raises(AuthError) as caught:
        new_client(server, sleeps, TokenSource("tok-1", refusal=refusal), retries=1).request("POST", PATH, "stop")
    assert (caught.value.attempts, caught.value.unanswered_attempts, caught.value.status) == (2, 1, 401)


def test_each_accepted_token_is_confirmed_once(server, sleeps):
    server.queue("/api" + PATH, server.answer(200, {}), server.answer(404, {}), server.answer(401, {}),
                 server.answer(200, {}), server.answer(409, {}))
    source = TokenSource("tok-1", "tok-2")
    client = new_client(server, sleeps, source)
    for _request in range(4):
        client.request("POST", PATH, "stop recording")
    assert source.confirmed == [token_fingerprint("tok-1"), token_fingerprint("tok-2")]


@pytest.mark.parametrize("status, text, content_type, not_json, html, message", [
    (200, '{"description": "Recording stopped"}', "application/json", False, False, "Recording stopped"),
    (204, "", "application/json", False, False, None),
    (200, "OK", "text/plain", True, False, "OK"),
    (502, "<html><head><title>502 Bad Gateway</title></head></html>", "text/html", True, True,
     "HTML page: 502 Bad Gateway"),
    (200, "<!DOCTYPE html><p>Sign in</p>", "application/json", True, True, "an HTML page"),
], ids=["json", "empty", "plain-text", "gateway-page", "page-labelled-json"])
def test_answers_that_are_not_json_are_flagged(server, sleeps, status, text, content_type, not_json, html, message):
    server.queue("/api" + PATH, server.answer(status, text=text, content_type=content_type))
    answer = new_client(server, sleeps, TokenSource("tok-1")).request("POST", PATH, "stop recording")
    assert (answer.status, answer.not_json, answer.html, answer.message) == (status, not_json, html, message)


@pytest.mark.parametrize("renewed", [False, True], ids=["first-token", "renewed-token"])
def test_a_token_echoed_in_cxones_message_is_taken_out(server, sleeps, renewed):
    token = "tok+2/x=" if renewed else "tok+1/x="
    if renewed:
        server.queue("/api" + PATH, server.answer(401, {}))
    echo = "token %s (%s, %s) lacks the permission" % (token, quote_plus(token), quote(token, safe=""))
    server.queue("/api" + PATH, server.answer(403, {"description": echo}))
    answer = new_client(server, sleeps, TokenSource("tok+1/x=", "tok+2/x=")).request("POST", PATH, "stop recording")
    assert answer.status == 403
    assert answer.message == "token <redacted> (<redacted>, <redacted>) lacks the permission"


def test_a_remembered_failure_reports_only_the_attempts_of_each_request(cxone_tenant, sleeps):
    path = "/api" + PATH
    cxone_tenant.queue("/auth/token", cxone_tenant.token_answer("tok-1"), cxone_tenant.token_answer("tok-2"))
    cxone_tenant.queue(path, cxone_tenant.answer(401, {}), cxone_tenant.answer(401, {}),  # both tokens rejected
                       cxone_tenant.answer(drop=True))  # then a lost answer before the last 401
    cxone_tenant.default(path, cxone_tenant.answer(401, {}))
    settings = validate_settings(cxone_tenant.settings(retries=1))
    transport = Transport.for_settings(settings, sleep=sleeps.append)
    client = ApiClient(Authenticator(settings, transport), transport, cxone_tenant.url + "/api")
    assert client.request("POST", PATH, "stop recording").status == 401
    counted = []
    for _request in range(3):
        with pytest.raises(AuthError, match="rejected a newly issued access token") as caught:
            client.request("POST", PATH, "stop recording")
        counted.append((caught.value.attempts, caught.value.unanswered_attempts))
    # The second request was sent twice (the first attempt got no answer); the later ones not at all.
    assert len(cxone_tenant.to(path)) == 4
    assert counted == [(2, 1), (0, 0), (0, 0)]
