# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the sandbox saw: the request log and the counters behind ``/_sandbox/stats``.

The log is read by the project's leak tests, so it never holds a request body, a
secret or a raw token: only decoded query parameters and token fingerprints.
"""

from __future__ import annotations

import collections
import time

from .operations import OPERATION_NAMES

# Old entries are forgotten past this many; sequence numbers keep counting.
MAX_LOG_ENTRIES = 100000


class RequestLog:
    """The public requests in the order they finished, numbered so that a reader can ask for what is new."""

    def __init__(self):
        self._entries = collections.deque(maxlen=MAX_LOG_ENTRIES)
        self._next_seq = 1

    def add(self, entry):
        """Append a finished request (seq is given here, so ``since`` never misses a late finisher)."""
        entry["seq"] = self._next_seq
        self._next_seq += 1
        self._entries.append(entry)

    def since(self, seq=0):
        """Entries numbered ``seq`` or later; pass the answer's ``next_seq`` back to get only what is new."""
        return {"requests": [dict(e) for e in self._entries if e["seq"] >= seq], "next_seq": self._next_seq}


def new_entry(origin, method, path, query):
    """A log entry for a request that just arrived at ``origin`` ("issuer" or "api"); the handler fills in the rest."""
    return {"seq": None, "time": time.time(), "finished": None, "origin": origin, "method": method, "path": path,
            "query": query, "status": None, "fault": None, "user_id": None, "operation": None, "token_sha256": None,
            "grant_type": None}


class Stats:
    """Counters a test reads instead of scanning the log (logins, operations, faults, concurrency)."""

    def __init__(self):
        self.token_requests = {"password": 0, "refresh_token": 0, "failed": 0, "issued": 0}
        self.discovery_requests = {"openid": 0, "cxone": 0}
        self.operation_requests = dict.fromkeys(OPERATION_NAMES, 0)
        self.user_hub_requests = {"users": 0, "teams": 0}
        self.faults_fired = 0
        self.rate_limited = 0
        self.in_flight = 0
        self.max_in_flight = 0

    def enter_operation(self):
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def leave_operation(self):
        self.in_flight -= 1

    def to_dict(self):
        return {"token_requests": dict(self.token_requests), "discovery_requests": dict(self.discovery_requests),
                "operation_requests": dict(self.operation_requests),
                "user_hub_requests": dict(self.user_hub_requests), "faults_fired": self.faults_fired,
                "rate_limited": self.rate_limited,
                "in_flight": self.in_flight, "max_in_flight": self.max_in_flight}
