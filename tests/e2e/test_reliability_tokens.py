# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Token trouble during large batches: tokens that expire every two seconds, a revocation mid-batch
and credentials rotated mid-batch; every agent keeps exactly one true result and logins stay few."""

from __future__ import annotations

import threading
import time

import pytest

from e2e_helpers import ACCESS_KEY_ID, API_USER, agent_ids, make_tenant  # pylint: disable=import-error

pytestmark = pytest.mark.e2e


def start_batch(ansible, agents, inventory=None, **options):
    options.setdefault("concurrency", 32)
    task = {"name": "batch", "cxone.recording.cxone_recording_start": dict(user_id=agents, **options),
            "ignore_errors": True}
    if inventory:
        return ansible.run(ansible.play([task], hosts="cxone"), inventory=inventory)
    return ansible.run(ansible.play([task], module_defaults=ansible.direct_vars(timeout=1)))


def _revoke_when_running(sandbox, after_operations, also=None):
    """Revoke every token once the batch has sent ``after_operations`` requests."""
    def watch():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if sandbox.stats()["operation_requests"]["start"] >= after_operations:
                if also:
                    also()
                sandbox.revoke_tokens()
                return
            time.sleep(0.02)
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    return watcher


def _token_requests(sandbox):
    return [request for request in sandbox.requests()["requests"] if request["grant_type"]]


def _max_overlap(requests):
    edges = sorted([(request["time"], 1) for request in requests] + [(request["finished"], -1) for request in requests],
                   key=lambda edge: (edge[0], edge[1]))
    level = peak = 0
    for _when, step in edges:
        level += step
        peak = max(peak, level)
    return peak


@pytest.mark.parametrize("mode", ["direct", "connection"])
def test_tokens_expiring_every_two_seconds_fail_no_agent(ansible, sandbox, mode):
    agents = agent_ids(600, prefix="e2b0")
    sandbox.add_tenant(make_tenant(agents=agents, calls=agents, token_lifetime=2))
    sandbox.set_latency(60)
    inventory = ansible.tenant_inventory() if mode == "connection" else None
    run = start_batch(ansible, agents, inventory=inventory, concurrency=8)
    result = run.result("batch")
    assert result["summary"]["completed"] == 600, result["msg"]
    tokens = _token_requests(sandbox)
    assert len(tokens) >= 3, "the batch outlived several tokens"
    assert _max_overlap(tokens) == 1, "at most one login or refresh in flight at a time"
    assert sum(request["grant_type"] == "password" for request in tokens) == 1


@pytest.mark.parametrize("mode", ["direct", "connection"])
def test_a_token_revoked_mid_batch_is_recovered_once(ansible, sandbox, mode):
    agents = agent_ids(400, prefix="ae0b")
    sandbox.add_tenant(make_tenant(agents=agents, calls=agents))
    sandbox.set_latency(20)
    watcher = _revoke_when_running(sandbox, 100)
    inventory = ansible.tenant_inventory() if mode == "connection" else None
    result = start_batch(ansible, agents, inventory=inventory, concurrency=8).result("batch")
    watcher.join()
    assert result["summary"]["completed"] == 400, result["msg"]
    rejected = [request for request in sandbox.requests()["requests"] if request["operation"] and request["status"] == 401]
    assert rejected, "the revocation really hit the batch"
    assert [request["grant_type"] for request in _token_requests(sandbox)].count("password") == 2


def test_credentials_that_stay_invalid_fail_clearly_without_a_retry_storm(ansible, sandbox):
    agents = agent_ids(400, prefix="dead")
    sandbox.add_tenant(make_tenant(agents=agents, calls=agents))
    sandbox.set_latency(20)

    def rotate_key():
        sandbox.set_access_key(ACCESS_KEY_ID, "a-rotated-secret", API_USER)

    watcher = _revoke_when_running(sandbox, 100, also=rotate_key)
    run = start_batch(ansible, agents, concurrency=8)
    watcher.join()
    result = run.result("batch")
    assert result["failed"] is True
    assert "login with access key %s failed: HTTP 400" % ACCESS_KEY_ID in result["msg"]
    assert result["summary"]["completed"] >= 90 and result["summary"]["failed"] > 0
    assert result["summary"]["completed"] + result["summary"]["failed"] == 400
    grants = [request["grant_type"] for request in _token_requests(sandbox)]
    assert grants.count("password") == 2 and grants.count("refresh_token") <= 1, grants
