# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Faults and token trouble during large batches: every agent keeps exactly one true result."""

from __future__ import annotations

import collections
import threading
import time

import pytest

from conftest import ACCESS_KEY_ID, API_USER, agent_ids, make_tenant  # pylint: disable=import-error

pytestmark = pytest.mark.e2e

BATCH = 1000
FAULT_RATE = 0.3

FAULTS = {
    "425 locked": {"kind": "status", "status": 425},
    "429 with Retry-After": {"kind": "status", "status": 429, "retry_after": "1"},
    "429 without Retry-After": {"kind": "status", "status": 429},
    "500": {"kind": "status", "status": 500},
    "502 HTML page": {"kind": "status", "status": 502},
    "503": {"kind": "status", "status": 503},
    "504": {"kind": "status", "status": 504},
    "dropped connection": {"kind": "drop"},
    "slower than timeout": {"kind": "slow", "delay_ms": 1500},
}


def start_batch(ansible, agents, inventory=None, **options):
    options.setdefault("concurrency", 32)
    task = {"name": "batch", "cxone.recording.cxone_recording_start": dict(user_id=agents, **options),
            "ignore_errors": True}
    if inventory:
        return ansible.run(ansible.play([task], hosts="cxone"), inventory=inventory)
    return ansible.run(ansible.play([task], module_defaults=ansible.direct_vars(timeout=1)))


def recording_by_agent(sandbox):
    recording = {}
    for tenant in sandbox.state()["tenants"]:
        contacts = {contact["contact_id"]: contact for contact in tenant["contacts"]}
        for agent in tenant["agents"]:
            contact = contacts.get(agent["contact_id"])
            recording[agent["user_id"]] = contact["recording"] if contact else None
    return recording


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_thousand_agents_under_faults_each_end_with_one_true_result(ansible, sandbox, fault):
    agents = agent_ids(BATCH, prefix="fa17")
    sandbox.add_tenant(make_tenant(agents=agents, calls=agents))
    sandbox.add_fault(rate=FAULT_RATE, seed=7, **FAULTS[fault])
    result = start_batch(ansible, agents).result("batch")

    entries = result["results"]
    assert [entry["user_id"] for entry in entries] == agents, "one entry per agent, in input order"
    _wait_until_idle(sandbox)
    logged = collections.defaultdict(list)
    for request in sandbox.requests()["requests"]:
        if request["operation"] == "start":
            logged[request["user_id"]].append(request)
    recording = recording_by_agent(sandbox)
    faulted = 0
    for entry in entries:
        sent = logged[entry["user_id"]]
        faults = [request for request in sent if request["fault"]]
        faulted += bool(faults)
        assert entry["attempts"] == len(sent), entry
        if entry["outcome"] == "completed":
            assert recording[entry["user_id"]] == "voice", entry
        else:
            assert entry["outcome"] == "failed" and entry["attempts"] == 6, entry
            if not entry["unanswered_attempts"]:
                assert recording[entry["user_id"]] == "off", entry
        unanswered = sum(request["fault"] in ("drop", "slow") for request in sent)
        assert entry["unanswered_attempts"] == unanswered, entry
        if unanswered and entry["outcome"] == "completed":
            assert "may have taken effect" in entry["msg"]
    assert faulted > BATCH * FAULT_RATE * 0.8, "the faults really fired"
    assert result["summary"]["completed"] >= BATCH - 5


def _wait_until_idle(sandbox):
    """Wait for requests the module gave up on (timed out) to finish in the sandbox, and be logged."""
    deadline = time.monotonic() + 10
    while sandbox.stats()["in_flight"] and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)  # a request leaves the in-flight count just before its log entry is written


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
