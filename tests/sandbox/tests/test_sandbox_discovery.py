# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Discovery: the OpenID configuration and CXone's per-tenant API endpoint."""

from __future__ import annotations

import pytest

from sandbox_helpers import RECORDING_PATH, make_tenant


@pytest.mark.usefixtures("control")
def test_openid_configuration_names_the_token_endpoint(server, cxone):
    answer = cxone.session.get(server.url + "/.well-known/openid-configuration")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/json"
    config = answer.json()
    assert config["issuer"] == server.url
    assert config["token_endpoint"] == server.url + "/auth/token"
    assert config["jwks_uri"].startswith(server.url)
    assert config["grant_types_supported"] == ["password", "refresh_token"]


def test_cxone_configuration_gives_the_tenant_api_endpoint(server, control, cxone):
    control.add_tenant(make_tenant("tenant-a", "na1"))
    answer = cxone.session.get(server.url + "/.well-known/cxone-configuration", params={"tenantId": "tenant-a"})
    assert answer.status_code == 200
    assert answer.json() == {"private": False, "area": "na1", "cluster": "B32", "domain": "niceincontact.com",
                             "api_endpoint": server.api_url + "/api-na1", "auth_endpoint": server.url,
                             "ui_endpoint": server.url + "/ui", "tenantId": "tenant-a"}


def test_cxone_configuration_unknown_or_missing_tenant(server, control, cxone):
    control.add_tenant(make_tenant())
    unknown = cxone.session.get(server.url + "/.well-known/cxone-configuration", params={"tenantId": "nope"})
    assert unknown.status_code == 404
    assert unknown.json() == {"error": "not_found", "error_description": "Unknown tenant"}
    missing = cxone.session.get(server.url + "/.well-known/cxone-configuration")
    assert missing.status_code == 400
    assert missing.json()["error"] == "invalid_request"


def test_discovery_is_counted(server, control, cxone):
    control.add_tenant(make_tenant())
    cxone.session.get(server.url + "/.well-known/openid-configuration")
    cxone.session.get(server.url + "/.well-known/cxone-configuration", params={"tenantId": "tenant-a"})
    cxone.session.get(server.url + "/.well-known/cxone-configuration", params={"tenantId": "tenant-a"})
    assert control.stats()["discovery_requests"] == {"openid": 1, "cxone": 2}


@pytest.mark.usefixtures("control")
def test_unknown_paths_answer_a_gateway_404_on_both_origins(server, cxone):
    for origin in (server.url, server.api_url):
        answer = cxone.session.get(origin + "/no/such/thing")
        assert answer.status_code == 404
        assert answer.json() == {"message": "No API at GET /no/such/thing"}


def test_the_api_lives_on_its_own_origin(server, control, cxone):
    """As on CXone, where api_endpoint is another host than the issuer: each origin answers only its own paths."""
    control.add_tenant(make_tenant(agents=["a1"], calls=["a1"]))
    assert server.api_url != server.url and server.api_url.startswith("http://127.0.0.1:")
    assert control.health()["api_url"] == server.api_url
    endpoint = cxone.session.get(server.url + "/.well-known/cxone-configuration", params={"tenantId": "tenant-a"}).json()["api_endpoint"]
    assert endpoint == server.api_url + "/api-na1"
    for path in ("/.well-known/openid-configuration", "/.well-known/cxone-configuration?tenantId=tenant-a", "/auth/jwks",
                 "/_sandbox/health"):
        assert cxone.session.get(server.api_url + path).status_code == 404, path
    assert cxone.session.post(server.api_url + "/auth/token", data={"grant_type": "password"}).status_code == 404
    token = cxone.login()
    assert cxone.session.post(server.url + "/api-na1" + RECORDING_PATH + "stop-recording-on-demand", params={"userId": "a1"},
                              headers={"Authorization": "Bearer " + token}).status_code == 404
    assert cxone.operation("stop", "a1", token).status_code == 200
    origins = [(entry["origin"], entry["path"].rsplit("/", 1)[1], entry["status"]) for entry in control.requests()["requests"]]
    assert ("issuer", "stop-recording-on-demand", 404) in origins and ("api", "stop-recording-on-demand", 200) in origins
    assert ("issuer", "token", 200) in origins and ("api", "token", 404) in origins
