# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import threading

import pytest

from ansible_collections.cxone.recording.plugins.module_utils._batch import run_batch


def fault_entry(user_id, exc):
    return {"user_id": user_id, "fault": type(exc).__name__}


@pytest.mark.parametrize("concurrency", [1, 8, 64])
def test_every_user_comes_back_in_input_order(concurrency):
    ids = ["u%03d" % number for number in range(100)]
    entries = run_batch(ids, lambda user_id: {"user_id": user_id}, fault_entry, concurrency)
    assert [entry["user_id"] for entry in entries] == ids


def test_a_fault_for_one_user_becomes_that_users_entry():
    def send_one(user_id):
        if user_id == "b":
            raise KeyError("boom")
        return {"user_id": user_id}

    entries = run_batch(["a", "b", "c"], send_one, fault_entry, 4)
    assert entries == [{"user_id": "a"}, {"user_id": "b", "fault": "KeyError"}, {"user_id": "c"}]


def test_no_more_than_concurrency_requests_run_at_once():
    running = []
    peak = []
    lock = threading.Lock()
    release = threading.Event()

    def send_one(user_id):
        with lock:
            running.append(user_id)
            peak.append(len(running))
            if len(running) == 3:
                release.set()
        release.wait(5)
        with lock:
            running.remove(user_id)
        return {"user_id": user_id}

    run_batch(["u%d" % number for number in range(12)], send_one, fault_entry, 3)
    assert max(peak) == 3
