# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""HTTP answers as plain values, so the sandbox core never touches sockets.

The core decides *what* to answer (a ``Reply``, or ``DROP`` to close the
connection without a word); ``server.py`` decides *how* to write it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

JSON = "application/json"

# CXone's operation errors carry the reason phrase in upper snake case.
_HTTP_STATUS_NAMES = {
    200: "OK",
    202: "ACCEPTED",
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    422: "UNPROCESSABLE_ENTITY",
    425: "TOO_EARLY",
    429: "TOO_MANY_REQUESTS",
    500: "INTERNAL_SERVER_ERROR",
    502: "BAD_GATEWAY",
    503: "SERVICE_UNAVAILABLE",
    504: "GATEWAY_TIMEOUT",
}


def status_name(status):
    """The upper-snake-case name CXone uses in ``httpStatus`` (e.g. ``TOO_EARLY``)."""
    return _HTTP_STATUS_NAMES.get(status, "HTTP_%d" % status)


@dataclass
class Reply:
    """One HTTP answer: status, body bytes, content type and extra headers."""

    status: int
    body: bytes = b""
    content_type: str = JSON
    headers: dict = field(default_factory=dict)


class _Drop:
    """Marker: close the TCP connection without writing any answer."""

    def __repr__(self):
        return "DROP"


DROP = _Drop()


def json_reply(status, obj, headers=None):
    """A JSON answer of ``obj``."""
    return Reply(status, json.dumps(obj).encode("utf-8"), JSON, dict(headers or {}))


def api_reply(status, description, contact_id=None, headers=None):
    """The body shape of the recording operations: description, contactId, httpStatus."""
    body = {"description": description}
    if contact_id is not None:
        body["contactId"] = contact_id
    body["httpStatus"] = status_name(status)
    return json_reply(status, body, headers)


def gateway_reply(status, message, headers=None):
    """What CXone's API gateway answers itself (no route, rate limit): JSON ``{"message": ...}``."""
    return json_reply(status, {"message": message}, headers)


def oauth_error(status, error, description, headers=None):
    """The body shape of OAuth and discovery errors: error, error_description."""
    return json_reply(status, {"error": error, "error_description": description}, headers)
