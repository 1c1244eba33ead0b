# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.cxone.recording.plugins.module_utils._errors import counted, describe_failure


@pytest.mark.parametrize("status, hint", [
    (401, "check the access key and the client credentials"),
    (403, "Interactions Hub > APIs > Multi-ACD Record on Demand API"),
    (404, "the agent has no active call; if that is not a failure, set no_active_call: skip (the role: "
          "record_on_demand_no_active_call: skip)"),
    (409, "after do-not-record"),
    (425, "still locked"),
])
def test_failures_carry_status_message_and_hint(status, hint):
    text = describe_failure(status, "CXone says no")
    assert text.startswith("HTTP %d: CXone says no (" % status)
    assert hint in text


def test_failure_without_message_or_hint():
    assert describe_failure(400, None) == "HTTP 400"


def test_a_count_comes_with_its_noun_in_the_singular_or_the_plural():
    assert (counted(1, "user"), counted(0, "user"), counted(2, "agent record")) == ("1 user", "0 users", "2 agent records")
    assert counted(3, "batch", "batches") == "3 batches"
