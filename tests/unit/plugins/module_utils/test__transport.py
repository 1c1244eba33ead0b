# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import email.utils
import itertools
import os
import socket
import ssl
import struct
import threading

import pytest
from cxone_sandbox.tls import generate_certificate

from ansible_collections.cxone.recording.plugins.module_utils._errors import TransportError
from ansible_collections.cxone.recording.plugins.module_utils._pacing import AdaptiveLimit
from ansible_collections.cxone.recording.plugins.module_utils._settings import validate_settings
from ansible_collections.cxone.recording.plugins.module_utils._transport import (
    BACKOFF_CAP,
    RETRY_AFTER_CAP,
    Transport,
    backoff_delay,
    retry_after_seconds,
    worst_case_seconds,
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


@pytest.mark.parametrize("header", ["7200", "99999999999999999999", email.utils.formatdate(4_102_444_800, usegmt=True)])
def test_retry_after_is_capped_where_it_is_read(header):
    assert retry_after_seconds(header) == RETRY_AFTER_CAP


def test_a_huge_retry_after_pauses_an_adaptive_batch_for_the_cap_at_most(server, sleeps):
    server.queue(PATH, server.answer(429, {}, headers={"Retry-After": "7200"}), server.answer(200, {}))
    now = [0.0]
    pauses = []

    def sleep(seconds):
        # The batch's pause as the paced transport meets it, before its time passes.
        pauses.append(pacing._wait_time())  # pylint: disable=protected-access
        sleeps.append(seconds)
        now[0] += seconds

    pacing = AdaptiveLimit(8, clock=lambda: now[0])
    transport = Transport.for_settings(validate_settings({"issuer": server.url, "access_token": "t", "retries": 1}),
                                       sleep=sleep, pacing=pacing)
    assert transport.request("POST", server.url + PATH, "op").status == 200
    assert pauses == [RETRY_AFTER_CAP] and sleeps == [RETRY_AFTER_CAP]


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
    assert error.msg.startswith("stop recording: no answer from http://127.0.0.1:%d after 3 attempts" % port)
    assert "userId" not in error.msg
    assert error.attempts == 3 and error.unanswered_attempts == 0


def test_parameters_and_form_are_url_encoded(server, sleeps):
    server.default(PATH, server.answer(200, {}))
    odd = "a&b=c d+é/?#"
    transport_for(sleeps).request("POST", server.url + PATH, "op", params={"userId": odd}, data={"password": odd})
    sent = server.to(PATH)[0]
    assert sent["query"]["userId"] == [odd]
    assert sent["form"]["password"] == [odd]


# -- odd answers ---------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["²", "٣", "1²", "+5", "-1", "1.5", "Fri, 99 Foo 99999 99:99:99 GMT", "Mon, 01 Jan 10000 00:00:00 GMT"])
def test_a_retry_after_that_is_no_delay_or_date_is_ignored(value):
    assert retry_after_seconds(value) is None


def test_an_odd_retry_after_gives_a_plain_backoff(server, sleeps):
    server.queue(PATH, server.answer(503, {}, headers={"Retry-After": "²"}), server.answer(200, {}))
    reply = transport_for(sleeps).request("POST", server.url + PATH, "op")
    assert reply.status == 200 and sleeps == [0.5]


def test_a_deeply_nested_json_body_is_an_answer_that_is_not_json(server, sleeps):
    nested = "[" * 100000 + "]" * 100000
    server.queue(PATH, server.answer(500, text=nested))
    reply = transport_for(sleeps, retries=0).request("POST", server.url + PATH, "op")
    assert reply.status == 500 and reply.body is None and not reply.body_is_json
    assert reply.message.startswith("[[[[") and len(reply.message) == 200


@pytest.mark.parametrize("text, content_type, is_json", [
    ('{"contactId": "1"}', "application/json", True),
    ("null", "application/json", True),
    ("", "application/json", False),
    ("<html><head><title>Proxy login</title></head></html>", "text/html", False),
])
def test_a_reply_says_whether_its_body_is_json(server, sleeps, text, content_type, is_json):
    server.queue(PATH, server.answer(200, text=text, content_type=content_type))
    reply = transport_for(sleeps).request("POST", server.url + PATH, "op")
    assert reply.ok and reply.body_is_json is is_json


def test_a_body_with_a_broken_gzip_encoding_is_retried_as_a_lost_answer(server, sleeps):
    server.queue(PATH, server.answer(200, text="not gzip at all", headers={"Content-Encoding": "gzip"}),
                 server.answer(200, {"description": "ok"}))
    reply = transport_for(sleeps).request("POST", server.url + PATH, "op")
    assert reply.status == 200 and reply.attempts == 2 and reply.unanswered_attempts == 1


def test_an_answer_longer_than_the_limit_is_not_read_and_fails_without_retry(server, sleeps):
    server.queue(PATH, server.answer(200, text="x" * 5000), server.answer(200, {"description": "ok"}))
    transport = Transport.for_settings(validate_settings({"access_token": "t"}), sleep=sleeps.append,
                                       max_answer_bytes=1000)
    with pytest.raises(TransportError) as raised:
        transport.request("POST", server.url + PATH, "op")
    assert "op: the answer of %s (HTTP 200) is longer than 1000 bytes and was not read" % server.url in str(raised.value)
    assert raised.value.attempts == 1 and sleeps == []
    # The transport goes on with the next request.
    assert transport.request("POST", server.url + PATH, "op").body == {"description": "ok"}


def test_an_answer_of_exactly_the_limit_is_read(server, sleeps):
    text = '{"description": "%s"}' % ("y" * 100)
    server.queue(PATH, server.answer(200, text=text))
    transport = Transport.for_settings(validate_settings({"access_token": "t"}), sleep=sleeps.append,
                                       max_answer_bytes=len(text))
    assert transport.request("POST", server.url + PATH, "op").body == {"description": "y" * 100}


def test_a_body_in_an_unknown_charset_is_read_as_utf8(server, sleeps):
    server.queue(PATH, server.answer(200, text='{"description": "enregistrement arr\u00eat\u00e9"}',
                                     content_type="application/json; charset=x-unknown"))
    reply = transport_for(sleeps).request("POST", server.url + PATH, "op")
    assert reply.body == {"description": "enregistrement arr\u00eat\u00e9"}


# -- Retry-After spread, time budget -------------------------------------------------------

def test_workers_told_the_same_retry_after_come_back_spread_out():
    delays = [backoff_delay(1, 1.0, rand=lambda share=share: share) for share in (0.0, 0.25, 0.5, 1.0)]
    assert delays == [1.0, 1.25, 1.5, 2.0]
    assert backoff_delay(1, 30.0, rand=lambda: 1.0) == 36.0
    assert backoff_delay(1, 0.0, rand=lambda: 1.0) == 0.0


class FakeClock:
    """A monotonic clock that moves only when the transport sleeps."""

    def __init__(self):
        self.now = 500.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_a_time_budget_stops_retries_whose_wait_would_end_after_it(server):
    clock = FakeClock()
    server.default(PATH, server.answer(503, {}, headers={"Retry-After": "20"}))
    settings = validate_settings({"access_token": "t", "retries": 10})
    transport = Transport.for_settings(settings, sleep=clock.sleep, clock=clock, rand=lambda: 0.0)
    reply = transport.request("POST", server.url + PATH, "op", budget=45)
    assert reply.status == 503 and reply.attempts == 3 and clock.sleeps == [20.0, 20.0]
    assert worst_case_seconds(30, 10, budget=45) == 45


def test_a_time_budget_ends_the_retries_of_a_request_without_answer(sleeps):
    clock = FakeClock()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = validate_settings({"access_token": "t", "retries": 20})
    transport = Transport.for_settings(settings, sleep=clock.sleep, clock=clock, rand=lambda: 1.0)
    with pytest.raises(TransportError) as caught:
        transport.request("POST", "http://127.0.0.1:%d/op" % port, "login", budget=10)
    assert "after 5 attempts (stopped at its time limit of 10 s): Connection refused" in caught.value.msg
    assert sum(clock.sleeps) <= 10


# -- netrc and proxies ---------------------------------------------------------------------

@pytest.fixture
def netrc_home(tmp_path, monkeypatch):
    """A HOME whose .netrc has credentials for the test servers, as a developer's might."""
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine 127.0.0.1 login netrc-user password netrc-password\n"
                     "machine cxone.invalid login netrc-user password netrc-password\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("NETRC", raising=False)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize("authorization", ["Bearer given-token", "Basic YXBwOnNlY3JldA=="])
def test_a_netrc_never_replaces_the_collections_authorization(server, sleeps, netrc_home, authorization):
    server.default(PATH, server.answer(200, {}))
    transport_for(sleeps).request("POST", server.url + PATH, "op", headers={"Authorization": authorization})
    assert server.to(PATH)[0]["headers"]["Authorization"] == authorization


def test_a_netrc_adds_nothing_to_a_request_without_authorization(server, sleeps, netrc_home):
    server.default(PATH, server.answer(200, {}))
    transport_for(sleeps).request("GET", server.url + PATH, "discovery")
    assert "Authorization" not in server.to(PATH)[0]["headers"]


def test_proxies_from_the_environment_are_still_used(server, sleeps, netrc_home):
    # The scripted server plays an HTTP proxy: it receives the absolute URL.
    netrc_home.setenv("HTTP_PROXY", server.url)
    server.default(PATH, server.answer(200, {"description": "through the proxy"}))
    reply = transport_for(sleeps, allow_plain_http=True).request(
        "POST", "http://cxone.invalid" + PATH, "op", headers={"Authorization": "Bearer given-token"})
    assert reply.message == "through the proxy"
    sent = server.to(PATH)[0]
    assert sent["headers"]["Host"] == "cxone.invalid" and sent["headers"]["Authorization"] == "Bearer given-token"


def test_no_proxy_from_the_environment_is_honoured(server, sleeps, netrc_home):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_proxy = "http://127.0.0.1:%d" % probe.getsockname()[1]
    netrc_home.setenv("HTTP_PROXY", dead_proxy)
    netrc_home.setenv("NO_PROXY", "127.0.0.1")
    server.default(PATH, server.answer(200, {}))
    assert transport_for(sleeps, retries=0).request("POST", server.url + PATH, "op").status == 200


# -- TLS -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    return generate_certificate(str(tmp_path_factory.mktemp("tls")))


class RawServer:
    """A TCP server whose every connection is handled by ``handle(connection)``: TLS misbehaviour."""

    def __init__(self, handle):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.url = "https://127.0.0.1:%d" % self.listener.getsockname()[1]
        self.connections = 0
        self._handle = handle
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                connection, _address = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            try:
                self._handle(connection)
            except (OSError, ssl.SSLError):
                pass
            finally:
                connection.close()

    def close(self):
        self.listener.close()


@pytest.fixture
def raw_server():
    servers = []

    def start(handle):
        servers.append(RawServer(handle))
        return servers[-1]

    yield start
    for started in servers:
        started.close()


def tls_transport(sleeps, verify, retries=2):
    return Transport(5, retries, verify, sleep=sleeps.append, rand=lambda: 1.0)


def test_a_certificate_that_fails_verification_is_named_and_not_retried(sleeps, raw_server, certificate):
    cert_file, key_file = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    tls = raw_server(lambda connection: context.wrap_socket(connection, server_side=True).recv(1024))
    with pytest.raises(TransportError) as caught:
        tls_transport(sleeps, True).request("POST", tls.url + PATH, "login")
    assert caught.value.msg == ("login: TLS certificate verification failed for %s (self-signed certificate); set "
                                "ca_path to the CA bundle that signs it, or validate_certs: false for a test system"
                                % tls.url)
    assert caught.value.attempts == 1 and not sleeps and tls.connections == 1


def close_during_handshake(connection):
    connection.recv(65536)  # the whole client hello: the close is then an orderly one
    connection.shutdown(socket.SHUT_RDWR)


def reset_during_handshake(connection):
    connection.recv(16)
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


@pytest.mark.parametrize("handle, reason", [
    (close_during_handshake, "TLS handshake failed: EOF occurred in violation of protocol"),
    (reset_during_handshake, "TLS handshake failed: Connection reset by peer"),
    (lambda connection: connection.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n"),
     "TLS handshake failed: wrong version number (is it a plain http:// server?)"),
])
def test_a_tls_handshake_cut_short_is_retried_and_not_called_a_certificate_problem(sleeps, raw_server, handle, reason):
    tls = raw_server(handle)
    with pytest.raises(TransportError) as caught:
        tls_transport(sleeps, True).request("POST", tls.url + PATH, "login")
    error = caught.value
    assert error.msg.startswith("login: no answer from %s after 3 attempts: %s" % (tls.url, reason))
    assert "certificate" not in error.msg and "validate_certs" not in error.msg
    assert "(" + "'" not in error.msg and "Error(" not in error.msg and "0x" not in error.msg
    assert error.attempts == 3 and error.unanswered_attempts == 0 and len(sleeps) == 2


def test_a_tls_failure_after_the_request_was_sent_counts_as_unanswered(sleeps, raw_server, certificate):
    cert_file, key_file = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)

    def garbage_after_the_request(connection):
        secure = context.wrap_socket(connection, server_side=True)
        secure.recv(4096)
        # A record that no key decrypts, written past TLS: the client fails reading the answer.
        os.write(secure.fileno(), b"\x17\x03\x03\x00\x20" + b"x" * 32)
        secure.close()

    tls = raw_server(garbage_after_the_request)
    with pytest.raises(TransportError) as caught:
        tls_transport(sleeps, cert_file, retries=1).request("POST", tls.url + PATH, "stop recording")
    error = caught.value
    assert error.msg == ("stop recording: no answer from %s after 2 attempts: TLS error: decryption failed or "
                         "bad record mac" % tls.url)
    assert error.attempts == 2 and error.unanswered_attempts == 2


def test_https_proxy_from_the_environment_is_used_for_https(sleeps, raw_server, netrc_home):
    tunnels = []

    def refuse_tunnel(connection):
        tunnels.append(connection.recv(4096).split(b"\r\n", 1)[0])
        connection.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")

    proxy = raw_server(refuse_tunnel)
    netrc_home.setenv("HTTPS_PROXY", proxy.url.replace("https://", "http://"))
    with pytest.raises(TransportError) as caught:
        tls_transport(sleeps, True, retries=0).request("POST", "https://cxone.invalid" + PATH, "op")
    assert [line.rsplit(b" ", 1)[0] for line in tunnels] == [b"CONNECT cxone.invalid:443"]
    assert caught.value.msg == ("op: no answer from https://cxone.invalid after 1 attempt: Tunnel connection "
                                "failed: 502 Bad Gateway")


def test_attempts_pass_through_the_pacing_and_a_429_lowers_it(server, sleeps):
    server.queue("/op", server.answer(429, {"message": "Too Many Requests"}, headers={"Retry-After": "0"}),
                 server.answer(200, {}))
    pacing = AdaptiveLimit(8)
    transport = Transport(5, 2, True, sleep=sleeps.append, pacing=pacing)
    reply = transport.request("POST", server.url + "/op", "stop recording")
    assert reply.status == 200 and reply.attempts == 2
    assert pacing.lowest == 4.0 and pacing.in_flight == 0


@pytest.mark.parametrize("paced, expected_wait", [(True, 2.0), (False, 3.0)])
def test_with_pacing_a_retry_after_is_waited_exactly_as_the_batch_pause_spreads_the_return(
        server, sleeps, paced, expected_wait):
    server.queue("/op", server.answer(429, {"message": "Too Many Requests"}, headers={"Retry-After": "2"}),
                 server.answer(200, {}))
    ticks = itertools.count()
    # Each reading of this clock is ten seconds on: the batch's pause is over by the next attempt.
    pacing = AdaptiveLimit(8, clock=lambda: next(ticks) * 10.0) if paced else None
    transport = Transport(5, 2, True, sleep=sleeps.append, rand=lambda: 1.0, pacing=pacing)
    assert transport.request("POST", server.url + "/op", "stop recording").status == 200
    assert sleeps == [expected_wait]


def test_an_attempt_without_answer_frees_its_place(server, sleeps):
    server.default("/op", server.answer(drop=True))
    pacing = AdaptiveLimit(2)
    transport = Transport(5, 1, True, sleep=sleeps.append, pacing=pacing)
    with pytest.raises(TransportError):
        transport.request("POST", server.url + "/op", "stop recording")
    assert pacing.in_flight == 0 and pacing.limit == 2.0
