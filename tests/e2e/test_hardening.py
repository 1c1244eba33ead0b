# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What a user sees in direct mode when a given token, a URL setting or an answer is not as expected.

- A given ``access_token`` is used first; when it has expired or CXone rejects it, the four
  login settings take over if they are set, and the message says what to do if they are not.
- A URL setting with a user name and password is refused without being shown.
- Odd answers on the way to a token end in a retry or a clear failure, never a traceback.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import time

import pytest

from e2e_helpers import TENANT_A, agent_ids, make_tenant  # pylint: disable=import-error

pytestmark = pytest.mark.e2e

AGENT = agent_ids(1, prefix="4a4d")[0]
URL_PASSWORD = "URL-PASSWORD-k9Xv"
# Leak searches look for this: the given tokens below must not show up either.
OPAQUE_TOKEN = "e2e-given-opaque-token-Q3mZ"


def given_jwt(expires):
    """A JWT shaped like CXone's with this ``exp`` (seconds since the epoch)."""
    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    return "%s.%s.%s" % (part({"alg": "RS256"}), part({"tenantId": TENANT_A, "exp": int(expires)}), "c2lnbmF0dXJl")


def fingerprint(token):
    return hashlib.sha256(token.encode()).hexdigest()[:12]


@pytest.fixture
def tenant(sandbox):
    sandbox.add_tenant(make_tenant(agents=[AGENT], calls=[AGENT]))
    return sandbox


def run_stop(ansible, settings, verbosity=0):
    task = {"name": "stop", "cxone.recording.cxone_recording_stop": {"user_id": AGENT}, "ignore_errors": True}
    run = ansible.run(ansible.play([task], module_defaults=settings), verbosity=verbosity)
    assert "Traceback" not in run.output and "MODULE FAILURE" not in run.output, run.output[-3000:]
    return run, run.result("stop")


def operations(sandbox):
    return [entry for entry in sandbox.requests()["requests"] if entry["operation"]]


def test_an_expired_given_token_with_the_login_settings_goes_straight_to_a_login(ansible, tenant):
    token = given_jwt(time.time() - 120)
    _run, result = run_stop(ansible, ansible.direct_vars(access_token=token))
    assert result["outcome"] == "completed", result["msg"]
    assert tenant.stats()["token_requests"]["password"] == 1
    assert fingerprint(token) not in [entry["token_sha256"] for entry in operations(tenant)]


def test_a_rejected_given_token_with_the_login_settings_logs_in_and_carries_on(ansible, tenant):
    _run, result = run_stop(ansible, ansible.direct_vars(access_token=OPAQUE_TOKEN, tenant_id=TENANT_A))
    assert result["outcome"] == "completed", result["msg"]
    sent = operations(tenant)
    assert [(entry["token_sha256"] == fingerprint(OPAQUE_TOKEN), entry["status"]) for entry in sent] == [
        (True, 401), (False, 200)]
    assert tenant.stats()["token_requests"]["password"] == 1


ADVICE = ("give a current token, or set client_id, client_secret, access_key_id and access_key_secret so that the "
          "collection can log in by itself")


def test_an_expired_given_token_alone_fails_before_any_request_saying_when(ansible, tenant):
    expires = int(time.time()) - 120
    when = datetime.datetime.fromtimestamp(expires, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    _run, result = run_stop(ansible, {"issuer": ansible.sandbox_url, "access_token": given_jwt(expires)})
    assert result["failed"] and result["results"][0]["outcome"] == "failed"
    assert "access_token: the token given expired at %s; %s" % (when, ADVICE) in result["msg"], result["msg"]
    assert tenant.requests()["requests"] == [], "nothing reached CXone"


@pytest.mark.parametrize("login_settings, missing", [
    ({}, None),
    ({"client_id": "e2e-client", "access_key_id": "E2EKEYID"}, "client_secret, access_key_secret"),
])
def test_a_rejected_given_token_without_all_login_settings_says_what_to_do(ansible, tenant, login_settings, missing):
    settings = dict({"issuer": ansible.sandbox_url, "access_token": OPAQUE_TOKEN, "tenant_id": TENANT_A}, **login_settings)
    _run, result = run_stop(ansible, settings)
    expected = "CXone rejected the access_token given (HTTP 401: expired or revoked); " + ADVICE
    if missing:
        expected += " (missing: %s)" % missing
    assert result["failed"] and result["msg"].endswith(expected), result["msg"]
    assert tenant.stats()["token_requests"]["password"] == 0


def issuer_with_password(ansible):
    return ansible.sandbox_url.replace("://", "://admin:%s@" % URL_PASSWORD)


def test_an_issuer_with_a_password_is_refused_without_showing_it(ansible, tenant):
    _run, result = run_stop(ansible, ansible.direct_vars(issuer=issuer_with_password(ansible)))
    assert result["failed"] and "issuer: the URL must not carry a user name or password" in result["msg"]
    assert URL_PASSWORD not in json.dumps({key: value for key, value in result.items() if key != "invocation"})
    assert tenant.requests()["requests"] == [], "nothing reached CXone"


def test_an_issuer_password_stays_out_of_verbose_output(ansible, tenant):
    run, _result = run_stop(ansible, ansible.direct_vars(issuer=issuer_with_password(ansible)), verbosity=4)
    assert URL_PASSWORD not in run.output


def test_an_odd_retry_after_on_the_login_is_an_ordinary_retry(ansible, tenant):
    tenant.add_fault("status", status=503, count=1, applies_to="token", retry_after="²")
    _run, result = run_stop(ansible, ansible.direct_vars())
    assert result["outcome"] == "completed", result["msg"]
    assert tenant.stats()["token_requests"]["password"] == 2


def test_a_token_answer_nested_too_deeply_is_a_clear_failure(ansible, tenant):
    tenant.add_fault("status", status=200, count=1, applies_to="token", body="[" * 50000 + "]" * 50000,
                     content_type="application/json")
    _run, result = run_stop(ansible, ansible.direct_vars())
    assert result["failed"]
    assert ("login with access key E2EKEYID: the token endpoint answered without an access_token (HTTP 200; the "
            "body is not JSON: [[[[") in result["msg"], result["msg"]
