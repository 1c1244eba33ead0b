# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Typed errors of the collection and the one format of a failure's message.

For internal use by the cxone.recording collection only; not a public API.

Every failure a user can see is worded here: CXone's own message, the HTTP status and a hint,
with every secret taken out. How CXone's answers are read is in ``_responses.py``.
"""

from __future__ import annotations

from types import MappingProxyType
from urllib.parse import quote, quote_plus

# What an operator should check for a status of a recording operation, beyond CXone's own
# words (the sandbox README records the API facts and their sources). Read-only: these are default arguments.
# What to set when an agent without a call is not a failure: in a module's hint and in its own message.
NO_ACTIVE_CALL_FIX = "if that is not a failure, set no_active_call: skip (the role: record_on_demand_no_active_call: skip)"
RECORDING_HINTS = MappingProxyType({
    401: "check the access key and the client credentials, or that the access token is still valid",
    403: 'the calling user lacks the "Interactions Hub > APIs > Multi-ACD Record on Demand API" permission',
    404: "the agent has no active call; %s; if every agent gets this, check that recording_api_path and "
         "api_endpoint match the tenant's API" % NO_ACTIVE_CALL_FIX,
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

    def __init__(self, msg, status):
        super().__init__(msg)
        self.status = status

    def to_fail_json(self):
        return {"msg": self.msg, "http_status": self.status}


class AuthError(ApiError):
    """Logging in, renewing a token or discovering the API failed."""


def status_hint(status):
    """A short hint for an HTTP status of a recording operation, or None."""
    return RECORDING_HINTS.get(status)


def counted(number, noun, plural=None):
    """``1 user``, ``2 users``: a count with its noun, for every message (``plural`` when not noun + s)."""
    return "%d %s" % (number, noun if number == 1 else plural or noun + "s")


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
