# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Typed errors of the collection and the words CXone's answers are explained with.

Every failure a user can see starts here, so this is also where texts are kept short,
free of secrets and useful: CXone's own message, the HTTP status and a hint.
"""

from __future__ import annotations

import json
from urllib.parse import quote, quote_plus
from types import MappingProxyType

# What an operator should check for a status of a recording operation, beyond CXone's own
# words (api.md). Read-only: these are default arguments.
RECORDING_HINTS = MappingProxyType({
    401: "check the access key and the client credentials, or that the access token is still valid",
    403: 'the calling user lacks the "Interactions Hub > APIs > Multi-ACD Record on Demand API" permission',
    404: "the agent has no active call",
    409: "CXone refused in the call's current state, e.g. after do-not-record",
    425: "the interaction was still locked by a previous start or stop after all retries",
    429: "CXone kept rate-limiting the requests after all retries",
})

# What to check when the token endpoint refuses a login or a refresh.
LOGIN_HINTS = MappingProxyType({
    400: "check the access key id and secret",
    401: "check the client id and secret of the registered application",
})
NO_HINTS = MappingProxyType({})

# Keys in which CXone and its gateways put an error's explanation, most specific first.
_MESSAGE_KEYS = ("description", "message", "error_description", "errorDescription", "error")

_SUMMARY_LIMIT = 200


class CxoneError(Exception):
    """Base of every error this collection raises on purpose."""

    def __init__(self, msg):
        super().__init__(msg)
        self.msg = msg

    def to_fail_json(self):
        """Keyword arguments for ``module.fail_json`` describing this error."""
        return {"msg": self.msg}


class SettingsError(CxoneError):
    """Invalid or missing input, found before any request is sent."""


class TransportError(CxoneError):
    """No usable HTTP answer: connection refused, TLS failure, timeout after all retries."""

    def __init__(self, msg, attempts=0, unanswered_attempts=0):
        super().__init__(msg)
        self.attempts = attempts
        self.unanswered_attempts = unanswered_attempts


class ApiError(CxoneError):
    """CXone answered with an HTTP error status."""

    def __init__(self, msg, status, cxone_message=None):
        super().__init__(msg)
        self.status = status
        self.cxone_message = cxone_message

    def to_fail_json(self):
        return {"msg": self.msg, "http_status": self.status}


class AuthError(ApiError):
    """Logging in, renewing a token or discovering the API failed."""


def status_hint(status):
    """A short hint for an HTTP status of a recording operation, or None."""
    return RECORDING_HINTS.get(status)


def summarise_text(text, limit=_SUMMARY_LIMIT):
    """Collapse white space and shorten a text so that it fits in one message line."""
    flat = " ".join(str(text).split())
    if len(flat) > limit:
        return flat[:limit - 3] + "..."
    return flat


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
    if "html" in (content_type or "").lower() or text.lstrip().startswith("<"):
        title = _html_title(text)
        return "HTML page: %s" % title if title else "an HTML page"
    return summarise_text(text)


def describe_failure(status, cxone_message, hints=RECORDING_HINTS):
    """``HTTP 409: <CXone's words> (<hint>)``, the one format of a failed answer."""
    parts = ["HTTP %s" % status]
    if cxone_message:
        parts[0] += ": %s" % cxone_message
    hint = hints.get(status)
    if hint:
        parts.append("(%s)" % hint)
    return " ".join(parts)


REDACTED = "<redacted>"


def redact(text, secrets):
    """``text`` with every secret replaced, also in the URL-encoded forms an echo would use.

    CXone or a gateway may quote a request back in an error answer (the login form, a header);
    what reaches a task's message must not carry a secret even then.
    """
    if not text:
        return text
    for secret in secrets:
        if not secret:
            continue
        for form in (secret, quote_plus(secret), quote(secret, safe="")):
            text = text.replace(form, REDACTED)
    return text


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
