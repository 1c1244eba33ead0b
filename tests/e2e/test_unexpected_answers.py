# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Answers of an unexpected shape give a clear error or a safe default, never a traceback."""

from __future__ import annotations

import pytest

from e2e_helpers import TENANT_A, agent_ids, make_tenant  # pylint: disable=import-error

pytestmark = pytest.mark.e2e

AGENT = agent_ids(1, prefix="0dd0")[0]


@pytest.fixture
def tenant(sandbox):
    sandbox.add_tenant(make_tenant(agents=[AGENT], calls=[AGENT]))
    return sandbox


def run_stop(ansible, **settings):
    task = {"name": "stop", "cxone.recording.cxone_recording_stop": {"user_id": AGENT}, "ignore_errors": True}
    run = ansible.run(ansible.play([task], module_defaults=ansible.direct_vars(**settings)))
    assert "Traceback" not in run.output and "MODULE FAILURE" not in run.output, run.output
    return run.result("stop")


@pytest.mark.parametrize("body", ["", "OK, stopped", "[1, 2, 3]", '{"contactId": {"nested": true}}'])
def test_a_success_without_the_documented_body_is_still_a_success(ansible, tenant, body):
    tenant.add_fault("status", status=200, body=body, count=1, applies_to="operations")
    result = run_stop(ansible)
    assert result["outcome"] == "completed" and result["http_status"] == 200
    assert result["contact_id"] is None


def test_a_token_answer_without_expires_in_or_id_token_is_used_with_defaults(ansible, tenant):
    tenant.add_fault("status", status=200, count=1, applies_to="token",
                     body='{"access_token": "sbxATnot-a-real-token", "token_type": "Bearer"}')
    result = run_stop(ansible, tenant_id=TENANT_A)
    assert result["outcome"] == "completed", result["msg"]
    # The login answered by the fault, then one new login once CXone rejected that token.
    assert tenant.stats()["token_requests"]["password"] == 2


def test_without_id_token_the_tenant_must_be_named(ansible, tenant):
    tenant.add_fault("status", status=200, count=1, applies_to="token", body='{"access_token": "opaque"}')
    result = run_stop(ansible)
    assert result["failed"] is True
    assert "tenant_id: the access token does not name a tenant; set tenant_id or api_endpoint" in result["msg"]


def test_a_token_answer_that_is_not_json_is_explained(ansible, tenant):
    tenant.add_fault("status", status=200, count=1, applies_to="token", body="<html>login</html>", content_type="text/html")
    result = run_stop(ansible)
    assert "the token endpoint answered without an access_token" in result["msg"]


def test_a_discovery_answer_without_token_endpoint_is_explained(ansible, tenant):
    tenant.add_fault("status", status=200, count=1, applies_to="discovery", body="{}")
    result = run_stop(ansible)
    assert "OpenID discovery at issuer %s: the answer names no token_endpoint" % ansible.sandbox_url in result["msg"]
