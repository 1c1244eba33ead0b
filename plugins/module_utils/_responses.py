# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Reading CXone's answers: their JSON, and the explanation an answer gives in words.

For internal use by the cxone.recording collection only; not a public API.

CXone documents the bodies of successful answers only. Errors come from CXone itself (JSON
with one of several keys), from the token endpoint (OAuth ``error``/``error_description``)
or from a gateway in front of it (an HTML page, plain text, nothing). Whatever comes, these
functions give a short text or None, never an exception.
"""

from __future__ import annotations

import json

# Keys in which CXone and its gateways put an error's explanation, most specific first.
_MESSAGE_KEYS = ("description", "message", "error_description", "errorDescription", "error")

_SUMMARY_LIMIT = 200


def summarise_text(text, limit=_SUMMARY_LIMIT):
    """Collapse white space and shorten a text so that it fits in one message line."""
    flat = " ".join(str(text).split())
    if len(flat) > limit:
        return flat[:limit - 3] + "..."
    return flat


def decode_json(text):
    """Parse a JSON body; None when it is empty or not JSON (gateways answer HTML).

    A body nested too deeply for the parser counts as not JSON: no answer, however odd, may
    end a task with a Python error.
    """
    if not text:
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def is_html(text, content_type=""):
    """True for an HTML page: what a gateway, proxy or portal answers, never CXone's API."""
    return "html" in (content_type or "").lower() or (text or "").lstrip().startswith("<")


def _html_title(text):
    lowered = text.lower()
    start = lowered.find("<title>")
    end = lowered.find("</title>", start + 7)
    if start == -1 or end == -1:
        return None
    return summarise_text(text[start + 7:end]) or None


def message_from_body(body, text, content_type=""):
    """CXone's explanation of an answer, from its parsed JSON body or its raw text.

    ``body`` is the decoded JSON (or None), ``text`` the raw body. A gateway's HTML page is
    summarised by its title rather than dumped, and an empty body gives None.
    """
    if isinstance(body, dict):
        for key in _MESSAGE_KEYS:
            value = body.get(key)
            if isinstance(value, str) and value.strip():
                message = summarise_text(value)
                # OAuth answers pair a code with a sentence: keep both, the code is searchable.
                code = body.get("error")
                if key != "error" and isinstance(code, str) and code and code not in message:
                    message = "%s [%s]" % (message, code)
                return message
    if not text or not text.strip():
        return None
    if is_html(text, content_type):
        title = _html_title(text)
        return "HTML page: %s" % title if title else "an HTML page"
    return summarise_text(text)
