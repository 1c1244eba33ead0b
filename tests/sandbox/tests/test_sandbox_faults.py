# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Injected faults and latency: what gateways and networks do to the real service."""

from __future__ import annotations

import random
import time

import pytest
import requests

from sandbox_helpers import CLIENT_ID, CLIENT_SECRET, KEY_ID, KEY_SECRET


def _recording(control, user_id):
    return control.agent_state(user_id)["recording"]


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
    control.add_fault("slow", delay_ms=600, count=1)
    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        cxone.operation("start", "a1", token, timeout=0.2)
    assert time.monotonic() - started < 0.5
    assert _recording(control, "a1") == "voice"       # the effect happened although the client gave up
    control.add_fault("slow", delay_ms=150, count=1)
    started = time.monotonic()
    assert cxone.operation("stop", "a1", token).status_code == 200
    assert time.monotonic() - started >= 0.15


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
    control.set_latency(200)
    started = time.monotonic()
    assert cxone.operation("start", "a1", token).status_code == 200
    assert time.monotonic() - started >= 0.2
    started = time.monotonic()
    cxone.login()
    assert time.monotonic() - started < 0.2          # by default only the operations are delayed
    control.set_latency(150, paths=["all"])
    started = time.monotonic()
    cxone.login()
    assert time.monotonic() - started >= 0.15
    control.reset()
    assert control.call("GET", "/latency")["ms"] == {"operations": 0, "token": 0, "discovery": 0, "users": 0}
