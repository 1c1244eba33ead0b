# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The IVR's side of a consent answer: the POST a CXone Studio REST API action sends to a listener.

What is sent follows the collection's guide to consent events (and the consent_events source that
receives it): ``POST <listener_url>`` with ``Content-Type: application/json``, the body
``{"userId", "contactId", "consent"}``, ``Authorization: Bearer <token>`` when a token is given, and
``<signature header>: sha256=<hex HMAC-SHA256 of the exact body bytes>`` when an HMAC secret is.
Nothing here touches the sandbox's state or lock: the POST may take seconds, and the listener's
rulebook calls back into the sandbox while it is in flight.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import re
import ssl
from urllib.parse import urlsplit

CONSENT_VALUES = ("refused", "given")
DEFAULT_SIGNATURE_HEADER = "X-CXone-Signature"
# Studio's REST action gives up after a few seconds; a listener that answers later has failed anyway.
POST_TIMEOUT = 10.0
# The listener's answer is reported back, cut to this many characters.
MAX_ANSWER_CHARS = 1000
_HEADER_NAME_RE = re.compile(r"^[A-Za-z0-9-]+$")


def listener_url_problem(url):
    """Why ``url`` cannot be posted to (a short reason), or None for an absolute http(s) URL with a host."""
    if not isinstance(url, str) or not url:
        return "must be a non-empty string"
    try:
        split = urlsplit(url)
        port = split.port       # ValueError for a port that is not a number from 0 to 65535
    except ValueError as error:
        return "is not a URL (%s)" % error
    if split.scheme not in ("http", "https") or not split.hostname:
        return "must be an absolute http:// or https:// URL with a host"
    if port == 0:
        return "must name a port from 1 to 65535"
    if any(character.isspace() for character in url):
        return "must not contain white space"
    return None


def header_name_problem(name):
    """Why ``name`` cannot be an HTTP header name, or None."""
    if not isinstance(name, str) or not _HEADER_NAME_RE.match(name):
        return "must be an HTTP header name (letters, digits and -)"
    return None


def consent_request(user_id, contact_id, consent, token=None, hmac_secret=None, signature_header=DEFAULT_SIGNATURE_HEADER):
    """``(body bytes, headers)`` of the post, signed over exactly those bytes."""
    body = json.dumps({"userId": user_id, "contactId": contact_id, "consent": consent}, separators=(",", ":")).encode("utf-8")
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    if hmac_secret:
        headers[signature_header] = signature(hmac_secret, body)
    return body, headers


def signature(hmac_secret, body):
    """The signature header's value for ``body`` (bytes): ``sha256=<hex HMAC-SHA256>``."""
    return "sha256=" + hmac.new(hmac_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def post(url, body, headers, timeout=POST_TIMEOUT):
    """POST to the listener: ``(status or None, answer text, error text or None)``; never raises for a network problem.

    A listener that answers at all (2xx or not) gives its status and body; one that cannot be
    reached, hangs up or does not answer within ``timeout`` gives None and the reason. The reason
    never holds the headers, so neither the token nor the signature can leak through it.
    http.client rather than urllib: the headers go out spelled as given, never through a proxy
    (the listener is where the test put it); HTTPS is verified against the system's CAs.
    """
    split = urlsplit(url)
    target = split.path or "/"
    if split.query:
        target += "?" + split.query
    if split.scheme == "https":
        connection = http.client.HTTPSConnection(split.hostname, split.port, timeout=timeout,
                                                 context=ssl.create_default_context())
    else:
        connection = http.client.HTTPConnection(split.hostname, split.port, timeout=timeout)
    try:
        connection.request("POST", target, body=body, headers=headers)
        answer = connection.getresponse()
        return answer.status, _text(answer.read()), None
    except ConnectionRefusedError as error:
        return None, "", "listener unreachable: %s" % error
    except (OSError, http.client.HTTPException) as error:
        # Unknown hosts, timeouts, connections reset or closed without an answer, TLS failures, malformed answers.
        return None, "", "no answer from the listener: %s" % (error or type(error).__name__)
    finally:
        connection.close()


def _text(raw):
    return raw.decode("utf-8", "replace")[:MAX_ANSWER_CHARS]
