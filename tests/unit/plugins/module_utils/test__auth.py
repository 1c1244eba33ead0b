# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import base64
import json
import threading
from urllib.parse import quote_plus

import pytest

from ansible_collections.cxone.recording.plugins.module_utils._auth import Authenticator, jwt_claims, token_fingerprint
from ansible_collections.cxone.recording.plugins.module_utils._errors import AuthError, SettingsError
from ansible_collections.cxone.recording.plugins.module_utils._settings import validate_settings
from ansible_collections.cxone.recording.plugins.module_utils._transport import Transport

TENANT = "11111111-2222-4333-8444-555555555555"
SECRETS = {"client_secret": "cl=ient&se+cret", "access_key_secret": "k ey=se&cret+%"}


def jwt(claims):
    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    return "%s.%s.%s" % (part({"alg": "RS256"}), part(claims), "c2ln")


def token_answer(server, access="access-1", expires_in=3600, refresh="refresh-1", **extra):
    body = {"access_token": access, "token_type": "Bearer", "refresh_token": refresh,
            "id_token": jwt({"tenantId": TENANT, "userId": "api-user"})}
    if expires_in is not None:
        body["expires_in"] = expires_in
    body.update(extra)
    return server.answer(200, body)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def cxone(server):
    """The scripted server dressed as a CXone issuer."""
    server.default("/.well-known/openid-configuration",
                   server.answer(200, {"issuer": server.url, "token_endpoint": server.url + "/auth/token"}))
    server.default("/.well-known/cxone-configuration",
                   server.answer(200, {"api_endpoint": server.url + "/api-na1", "area": "na1"}))
    return server


def authenticator(server, clock=None, **values):
    given = {"issuer": server.url, "client_id": "app", "access_key_id": "KEYID", "retries": 0}
    given.update(SECRETS)
    given.update(values)
    settings = validate_settings(given)
    return Authenticator(settings, Transport.for_settings(settings, sleep=lambda seconds: None), clock=clock or Clock())


def test_password_grant_sends_url_encoded_credentials_with_basic_client_auth(cxone):
    cxone.queue("/auth/token", token_answer(cxone))
    auth = authenticator(cxone)
    assert auth.bearer()[0] == "access-1"
    sent = cxone.to("/auth/token")[0]
    assert sent["form"] == {"grant_type": ["password"], "username": ["KEYID"], "password": [SECRETS["access_key_secret"]]}
    scheme, value = sent["headers"]["Authorization"].split(" ", 1)
    assert scheme == "Basic"
    assert base64.b64decode(value).decode() == "app:" + SECRETS["client_secret"]


def test_discovery_finds_token_endpoint_and_api_once(cxone):
    cxone.default("/auth/token", token_answer(cxone))
    auth = authenticator(cxone)
    assert auth.api_base_url() == cxone.url + "/api-na1"
    assert auth.api_base_url() == cxone.url + "/api-na1"
    auth.bearer()
    assert len(cxone.to("/.well-known/openid-configuration")) == 1
    discovery = cxone.to("/.well-known/cxone-configuration")
    assert len(discovery) == 1 and discovery[0]["query"] == {"tenantId": [TENANT]}
    assert len(cxone.to("/auth/token")) == 1


def test_api_endpoint_setting_skips_discovery(cxone):
    cxone.default("/auth/token", token_answer(cxone))
    auth = authenticator(cxone, api_endpoint="http://127.0.0.1:9/base/")
    assert auth.api_base_url() == "http://127.0.0.1:9/base"
    assert not cxone.to("/.well-known/cxone-configuration")


def test_tenant_id_setting_wins_over_the_token_claims(cxone):
    cxone.default("/auth/token", token_answer(cxone))
    authenticator(cxone, tenant_id="other-tenant").api_base_url()
    assert cxone.to("/.well-known/cxone-configuration")[0]["query"] == {"tenantId": ["other-tenant"]}


def test_token_is_renewed_by_refresh_before_it_expires(cxone):
    clock = Clock()
    cxone.queue("/auth/token", token_answer(cxone, "access-1", 100), token_answer(cxone, "access-2", 100, "refresh-2"))
    auth = authenticator(cxone, clock)
    assert auth.bearer()[0] == "access-1"
    clock.now += 89  # renewal starts 10 s (a tenth of the lifetime) before expiry
    assert auth.bearer()[0] == "access-1"
    clock.now += 2
    assert auth.bearer()[0] == "access-2"
    refresh = cxone.to("/auth/token")[1]["form"]
    assert refresh == {"grant_type": ["refresh_token"], "refresh_token": ["refresh-1"]}


def test_failed_refresh_falls_back_to_a_full_login(cxone):
    clock = Clock()
    cxone.queue("/auth/token", token_answer(cxone, "access-1", 10),
                cxone.answer(400, {"error": "invalid_grant", "error_description": "refresh token expired"}),
                token_answer(cxone, "access-3"))
    auth = authenticator(cxone, clock)
    auth.bearer()
    clock.now += 20
    assert auth.bearer()[0] == "access-3"
    grants = [request["form"]["grant_type"][0] for request in cxone.to("/auth/token")]
    assert grants == ["password", "refresh_token", "password"]


def test_missing_expires_in_defaults_to_an_hour(cxone):
    clock = Clock()
    cxone.queue("/auth/token", token_answer(cxone, expires_in=None))
    auth = authenticator(cxone, clock)
    assert auth.bearer()[1] == pytest.approx(3540)


def test_rejected_token_is_renewed_once_for_all_workers(cxone):
    cxone.queue("/auth/token", token_answer(cxone, "access-1"), token_answer(cxone, "access-2"))
    auth = authenticator(cxone)
    stale = auth.bearer()[0]
    got = []

    def report():
        got.append(auth.renew(token_fingerprint(stale))[0])

    workers = [threading.Thread(target=report) for _worker in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert got == ["access-2"] * 8
    assert len(cxone.to("/auth/token")) == 2


def test_refused_login_is_clear_secret_free_and_not_repeated(cxone):
    cxone.default("/auth/token", cxone.answer(400, {"error": "invalid_grant", "error_description": "Invalid access key credentials"}))
    auth = authenticator(cxone)
    for _attempt in range(3):
        with pytest.raises(AuthError) as caught:
            auth.bearer()
    message = caught.value.msg
    assert message == ("login with access key KEYID failed: HTTP 400: Invalid access key credentials "
                       "[invalid_grant] (check the access key id and secret)")
    for secret in SECRETS.values():
        assert secret not in message
    assert len(cxone.to("/auth/token")) == 1


def test_wrong_client_names_the_credentials_to_check(cxone):
    cxone.default("/auth/token", cxone.answer(401, {"error": "invalid_client", "error_description": "Client authentication failed"}))
    with pytest.raises(AuthError, match=r"HTTP 401: Client authentication failed \[invalid_client\] \(check the client id and secret"):
        authenticator(cxone).bearer()


def test_a_new_token_rejected_before_it_ever_worked_stops_renewing(cxone):
    cxone.default("/auth/token", token_answer(cxone))
    auth = authenticator(cxone)
    first = auth.bearer()[0]
    cxone.default("/auth/token", token_answer(cxone, "access-2"))
    second = auth.renew(token_fingerprint(first))[0]
    with pytest.raises(AuthError, match="rejected a newly issued access token"):
        auth.renew(token_fingerprint(second))
    assert len(cxone.to("/auth/token")) == 2


def test_a_renewed_token_that_worked_is_renewed_again_when_rejected(cxone):
    cxone.queue("/auth/token", token_answer(cxone, "access-1"), token_answer(cxone, "access-2"),
                token_answer(cxone, "access-3"))
    auth = authenticator(cxone)
    second = auth.renew(token_fingerprint(auth.bearer()[0]))[0]
    auth.confirm(token_fingerprint(second))
    assert auth.renew(token_fingerprint(second))[0] == "access-3"


def test_client_credentials_beyond_latin1_are_sent_as_utf8(cxone):
    cxone.queue("/auth/token", token_answer(cxone))
    authenticator(cxone, client_secret="sécret-€").bearer()
    value = cxone.to("/auth/token")[0]["headers"]["Authorization"].split(" ", 1)[1]
    assert base64.b64decode(value).decode("utf-8") == "app:sécret-€"


def test_an_echoed_login_form_is_redacted(cxone):
    echo = "bad request: grant_type=password&username=KEYID&password=" + quote_plus(SECRETS["access_key_secret"])
    cxone.default("/auth/token", cxone.answer(400, {"error": "invalid_request", "error_description": echo}))
    with pytest.raises(AuthError) as caught:
        authenticator(cxone).bearer()
    assert "password=<redacted>" in caught.value.msg
    assert SECRETS["access_key_secret"] not in caught.value.msg
    assert quote_plus(SECRETS["access_key_secret"]) not in caught.value.msg


def test_a_token_that_cannot_be_sent_in_a_header_is_refused(cxone):
    cxone.default("/auth/token", token_answer(cxone, "sbxAT-with-newline\r\n"))
    with pytest.raises(AuthError, match="not a valid bearer token") as caught:
        authenticator(cxone).bearer()
    assert "sbxAT" not in caught.value.msg


def test_given_access_token_is_used_as_is_and_cannot_be_renewed(cxone):
    auth = authenticator(cxone, access_token=jwt({"tenantId": TENANT}))
    token = auth.bearer()[0]
    assert jwt_claims(token) == {"tenantId": TENANT}
    assert auth.api_base_url() == cxone.url + "/api-na1"
    with pytest.raises(AuthError, match="rejected the access_token given"):
        auth.renew(token_fingerprint(token))
    assert not cxone.to("/auth/token")


def test_given_opaque_token_without_tenant_asks_for_tenant_or_endpoint(cxone):
    auth = authenticator(cxone, access_token="opaque")
    with pytest.raises(SettingsError, match="set tenant_id or api_endpoint"):
        auth.api_base_url()


@pytest.mark.parametrize("config, problem", [
    ({"api_endpoint": "http://api-na1.example.com"}, "plain http://"),
    ({"area": "na1"}, "has no api_endpoint"),
])
def test_bad_api_discovery_answers_are_explained(cxone, config, problem):
    cxone.default("/auth/token", token_answer(cxone))
    cxone.default("/.well-known/cxone-configuration", cxone.answer(200, config))
    with pytest.raises(AuthError, match=problem):
        authenticator(cxone).api_base_url()


def test_token_answer_without_access_token_is_an_error(cxone):
    cxone.default("/auth/token", cxone.answer(200, {"token_type": "Bearer"}))
    with pytest.raises(AuthError, match="without an access_token"):
        authenticator(cxone).bearer()


def test_unknown_tenant_in_discovery(cxone):
    cxone.default("/auth/token", token_answer(cxone))
    cxone.default("/.well-known/cxone-configuration", cxone.answer(404, {"error": "not_found", "error_description": "Unknown tenant"}))
    with pytest.raises(AuthError) as caught:
        authenticator(cxone).api_base_url()
    assert caught.value.msg == "API discovery for tenant %s failed: HTTP 404: Unknown tenant [not_found]" % TENANT


def test_a_login_that_failed_for_a_passing_reason_is_tried_again(cxone):
    cxone.queue("/auth/token", cxone.answer(503, text="Service Unavailable", content_type="text/plain"),
                token_answer(cxone, "access-after-outage"))
    auth = authenticator(cxone)
    with pytest.raises(AuthError, match="HTTP 503"):
        auth.bearer()
    assert auth.bearer()[0] == "access-after-outage"
