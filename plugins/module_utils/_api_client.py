# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Authenticated requests to the tenant's API: the bearer token, and one renewal after a 401.

For internal use by the cxone.recording collection only; not a public API.

A token source has three methods, and two implementations: the in-process ``Authenticator``
(``_auth.py``) and, over the ``cxone_api`` connection, the ``BrokerClient`` (``_broker.py``).

``bearer()``
    ``(access_token, seconds it may be used before asking again)``.
``confirm(fingerprint)``
    CXone accepted the token with this fingerprint (an answer other than 401).
``renew(fingerprint)``
    CXone rejected the token with this fingerprint: ``(access_token, seconds)`` to retry
    with. Raises when no working token can be had (the credentials were refused, say).
"""

from __future__ import annotations

from collections import namedtuple

from ansible_collections.cxone.recording.plugins.module_utils._tokens import token_fingerprint
from ansible_collections.cxone.recording.plugins.module_utils._errors import CxoneError, redact
from ansible_collections.cxone.recording.plugins.module_utils._responses import is_html

ApiAnswer = namedtuple("ApiAnswer", "status ok body message not_json html attempts unanswered_attempts")
ApiAnswer.__doc__ = """CXone's final answer to one request.

``body`` is the parsed JSON (or None), ``message`` CXone's explanation in words with the token
taken out, ``not_json`` whether a non-empty body failed to parse as JSON, ``html`` whether it
was an HTML page (a gateway or proxy speaking, never CXone's API). ``attempts`` and
``unanswered_attempts`` count the requests sent, retries and a renewed token's included.
"""


class ApiClient:
    """Sends requests under the tenant's API base URL with the current token."""

    def __init__(self, token_source, transport, base_url):
        self.token_source = token_source
        self.transport = transport
        self.base_url = base_url.rstrip("/")
        # Tokens CXone accepted, each confirmed to the token source once.
        self._confirmed = set()

    def request(self, method, path, what, params=None, json=None, budget=None, before_retry=None):
        """Send ``method path`` and return an ``ApiAnswer``; a 401 renews the token once.

        ``what`` names the request in messages (e.g. "stop recording"). ``budget`` and
        ``before_retry`` are the transport's (see ``Transport.request``), for each try with a
        token. A ``CxoneError`` raised on the way, ``before_retry``'s included, carries the
        attempts made so far in ``attempts`` and ``unanswered_attempts``.
        """
        url = self.base_url + path
        attempts = unanswered = 0
        try:
            token = self.token_source.bearer()[0]
            for renewed in (False, True):
                reply = self.transport.request(method, url, what, params=params, json=json, budget=budget,
                                               before_retry=before_retry,
                                               headers={"Authorization": "Bearer " + token,
                                                        "Accept": "application/json"})
                attempts += reply.attempts
                unanswered += reply.unanswered_attempts
                fingerprint = token_fingerprint(token)
                if reply.status != 401:
                    if fingerprint not in self._confirmed:
                        self._confirmed.add(fingerprint)
                        self.token_source.confirm(fingerprint)
                    break
                if renewed:
                    break
                token = self.token_source.renew(fingerprint)[0]
        except CxoneError as exc:
            exc.attempts = attempts + getattr(exc, "attempts", 0)
            exc.unanswered_attempts = unanswered + getattr(exc, "unanswered_attempts", 0)
            raise
        text = reply.text or ""
        not_json = reply.body is None and bool(text.strip())
        return ApiAnswer(reply.status, reply.ok, reply.body, redact(reply.message, (token,)), not_json,
                         not_json and is_html(text, reply.content_type), attempts, unanswered)
