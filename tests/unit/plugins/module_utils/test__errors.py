# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.cxone.recording.plugins.module_utils._errors import decode_json, describe_failure, message_from_body


@pytest.mark.parametrize("body, expected", [
    ({"description": "No active interaction", "httpStatus": "NOT_FOUND"}, "No active interaction"),
    ({"message": "Too Many Requests"}, "Too Many Requests"),
    ({"error": "invalid_grant", "error_description": "Invalid access key"}, "Invalid access key [invalid_grant]"),
    ({"error": "invalid_grant", "errorDescription": "Bad key"}, "Bad key [invalid_grant]"),
    ({"error": "server_error"}, "server_error"),
    ({"description": "  many\n  lines  "}, "many lines"),
])
def test_cxone_message_comes_from_the_documented_keys(body, expected):
    assert message_from_body(body, "ignored") == expected


def test_non_json_text_is_summarised_and_empty_gives_none():
    assert message_from_body(None, "Service Unavailable\n") == "Service Unavailable"
    assert message_from_body(None, "") is None
    assert message_from_body(None, "<html><body>oops</body></html>") == "an HTML page"
    assert len(message_from_body(None, "x" * 5000)) == 200


@pytest.mark.parametrize("status, hint", [
    (401, "check the access key and the client credentials"),
    (403, "Interactions Hub > APIs > Multi-ACD Record on Demand API"),
    (404, "the agent has no active call"),
    (409, "after do-not-record"),
    (425, "still locked"),
])
def test_failures_carry_status_message_and_hint(status, hint):
    text = describe_failure(status, "CXone says no")
    assert text.startswith("HTTP %d: CXone says no (" % status)
    assert hint in text


def test_failure_without_message_or_hint():
    assert describe_failure(400, None) == "HTTP 400"


@pytest.mark.parametrize("text", ["[" * 100000 + "]" * 100000, '{"a":' * 100000 + "1" + "}" * 100000, "<html>", ""])
def test_a_body_the_parser_cannot_take_is_not_json(text):
    assert decode_json(text) is None


def test_json_bodies_are_decoded():
    assert decode_json('{"contactId": "7"}') == {"contactId": "7"}
