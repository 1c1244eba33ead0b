# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import threading

import pytest

from ansible_collections.cxone.recording.plugins.module_utils._batch import act_for_each


class Task:
    """A task whose act is the given function of the user id; a fault's entry names its type."""

    def __init__(self, act_one):
        self.act_one = act_one

    def act(self, session, user_id):
        assert session == "session"
        return self.act_one(user_id)

    @staticmethod
    def failed_entry(user_id, http_status, msg):
        return {"user_id": user_id, "http_status": http_status, "msg": msg}


@pytest.mark.parametrize("concurrency", [1, 8, 64])
def test_every_user_comes_back_in_input_order(concurrency):
    ids = ["u%03d" % number for number in range(100)]
    entries = act_for_each(Task(lambda user_id: {"user_id": user_id}), "session", ids, concurrency)
    assert [entry["user_id"] for entry in entries] == ids


def test_a_fault_for_one_user_becomes_that_users_entry():
    def act_one(user_id):
        if user_id == "b":
            raise KeyError("secret-looking text")
        return {"user_id": user_id}

    entries = act_for_each(Task(act_one), "session", ["a", "b", "c"], 4)
    assert entries[0] == {"user_id": "a"} and entries[2] == {"user_id": "c"}
    assert entries[1] == {"user_id": "b", "http_status": None,
                          "msg": "user b: unexpected error (KeyError); the request may or may not have reached CXone"}


def test_no_more_than_concurrency_requests_run_at_once():
    running = []
    peak = []
    lock = threading.Lock()
    release = threading.Event()

    def act_one(user_id):
        with lock:
            running.append(user_id)
            peak.append(len(running))
            if len(running) == 3:
                release.set()
        release.wait(5)
        with lock:
            running.remove(user_id)
        return {"user_id": user_id}

    act_for_each(Task(act_one), "session", ["u%d" % number for number in range(12)], 3)
    assert max(peak) == 3
