# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The sandbox plays the IVR: ``POST /_sandbox/calls/<id>/consent`` posts the caller's answer as Studio would.

A small listener on this machine stands in for the consent_events source: it records every
request it receives and answers as told.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sandbox_helpers import make_tenant
from cxone_sandbox import SandboxClient, SandboxError, SandboxServer

TOKEN = "ivr-token-Zq8=&+"
HMAC_SECRET = "ivr-hmac-secret-%4x"


class Listener:
    """A listener on 127.0.0.1: ``received`` holds (path, headers, raw body) of each POST.

    It answers ``status`` and ``body``; ``while_answering(request number)`` runs before it does,
    in the request's own thread, and whatever it raises is kept in ``problems``.
    """

    def __init__(self, status=202, body='{"status": "queued"}'):
        self.status = status
        self.body = body
        self.while_answering = None
        self.received = []
        self.problems = []
        self._lock = threading.Lock()
        listener = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # pylint: disable=invalid-name
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with listener._lock:
                    listener.received.append((self.path, dict(self.headers), raw, time.time()))
                    number = len(listener.received)
                if listener.while_answering is not None:
                    try:
                        listener.while_answering(number)
                    except Exception as problem:  # pylint: disable=broad-except  # reported by the test
                        listener.problems.append(problem)
                data = listener.body.encode("utf-8")
                self.send_response(listener.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = "http://127.0.0.1:%d/consent" % self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()

    def stop(self):
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture(name="listener")
def fixture_listener():
    running = Listener()
    yield running
    running.stop()


@pytest.fixture(name="call")
def fixture_call(control):
    """One tenant with agents a1..a3; a1 on a call; its contact id."""
    control.add_tenant(make_tenant(agents=["a1", "a2", "a3"], calls=["a1"]))
    return control.agent_state("a1")["contact_id"]


def _contact(control, contact_id):
    return next(item for item in control.state()["tenants"][0]["contacts"] if item["contact_id"] == contact_id)


def _signature(body, secret=HMAC_SECRET):
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def test_a_refusal_is_posted_as_studio_would_and_kept_on_the_contact(control, listener, call):
    assert _contact(control, call)["consent"] is None and _contact(control, call)["consent_posted_at"] is None

    answer = control.refuse_consent(call, listener.url, token=TOKEN, hmac_secret=HMAC_SECRET)

    [(path, headers, raw, received_at)] = listener.received
    assert path == "/consent"
    assert json.loads(raw) == {"userId": "a1", "contactId": call, "consent": "refused"}
    assert headers["Content-Type"] == "application/json"
    assert headers["Authorization"] == "Bearer " + TOKEN
    assert headers["X-CXone-Signature"] == _signature(raw)
    assert answer == {"contact_id": call, "user_id": "a1", "consent": "refused", "posted_at": answer["posted_at"],
                      "listener_status": 202, "listener_body": '{"status": "queued"}', "listener_error": None}
    assert answer["posted_at"] <= received_at
    refused = _contact(control, call)
    assert (refused["consent"], refused["consent_posted_at"]) == ("refused", answer["posted_at"])
    # The IVR only tells: recording is the rulebook's business.
    assert refused["do_not_record"] is False


@pytest.mark.parametrize("token, secret, header", [
    (TOKEN, None, None),
    (None, HMAC_SECRET, None),
    (None, HMAC_SECRET, "X-Studio-Signature"),
    (None, None, None),          # a misconfigured action: the listener answers 401
])
def test_the_bearer_token_and_the_signature_are_each_sent_only_when_given(control, listener, call, token, secret, header):
    control.refuse_consent(call, listener.url, token=token, hmac_secret=secret, signature_header=header)

    [(_path, headers, raw, _received_at)] = listener.received
    assert headers.get("Authorization") == (None if token is None else "Bearer " + token)
    signature_headers = {name for name in headers if name.lower() in ("x-cxone-signature", "x-studio-signature")}
    if secret is None:
        assert signature_headers == set()
    else:
        assert signature_headers == {header or "X-CXone-Signature"}
        assert headers[header or "X-CXone-Signature"] == _signature(raw)
        assert headers[header or "X-CXone-Signature"] != _signature(raw, "another secret")


def test_a_given_consent_is_posted_and_kept_too(control, listener, call):
    listener.status, listener.body = 400, '{"error": "consent must be \'refused\'"}'

    answer = control.refuse_consent(call, listener.url, token=TOKEN, consent="given")

    assert json.loads(listener.received[0][2])["consent"] == "given"
    assert (answer["listener_status"], answer["listener_body"]) == (400, listener.body)
    assert _contact(control, call)["consent"] == "given"


def test_the_agent_posted_is_the_one_the_contact_is_with_now(control, listener, call):
    control.transfer(call, "a2")
    control.conference(call, "a3")

    assert control.refuse_consent(call, listener.url, token=TOKEN)["user_id"] == "a2"
    assert json.loads(listener.received[0][2])["userId"] == "a2"


def test_the_listener_answer_is_reported_whatever_it_is_and_cut_to_1000_characters(control, listener, call):
    listener.status, listener.body = 401, "x" * 5000

    answer = control.refuse_consent(call, listener.url, token="wrong")

    assert answer["listener_status"] == 401 and answer["listener_body"] == "x" * 1000 and answer["listener_error"] is None


def _closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_listener_is_reported_not_raised(control, call):
    answer = control.refuse_consent(call, "http://127.0.0.1:%d/consent" % _closed_port(), token=TOKEN)

    assert answer["listener_status"] is None and answer["listener_body"] == ""
    assert "unreachable" in answer["listener_error"] and "Traceback" not in answer["listener_error"]
    assert TOKEN not in json.dumps(answer)
    # The caller did refuse: what the IVR heard stays on the contact.
    assert _contact(control, call)["consent"] == "refused"


def test_a_listener_that_hangs_up_without_an_answer_is_reported(control, call):
    with socket.socket() as rude:
        rude.bind(("127.0.0.1", 0))
        rude.listen(1)

        def hang_up():
            connection, _address = rude.accept()
            connection.recv(65536)
            connection.close()
        thread = threading.Thread(target=hang_up, daemon=True)
        thread.start()
        answer = control.refuse_consent(call, "http://127.0.0.1:%d/consent" % rude.getsockname()[1], token=TOKEN)
        thread.join(5)

    assert answer["listener_status"] is None and answer["listener_error"].startswith("no answer from the listener")


def test_the_sandbox_answers_its_api_while_the_post_is_in_flight(server, control, listener, call):
    """The listener's rulebook reads the sandbox while the IVR's post waits for its answer: no lock may be held."""
    seen = []
    reader = SandboxClient(server.url, timeout=3)
    listener.while_answering = lambda _number: seen.append(_contact(reader, call)["consent"])

    answer = control.refuse_consent(call, listener.url, token=TOKEN)

    assert listener.problems == [] and seen == ["refused"]
    assert answer["listener_status"] == 202


def test_control_calls_post_concurrently(server, control, listener):
    """Two IVR posts in flight at once: each listener request waits for the other to arrive."""
    control.add_tenant(make_tenant(agents=["a1", "a2"], calls=["a1", "a2"]))
    contacts = [control.agent_state(user)["contact_id"] for user in ("a1", "a2")]
    both_arrived = threading.Barrier(2, timeout=5)
    listener.while_answering = lambda _number: both_arrived.wait()
    answers = {}

    def refuse(contact_id):
        answers[contact_id] = server.client().refuse_consent(contact_id, listener.url, token=TOKEN)
    threads = [threading.Thread(target=refuse, args=(contact_id,)) for contact_id in contacts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert listener.problems == []
    assert sorted(json.loads(raw)["userId"] for _path, _headers, raw, _at in listener.received) == ["a1", "a2"]
    assert {contact_id: answer["listener_status"] for contact_id, answer in answers.items()} == dict.fromkeys(contacts, 202)


def test_neither_secret_is_logged_stored_or_answered(listener):
    log = io.StringIO()
    with SandboxServer(log_stream=log) as running:
        control = running.client()
        control.reset({"tenants": [make_tenant(agents=["a1"], calls=["a1"])]})
        contact_id = control.agent_state("a1")["contact_id"]
        answer = control.refuse_consent(contact_id, listener.url, token=TOKEN, hmac_secret=HMAC_SECRET)
        views = json.dumps([answer, control.state(), control.requests(), control.stats()])
    assert "/_sandbox/calls/%s/consent" % contact_id in log.getvalue()
    for secret in (TOKEN, HMAC_SECRET):
        assert secret not in log.getvalue() and secret not in views


@pytest.mark.parametrize("contact_id, fields, status, reason", [
    ("999", {}, 404, "unknown contact 999"),
    (None, {"tenant_id": "nowhere"}, 404, "unknown tenant nowhere"),
    (None, {"listener_url": None}, 400, "missing field(s) listener_url"),
    (None, {"colour": "blue"}, 400, "unknown field(s) colour"),
    (None, {"consent": "maybe"}, 400, "consent must be one of refused, given"),
    (None, {"listener_url": "127.0.0.1:5000/consent"}, 400, "listener_url must be an absolute"),
    (None, {"listener_url": "ftp://127.0.0.1/consent"}, 400, "listener_url must be an absolute"),
    (None, {"listener_url": "http:///consent"}, 400, "listener_url must be an absolute"),
    (None, {"listener_url": "http://127.0.0.1:99999/consent"}, 400, "listener_url is not a URL"),
    (None, {"listener_url": ["http://127.0.0.1/consent"]}, 400, "listener_url must be a non-empty string"),
    (None, {"token": ""}, 400, "token must be a non-empty string"),
    (None, {"hmac_secret": 42}, 400, "hmac_secret must be a non-empty string"),
    (None, {"signature_header": "X Signature"}, 400, "signature_header must be an HTTP header name"),
])
def test_bad_calls_are_refused_before_anything_is_posted(control, listener, call, contact_id, fields, status, reason):
    body = {"listener_url": listener.url, "token": TOKEN}
    body.update(fields)
    body = {name: value for name, value in body.items() if value is not None}
    with pytest.raises(SandboxError) as refused:
        control.call("POST", "/calls/%s/consent" % (contact_id or call), body)

    assert refused.value.status == status
    assert refused.value.body["error"].startswith(reason)
    assert listener.received == []
    assert _contact(control, call)["consent"] is None


def test_an_ended_call_has_no_ivr_to_speak(control, listener, call):
    control.end_call(call)

    with pytest.raises(SandboxError) as refused:
        control.refuse_consent(call, listener.url, token=TOKEN)

    assert refused.value.status == 409 and "has ended" in refused.value.body["error"]
    assert listener.received == [] and _contact(control, call)["consent"] is None


def test_a_contact_of_another_tenant_is_unknown_there(control, listener, call):
    control.add_tenant(make_tenant(tenant_id="tenant-b", area="eu1", agents=["b1"]))

    with pytest.raises(SandboxError) as refused:
        control.refuse_consent(call, listener.url, token=TOKEN, tenant_id="tenant-b")
    answer = control.refuse_consent(call, listener.url, token=TOKEN, tenant_id="tenant-a")

    assert refused.value.status == 404
    assert answer["listener_status"] == 202 and len(listener.received) == 1
