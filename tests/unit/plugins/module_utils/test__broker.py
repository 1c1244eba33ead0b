# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The token broker protocol, both sides next to each other.

The connection's side runs a real ``Authenticator`` against the scripted CXone; the module's
side, ``BrokerClient``, reaches it through ansible-core's own JSON-RPC client and server (the
``broker_socket`` fixture), so the answers cross the same encoding as between processes.
"""

from __future__ import annotations

import base64
import json
import threading

import pytest

from ansible_collections.cxone.recording.plugins.module_utils import _broker as broker
from ansible_collections.cxone.recording.plugins.module_utils._auth import Authenticator
from ansible_collections.cxone.recording.plugins.module_utils._tokens import token_fingerprint
from ansible_collections.cxone.recording.plugins.module_utils._errors import (
    AuthError,
    CxoneError,
    SettingsError,
    TransportError,
)
from ansible_collections.cxone.recording.plugins.module_utils._settings import (
    DEFAULT_RECORDING_API_PATH,
    validate_settings,
)
from ansible_collections.cxone.recording.plugins.module_utils._transport import Transport

IDLE_TIMEOUT = 600


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def new_authenticator(tenant, clock=None, **overrides):
    settings = validate_settings(tenant.settings(**overrides))
    return Authenticator(settings, Transport.for_settings(settings, sleep=lambda seconds: None), clock=clock or Clock())


class AuthenticatorHost:
    """The connection's side of the protocol, as the ``cxone_api`` plugin serves it: the
    ``CALL_*`` methods answer with ``answer_*`` functions, a ``CxoneError`` with ``error_answer``."""

    ROUTES = {broker.CALL_SESSION: broker.answer_session, broker.CALL_TOKEN: broker.answer_token,
              broker.CALL_RENEW: broker.answer_renew}

    def __init__(self, authenticator, idle_timeout=IDLE_TIMEOUT):
        self.authenticator = authenticator
        self.idle_timeout = idle_timeout

    def __getattr__(self, name):
        answer = self.ROUTES.get(name)
        if answer is None:
            raise AttributeError(name)

        def serve(*args):
            try:
                return answer(self.authenticator, self.idle_timeout, *args)
            except CxoneError as exc:
                return broker.error_answer(exc)
        return serve


def methods(socket):
    return [call[0] for call in socket.calls]


# -- the connection's side ---------------------------------------------------------------------

def test_session_answer_logs_in_discovers_the_api_and_says_how_to_send(cxone_tenant):
    auth = new_authenticator(cxone_tenant, retries=2, timeout=7, tenant_id=None,
                             recording_api_path="/recording/")
    cxone_tenant.queue("/auth/token", cxone_tenant.answer(200, {
        "access_token": "tok-1", "expires_in": 3600,
        # the tenant comes from the token's claims when tenant_id is not set
        "id_token": "e30.%s.c2ln" % base64.urlsafe_b64encode(b'{"tenantId": "t-9"}').decode().rstrip("=")}))
    answer = broker.answer_session(auth, IDLE_TIMEOUT)
    assert json.loads(json.dumps(answer)) == answer
    assert answer == {"access_token": "tok-1", "ask_again_in": broker.ASK_AGAIN_INTERVAL,
                      "api_base_url": cxone_tenant.url + "/api", "recording_api_path": "/recording",
                      "timeout": 7, "retries": 2, "validate_certs": True, "ca_path": None}
    assert set(broker.SESSION_KEYS) < set(answer)
    assert cxone_tenant.to("/.well-known/cxone-configuration")[0]["query"] == {"tenantId": ["t-9"]}
    broker.answer_session(auth, IDLE_TIMEOUT)
    assert len(cxone_tenant.to("/auth/token")) == 1


@pytest.mark.parametrize("expires_in, idle_timeout, ask_again_in", [
    (3600, 600, broker.ASK_AGAIN_INTERVAL),  # the interval: a long-lived token, a long idle timeout
    (3600, 15, 5.0),                        # a third of the idle timeout keeps the connection alive
    (5, 600, 4.5),                          # the token's renewal time (a tenth of its life early)
])
def test_ask_again_in_is_the_soonest_of_renewal_interval_and_idle_third(cxone_tenant, expires_in, idle_timeout,
                                                                        ask_again_in):
    cxone_tenant.default("/auth/token", cxone_tenant.token_answer("tok-1", expires_in))
    auth = new_authenticator(cxone_tenant)
    assert broker.answer_session(auth, idle_timeout)["ask_again_in"] == pytest.approx(ask_again_in)
    assert broker.answer_token(auth, idle_timeout)["ask_again_in"] == pytest.approx(ask_again_in)


@pytest.mark.parametrize("confirm_with", [broker.CALL_TOKEN, broker.CALL_RENEW])
def test_a_confirmed_renewed_token_may_be_renewed_again(cxone_tenant, confirm_with):
    cxone_tenant.queue("/auth/token", *(cxone_tenant.token_answer(token) for token in ("tok-1", "tok-2", "tok-3")))
    auth = new_authenticator(cxone_tenant)
    broker.answer_session(auth, IDLE_TIMEOUT)
    renewed = broker.answer_renew(auth, IDLE_TIMEOUT, token_fingerprint("tok-1"))
    assert renewed["access_token"] == "tok-2"
    if confirm_with == broker.CALL_TOKEN:
        broker.answer_token(auth, IDLE_TIMEOUT, token_fingerprint("tok-2"))
        again = broker.answer_renew(auth, IDLE_TIMEOUT, token_fingerprint("tok-2"))
    else:
        again = broker.answer_renew(auth, IDLE_TIMEOUT, token_fingerprint("tok-2"), token_fingerprint("tok-2"))
    assert again["access_token"] == "tok-3"


def test_an_unconfirmed_renewed_token_rejected_again_is_an_error_answer(cxone_tenant):
    cxone_tenant.queue("/auth/token", *(cxone_tenant.token_answer(token) for token in ("tok-1", "tok-2")))
    auth = new_authenticator(cxone_tenant)
    broker.answer_session(auth, IDLE_TIMEOUT)
    broker.answer_renew(auth, IDLE_TIMEOUT, token_fingerprint("tok-1"))
    with pytest.raises(AuthError) as caught:
        broker.answer_renew(auth, IDLE_TIMEOUT, token_fingerprint("tok-2"), token_fingerprint("tok-1"))
    error = broker.error_answer(caught.value)
    assert error["error"]["type"] == "AuthError" and error["error"]["status"] == 401
    assert "rejected a newly issued access token" in error["error"]["msg"]
    assert len(cxone_tenant.to("/auth/token")) == 2


def test_the_same_rejected_token_is_renewed_once(cxone_tenant):
    cxone_tenant.queue("/auth/token", *(cxone_tenant.token_answer(token) for token in ("tok-1", "tok-2")))
    auth = new_authenticator(cxone_tenant)
    broker.answer_session(auth, IDLE_TIMEOUT)
    first = broker.answer_renew(auth, IDLE_TIMEOUT, token_fingerprint("tok-1"))
    second = broker.answer_renew(auth, IDLE_TIMEOUT, token_fingerprint("tok-1"))
    assert first["access_token"] == second["access_token"] == "tok-2"
    assert len(cxone_tenant.to("/auth/token")) == 2


def test_errors_become_json_answers_with_type_message_and_status(cxone_tenant):
    cxone_tenant.default("/auth/token", cxone_tenant.answer(
        401, {"error": "invalid_client", "error_description": "Client authentication failed"}))
    with pytest.raises(CxoneError) as refused:
        broker.answer_session(new_authenticator(cxone_tenant), IDLE_TIMEOUT)
    with pytest.raises(CxoneError) as bad_setting:
        broker.answer_session(new_authenticator(cxone_tenant, access_token="opaque", tenant_id=None), IDLE_TIMEOUT)
    answers = [broker.error_answer(refused.value), broker.error_answer(bad_setting.value),
               broker.error_answer(TransportError("login: no answer from http://127.0.0.1:9", 3, 3))]
    assert json.loads(json.dumps(answers)) == answers
    assert answers[0] == {"error": {
        "type": "AuthError", "status": 401,
        "msg": "login with access key KEY-ID failed: HTTP 401: Client authentication failed [invalid_client] "
               "(check the client id and secret of the registered application)"}}
    assert answers[1]["error"]["type"] == "SettingsError" and answers[1]["error"]["status"] is None
    assert answers[1]["error"]["msg"].startswith("tenant_id: ")
    assert answers[2] == {"error": {"type": "TransportError", "status": None,
                                    "msg": "login: no answer from http://127.0.0.1:9"}}


# -- the module's side -------------------------------------------------------------------------

def test_open_gives_the_session_keys_and_the_token(cxone_tenant, broker_socket):
    socket = broker_socket(AuthenticatorHost(new_authenticator(cxone_tenant)))
    client = broker.BrokerClient(socket.path)
    info = client.open()
    assert info == {"api_base_url": cxone_tenant.url + "/api", "recording_api_path": DEFAULT_RECORDING_API_PATH,
                    "timeout": 5, "retries": 0, "validate_certs": True, "ca_path": None}
    assert client.bearer()[0] == "tok-default"
    assert methods(socket) == [broker.CALL_SESSION]


def test_the_token_is_shared_without_calls_until_it_must_ask_again(cxone_tenant, broker_socket):
    socket = broker_socket(AuthenticatorHost(new_authenticator(cxone_tenant)))
    client = broker.BrokerClient(socket.path)
    client.open()
    assert [client.bearer()[0] for _use in range(5)] == ["tok-default"] * 5
    token, seconds = client.bearer()
    assert 0 < seconds <= broker.ASK_AGAIN_INTERVAL
    assert methods(socket) == [broker.CALL_SESSION]


def test_each_use_asks_again_when_it_is_due_and_picks_up_a_renewed_token(cxone_tenant, broker_socket):
    clock = Clock()
    cxone_tenant.queue("/auth/token", cxone_tenant.token_answer("tok-1", 100, "refresh-1"),
                       cxone_tenant.token_answer("tok-2", 100))
    # An idle timeout of 0 makes every answer's ask_again_in 0: each use asks the connection.
    socket = broker_socket(AuthenticatorHost(new_authenticator(cxone_tenant, clock), idle_timeout=0))
    client = broker.BrokerClient(socket.path)
    client.open()
    assert client.bearer()[0] == "tok-1"
    clock.now += 95  # past the token's renewal time
    assert client.bearer()[0] == "tok-2"
    assert methods(socket) == [broker.CALL_SESSION, broker.CALL_TOKEN, broker.CALL_TOKEN]
    assert cxone_tenant.to("/auth/token")[1]["form"]["grant_type"] == ["refresh_token"]


def test_a_rejected_token_reported_by_many_threads_is_renewed_with_one_call(cxone_tenant, broker_socket):
    cxone_tenant.queue("/auth/token", *(cxone_tenant.token_answer(token) for token in ("tok-1", "tok-2")))
    socket = broker_socket(AuthenticatorHost(new_authenticator(cxone_tenant)))
    client = broker.BrokerClient(socket.path)
    client.open()
    stale = token_fingerprint(client.bearer()[0])
    got = []
    start = threading.Barrier(8)

    def report():
        start.wait()
        got.append(client.renew(stale)[0])

    workers = [threading.Thread(target=report) for _worker in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert got == ["tok-2"] * 8
    assert methods(socket).count(broker.CALL_RENEW) == 1
    assert socket.calls[-1][1] == (stale, None)
    assert len(cxone_tenant.to("/auth/token")) == 2


def test_a_confirmed_fingerprint_is_passed_on_the_next_call_once(cxone_tenant, broker_socket):
    socket = broker_socket(AuthenticatorHost(new_authenticator(cxone_tenant), idle_timeout=0))
    client = broker.BrokerClient(socket.path)
    client.open()
    accepted = token_fingerprint("tok-default")
    client.confirm(accepted)
    client.bearer()
    client.bearer()
    assert socket.calls[1:] == [(broker.CALL_TOKEN, (accepted,), {}), (broker.CALL_TOKEN, (None,), {})]


def test_a_confirmation_travels_with_a_renewal(cxone_tenant, broker_socket):
    cxone_tenant.queue("/auth/token", *(cxone_tenant.token_answer(token) for token in ("tok-1", "tok-2", "tok-3")))
    socket = broker_socket(AuthenticatorHost(new_authenticator(cxone_tenant)))
    client = broker.BrokerClient(socket.path)
    client.open()
    client.renew(token_fingerprint("tok-1"))
    client.confirm(token_fingerprint("tok-2"))
    # Confirmed before it was rejected: the connection renews it instead of giving up.
    assert client.renew(token_fingerprint("tok-2"))[0] == "tok-3"
    assert socket.calls[-1] == (broker.CALL_RENEW, (token_fingerprint("tok-2"), token_fingerprint("tok-2")), {})


def test_close_tells_a_confirmation_not_told_yet(cxone_tenant, broker_socket):
    socket = broker_socket(AuthenticatorHost(new_authenticator(cxone_tenant)))
    client = broker.BrokerClient(socket.path)
    client.open()
    client.confirm(token_fingerprint("tok-default"))
    client.close()
    assert socket.calls[-1] == (broker.CALL_TOKEN, (token_fingerprint("tok-default"),), {})
    client.close()
    assert len(socket.calls) == 2


def test_close_without_a_confirmation_calls_nothing_and_never_fails(cxone_tenant, broker_socket):
    socket = broker_socket(AuthenticatorHost(new_authenticator(cxone_tenant)))
    client = broker.BrokerClient(socket.path)
    client.open()
    client.close()
    assert methods(socket) == [broker.CALL_SESSION]
    client.confirm(token_fingerprint("tok-default"))
    socket.die()
    client.close()


class ErrorHost:
    """A connection that answers every call with one error answer."""

    def __init__(self, error):
        self.error = error

    def cxone_session(self):
        return {broker.ERROR: self.error}


@pytest.mark.parametrize("error, raised, status", [
    ({"type": "AuthError", "msg": "login failed: HTTP 400", "status": 400}, AuthError, 400),
    ({"type": "SettingsError", "msg": "timeout: must be a whole number", "status": None}, SettingsError, None),
    ({"type": "TransportError", "msg": "login: no answer", "status": None}, TransportError, None),
    ({"type": "SomethingNew", "msg": "a newer connection's error", "status": 500}, CxoneError, None),
])
def test_an_error_answer_raises_the_matching_error(broker_socket, error, raised, status):
    client = broker.BrokerClient(broker_socket(ErrorHost(error)).path)
    with pytest.raises(CxoneError) as caught:
        client.open()
    assert caught.type is raised
    assert caught.value.msg == error["msg"]
    assert getattr(caught.value, "status", None) == status


def test_a_refused_login_reaches_the_module_as_an_auth_error_with_status(cxone_tenant, broker_socket):
    cxone_tenant.default("/auth/token", cxone_tenant.answer(
        400, {"error": "invalid_grant", "error_description": "Invalid access key credentials"}))
    client = broker.BrokerClient(broker_socket(AuthenticatorHost(new_authenticator(cxone_tenant))).path)
    with pytest.raises(AuthError) as caught:
        client.open()
    assert caught.value.status == 400
    assert caught.value.msg.startswith("login with access key KEY-ID failed: HTTP 400: Invalid access key")


@pytest.mark.parametrize("call", [broker.CALL_TOKEN, broker.CALL_RENEW])
def test_a_dead_connection_is_a_transport_error_naming_the_call_not_the_token(cxone_tenant, broker_socket, call):
    socket = broker_socket(AuthenticatorHost(new_authenticator(cxone_tenant), idle_timeout=0))
    client = broker.BrokerClient(socket.path)
    client.open()
    socket.die()
    with pytest.raises(TransportError) as caught:
        if call == broker.CALL_TOKEN:
            client.bearer()
        else:
            client.renew(token_fingerprint("tok-default"))
    assert caught.value.msg.startswith("the cxone_api connection did not answer %s: " % call)
    assert "tok-default" not in caught.value.msg
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_a_connection_without_the_broker_calls_is_a_transport_error_naming_the_call(broker_socket):
    # Another persistent connection (an inventory naming the wrong ansible_connection) answers
    # JSON-RPC, but knows none of the broker's methods.
    client = broker.BrokerClient(broker_socket(object()).path)
    with pytest.raises(TransportError, match="^the cxone_api connection did not answer cxone_session: Method not found"):
        client.open()
