# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A tenant's rate limit over the API origin: 429 with Retry-After, per tenant, switchable."""

from __future__ import annotations

import pytest

from cxone_sandbox import SandboxError
from cxone_sandbox.ratelimit import TokenBucket
from sandbox_helpers import make_tenant


class FakeClock:
    """Time that moves only when the test says so."""

    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_the_bucket_allows_one_seconds_worth_then_says_how_long_to_wait():
    clock = FakeClock()
    bucket = TokenBucket(2, clock=clock)
    assert [bucket.take() for _attempt in range(3)] == [None, None, 1]
    clock.now += 0.5                            # half a second refills one request at 2 per second
    assert bucket.take() is None and bucket.take() == 1
    slow = TokenBucket(0.25, clock=clock)       # one request every 4 s: a burst of one
    assert slow.take() is None and slow.take() == 4
    clock.now += 3
    assert slow.take() == 1


def test_over_the_limit_the_api_answers_429_with_retry_after(control, cxone, token):
    control.settings(rate_limit=2)
    answers = [cxone.operation("stop", "a1", token) for _attempt in range(4)]
    refused = [answer for answer in answers if answer.status_code == 429]
    assert [answer.status_code for answer in answers[:2]] == [200, 200] and refused
    for answer in refused:
        assert answer.json() == {"message": "Too Many Requests"}
        assert answer.headers["Retry-After"].isdigit() and int(answer.headers["Retry-After"]) >= 1
    stats = control.stats()
    assert stats["rate_limited"] == len(refused)
    assert stats["operation_requests"]["stop"] == 4, "refused requests are counted as received"
    logged = [entry["status"] for entry in control.requests()["requests"] if entry["operation"] == "stop"]
    assert logged.count(429) == len(refused)
    # The limit does not apply to the issuer origin (logins, discovery).
    assert all(cxone.login() for _attempt in range(5))


def test_the_limit_is_per_tenant_and_can_be_switched_off(control, cxone):
    control.add_tenant(make_tenant("tenant-a", "na1", agents=["a1"], calls=["a1"]))
    other = make_tenant("tenant-b", "eu1", agents=["b1"], calls=["b1"])
    other["clients"] = {"b-client": "b-secret"}
    other["access_keys"][0].update(id="BKEY", secret="b-key-secret")
    control.add_tenant(other)
    token_a, token_b = cxone.login(), cxone.login("BKEY", "b-key-secret", client=("b-client", "b-secret"))
    control.settings(tenant_id="tenant-a", rate_limit=1)
    control.settings(tenant_id="tenant-b", rate_limit=1)
    assert [cxone.operation("stop", "a1", token_a).status_code for _attempt in range(2)] == [200, 429]
    assert cxone.operation("stop", "b1", token_b, area="eu1").status_code == 200, "tenant B has a bucket of its own"
    control.settings(tenant_id="tenant-a", rate_limit=0)
    assert [cxone.operation("stop", "a1", token_a).status_code for _attempt in range(5)] == [200] * 5
    assert [tenant["rate_limit"] for tenant in control.state()["tenants"]] == [None, 1]


def test_a_tenant_configuration_may_set_the_limit(control, cxone):
    control.add_tenant(make_tenant(agents=["a1"], calls=["a1"], rate_limit=1))
    token = cxone.login()
    assert [cxone.operation("stop", "a1", token).status_code for _attempt in range(2)] == [200, 429]


@pytest.mark.parametrize("bad", [-1, "fast", True])
def test_a_bad_limit_is_refused(control, bad):
    control.add_tenant(make_tenant())
    with pytest.raises(SandboxError) as refused:
        control.settings(rate_limit=bad)
    assert refused.value.status == 400 and "rate_limit" in refused.value.body["error"]
