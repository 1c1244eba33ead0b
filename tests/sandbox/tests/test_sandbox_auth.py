# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""OAuth: password and refresh grants, client authentication, expiry, revocation, permissions."""

from __future__ import annotations

import base64
import json
import time
from urllib.parse import quote

import pytest

from cxone_sandbox import SandboxError
from sandbox_helpers import API_USER, CLIENT_ID, CLIENT_SECRET, KEY_ID, KEY_SECRET, make_tenant


def _b64url_json(part):
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def _claims(jwt):
    parts = jwt.split(".")
    assert len(parts) == 3 and not any("=" in part for part in parts)
    return _b64url_json(parts[0]), _b64url_json(parts[1])


def test_password_grant_with_awkward_secrets(server, control, cxone):
    secret = "a=b&c+d %25 %/é?#"
    tenant = make_tenant(token_lifetime=1234)
    tenant["access_keys"][0]["secret"] = secret
    control.add_tenant(tenant)
    answer = cxone.token_request({"grant_type": "password", "username": KEY_ID, "password": secret})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 1234
    assert body["access_token"] and body["refresh_token"] and body["access_token"] != body["refresh_token"]
    header, claims = _claims(body["id_token"])
    assert header == {"alg": "RS256", "typ": "JWT"}
    assert claims["iss"] == server.url
    assert claims["tenantId"] == "tenant-a"
    assert claims["userId"] == API_USER
    assert claims["exp"] - claims["iat"] == 1234
    assert "name" in claims and "sub" in claims
    # The same secret percent-encoded by hand (as any client library does) round-trips too.
    raw = "grant_type=password&username=%s&password=%s" % (KEY_ID, quote(secret, safe=""))
    assert cxone.token_request(raw, headers={"Content-Type": "application/x-www-form-urlencoded"}).status_code == 200
    # Spaces may come as '+' or '%20'; a '+' of the secret itself must come as '%2B'.
    raw = "grant_type=password&username=%s&password=a%%3Db%%26c%%2Bd+%%2525%%20%%25%%2F%%C3%%A9%%3F%%23" % KEY_ID
    assert cxone.token_request(raw, headers={"Content-Type": "application/x-www-form-urlencoded"}).status_code == 200
    unencoded_plus = raw.replace("c%2Bd", "c+d")
    assert cxone.token_request(unencoded_plus, headers={"Content-Type": "application/x-www-form-urlencoded"}).status_code == 400


def test_client_authentication_failures_are_401(control, cxone):
    control.add_tenant(make_tenant())
    form = {"grant_type": "password", "username": KEY_ID, "password": KEY_SECRET}
    expected = {"error": "invalid_client", "error_description": "Client authentication failed"}
    for client in ((CLIENT_ID, "wrong"), ("unknown-client", CLIENT_SECRET), None):
        answer = cxone.token_request(form, client=client)
        assert answer.status_code == 401
        assert answer.json() == expected


def test_wrong_access_key_is_400_invalid_grant_without_echo(control, cxone):
    control.add_tenant(make_tenant())
    for username, password in ((KEY_ID, "not-the-secret"), ("NOKEY", KEY_SECRET)):
        answer = cxone.token_request({"grant_type": "password", "username": username, "password": password})
        assert answer.status_code == 400
        assert answer.json() == {"error": "invalid_grant", "error_description": "Invalid access key credentials"}
        assert password not in answer.text and username not in answer.text
    assert control.stats()["token_requests"]["failed"] == 2


def test_client_of_one_tenant_cannot_use_another_tenants_key(control, cxone):
    control.add_tenant(make_tenant("tenant-a", "na1"))
    other = make_tenant("tenant-b", "eu1")
    other["clients"] = {"b-client": "b-secret"}
    other["access_keys"][0].update(id="BKEY", secret="b-key-secret")
    control.add_tenant(other)
    answer = cxone.token_request({"grant_type": "password", "username": "BKEY", "password": "b-key-secret"})
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"
    assert cxone.login("BKEY", "b-key-secret", client=("b-client", "b-secret"))


@pytest.mark.parametrize("form, error", [
    ({"grant_type": "client_credentials"}, "unsupported_grant_type"),
    ({"grant_type": "password", "username": KEY_ID}, "invalid_request"),
    ({"username": KEY_ID, "password": KEY_SECRET}, "invalid_request"),
    ({"grant_type": "refresh_token"}, "invalid_request"),
    ({"grant_type": "refresh_token", "refresh_token": "made-up"}, "invalid_grant"),
])
def test_bad_token_requests(control, cxone, form, error):
    control.add_tenant(make_tenant())
    answer = cxone.token_request(form)
    assert answer.status_code == 400
    assert answer.json()["error"] == error


def test_token_request_must_be_form_encoded(control, cxone):
    control.add_tenant(make_tenant())
    answer = cxone.session.post(cxone.base + "/auth/token", json={"grant_type": "password", "username": KEY_ID, "password": KEY_SECRET},
                                auth=(CLIENT_ID, CLIENT_SECRET))
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"


def test_refresh_grant_rotates_the_refresh_token(control, cxone):
    control.add_tenant(make_tenant(agents=["a1"], calls=["a1"]))
    first = cxone.token_request({"grant_type": "password", "username": KEY_ID, "password": KEY_SECRET}).json()
    renewed = cxone.token_request({"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    assert renewed.status_code == 200, renewed.text
    body = renewed.json()
    assert body["access_token"] != first["access_token"] and body["refresh_token"] != first["refresh_token"]
    assert cxone.operation("start", "a1", body["access_token"]).status_code == 200
    again = cxone.token_request({"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    counts = control.stats()["token_requests"]
    assert counts["password"] == 1 and counts["refresh_token"] == 2 and counts["failed"] == 1


def test_refresh_token_belongs_to_its_client(control, cxone):
    tenant = make_tenant()
    tenant["clients"]["second-client"] = "second-secret"
    control.add_tenant(tenant)
    first = cxone.token_request({"grant_type": "password", "username": KEY_ID, "password": KEY_SECRET}).json()
    answer = cxone.token_request({"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}, client=("second-client", "second-secret"))
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"


def test_expired_token_is_refused_and_refresh_still_works(control, cxone):
    control.add_tenant(make_tenant(agents=["a1"], calls=["a1"], token_lifetime=1))
    body = cxone.token_request({"grant_type": "password", "username": KEY_ID, "password": KEY_SECRET}).json()
    assert body["expires_in"] == 1
    assert cxone.operation("start", "a1", body["access_token"]).status_code == 200
    time.sleep(1.1)
    answer = cxone.operation("stop", "a1", body["access_token"])
    assert answer.status_code == 401
    assert answer.json() == {"error": "invalid_token", "error_description": "Access token expired"}
    assert "invalid_token" in answer.headers["WWW-Authenticate"]
    renewed = cxone.token_request({"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}).json()
    assert cxone.operation("stop", "a1", renewed["access_token"]).status_code == 200


def test_missing_or_unknown_token_is_401(token, cxone):
    expected = {"error": "invalid_token", "error_description": "Access token is missing or invalid"}
    for bearer in (None, "not-a-token"):
        answer = cxone.operation("start", "a1", bearer)
        assert answer.status_code == 401 and answer.json() == expected
    malformed = cxone.session.post(cxone.api + "/api-na1/interaction-recording-management-service/v1/interactions/start-recording-on-demand",
                                   params={"userId": "a1"}, headers={"Authorization": "Basic " + token})
    assert malformed.status_code == 401 and malformed.json() == expected


def test_revoked_tokens(control, cxone, token):
    refresh = cxone.token_request({"grant_type": "password", "username": KEY_ID, "password": KEY_SECRET}).json()["refresh_token"]
    assert control.revoke_tokens()["revoked_access_tokens"] == 2
    answer = cxone.operation("start", "a1", token)
    assert answer.status_code == 401
    assert answer.json()["error_description"] == "Access token revoked"
    assert cxone.token_request({"grant_type": "refresh_token", "refresh_token": refresh}).status_code == 400
    # A fresh login works at once.
    assert cxone.operation("start", "a1", cxone.login()).status_code == 200


@pytest.mark.usefixtures("token")
def test_revoke_can_keep_refresh_tokens(control, cxone):
    refresh = cxone.token_request({"grant_type": "password", "username": KEY_ID, "password": KEY_SECRET}).json()["refresh_token"]
    control.revoke_tokens(keep_refresh=True)
    renewed = cxone.token_request({"grant_type": "refresh_token", "refresh_token": refresh})
    assert renewed.status_code == 200
    assert cxone.operation("start", "a1", renewed.json()["access_token"]).status_code == 200


def test_missing_permission_is_403(control, cxone, token):
    control.set_access_key(KEY_ID, KEY_SECRET, API_USER, permissions=[])
    answer = cxone.operation("start", "a1", token)
    assert answer.status_code == 403
    assert answer.json() == {"description": "User lacks the Multi-ACD Record on Demand API permission", "httpStatus": "FORBIDDEN"}
    control.set_access_key("OTHERKEY", "other-secret", API_USER)
    assert cxone.operation("start", "a1", cxone.login("OTHERKEY", "other-secret")).status_code == 200


# -- JWT access tokens ------------------------------------------------------------------------

def test_a_tenant_may_issue_jwt_access_tokens_naming_it(server, control, cxone):
    control.add_tenant(make_tenant(agents=["a1"], calls=["a1"], access_token_format="jwt", token_lifetime=600))
    body = cxone.token_request({"grant_type": "password", "username": KEY_ID, "password": KEY_SECRET}).json()
    header, claims = _claims(body["access_token"])
    assert header == {"alg": "HS256", "typ": "JWT"}
    assert claims["tenantId"] == "tenant-a" and claims["userId"] == API_USER and claims["sub"] == "user:" + API_USER
    assert claims["iss"] == server.url and claims["exp"] - claims["iat"] == 600
    assert body["refresh_token"].startswith("sbxRT")
    assert cxone.operation("start", "a1", body["access_token"]).status_code == 200
    # A refreshed token is a JWT too, and a new one.
    refreshed = cxone.token_request({"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}).json()
    assert _claims(refreshed["access_token"])[1]["tenantId"] == "tenant-a"
    assert refreshed["access_token"] != body["access_token"]


def test_a_jwt_access_token_is_checked_like_an_opaque_one(control, cxone):
    control.add_tenant(make_tenant(agents=["a1"], calls=["a1"], access_token_format="jwt"))
    token = control.issue_token()["access_token"]
    header, payload, signature = token.split(".")
    # A token with a changed claim (a later expiry) is not one the sandbox issued.
    forged_claims = dict(_b64url_json(payload), exp=4102444800)
    forged = ".".join((header, base64.urlsafe_b64encode(json.dumps(forged_claims).encode()).decode().rstrip("="), signature))
    refused = cxone.operation("stop", "a1", forged)
    assert refused.status_code == 401 and refused.json()["error_description"] == "Access token is missing or invalid"
    control.revoke_tokens()
    assert cxone.operation("stop", "a1", token).json()["error_description"] == "Access token revoked"


def test_the_token_format_is_a_setting(control, cxone):
    control.add_tenant(make_tenant())
    assert cxone.login().startswith("sbxAT")
    assert control.settings(access_token_format="jwt")["access_token_format"] == "jwt"
    assert _claims(cxone.login())[1]["tenantId"] == "tenant-a"
    with pytest.raises(SandboxError) as refused:
        control.settings(access_token_format="paseto")
    assert refused.value.status == 400 and "access_token_format" in refused.value.body["error"]


def test_the_control_api_issues_a_token_without_a_login(control, cxone):
    control.add_tenant(make_tenant(agents=["a1"], calls=["a1"]))
    control.set_access_key("OTHERKEY", "other-secret", "99999999-0000-4000-8000-000000000002")
    body = control.issue_token()
    assert body["access_token"].startswith("sbxAT") and body["token_type"] == "Bearer"
    assert _claims(body["id_token"])[1]["userId"] == API_USER           # the tenant's first key by default
    assert cxone.operation("start", "a1", body["access_token"]).status_code == 200
    other = control.issue_token(key_id="OTHERKEY")
    assert _claims(other["id_token"])[1]["userId"] == "99999999-0000-4000-8000-000000000002"
    # Its refresh token belongs to the tenant's client, as after a login.
    assert cxone.token_request({"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}).status_code == 200
    assert control.stats()["token_requests"]["password"] == 0, "no login request was made"
    with pytest.raises(SandboxError) as unknown:
        control.issue_token(key_id="NOKEY")
    assert unknown.value.status == 404
