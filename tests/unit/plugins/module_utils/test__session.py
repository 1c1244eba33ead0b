# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""How a task reaches CXone: over the ``cxone_api`` connection when it has one, directly otherwise."""

from __future__ import annotations

import pytest

from ansible_collections.cxone.recording.plugins.module_utils import _session
from ansible_collections.cxone.recording.plugins.module_utils._auth import Authenticator
from ansible_collections.cxone.recording.plugins.module_utils._tokens import token_fingerprint
from ansible_collections.cxone.recording.plugins.module_utils._broker import CALL_SESSION, CALL_TOKEN, BrokerClient
from ansible_collections.cxone.recording.plugins.module_utils._errors import AuthError, SettingsError
from ansible_collections.cxone.recording.plugins.module_utils._session import INSECURE_WARNING, open_session
from ansible_collections.cxone.recording.plugins.module_utils._settings import DEFAULT_RECORDING_API_PATH

API_PATH = DEFAULT_RECORDING_API_PATH + "/stop-recording-on-demand"


class TaskModule:
    """What ``open_session`` uses of an ``AnsibleModule``: its params, ``warn`` and the socket path."""

    def __init__(self, params, socket_path=None):
        self.params = params
        self.warnings = []
        if socket_path:
            self._socket_path = socket_path

    def warn(self, warning):
        self.warnings.append(warning)


@pytest.fixture
def transports(monkeypatch):
    """The transports sessions open, each with whether it was closed."""
    opened = []

    class WatchedTransport(_session.Transport):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.closed = False
            opened.append(self)

        def close(self):
            self.closed = True
            super().close()

    monkeypatch.setattr(_session, "Transport", WatchedTransport)
    return opened


def stop(session):
    return session.client.request("POST", session.recording_api_path + "/stop-recording-on-demand", "stop recording")


def test_with_a_socket_path_the_task_borrows_the_connections_token(cxone_tenant, cxone_api_connection,
                                                                   broker_socket):
    cxone_tenant.queue("/auth/token", cxone_tenant.token_answer("tok-connection"))
    cxone_tenant.default("/api" + API_PATH, cxone_tenant.answer(202, {}))
    socket = broker_socket(cxone_api_connection(**cxone_tenant.settings(recording_api_path="/rec/", retries=2)))
    # The module's own settings are not used over the connection: none are given here.
    with open_session(TaskModule({}, socket.path), 4) as session:
        assert isinstance(session.client.token_source, BrokerClient)
        assert session.client.base_url == cxone_tenant.url + "/api"
        assert session.recording_api_path == "/rec"
        assert session.client.transport.retries == 2 and session.client.transport.timeout == 5
    assert [call[0] for call in socket.calls] == [CALL_SESSION]


def test_without_a_socket_path_the_task_logs_in_once_and_discovers_the_api(cxone_tenant):
    cxone_tenant.queue("/auth/token", cxone_tenant.token_answer("tok-own"))
    cxone_tenant.default("/api" + API_PATH, cxone_tenant.answer(200, {}))
    with open_session(TaskModule(cxone_tenant.settings()), 2) as session:
        assert isinstance(session.client.token_source, Authenticator)
        assert session.client.base_url == cxone_tenant.url + "/api"
        assert session.recording_api_path == DEFAULT_RECORDING_API_PATH
        assert len(cxone_tenant.to("/auth/token")) == 1
        for _request in range(3):
            assert stop(session).status == 200
    assert len(cxone_tenant.to("/auth/token")) == 1
    assert len(cxone_tenant.to("/.well-known/cxone-configuration")) == 1
    assert {request["headers"]["Authorization"] for request in cxone_tenant.to("/api" + API_PATH)} == {"Bearer tok-own"}


@pytest.mark.parametrize("validate_certs, warnings, verify", [(False, [INSECURE_WARNING], False), (True, [], True)])
def test_a_direct_session_warns_when_certificates_are_not_verified(cxone_tenant, transports, validate_certs,
                                                                   warnings, verify):
    module = TaskModule(cxone_tenant.settings(validate_certs=validate_certs))
    open_session(module, 1).close()
    assert module.warnings == warnings
    assert transports[0].verify is verify


@pytest.mark.parametrize("validate_certs, warnings", [(False, [INSECURE_WARNING]), (True, [])])
def test_a_brokered_session_warns_when_the_connection_does_not_verify(cxone_tenant, cxone_api_connection,
                                                                      broker_socket, validate_certs, warnings):
    socket = broker_socket(cxone_api_connection(**cxone_tenant.settings(validate_certs=validate_certs)))
    module = TaskModule({}, socket.path)
    with open_session(module, 1) as session:
        assert session.client.transport.verify is validate_certs
    assert module.warnings == warnings


def test_a_ca_bundle_is_what_the_requests_verify_against(cxone_tenant, transports, tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    open_session(TaskModule(cxone_tenant.settings(ca_path=str(bundle))), 1).close()
    assert transports[0].verify == str(bundle)


def test_the_transport_is_closed_when_the_login_fails(cxone_tenant, transports):
    cxone_tenant.default("/auth/token", cxone_tenant.answer(401, {"error": "invalid_client"}))
    with pytest.raises(AuthError, match="HTTP 401"):
        open_session(TaskModule(cxone_tenant.settings()), 8)
    assert len(transports) == 1 and transports[0].closed


def test_the_transport_is_closed_when_the_api_cannot_be_found(cxone_tenant, transports):
    cxone_tenant.default("/.well-known/cxone-configuration", cxone_tenant.answer(404, {"error": "unknown tenant"}))
    with pytest.raises(AuthError, match="API discovery"):
        open_session(TaskModule(cxone_tenant.settings()), 8)
    assert len(transports) == 1 and transports[0].closed


def test_bad_settings_fail_before_any_transport_or_request(cxone_tenant, transports):
    with pytest.raises(SettingsError, match="^timeout: "):
        open_session(TaskModule(cxone_tenant.settings(timeout=0)), 8)
    assert transports == [] and cxone_tenant.requests == []


def test_closing_a_session_closes_its_transport(cxone_tenant, transports):
    with open_session(TaskModule(cxone_tenant.settings()), 1):
        assert not transports[0].closed
    assert transports[0].closed


def test_closing_a_brokered_session_tells_the_connection_the_accepted_token(cxone_tenant, cxone_api_connection,
                                                                            broker_socket, transports):
    cxone_tenant.queue("/auth/token", cxone_tenant.token_answer("tok-connection"))
    cxone_tenant.default("/api" + API_PATH, cxone_tenant.answer(200, {}))
    socket = broker_socket(cxone_api_connection(**cxone_tenant.settings()))
    with open_session(TaskModule({}, socket.path), 1) as session:
        stop(session)
    assert socket.calls[-1] == (CALL_TOKEN, (token_fingerprint("tok-connection"),), {})
    assert transports[-1].closed
