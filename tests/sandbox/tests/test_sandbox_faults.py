# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Injected faults and latency: what gateways and networks do to the real service."""

from __future__ import annotations

import random
import threading
import time

import pytest
import requests

from sandbox_helpers import CLIENT_ID, CLIENT_SECRET, KEY_ID, KEY_SECRET, CXone


def _recording(control, user_id):
    return control.agent_state(user_id)["recording"]


def _until(condition, timeout=5.0):
    """Poll ``condition`` until it holds (a request sent from another thread gets there a little later)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.02)


def _in_background(cxone, send):
    """Run ``send(client)`` in a thread of its own, with a connection pool of its own; join() returns its answer."""
    client = CXone(cxone.base, cxone.api)
    answer = {}
    thread = threading.Thread(target=lambda: answer.update(value=send(client)))
    thread.start()

    def join():
        thread.join(timeout=30)
        client.session.close()
        assert "value" in answer, "the request in the background failed"
        return answer["value"]
    return join


def test_status_fault_with_retry_after_is_not_applied(control, cxone, token):
    rule = control.add_fault("status", status=429, count=1, retry_after="1")
    first = cxone.operation("start", "a1", token)
    assert first.status_code == 429
    assert first.headers["Retry-After"] == "1"
    assert first.headers["Content-Type"] == "application/json"
    assert first.json() == {"message": "Too Many Requests"}
    assert _recording(control, "a1") == "off"
    assert cxone.operation("start", "a1", token).status_code == 200
    assert _recording(control, "a1") == "voice"
    assert control.faults() == [dict(rule, fired=1, count_left=0)]
    assert control.stats()["faults_fired"] == 1


@pytest.mark.parametrize("status, content_type, snippet", [
    (502, "text/html", "<html><head><title>502 Bad Gateway</title>"),
    (503, "text/plain", "Service Unavailable"),
    (500, "application/json", '"httpStatus": "INTERNAL_SERVER_ERROR"'),
    (504, "application/json", '"description": "Request timed out"'),
    (425, "application/json", '"httpStatus": "TOO_EARLY"'),
])
def test_default_fault_bodies(control, cxone, token, status, content_type, snippet):
    control.add_fault("status", status=status, count=1)
    answer = cxone.operation("stop", "a1", token)
    assert answer.status_code == status
    assert answer.headers["Content-Type"] == content_type
    assert answer.text.startswith(snippet) if content_type == "text/html" else snippet in answer.text
    assert "Retry-After" not in answer.headers


def test_custom_fault_body(control, cxone, token):
    control.add_fault("status", status=503, body="<h1>maintenance</h1>", content_type="text/html", count=1)
    answer = cxone.operation("start", "a1", token)
    assert (answer.status_code, answer.headers["Content-Type"], answer.text) == (503, "text/html", "<h1>maintenance</h1>")


@pytest.mark.usefixtures("token")
def test_faults_come_before_authentication(control, cxone):
    control.add_fault("status", status=500, count=1)
    assert cxone.operation("start", "a1", None).status_code == 500
    assert cxone.operation("start", "a1", None).status_code == 401


def test_drop_closes_the_connection_without_effect(control, cxone, token):
    control.add_fault("drop", count=1)
    with pytest.raises(requests.ConnectionError):
        cxone.operation("start", "a1", token)
    assert _recording(control, "a1") == "off"
    assert cxone.operation("start", "a1", token).status_code == 200
    entry = [e for e in control.requests()["requests"] if e["operation"] == "start"][0]
    assert entry["status"] is None and entry["fault"] == "drop"


def test_drop_after_effect_applies_the_operation(control, cxone, token):
    control.add_fault("drop", count=1, after_effect=True)
    with pytest.raises(requests.ConnectionError):
        cxone.operation("start", "a1", token, "voiceAndScreen")
    assert _recording(control, "a1") == "voiceAndScreen"


def test_slow_answers_after_the_effect(control, cxone, token):
    control.add_fault("slow", delay_ms=600, count=1, operation="start")
    with pytest.raises(requests.Timeout):
        cxone.operation("start", "a1", token, timeout=0.2)
    assert _recording(control, "a1") == "voice"       # the effect happened although the client gave up
    # The effect first, the answer last: while a1's slow stop holds its answer, its effect shows and a
    # request sent later (a2's stop) is answered first; then a1's stop answers normally.
    control.add_fault("slow", delay_ms=1000, count=1, operation="stop", user_id="a1")
    slow_stop = _in_background(cxone, lambda client: client.operation("stop", "a1", token))
    _until(lambda: _recording(control, "a1") == "off")
    assert cxone.operation("stop", "a2", token).status_code == 200
    answer = slow_stop()
    assert (answer.status_code, answer.json()["description"]) == (200, "Recording stopped")
    logged = control.requests()["requests"]
    assert [(e["user_id"], e["status"], e["fault"]) for e in logged if e["operation"] == "stop"] == [
        ("a2", 200, None), ("a1", 200, "slow")], "the slow stop was answered last"
    assert [(e["status"], e["fault"]) for e in logged if e["operation"] == "start"] == [(200, "slow")], \
        "the sandbox answered the start the client had given up on"


def test_count_fires_exactly_n_times(control, cxone, token):
    control.add_fault("status", status=503, count=3)
    codes = [cxone.operation("stop", "a1", token).status_code for _attempt in range(6)]
    assert codes == [503, 503, 503, 200, 200, 200]


def test_rate_with_seed_is_reproducible(control, cxone, token):
    control.add_fault("status", status=500, rate=0.5, seed=7)
    codes = [cxone.operation("stop", "a1", token).status_code for _attempt in range(20)]
    draws = random.Random(7)
    assert codes == [500 if draws.random() < 0.5 else 200 for _attempt in range(20)]
    assert 0 < codes.count(500) < 20
    assert control.faults()[0]["fired"] == codes.count(500)
    control.clear_faults()
    assert control.faults() == []
    assert cxone.operation("stop", "a1", token).status_code == 200


def test_rate_extremes(control, cxone, token):
    control.add_fault("status", status=500, rate=0.0)
    assert all(cxone.operation("stop", "a1", token).status_code == 200 for _attempt in range(5))
    control.add_fault("status", status=502, rate=1.0)
    assert all(cxone.operation("stop", "a1", token).status_code == 502 for _attempt in range(5))


def test_rules_filter_by_operation_and_user(control, cxone, token):
    control.add_fault("status", status=500, operation="stop", user_id="a2")
    assert cxone.operation("stop", "a1", token).status_code == 200
    assert cxone.operation("start", "a2", token).status_code == 200
    assert cxone.operation("stop", "a2", token).status_code == 500


def test_next_call_plays_a_hang_up_racing_a_request(control, cxone, token):
    first = control.agent_state("a1")["contact_id"]
    control.add_fault("status", status=429, retry_after="4", operation="do_not_record", user_id="a1", count=1,
                      next_call={"contact_id": "900000000001", "recording_policy": "voice"})
    assert cxone.operation("do_not_record", "a1", token).status_code == 429
    state = control.state()["tenants"][0]
    contacts = {contact["contact_id"]: contact for contact in state["contacts"]}
    assert contacts[first]["ended"] is True and contacts[first]["do_not_record"] is False
    assert control.agent_state("a1")["contact_id"] == "900000000001"
    status = cxone.status("a1", token).json()
    assert (status["contactId"], status["recordingStatusToAgent"], status["statusReason"]) == (
        "900000000001", "Recording", "Policy")
    # A rule that lets the request through after the move: the request lands on the next call.
    control.add_fault("slow", delay_ms=0, operation="stop", user_id="a1", count=1, next_call={})
    answer = cxone.operation("stop", "a1", token).json()
    assert answer["contactId"] not in (first, "900000000001")
    assert control.agent_state("a1")["contact_id"] == answer["contactId"]


def test_token_and_discovery_faults(server, control, cxone, token):
    control.add_fault("status", status=503, applies_to="token", count=1)
    control.add_fault("drop", applies_to="discovery", count=1)
    form = {"grant_type": "password", "username": KEY_ID, "password": KEY_SECRET}
    assert cxone.token_request(form, client=(CLIENT_ID, CLIENT_SECRET)).status_code == 503
    assert cxone.token_request(form, client=(CLIENT_ID, CLIENT_SECRET)).status_code == 200
    assert cxone.operation("stop", "a1", token).status_code == 200      # operations are not affected
    with pytest.raises(requests.ConnectionError):
        cxone.session.get(server.url + "/.well-known/openid-configuration")
    assert cxone.session.get(server.url + "/.well-known/openid-configuration").status_code == 200
    assert control.stats()["token_requests"]["failed"] == 1


def test_bad_fault_rules_are_refused(control):
    from cxone_sandbox import SandboxError  # pylint: disable=import-outside-toplevel
    for rule in ({"kind": "explode"}, {"status": "x"}, {"rate": 2}, {"rate": 0.5, "count": 1}, {"applies_to": "ui"}, {"typo": 1},
                 {"next_call": []}, {"next_call": {"colour": "red"}}, {"next_call": {"recording_policy": "always"}},
                 {"applies_to": "token", "next_call": {}}):
        with pytest.raises(SandboxError) as error:
            control.call("POST", "/faults", rule)
        assert error.value.status == 400


def test_latency(control, cxone, token):
    """Latency holds a request after it arrived and before it is processed; by default only the operations'."""
    control.set_latency(800)
    delayed_start = _in_background(cxone, lambda client: client.operation("start", "a1", token))
    _until(lambda: control.stats()["operation_requests"]["start"] == 1)      # arrived (counted) ...
    assert _recording(control, "a1") == "off"                                 # ... and held before its effect
    cxone.login()                                                             # the token endpoint is not delayed
    assert delayed_start().status_code == 200 and _recording(control, "a1") == "voice"
    assert [e["path"].rsplit("/", 1)[1] for e in control.requests()["requests"]] == [
        "token", "token", "start-recording-on-demand"], "the login sent later was answered first"
    control.set_latency(800, paths=["all"])
    issued = control.stats()["token_requests"]["issued"]
    delayed_login = _in_background(cxone, lambda client: client.login())
    _until(lambda: control.stats()["token_requests"]["password"] == 3)        # the third login arrived ...
    assert control.stats()["token_requests"]["issued"] == issued              # ... and is held before the token is issued
    assert delayed_login().startswith("sbxAT")
    assert control.stats()["token_requests"]["issued"] == issued + 1
    assert control.call("GET", "/latency")["ms"] == {"operations": 800, "token": 800, "discovery": 800, "users": 800}
    control.reset()
    assert control.call("GET", "/latency")["ms"] == {"operations": 0, "token": 0, "discovery": 0, "users": 0}
