# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""One background thread that runs callbacks when they fall due.

Asynchronous agents have their operation applied some time after the 202; a batch can
leave hundreds of them pending at once, so one thread and a heap rather than a
``threading.Timer`` (one thread) per request.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
import traceback


class Scheduler:
    """Runs ``callback(*args)`` after a delay, in order of due time, on one daemon thread."""

    def __init__(self):
        self._heap = []
        self._order = itertools.count()    # ties in due time run in the order they were scheduled
        self._wake = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="cxone-sandbox-timers", daemon=True)
        self._thread.start()

    def call_later(self, seconds, callback, *args):
        with self._wake:
            heapq.heappush(self._heap, (time.monotonic() + seconds, next(self._order), callback, args))
            self._wake.notify()

    def cancel_all(self):
        with self._wake:
            self._heap.clear()

    def stop(self):
        with self._wake:
            self._stopped = True
            self._heap.clear()
            self._wake.notify()
        self._thread.join(timeout=5)

    def _run(self):
        while True:
            with self._wake:
                while not self._stopped and (not self._heap or self._heap[0][0] > time.monotonic()):
                    self._wake.wait(None if not self._heap else self._heap[0][0] - time.monotonic())
                if self._stopped:
                    return
                _due, _order, callback, args = heapq.heappop(self._heap)
            try:
                callback(*args)    # outside the condition: callbacks take the sandbox lock
            except Exception:  # pylint: disable=broad-except  # a bug in one callback must not stop the others
                traceback.print_exc()
