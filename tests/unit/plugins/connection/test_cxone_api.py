# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ``cxone_api`` connection plugin in-process: its broker calls against the scripted CXone.

The plugin is built as ansible-core builds it (``cxone_api_connection``) and given its options
with ``set_options``, as the persistent connection process receives them for each task.
"""

from __future__ import annotations

import re
from urllib.parse import quote, quote_plus

import pytest

from ansible_collections.cxone.recording.plugins.connection.cxone_api import Connection
from ansible_collections.cxone.recording.plugins.module_utils import _broker as broker
from ansible_collections.cxone.recording.plugins.module_utils._tokens import token_fingerprint
from ansible_collections.cxone.recording.plugins.module_utils._errors import AuthError

LOG_LINE = re.compile(r"cxone_api: (GET|POST) (\S+) -> (\d{3}|no answer) in \d+\.\d{3} s$")


def logins(tenant):
    return tenant.to("/auth/token")


def test_the_broker_calls_are_the_connections_methods():
    for call in (broker.CALL_SESSION, broker.CALL_TOKEN, broker.CALL_RENEW):
        assert callable(getattr(Connection, call, None)), call


def test_a_module_borrows_the_token_through_the_broker_protocol(cxone_tenant, cxone_api_connection, broker_socket):
    cxone_tenant.queue("/auth/token", cxone_tenant.token_answer("tok-1"), cxone_tenant.token_answer("tok-2"))
    socket = broker_socket(cxone_api_connection(**cxone_tenant.settings()))
    client = broker.BrokerClient(socket.path)
    assert client.open()["api_base_url"] == cxone_tenant.url + "/api"
    assert client.bearer()[0] == "tok-1"
    client.confirm(token_fingerprint("tok-1"))
    assert client.renew(token_fingerprint("tok-1"))[0] == "tok-2"
    client.confirm(token_fingerprint("tok-2"))
    client.close()
    assert [call[0] for call in socket.calls] == [broker.CALL_SESSION, broker.CALL_RENEW, broker.CALL_TOKEN]


def test_one_login_and_one_discovery_serve_many_calls(cxone_tenant, cxone_api_connection):
    connection = cxone_api_connection(**cxone_tenant.settings())
    cxone_tenant.default("/auth/token", cxone_tenant.token_answer("tok-1"))
    session = connection.cxone_session()
    assert session["access_token"] == "tok-1" and session["api_base_url"] == cxone_tenant.url + "/api"
    assert connection.cxone_token()["access_token"] == "tok-1"
    assert connection.cxone_token(token_fingerprint("tok-1"))["access_token"] == "tok-1"
    assert connection.cxone_session()["access_token"] == "tok-1"
    assert len(logins(cxone_tenant)) == 1
    assert len(cxone_tenant.to("/.well-known/cxone-configuration")) == 1


def test_changed_options_get_a_new_login_and_the_same_options_do_not(cxone_tenant, cxone_api_connection):
    connection = cxone_api_connection(**cxone_tenant.settings())
    connection.cxone_session()
    connection.set_options(direct=cxone_tenant.settings())
    connection.cxone_token()
    assert len(logins(cxone_tenant)) == 1
    connection.set_options(direct=cxone_tenant.settings(access_key_id="OTHER-KEY"))
    connection.cxone_token()
    assert [request["form"]["username"] for request in logins(cxone_tenant)] == [["KEY-ID"], ["OTHER-KEY"]]


def test_close_forgets_the_token(cxone_tenant, cxone_api_connection):
    connection = cxone_api_connection(**cxone_tenant.settings())
    connection.cxone_session()
    connection.close()
    connection.cxone_session()
    assert len(logins(cxone_tenant)) == 2


def test_ask_again_in_follows_the_idle_timeout(cxone_tenant, cxone_api_connection):
    connection = cxone_api_connection(persistent_connect_timeout=15, **cxone_tenant.settings())
    assert connection.cxone_session()["ask_again_in"] == pytest.approx(5.0)
    assert connection.cxone_token()["ask_again_in"] == pytest.approx(5.0)


def test_a_bad_setting_is_an_error_answer_before_any_request(cxone_tenant, cxone_api_connection):
    connection = cxone_api_connection(**cxone_tenant.settings(timeout=0))
    assert connection.cxone_session() == {"error": {
        "type": "SettingsError", "msg": "timeout: must be a whole number from 1 to 600, got 0", "status": None}}
    assert connection.cxone_token(None) == connection.cxone_session()
    assert cxone_tenant.requests == []


def test_a_refused_login_is_an_error_answer_and_is_not_repeated(cxone_tenant, cxone_api_connection):
    cxone_tenant.default("/auth/token", cxone_tenant.answer(
        400, {"error": "invalid_grant", "error_description": "Invalid access key credentials"}))
    connection = cxone_api_connection(**cxone_tenant.settings())
    first = connection.cxone_session()
    assert first["error"]["type"] == AuthError.__name__ and first["error"]["status"] == 400
    assert first["error"]["msg"].startswith("login with access key KEY-ID failed: HTTP 400: Invalid access key")
    assert connection.cxone_renew(token_fingerprint("tok-x"), None) == first
    assert len(logins(cxone_tenant)) == 1


def test_log_messages_never_reach_ansible_core_but_select_the_plugins_own_log(cxone_tenant, cxone_api_connection):
    connection = cxone_api_connection(persistent_log_messages=True, **cxone_tenant.settings())
    assert connection.get_option("persistent_log_messages") is False
    connection.cxone_session()
    messages = connection.pop_messages()
    assert [level for level, _line in messages] == ["vvvv", "log"] * 3
    for _level, line in messages:
        assert LOG_LINE.match(line), line
    assert [LOG_LINE.match(line).group(1, 2, 3) for _level, line in messages[::2]] == [
        ("GET", cxone_tenant.url + "/.well-known/openid-configuration", "200"),
        ("POST", cxone_tenant.url + "/auth/token", "200"),
        ("GET", cxone_tenant.url + "/.well-known/cxone-configuration", "200")]


def test_without_log_messages_the_request_lines_go_to_verbose_output_only(cxone_tenant, cxone_api_connection):
    connection = cxone_api_connection(**cxone_tenant.settings())
    connection.cxone_session()
    messages = connection.pop_messages()
    assert messages and {level for level, _line in messages} == {"vvvv"}


def test_no_secret_or_token_in_any_answer_error_or_queued_message(cxone_tenant, cxone_api_connection):
    settings = cxone_tenant.settings()
    secrets = [settings["client_secret"], settings["access_key_secret"], "tok-SECRET-1", "refresh-SECRET-1"]
    # CXone quoting the request back: the refresh form, then the login form and client secret.
    refresh_echo = "bad grant_type=refresh_token&refresh_token=refresh-SECRET-1 for token tok-SECRET-1"
    login_echo = "bad grant_type=password&username=KEY-ID&password=%s with client %s" % (
        quote_plus(settings["access_key_secret"]), settings["client_secret"])
    cxone_tenant.queue("/auth/token", cxone_tenant.token_answer("tok-SECRET-1", 3600, "refresh-SECRET-1"),
                       cxone_tenant.answer(400, {"error": "invalid_grant", "error_description": refresh_echo}),
                       cxone_tenant.answer(400, {"error": "invalid_grant", "error_description": login_echo}))
    connection = cxone_api_connection(persistent_log_messages=True, **settings)
    assert connection.cxone_session()["access_token"] == "tok-SECRET-1"
    refused = connection.cxone_renew(token_fingerprint("tok-SECRET-1"), None)
    assert refused["error"]["status"] == 400 and "password=<redacted> with client <redacted>" in refused["error"]["msg"]
    shown = repr(refused) + repr(connection.pop_messages())
    for secret in secrets:
        for form in (secret, quote_plus(secret), quote(secret, safe="")):
            assert form not in shown
