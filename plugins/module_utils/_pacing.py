# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""How many requests a batch keeps in flight when CXone rate-limits: adaptive concurrency.

For internal use by the cxone.recording collection only; not a public API.

A batch starts with ``concurrency`` requests in flight. When CXone answers 429 the limit is
halved (at most once per ``DECREASE_INTERVAL``, so that a burst of 429s from requests already
in flight counts as one signal), and every answer that is not a 429 raises it by ``1 / limit``,
about one more request in flight per round of answers, up to ``concurrency`` again: additive
increase, multiplicative decrease (AIMD), as TCP does. A ``Retry-After`` pauses every worker
of the batch, not only the one that received it, since the tenant's limit is shared; the
transport caps every ``Retry-After`` where it reads it, so no pause exceeds that cap.
"""

from __future__ import annotations

import threading
import time

TOO_MANY_REQUESTS = 429
# Answers within this many seconds of a decrease come from requests sent before it.
DECREASE_INTERVAL = 1.0


class AdaptiveLimit:
    """A gate for a batch's requests: ``acquire()`` before each request, ``release(status)`` after it."""

    def __init__(self, maximum, clock=time.monotonic):
        self.maximum = maximum
        self.limit = float(maximum)
        self.in_flight = 0
        self.lowest = float(maximum)
        self._clock = clock
        self._condition = threading.Condition()
        self._last_decrease = None
        self._paused_until = 0.0

    def _wait_time(self):
        """Seconds to wait before a slot is free (None: wait for a notification)."""
        pause = self._paused_until - self._clock()
        if pause > 0:
            return pause
        if self.in_flight >= max(1, int(self.limit)):
            return None
        return 0.0

    def acquire(self, within=None):
        """Take a place in flight; False when none came free within ``within`` seconds (None: no limit)."""
        with self._condition:
            give_up_at = None if within is None else self._clock() + within
            while True:
                wait = self._wait_time()
                if wait == 0.0:
                    self.in_flight += 1
                    return True
                if give_up_at is not None:
                    left = give_up_at - self._clock()
                    if left <= 0:
                        return False
                    wait = left if wait is None else min(wait, left)
                self._condition.wait(wait)

    def release(self, status=None, retry_after=None):
        """The request ended with ``status`` (None: no answer); ``retry_after`` seconds if CXone asked."""
        with self._condition:
            self.in_flight -= 1
            now = self._clock()
            if status == TOO_MANY_REQUESTS:
                if self._last_decrease is None or now - self._last_decrease >= DECREASE_INTERVAL:
                    self.limit = max(1.0, self.limit / 2)
                    self.lowest = min(self.lowest, self.limit)
                    self._last_decrease = now
                if retry_after:
                    self._paused_until = max(self._paused_until, now + retry_after)
            elif status is not None:
                self.limit = min(float(self.maximum), self.limit + 1.0 / self.limit)
            self._condition.notify_all()
