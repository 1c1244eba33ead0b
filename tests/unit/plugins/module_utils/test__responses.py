# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.cxone.recording.plugins.module_utils._responses import decode_json, is_html, message_from_body


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


def test_an_html_title_names_the_page():
    assert message_from_body(None, "<html><title> Proxy\n login </title></html>", "text/html") == "HTML page: Proxy login"


@pytest.mark.parametrize("text, expected", [("", None), ("not json", None), ("[1]", [1]), ('{"a": 1}', {"a": 1})])
def test_json_is_decoded_or_none(text, expected):
    assert decode_json(text) == expected


def test_html_is_told_by_content_type_or_a_leading_tag():
    assert is_html("ok", "text/html; charset=utf-8") and is_html("  <!doctype html>")
    assert not is_html('{"a": 1}', "application/json")


@pytest.mark.parametrize("text", ["[" * 100000 + "]" * 100000, '{"a":' * 100000 + "1" + "}" * 100000, "<html>", ""])
def test_a_body_the_parser_cannot_take_is_not_json(text):
    assert decode_json(text) is None


def test_json_bodies_are_decoded():
    assert decode_json('{"contactId": "7"}') == {"contactId": "7"}
