# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Adaptive concurrency: fewer requests in flight after a 429, gradually more after answers."""

from __future__ import annotations

import threading

import pytest

from ansible_collections.cxone.recording.plugins.module_utils._pacing import AdaptiveLimit


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def answered(limit, status, retry_after=None):
    assert limit.acquire()
    limit.release(status, retry_after)


def test_a_429_halves_the_limit_once_per_burst():
    clock = Clock()
    limit = AdaptiveLimit(16, clock)
    for _request in range(5):
        answered(limit, 429)
    assert limit.limit == 8.0
    clock.now += 1.0
    answered(limit, 429)
    assert limit.limit == 4.0 and limit.lowest == 4.0


def test_the_limit_never_drops_below_one():
    clock = Clock()
    limit = AdaptiveLimit(2, clock)
    for _round in range(5):
        answered(limit, 429)
        clock.now += 1.0
    assert limit.limit == 1.0


def test_answers_raise_the_limit_back_to_the_maximum_gradually():
    clock = Clock()
    limit = AdaptiveLimit(8, clock)
    answered(limit, 429)
    assert limit.limit == 4.0
    for _request in range(4):
        answered(limit, 200)
    assert 4.0 < limit.limit < 6.0, "about one more in flight per round of answers"
    for _request in range(100):
        answered(limit, 404)
    assert limit.limit == 8.0


def test_no_answer_changes_nothing():
    limit = AdaptiveLimit(8, Clock())
    answered(limit, None)
    assert limit.limit == 8.0 and limit.in_flight == 0


def test_retry_after_pauses_every_worker():
    clock = Clock()
    limit = AdaptiveLimit(8, clock)
    answered(limit, 429, retry_after=2.0)
    assert limit._wait_time() == pytest.approx(2.0)  # pylint: disable=protected-access
    clock.now += 2.0
    assert limit._wait_time() == 0.0  # pylint: disable=protected-access


def test_a_place_is_given_up_when_the_pause_outlasts_the_time_allowed():
    limit = AdaptiveLimit(8)  # the real clock: acquire waits on it
    assert limit.acquire(within=0.05) is True and limit.in_flight == 1
    limit.release(429, retry_after=30.0)
    assert limit.acquire(within=0.05) is False and limit.in_flight == 0


def test_no_more_requests_in_flight_than_the_limit():
    limit = AdaptiveLimit(3)
    peak = []
    lock = threading.Lock()
    release = threading.Event()

    def worker():
        limit.acquire()
        with lock:
            peak.append(limit.in_flight)
            if limit.in_flight == 3:
                release.set()
        release.wait(5)
        limit.release(200)

    threads = [threading.Thread(target=worker) for _thread in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert max(peak) == 3 and limit.in_flight == 0
