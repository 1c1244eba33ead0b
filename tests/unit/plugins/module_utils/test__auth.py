# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import base64
import json
import threading
import traceback
from urllib.parse import quote_plus

import pytest

from ansible_collections.cxone.recording.plugins.module_utils._auth import (
    LOGIN_REQUEST_BUDGET,
    RENEWAL_RETRY_INTERVAL,
    Authenticator,
    login_path_worst_case,
)
from ansible_collections.cxone.recording.plugins.module_utils._errors import AuthError, SettingsError
from ansible_collections.cxone.recording.plugins.module_utils._settings import validate_settings
from ansible_collections.cxone.recording.plugins.module_utils._tokens import jwt_claims, token_fingerprint
from ansible_collections.cxone.recording.plugins.module_utils._transport import Transport, worst_case_seconds

TENANT = "11111111-2222-4333-8444-555555555555"
SECRETS = {"client_secret": "cl=ient&se+cret", "access_key_secret": "k ey=se&cret+%"}
# 2026-11-27T12:00:00Z, the wall-clock time of the tests about a given token's expiry.
WALL_NOW = 1795780800
NO_LOGIN = {"client_id": None, "client_secret": None, "access_key_id": None, "access_key_secret": None}


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


def authenticator(server, clock=None, wall_clock=None, **values):
    given = {"issuer": server.url, "client_id": "app", "access_key_id": "KEYID", "retries": 0}
    given.update(SECRETS)
    given.update(values)
    settings = validate_settings(given)
    extra = {} if wall_clock is None else {"wall_clock": lambda: wall_clock}
    return Authenticator(settings, Transport.for_settings(settings, sleep=lambda seconds: None), clock=clock or Clock(),
                         **extra)


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


def test_given_access_token_without_login_settings_is_used_as_is_and_cannot_be_renewed(cxone):
    auth = authenticator(cxone, access_token=jwt({"tenantId": TENANT}), **NO_LOGIN)
    token = auth.bearer()[0]
    assert jwt_claims(token) == {"tenantId": TENANT}
    assert auth.api_base_url() == cxone.url + "/api-na1"
    with pytest.raises(AuthError, match="rejected the access_token given") as caught:
        auth.renew(token_fingerprint(token))
    assert "missing" not in caught.value.msg
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


def test_a_login_that_failed_for_a_passing_reason_is_tried_again_after_a_pause(cxone):
    clock = Clock()
    cxone.queue("/auth/token", cxone.answer(503, text="Service Unavailable", content_type="text/plain"),
                token_answer(cxone, "access-after-outage"))
    auth = authenticator(cxone, clock)
    with pytest.raises(AuthError, match="HTTP 503"):
        auth.bearer()
    with pytest.raises(AuthError, match="HTTP 503"):
        auth.bearer()
    assert len(cxone.to("/auth/token")) == 1
    clock.now += RENEWAL_RETRY_INTERVAL
    assert auth.bearer()[0] == "access-after-outage"


class BlockingSleep:
    """A Transport sleep that holds the first retry until released, so that other workers
    arrive while a renewal is in flight."""

    def __init__(self):
        self.reached = threading.Event()
        self.release = threading.Event()

    def __call__(self, seconds):
        self.reached.set()
        self.release.wait(10)


def authenticator_with_sleep(server, clock, sleep, **values):
    given = {"issuer": server.url, "client_id": "app", "access_key_id": "KEYID", "retries": 1}
    given.update(SECRETS)
    given.update(values)
    settings = validate_settings(given)
    return Authenticator(settings, Transport.for_settings(settings, sleep=sleep), clock=clock)


def in_threads(count, target):
    """Run ``target`` in ``count`` threads; returns what each returned or raised."""
    outcomes = [None] * count

    def run(number):
        try:
            outcomes[number] = target()
        except Exception as exc:  # pylint: disable=broad-exception-caught
            outcomes[number] = exc

    workers = [threading.Thread(target=run, args=(number,)) for number in range(count)]
    for worker in workers:
        worker.start()
    return workers, outcomes


def test_a_failed_early_renewal_keeps_the_valid_token_and_pauses_before_trying_again(cxone):
    clock = Clock()
    cxone.queue("/auth/token", token_answer(cxone, "access-1", 100))
    cxone.default("/auth/token", cxone.answer(503, text="Service Unavailable", content_type="text/plain"))
    auth = authenticator(cxone, clock)
    auth.bearer()
    clock.now += 91  # inside the renewal window (the last 10 s)
    for _use in range(5):
        assert auth.bearer()[0] == "access-1"
    # One refresh, and no login after it: the same token endpoint answered 503.
    assert [request["form"]["grant_type"][0] for request in cxone.to("/auth/token")] == ["password", "refresh_token"]
    clock.now += RENEWAL_RETRY_INTERVAL
    assert auth.bearer()[0] == "access-1"
    assert len(cxone.to("/auth/token")) == 3
    clock.now += 4  # expired: one more attempt, and only its failure fails the request
    with pytest.raises(AuthError, match="token refresh failed: HTTP 503"):
        auth.bearer()
    assert len(cxone.to("/auth/token")) == 4
    with pytest.raises(AuthError, match="token refresh failed: HTTP 503"):
        auth.bearer()
    assert len(cxone.to("/auth/token")) == 4, "no new attempt before the pause ends"


def test_a_token_endpoint_back_just_before_expiry_costs_no_request(cxone):
    clock = Clock()
    cxone.queue("/auth/token", token_answer(cxone, "access-1", 20))
    cxone.queue("/auth/token", cxone.answer(503, text="Service Unavailable", content_type="text/plain"))
    cxone.default("/auth/token", token_answer(cxone, "access-2", 20))
    auth = authenticator(cxone, clock)
    auth.bearer()
    clock.now += 18.5  # the early renewal (2 s before expiry) fails; the token still works
    assert auth.bearer()[0] == "access-1"
    # Sooner than RENEWAL_RETRY_INTERVAL: halfway to the expiry, the endpoint is tried again.
    token, ask_again = auth.bearer()
    assert token == "access-1" and ask_again <= 0.75
    clock.now += 0.8
    assert auth.bearer()[0] == "access-2"
    clock.now += 1.0  # the first token has expired; the new one serves
    assert auth.bearer()[0] == "access-2"
    assert [request["form"]["grant_type"][0] for request in cxone.to("/auth/token")] == [
        "password", "refresh_token", "refresh_token"]


def logged_in_with_a_failing_token_endpoint(cxone):
    """(authenticator, clock, sleep): logged in with a 100 s token; every later token request answers 503."""
    clock = Clock()
    cxone.queue("/auth/token", token_answer(cxone, "access-1", 100))
    cxone.default("/auth/token", cxone.answer(503, text="Service Unavailable", content_type="text/plain"))
    sleep = BlockingSleep()
    auth = authenticator_with_sleep(cxone, clock, sleep)
    auth.bearer()
    return auth, clock, sleep


def test_workers_keep_the_valid_token_while_one_renews(cxone):
    auth, clock, sleep = logged_in_with_a_failing_token_endpoint(cxone)
    clock.now += 95
    renewer, renewed = in_threads(1, lambda: auth.bearer()[0])
    assert sleep.reached.wait(10)
    # The renewal waits between its two attempts; the others need not wait for it.
    others = [auth.bearer()[0] for _worker in range(7)]
    sleep.release.set()
    renewer[0].join()
    assert others == ["access-1"] * 7 and renewed == ["access-1"]
    assert len(cxone.to("/auth/token")) == 3


def test_one_failed_renewal_answers_every_waiting_worker(cxone):
    auth, clock, sleep = logged_in_with_a_failing_token_endpoint(cxone)
    clock.now += 200  # expired: nobody may go on with it
    workers, outcomes = in_threads(8, auth.bearer)
    assert sleep.reached.wait(10)
    sleep.release.set()
    for worker in workers:
        worker.join()
    assert all(isinstance(outcome, AuthError) and "HTTP 503" in outcome.msg for outcome in outcomes), outcomes
    # The login, then one refresh with its one retry, for all eight workers.
    assert len(cxone.to("/auth/token")) == 3


def test_a_failed_renewal_after_a_rejection_fails(cxone):
    cxone.queue("/auth/token", token_answer(cxone, "access-1"))
    cxone.default("/auth/token", cxone.answer(503, text="Service Unavailable", content_type="text/plain"))
    auth = authenticator(cxone)
    stale = auth.bearer()[0]
    with pytest.raises(AuthError, match="token refresh failed: HTTP 503"):
        auth.renew(token_fingerprint(stale))
    with pytest.raises(AuthError, match="HTTP 503"):
        auth.bearer()


def test_a_remembered_failure_is_raised_afresh_with_a_short_traceback(cxone):
    cxone.default("/auth/token", cxone.answer(400, {"error": "invalid_grant", "error_description": "Invalid key"}))
    auth = authenticator(cxone)
    errors = []
    for _worker in range(200):
        try:
            auth.bearer()
        except AuthError as exc:
            errors.append(exc)
    # The first is the login's own error; the others are raised from the remembered failure.
    depths = {len(traceback.extract_tb(error.__traceback__)) for error in errors[1:]}
    assert len(errors) == 200 and len(depths) == 1
    assert len({id(error) for error in errors}) == 200
    assert all(error.msg == errors[0].msg and error.status == 400 for error in errors)
    assert len(cxone.to("/auth/token")) == 1


# -- a given access_token and the four login settings -------------------------------------

def test_a_rejected_given_token_falls_back_to_the_login_settings_once(cxone):
    cxone.queue("/auth/token", token_answer(cxone, "access-login"))
    auth = authenticator(cxone, access_token="given-opaque")
    assert auth.bearer()[0] == "given-opaque"
    assert not cxone.to("/auth/token")
    assert auth.renew(token_fingerprint("given-opaque"))[0] == "access-login"
    assert [request["form"]["grant_type"][0] for request in cxone.to("/auth/token")] == ["password"]
    with pytest.raises(AuthError, match="rejected a newly issued access token"):
        auth.renew(token_fingerprint("access-login"))
    assert len(cxone.to("/auth/token")) == 1


def test_an_expired_given_jwt_with_login_settings_goes_straight_to_a_login(cxone):
    cxone.queue("/auth/token", token_answer(cxone, "access-login"))
    auth = authenticator(cxone, access_token=jwt({"tenantId": TENANT, "exp": WALL_NOW - 60}), wall_clock=WALL_NOW)
    assert auth.bearer()[0] == "access-login"


def test_an_expired_given_jwt_alone_fails_before_any_request_saying_when_it_expired(cxone):
    auth = authenticator(cxone, access_token=jwt({"tenantId": TENANT, "exp": WALL_NOW - 60}), wall_clock=WALL_NOW,
                         **NO_LOGIN)
    with pytest.raises(SettingsError) as caught:
        auth.bearer()
    assert caught.value.msg.startswith("access_token: the token given expired at 2026-11-27T11:59:00Z; give a "
                                       "current token, or set client_id, client_secret")
    assert "missing" not in caught.value.msg
    assert not cxone.requests


def test_a_given_jwt_is_used_until_its_expiry_then_fails(cxone):
    clock = Clock()
    auth = authenticator(cxone, clock, access_token=jwt({"tenantId": TENANT, "exp": WALL_NOW + 600}),
                         wall_clock=WALL_NOW, **NO_LOGIN)
    token, seconds = auth.bearer()
    assert jwt_claims(token)["exp"] == WALL_NOW + 600 and seconds == pytest.approx(600)
    clock.now += 600
    with pytest.raises(SettingsError, match="expired at 2026-11-27T12:10:00Z"):
        auth.bearer()


def test_a_given_jwt_is_replaced_by_a_login_before_it_expires(cxone):
    clock = Clock()
    cxone.queue("/auth/token", cxone.answer(503, text="down", content_type="text/plain"), token_answer(cxone, "access-login"))
    given = jwt({"tenantId": TENANT, "exp": WALL_NOW + 600})
    auth = authenticator(cxone, clock, access_token=given, wall_clock=WALL_NOW)
    clock.now += 550
    assert auth.bearer()[0] == given  # the login failed: the given token still works
    clock.now += RENEWAL_RETRY_INTERVAL
    assert auth.bearer()[0] == "access-login"


@pytest.mark.parametrize("missing", ["client_secret", "access_key_id"])
def test_a_rejected_given_token_with_some_login_settings_names_the_missing_ones(cxone, missing):
    auth = authenticator(cxone, access_token="given-opaque", **{missing: None})
    with pytest.raises(AuthError) as caught:
        auth.renew(token_fingerprint(auth.bearer()[0]))
    assert caught.value.msg.startswith("CXone rejected the access_token given (HTTP 401: expired or revoked)")
    assert caught.value.msg.endswith("(missing: %s)" % missing)
    assert not cxone.requests


# -- odd answers of the login path --------------------------------------------------------

@pytest.mark.parametrize("expires_in", ["nan", "inf", "-5", "1e999", True, {"s": 1}, "٣x"])
def test_an_odd_expires_in_means_the_default_hour(cxone, expires_in):
    cxone.queue("/auth/token", token_answer(cxone, expires_in=expires_in))
    assert authenticator(cxone).bearer()[1] == pytest.approx(3540)


def deeply_nested(depth=100000):
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("path, answer, words", [
    ("/auth/token", {"text": deeply_nested()}, "login with access key KEYID: the token endpoint answered without an "
     "access_token (HTTP 200; the body is not JSON: [[["),
    ("/auth/token", {"text": "<html><title>Sign in</title></html>", "content_type": "text/html"},
     "(HTTP 200; the body is not JSON: HTML page: Sign in)"),
    ("/.well-known/openid-configuration", {"text": deeply_nested()},
     "OpenID discovery at issuer %s: the answer is not a JSON object (HTTP 200; the body is not JSON: [[["),
    ("/.well-known/openid-configuration", {"text": "[]"}, "the answer is not a JSON object (HTTP 200)"),
    ("/.well-known/openid-configuration", {"text": '{"token_endpoint": 7}'}, "the answer names no token_endpoint (HTTP 200)"),
    ("/.well-known/cxone-configuration", {"text": deeply_nested()},
     "API discovery for tenant %s: the answer is not a JSON object (HTTP 200; the body is not JSON: [[[" % TENANT),
    ("/.well-known/cxone-configuration", {"text": "{}"},
     "API discovery for tenant %s: the answer has no api_endpoint; set api_endpoint (HTTP 200)" % TENANT),
])
def test_odd_login_path_answers_are_clear_failures(cxone, path, answer, words):
    cxone.default("/auth/token", token_answer(cxone))
    cxone.queue(path, cxone.answer(200, **answer))
    with pytest.raises(AuthError) as caught:
        authenticator(cxone).api_base_url()
    assert (words % cxone.url if "%s" in words else words) in caught.value.msg


def test_odd_id_token_claims_are_ignored(cxone):
    nested = base64.urlsafe_b64encode(deeply_nested().encode()).decode().rstrip("=")
    cxone.queue("/auth/token", token_answer(cxone, id_token="h.%s.s" % nested))
    with pytest.raises(SettingsError, match="does not name a tenant"):
        authenticator(cxone).api_base_url()


@pytest.mark.parametrize("tenant", [{"id": 1}, True, "  "])
def test_a_tenant_claim_that_is_no_id_asks_for_tenant_id(cxone, tenant):
    cxone.queue("/auth/token", token_answer(cxone, id_token=jwt({"tenantId": tenant})))
    with pytest.raises(SettingsError, match="does not name a tenant"):
        authenticator(cxone).api_base_url()


@pytest.mark.parametrize("retry_after", ["²", "1²", " 3 ", "Fri, 99 Foo 99999 99:99:99 GMT"])
def test_an_odd_retry_after_on_the_login_path_is_a_plain_retry(cxone, retry_after):
    cxone.queue("/auth/token", cxone.answer(503, text="busy", content_type="text/plain", headers={"Retry-After": retry_after}),
                token_answer(cxone, "access-after-retry"))
    assert authenticator(cxone, retries=1).bearer()[0] == "access-after-retry"


def test_the_login_path_fits_in_the_connections_command_timeout():
    assert worst_case_seconds(30, 5) > 300  # what one discovery could take without a budget
    assert login_path_worst_case(30, 5) <= 240
    assert login_path_worst_case(600, 20) <= 240


def test_a_login_stops_retrying_at_its_time_limit(cxone):
    clock = Clock()
    cxone.default("/auth/token", cxone.answer(503, text="busy", content_type="text/plain", headers={"Retry-After": "30"}))
    given = {"issuer": cxone.url, "client_id": "app", "access_key_id": "KEYID", "retries": 20}
    given.update(SECRETS)
    settings = validate_settings(given)

    def sleep(seconds):
        clock.now += seconds

    auth = Authenticator(settings, Transport.for_settings(settings, sleep=sleep, clock=clock, rand=lambda: 0.0),
                         clock=clock)
    with pytest.raises(AuthError, match="HTTP 503"):
        auth.bearer()
    assert clock.now - 1000.0 <= LOGIN_REQUEST_BUDGET
    assert len(cxone.to("/auth/token")) == 2
