# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Several tenants: separate API prefixes, and tokens that work only for their own tenant."""

from __future__ import annotations

from sandbox_helpers import make_tenant


def _two_tenants(control):
    control.add_tenant(make_tenant("tenant-a", "na1", agents=["shared", "a-only"], calls=["shared", "a-only"]))
    other = make_tenant("tenant-b", "eu1", agents=["shared", "b-only"], calls=["shared", "b-only"])
    other["clients"] = {"b-client": "b-secret"}
    other["access_keys"][0].update(id="BKEY", secret="b-key-secret")
    control.add_tenant(other)


def test_each_tenant_has_its_own_api_prefix(server, control, cxone):
    _two_tenants(control)
    endpoints = [cxone.session.get(server.url + "/.well-known/cxone-configuration", params={"tenantId": t}).json()["api_endpoint"]
                 for t in ("tenant-a", "tenant-b")]
    assert endpoints == [server.api_url + "/api-na1", server.api_url + "/api-eu1"]


def test_token_of_tenant_a_is_refused_on_tenant_b(control, cxone):
    _two_tenants(control)
    token_a = cxone.login()
    token_b = cxone.login("BKEY", "b-key-secret", client=("b-client", "b-secret"))
    refused = cxone.operation("start", "b-only", token_a, area="eu1")
    assert refused.status_code == 401
    assert refused.json() == {"error": "invalid_token", "error_description": "Access token not valid for this tenant"}
    assert cxone.operation("start", "shared", token_b, area="eu1").status_code == 200
    # The same user id in tenant A's area is tenant A's agent, not B's.
    assert cxone.operation("start", "shared", token_a, mediaType="voiceAndScreen").status_code == 200
    assert control.agent_state("shared", tenant_id="tenant-a")["recording"] == "voiceAndScreen"
    assert control.agent_state("shared", tenant_id="tenant-b")["recording"] == "voice"
    assert cxone.operation("start", "b-only", token_a).status_code == 404


def test_revoking_one_tenant_leaves_the_other(control, cxone):
    _two_tenants(control)
    token_a = cxone.login()
    token_b = cxone.login("BKEY", "b-key-secret", client=("b-client", "b-secret"))
    control.revoke_tokens(tenant_id="tenant-b")
    assert cxone.operation("start", "a-only", token_a).status_code == 200
    assert cxone.operation("start", "b-only", token_b, area="eu1").status_code == 401


def test_settings_need_a_tenant_when_there_are_several(control):
    from cxone_sandbox import SandboxError  # pylint: disable=import-outside-toplevel
    _two_tenants(control)
    try:
        control.settings(recording_policy="voice")
    except SandboxError as error:
        assert error.status == 400
    else:
        raise AssertionError("settings without tenant_id should be refused")
    assert control.settings(tenant_id="tenant-b", recording_policy="voice")["recording_policy"] == "voice"
