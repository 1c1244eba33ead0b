# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Injected trouble: fault rules (status / drop / slow) and added latency.

The real service sits behind gateways that answer 429, 502, 503 with bodies that are
not JSON, lose connections and answer late after the effect happened. These rules let
a test reproduce each of those on purpose, deterministically when it needs to.
"""

from __future__ import annotations

import json
import random

from .model import RECORDING_POLICIES, ModelError
from .operations import OPERATION_NAMES
from .replies import Reply, status_name

# "operations": the recording service (operations.RECORDING_OPERATIONS, get-recording-status included); "users": User Hub.
CATEGORIES = ("operations", "token", "discovery", "users")
OPERATIONS = OPERATION_NAMES
# What "operation" selects at the token endpoint: the grant type (a failed renewal is a refresh_token).
GRANT_TYPES = ("password", "refresh_token")
KINDS = ("status", "drop", "slow")

_502_PAGE = ("<html><head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n"
             "</body>\r\n</html>\r\n")

# What the gateway (or the service) answers when a rule gives no body: (content type, body).
_DEFAULT_BODIES = {
    425: ("application/json", json.dumps({"description": "Interaction is locked while a previous request is processed",
                                          "httpStatus": "TOO_EARLY"})),
    429: ("application/json", json.dumps({"message": "Too Many Requests"})),
    500: ("application/json", json.dumps({"description": "Internal server error", "httpStatus": "INTERNAL_SERVER_ERROR"})),
    502: ("text/html", _502_PAGE),
    503: ("text/plain", "Service Unavailable"),
    504: ("application/json", json.dumps({"description": "Request timed out", "httpStatus": "GATEWAY_TIMEOUT"})),
}

_RULE_FIELDS = ("kind", "status", "rate", "count", "retry_after", "body", "content_type", "delay_ms", "applies_to",
                "operation", "user_id", "seed", "after_effect", "next_call")
_NEXT_CALL_FIELDS = ("contact_id", "recording_policy", "internal")


def _guess_content_type(body):
    try:
        json.loads(body)
    except ValueError:
        return "text/plain"
    return "application/json"


class FaultRule:
    """One rule: which requests it matches and what it does to them; counts how often it fired."""

    def __init__(self, rule_id, spec):
        if not isinstance(spec, dict):
            raise ModelError(400, "a fault rule must be a JSON object")
        unknown = sorted(set(spec) - set(_RULE_FIELDS))
        if unknown:
            raise ModelError(400, "fault rule: unknown field(s) %s" % ", ".join(unknown))
        self.rule_id = rule_id
        self.kind = spec.get("kind", "status")
        if self.kind not in KINDS:
            raise ModelError(400, "kind must be one of %s" % ", ".join(KINDS))
        self.status = spec.get("status", 500 if self.kind == "status" else None)
        if self.kind == "status" and (isinstance(self.status, bool) or not isinstance(self.status, int) or not 100 <= self.status <= 599):
            raise ModelError(400, "status must be an HTTP status code")
        self.rate = spec.get("rate")
        self.count = spec.get("count")
        if self.rate is not None and self.count is not None:
            raise ModelError(400, "give rate or count, not both")
        if self.rate is not None and (isinstance(self.rate, bool) or not isinstance(self.rate, (int, float)) or not 0 <= self.rate <= 1):
            raise ModelError(400, "rate must be a probability between 0 and 1")
        if self.count is not None and (isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 0):
            raise ModelError(400, "count must be a non-negative integer")
        self.retry_after = spec.get("retry_after")
        if self.retry_after is not None:
            self.retry_after = str(self.retry_after)
        self.body = spec.get("body")
        if self.body is not None and not isinstance(self.body, str):
            self.body = json.dumps(self.body)     # a JSON object given as such is sent as JSON
        self.content_type = spec.get("content_type")
        self.delay_ms = spec.get("delay_ms", 1000)
        if isinstance(self.delay_ms, bool) or not isinstance(self.delay_ms, (int, float)) or self.delay_ms < 0:
            raise ModelError(400, "delay_ms must be a non-negative number")
        self.applies_to = spec.get("applies_to", "operations")
        if self.applies_to not in CATEGORIES + ("all",):
            raise ModelError(400, "applies_to must be one of %s" % ", ".join(CATEGORIES + ("all",)))
        self.operation = spec.get("operation")
        known = GRANT_TYPES if self.applies_to == "token" else OPERATIONS
        if self.operation is not None and self.operation not in known:
            raise ModelError(400, "operation must be one of %s" % ", ".join(known))
        self.user_id = spec.get("user_id")
        self.seed = spec.get("seed")
        self.after_effect = bool(spec.get("after_effect", False))
        # A race to play: when the rule fires for an agent's request, the agent's call ends and the
        # agent takes the next one ({"contact_id": optional, "recording_policy": optional, else the
        # tenant's, "internal": optional, false}) before the request is answered.
        self.next_call = spec.get("next_call")
        if self.next_call is not None:
            if not isinstance(self.next_call, dict) or set(self.next_call) - set(_NEXT_CALL_FIELDS):
                raise ModelError(400, "next_call must be an object with some of %s" % ", ".join(_NEXT_CALL_FIELDS))
            if self.next_call.get("recording_policy", "off") not in RECORDING_POLICIES:
                raise ModelError(400, "next_call: recording_policy must be one of %s" % ", ".join(RECORDING_POLICIES))
            if not isinstance(self.next_call.get("internal", False), bool):
                raise ModelError(400, "next_call: internal must be true or false")
            if self.applies_to != "operations":
                raise ModelError(400, "next_call applies to the recording service's requests only (applies_to operations)")
        # Each rule draws from its own stream, so a seeded rule is reproducible whatever else happens.
        self._random = random.Random(self.seed)
        self.fired = 0

    def matches(self, category, operation, user_id):
        if self.applies_to not in ("all", category):
            return False
        if self.operation is not None and self.operation != operation:
            return False
        return self.user_id is None or self.user_id == user_id

    def draw(self):
        """Decide whether the rule fires for this (matching) request, consuming its count or a random draw."""
        if self.count is not None:
            if self.count <= 0:
                return False
            self.count -= 1
        elif self.rate is not None and self._random.random() >= self.rate:
            return False
        self.fired += 1
        return True

    def reply(self):
        """The answer of a ``status`` rule (the operation is not applied)."""
        if self.body is not None:
            content_type, body = self.content_type or _guess_content_type(self.body), self.body
        elif self.status in _DEFAULT_BODIES:
            content_type, body = _DEFAULT_BODIES[self.status]
        else:
            content_type, body = "application/json", json.dumps({"description": "Injected fault", "httpStatus": status_name(self.status)})
        headers = {"Retry-After": self.retry_after} if self.retry_after is not None else {}
        return Reply(self.status, body.encode("utf-8"), self.content_type or content_type, headers)

    def to_dict(self):
        return {"id": self.rule_id, "kind": self.kind, "status": self.status, "rate": self.rate, "count_left": self.count,
                "retry_after": self.retry_after, "delay_ms": self.delay_ms, "applies_to": self.applies_to,
                "operation": self.operation, "user_id": self.user_id, "seed": self.seed, "after_effect": self.after_effect,
                "next_call": self.next_call, "fired": self.fired}


class FaultBook:
    """The active rules, in the order they were added; the first one that fires wins."""

    def __init__(self):
        self.rules = []
        self._next_id = 1

    def add(self, spec):
        rule = FaultRule(self._next_id, spec)
        self._next_id += 1
        self.rules.append(rule)
        return rule

    def clear(self):
        self.rules = []

    def pick(self, category, operation=None, user_id=None):
        """The rule that fires for this request, or None; drawing consumes counts and random draws."""
        for rule in self.rules:
            if rule.matches(category, operation, user_id) and rule.draw():
                return rule
        return None


class Latency:
    """Extra time before answering, per category of endpoint (the control API is never delayed)."""

    def __init__(self):
        self.ms = dict.fromkeys(CATEGORIES, 0)
        self.jitter_ms = dict.fromkeys(CATEGORIES, 0)
        self._random = random.Random()

    def set(self, spec):
        if not isinstance(spec, dict):
            raise ModelError(400, "latency must be a JSON object")
        unknown = sorted(set(spec) - {"ms", "paths", "jitter_ms", "seed"})
        if unknown:
            raise ModelError(400, "latency: unknown field(s) %s" % ", ".join(unknown))
        ms, jitter = spec.get("ms", 0), spec.get("jitter_ms", 0)
        for value in (ms, jitter):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ModelError(400, "ms and jitter_ms must be non-negative numbers")
        paths = spec.get("paths", ["operations"])
        if isinstance(paths, str):
            paths = [paths]
        if not isinstance(paths, list) or any(p not in CATEGORIES + ("all",) for p in paths):
            raise ModelError(400, "paths must list some of %s" % ", ".join(CATEGORIES + ("all",)))
        for category in (CATEGORIES if "all" in paths else paths):
            self.ms[category] = ms
            self.jitter_ms[category] = jitter
        if "seed" in spec:
            self._random.seed(spec["seed"])
        return self.to_dict()

    def seconds(self, category):
        ms = self.ms[category]
        if self.jitter_ms[category]:
            ms += self._random.uniform(0, self.jitter_ms[category])
        return ms / 1000.0

    def to_dict(self):
        return {"ms": dict(self.ms), "jitter_ms": dict(self.jitter_ms)}
