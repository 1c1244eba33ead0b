# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""An ``access_token`` given alone: no login credentials, no ``tenant_id``, no ``api_endpoint``.

CXone's access tokens may be JWTs that name the tenant (``tenantId``): the collection then
finds the tenant's API by discovery. An opaque token names nothing: the user must say which
tenant (``tenant_id``) or where its API is (``api_endpoint``), and is told so before any
request. Each case runs in direct mode and over the ``cxone_api`` connection. The token is
obtained from the sandbox as a user's own script would have it, and passed as a secret.
"""

from __future__ import annotations

import pytest

from e2e_helpers import TENANT_A, agent_ids, make_tenant, operation_requests  # pylint: disable=import-error

pytestmark = pytest.mark.e2e

ALICE, BOB = agent_ids(2, prefix="70ce")
NO_TENANT = "tenant_id: the access token does not name a tenant; set tenant_id or api_endpoint"


def start(ansible, mode, token, **settings):
    """Start recording for Alice and Bob with only the issuer and the token (plus ``settings``)."""
    ansible.secrets(e2e_access_token=token)
    given = dict({"issuer": ansible.sandbox_url, "access_token": "{{ e2e_access_token }}"}, **settings)
    task = {"name": "start", "cxone.recording.cxone_recording_start": {"user_id": [ALICE, BOB]}, "ignore_errors": True}
    if mode == "direct":
        run = ansible.run(ansible.play([task], module_defaults=given))
    else:
        run = ansible.run(ansible.play([task], hosts="cxone"), inventory=ansible.inventory({"tenant_a": given}))
    assert "Traceback" not in run.output, run.output
    return run.result("start")


def given_token(sandbox, token_format):
    sandbox.add_tenant(make_tenant(agents=[ALICE, BOB], calls=[ALICE, BOB], access_token_format=token_format))
    return sandbox.issue_token()["access_token"]


@pytest.mark.parametrize("mode", ["direct", "plugin"])
def test_a_jwt_alone_names_the_tenant_and_the_api_is_discovered(ansible, sandbox, mode):
    token = given_token(sandbox, "jwt")
    result = start(ansible, mode, token)
    assert result["summary"]["completed"] == 2, result
    assert sandbox.agent_state(BOB)["recording"] == "voice"
    logged = sandbox.requests()["requests"]
    discovery = [entry for entry in logged if entry["path"] == "/.well-known/cxone-configuration"]
    assert [entry["query"] for entry in discovery] == [{"tenantId": [TENANT_A]}], "the tenant came from the token"
    assert sandbox.stats()["token_requests"]["password"] == 0, "no login"
    assert {entry["origin"] for entry in operation_requests(sandbox)} == {"api"}


@pytest.mark.parametrize("mode", ["direct", "plugin"])
def test_an_opaque_token_alone_asks_for_the_tenant(ansible, sandbox, mode):
    token = given_token(sandbox, "opaque")
    result = start(ansible, mode, token)
    assert result["failed"], result
    assert NO_TENANT in result["msg"], result["msg"]
    assert sandbox.requests()["requests"] == [], "nothing was sent, not even discovery"
    assert sandbox.agent_state(ALICE)["recording"] == "off"


def test_an_opaque_token_works_with_tenant_id_or_api_endpoint(ansible, sandbox):
    token = given_token(sandbox, "opaque")
    with_tenant = start(ansible, "direct", token, tenant_id=TENANT_A)
    assert with_tenant["summary"]["completed"] == 2, with_tenant
    assert sandbox.stats()["discovery_requests"]["cxone"] == 1
    with_endpoint = start(ansible, "direct", token, api_endpoint=ansible.api_url + "/api-na1")
    assert with_endpoint["summary"]["completed"] == 2, with_endpoint
    assert sandbox.stats()["discovery_requests"]["cxone"] == 1, "no discovery with api_endpoint"
    assert sandbox.stats()["token_requests"]["password"] == 0
