# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Where the requests go: the API origin that discovery names, at the path that ``recording_api_path`` sets.

The sandbox serves a tenant's API only on its API origin (``api_endpoint``), only at the path
the tenant serves: a client that calls the issuer, or builds the path on its own, fails here as
it would against CXone.
"""

from __future__ import annotations

import pytest

from e2e_helpers import agent_ids, make_tenant, operation_requests  # pylint: disable=import-error

pytestmark = pytest.mark.e2e

ALICE, BOB = agent_ids(2, prefix="a91e")
VERSIONED = "/interaction-recording-management-service/v1/interactions"
UNVERSIONED = "/interaction-recording-management-service/interactions"      # the help page's form


@pytest.fixture
def tenant(sandbox):
    sandbox.add_tenant(make_tenant(agents=[ALICE, BOB], calls=[ALICE, BOB]))
    return sandbox


def stop(ansible, name="stop", **settings):
    task = {"name": name, "cxone.recording.cxone_recording_stop": {"user_id": [ALICE, BOB]}, "ignore_errors": True}
    run = ansible.run(ansible.play([task], module_defaults=ansible.direct_vars(**settings)))
    assert "Traceback" not in run.output, run.output
    return run.result(name)


def test_operations_go_to_the_api_origin_named_by_discovery(ansible, tenant):
    result = stop(ansible)
    assert result["summary"]["completed"] == 2, result
    logged = tenant.requests()["requests"]
    assert {(entry["origin"], entry["path"]) for entry in logged if not entry["operation"]} == {
        ("issuer", "/.well-known/openid-configuration"), ("issuer", "/auth/token"),
        ("issuer", "/.well-known/cxone-configuration")}
    assert {(entry["origin"], entry["path"]) for entry in operation_requests(tenant)} == {
        ("api", "/api-na1%s/stop-recording-on-demand" % VERSIONED)}


def test_a_given_api_endpoint_is_used_without_discovery(ansible, tenant):
    result = stop(ansible, api_endpoint=ansible.api_url + "/api-na1")
    assert result["summary"]["completed"] == 2, result
    assert tenant.stats()["discovery_requests"]["cxone"] == 0
    assert {entry["origin"] for entry in operation_requests(tenant)} == {"api"}


def test_an_api_endpoint_on_the_issuer_origin_fails_with_cxones_404(ansible, tenant):
    result = stop(ansible, api_endpoint=ansible.sandbox_url + "/api-na1")
    assert result["failed"] and result["summary"]["failed"] == 2, result
    path = "/api-na1%s/stop-recording-on-demand" % VERSIONED
    for entry in result["results"]:
        assert entry["http_status"] == 404
        assert "HTTP 404: No API at POST %s" % path in entry["msg"], entry["msg"]
    assert tenant.agent_state(ALICE)["stopped_on_demand"] is False


def test_recording_api_path_is_the_path_used(ansible, tenant):
    """A tenant that serves the help page's unversioned path: the default fails, the setting works."""
    tenant.settings(recording_api_path=UNVERSIONED)
    default = stop(ansible, name="default path")
    assert default["failed"] and [entry["http_status"] for entry in default["results"]] == [404, 404]
    assert "No API at POST /api-na1%s/stop-recording-on-demand" % VERSIONED in default["results"][0]["msg"]
    assert tenant.agent_state(ALICE)["stopped_on_demand"] is False

    chosen = stop(ansible, name="chosen path", recording_api_path=UNVERSIONED + "/")
    assert chosen["summary"]["completed"] == 2, chosen
    assert tenant.agent_state(ALICE)["stopped_on_demand"] is True
    served = [entry for entry in operation_requests(tenant) if entry["status"] == 200]
    assert {entry["path"] for entry in served} == {"/api-na1%s/stop-recording-on-demand" % UNVERSIONED}
