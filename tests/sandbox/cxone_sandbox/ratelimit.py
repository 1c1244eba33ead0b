# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A tenant's request rate limit over the API origin, as CXone's gateways enforce one.

CXone's gateways may answer 429 with a ``Retry-After`` header; a client must slow down and
try again. A token bucket per tenant reproduces that: it holds up to one second's worth of
requests, refills continuously, and says how many whole seconds a refused request should wait.
"""

from __future__ import annotations

import math
import time


class TokenBucket:
    """``rate`` requests per second on average, bursts of up to ``rate`` (at least one)."""

    def __init__(self, rate, clock=time.monotonic):
        self.rate = float(rate)
        self.capacity = max(1.0, self.rate)
        self._clock = clock
        self._tokens = self.capacity
        self._updated = clock()

    def take(self):
        """None when the request may pass; otherwise the ``Retry-After`` to answer (whole seconds, >= 1)."""
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
        self._updated = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return None
        # HTTP's Retry-After counts whole seconds: round up, so that a client waiting that long finds a token.
        return max(1, math.ceil((1.0 - self._tokens) / self.rate))


class RateLimits:
    """The buckets of the tenants that have a limit, rebuilt when a tenant's limit changes."""

    def __init__(self):
        self._buckets = {}     # tenant_id -> TokenBucket

    def take(self, tenant):
        """None when ``tenant`` has no limit or the request may pass; else the seconds to wait."""
        if tenant.rate_limit is None:
            self._buckets.pop(tenant.tenant_id, None)
            return None
        bucket = self._buckets.get(tenant.tenant_id)
        if bucket is None or bucket.rate != float(tenant.rate_limit):
            bucket = self._buckets[tenant.tenant_id] = TokenBucket(tenant.rate_limit)
        return bucket.take()
