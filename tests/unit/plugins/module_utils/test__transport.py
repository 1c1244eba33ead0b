# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import email.utils
import socket

import pytest

from ansible_collections.cxone.recording.plugins.module_utils._errors import TransportError
from ansible_collections.cxone.recording.plugins.module_utils._settings import validate_settings
from ansible_collections.cxone.recording.plugins.module_utils._transport import (
    BACKOFF_CAP,
    RETRY_AFTER_CAP,
    Transport,
    backoff_delay,
    retry_after_seconds,
)

PATH = "/op"


def transport_for(sleeps, retries=5, timeout=5, jitter=1.0, **kwargs):
    settings = validate_settings(dict({"access_token": "t", "retries": retries, "timeout": timeout}, **kwargs))
    return Transport.for_settings(settings, sleep=sleeps.append, rand=lambda: jitter)


@pytest.mark.parametrize("status", [425, 429, 500, 502, 503, 504])
def test_retryable_statuses_are_retried_until_success(server, sleeps, status):
    server.queue(PATH, server.answer(status, {"description": "busy"}), server.answer(200, {"description": "done"}))
    reply = transport_for(sleeps).request("POST", server.url + PATH, "op")
    assert reply.status == 200 and reply.attempts == 2 and reply.unanswered_attempts == 0
    assert reply.message == "done"
    assert len(sleeps) == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409])
def test_final_statuses_are_not_retried(server, sleeps, status):
    server.queue(PATH, server.answer(status, {"description": "no"}))
    reply = transport_for(sleeps).request("POST", server.url + PATH, "op")
    assert reply.status == status and reply.attempts == 1 and not sleeps


def test_retries_are_bounded_and_the_last_answer_returned(server, sleeps):
    server.default(PATH, server.answer(503, text="Service Unavailable", content_type="text/plain"))
    reply = transport_for(sleeps, retries=3).request("POST", server.url + PATH, "op")
    assert reply.status == 503 and reply.attempts == 4
    assert reply.message == "Service Unavailable"
    assert len(server.to(PATH)) == 4


def test_zero_retries_sends_once(server, sleeps):
    server.default(PATH, server.answer(500, {"description": "boom"}))
    reply = transport_for(sleeps, retries=0).request("POST", server.url + PATH, "op")
    assert reply.attempts == 1 and len(server.to(PATH)) == 1


@pytest.mark.parametrize("jitter, expected", [(0.0, 7.0), (1.0, 8.4)])
def test_retry_after_seconds_is_honoured_plus_up_to_a_fifth(server, sleeps, jitter, expected):
    server.queue(PATH, server.answer(429, {"message": "Too Many Requests"}, headers={"Retry-After": "7"}),
                 server.answer(200, {}))
    transport_for(sleeps, jitter=jitter).request("POST", server.url + PATH, "op")
    assert sleeps == [pytest.approx(expected)]


def test_retry_after_is_capped(server, sleeps):
    server.queue(PATH, server.answer(429, {}, headers={"Retry-After": "86400"}), server.answer(200, {}))
    transport_for(sleeps, jitter=0.0).request("POST", server.url + PATH, "op")
    assert sleeps == [RETRY_AFTER_CAP]


def test_retry_after_as_http_date():
    now = 1_800_000_000.0
    header = email.utils.formatdate(now + 12, usegmt=True)
    assert retry_after_seconds(header, now=now) == pytest.approx(12, abs=1)
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


def test_backoff_grows_exponentially_with_jitter_and_a_cap():
    assert backoff_delay(1, rand=lambda: 1.0) == 0.5
    assert backoff_delay(3, rand=lambda: 1.0) == 2.0
    assert backoff_delay(3, rand=lambda: 0.0) == 1.0
    assert backoff_delay(30, rand=lambda: 1.0) == BACKOFF_CAP


def test_html_gateway_page_is_summarised_by_its_title(server, sleeps):
    page = "<html><head><title>502 Bad Gateway</title></head><body>" + "x" * 5000 + "</body></html>"
    server.default(PATH, server.answer(502, text=page, content_type="text/html"))
    reply = transport_for(sleeps, retries=0).request("POST", server.url + PATH, "op")
    assert reply.message == "HTML page: 502 Bad Gateway"


def test_dropped_connection_is_retried_and_counted_as_unanswered(server, sleeps):
    server.queue(PATH, server.answer(drop=True), server.answer(200, {"description": "ok"}))
    reply = transport_for(sleeps).request("POST", server.url + PATH, "op")
    assert reply.status == 200 and reply.attempts == 2 and reply.unanswered_attempts == 1


def test_refused_connection_fails_after_retries_with_a_clear_message(sleeps):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(TransportError) as caught:
        transport_for(sleeps, retries=2).request("POST", "http://127.0.0.1:%d/op?userId=x" % port, "stop recording")
    error = caught.value
    assert error.msg.startswith("stop recording: no answer from http://127.0.0.1:%d after 3 attempt(s)" % port)
    assert "userId" not in error.msg
    assert error.attempts == 3 and error.unanswered_attempts == 0


def test_parameters_and_form_are_url_encoded(server, sleeps):
    server.default(PATH, server.answer(200, {}))
    odd = "a&b=c d+é/?#"
    transport_for(sleeps).request("POST", server.url + PATH, "op", params={"userId": odd}, data={"password": odd})
    sent = server.to(PATH)[0]
    assert sent["query"]["userId"] == [odd]
    assert sent["form"]["password"] == [odd]
