# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Faults during large batches: every agent keeps exactly one true result.

Token trouble during large batches (expiry, revocation, rotated credentials) is in
``test_reliability_tokens.py``: a file of its own, so that ``make e2e`` runs it on another
pytest-xdist worker than these batches.
"""

from __future__ import annotations

import collections
import time

import pytest

from e2e_helpers import agent_ids, make_tenant  # pylint: disable=import-error

pytestmark = pytest.mark.e2e

BATCH = 1000
FAULT_RATE = 0.3
# A Retry-After pauses every worker of a batch (adaptive concurrency, the default): with 30% of the
# answers a 429 "Retry-After: 1" the batch runs about one request per 0.75 s, so 1,000 agents would
# take over five minutes. 150 agents go through the same pauses, retries and counts.
BATCH_UNDER_FAULT = {"429 with Retry-After": 150}

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


def start_batch(ansible, agents):
    task = {"name": "batch", "cxone.recording.cxone_recording_start": {"user_id": agents, "concurrency": 32},
            "ignore_errors": True}
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
    batch = BATCH_UNDER_FAULT.get(fault, BATCH)
    agents = agent_ids(batch, prefix="fa17")
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
    assert faulted > batch * FAULT_RATE * 0.8, ("the faults really fired", faulted)
    assert result["summary"]["completed"] >= batch - 5


def _wait_until_idle(sandbox):
    """Wait for requests the module gave up on (timed out) to finish in the sandbox, and be logged."""
    deadline = time.monotonic() + 10
    while sandbox.stats()["in_flight"] and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)  # a request leaves the in-flight count just before its log entry is written
