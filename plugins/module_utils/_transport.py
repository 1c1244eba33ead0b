# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""HTTP to CXone: one ``requests.Session``, timeouts, TLS and retries with backoff.

Retrying a recording operation is safe because repeating one has no further effect (a second
stop leaves the call stopped, do-not-record is sticky). An attempt that got no answer may
still have reached CXone, so a reply counts such attempts for the result to report.
"""

from __future__ import annotations

import email.utils
import random
import threading
import time

from ansible_collections.cxone.recording.plugins.module_utils._errors import TransportError
from ansible_collections.cxone.recording.plugins.module_utils._responses import (
    decode_json,
    message_from_body,
    summarise_text,
)

try:
    import requests
    from requests.adapters import HTTPAdapter
except ImportError:  # reported by require_requests() with an actionable message
    requests = None
    HTTPAdapter = object

RETRYABLE_STATUSES = frozenset((425, 429, 500, 502, 503, 504))

BACKOFF_BASE = 0.5
BACKOFF_CAP = 30.0
RETRY_AFTER_CAP = 60.0

USER_AGENT = "cxone.recording-ansible-collection"


def require_requests():
    """Raise a clear error when the controller's Python lacks ``requests``."""
    if requests is None:
        raise TransportError(
            "the Python library 'requests' is required on the Ansible controller "
            "(pip install requests into the Python that runs ansible-playbook)")


class Reply:
    """One HTTP answer, with what it took to get it."""

    __slots__ = ("status", "body", "text", "content_type", "attempts", "unanswered_attempts")

    def __init__(self, status, text, content_type, attempts, unanswered_attempts):
        self.status = status
        self.text = text
        self.content_type = content_type
        self.body = decode_json(text)
        self.attempts = attempts
        self.unanswered_attempts = unanswered_attempts

    @property
    def ok(self):
        return 200 <= self.status < 300

    @property
    def message(self):
        """CXone's explanation, from the JSON body or a summary of the raw text."""
        return message_from_body(self.body, self.text, self.content_type)


def retry_after_seconds(value, now=None):
    """Seconds asked for by a ``Retry-After`` header (delta or HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


def backoff_delay(retry_number, retry_after=None, rand=random.random):
    """How long to wait before retry ``retry_number`` (1 for the first retry).

    Exponential backoff with full jitter spreads a batch's retries; a ``Retry-After`` from
    CXone wins, capped so that a hostile or broken header cannot stall a play for hours.
    """
    if retry_after is not None:
        return min(retry_after, RETRY_AFTER_CAP)
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** (retry_number - 1)))
    return ceiling * (0.5 + rand() / 2)


def _connection_error_text(exc):
    """A short reason for a connection failure, without the library's nested repr."""
    reason = exc
    for _depth in range(5):
        nested = getattr(reason, "reason", None)
        if not isinstance(nested, BaseException):
            nested = reason.args[0] if reason.args else None
        if not isinstance(nested, BaseException):
            break
        reason = nested
    text = str(reason)
    # urllib3 prefixes "<urllib3.connection.HTTPSConnection object at 0x...>: "; drop it.
    if text.startswith("<") and ">: " in text:
        text = text.split(">: ", 1)[1]
    return summarise_text(text or type(reason).__name__, 160)


class Transport:
    """Sends requests with connection reuse, a timeout per request and bounded retries.

    ``on_answer(method, url, status, seconds)`` is called for every attempt (status None when
    no answer came) so that a caller can log traffic; ``url`` has no query string, and nothing
    else of the request (headers, body) is passed, so a log cannot hold a secret.
    """

    def __init__(self, timeout, retries, verify, pool_size=8, sleep=time.sleep, rand=random.random,
                 on_answer=None):
        require_requests()
        self.timeout = timeout
        self.retries = retries
        self.verify = verify
        self._sleep = sleep
        self._rand = rand
        self._rand_lock = threading.Lock()
        self._on_answer = on_answer
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=max(pool_size, 2), max_retries=0)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)

    @classmethod
    def for_settings(cls, settings, **kwargs):
        return cls(settings.timeout, settings.retries, settings.verify, **kwargs)

    def close(self):
        self.session.close()

    def _jitter(self):
        with self._rand_lock:
            return self._rand()

    def request(self, method, url, what, retry=True, **kwargs):
        """Send a request and return a ``Reply`` for the final answer.

        ``what`` names the request in error messages (e.g. "login", "start recording for user
        X"); it must never hold a secret. Retries follow ``retries``; an error answer that is
        not retryable, or the last one, is returned, not raised. TransportError is raised when
        no answer came at all.
        """
        attempts = 0
        unanswered = 0
        while True:
            attempts += 1
            may_retry = retry and attempts <= self.retries
            started = time.monotonic()
            try:
                response = self.session.request(method, url, timeout=self.timeout, verify=self.verify,
                                                allow_redirects=False, **kwargs)
            except requests.exceptions.SSLError as exc:
                self._report(method, url, None, started)
                raise TransportError(
                    "%s: TLS certificate verification failed for %s (%s); set ca_path to the CA "
                    "bundle that signs it, or validate_certs: false for a test system"
                    % (what, _origin(url), _connection_error_text(exc)), attempts, unanswered) from None
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
                self._report(method, url, None, started)
                # Only a refused or unresolvable connection is known not to have reached CXone.
                if not isinstance(exc, requests.exceptions.ConnectTimeout) and not _never_sent(exc):
                    unanswered += 1
                if not may_retry:
                    raise TransportError(
                        "%s: no answer from %s after %d attempt(s): %s"
                        % (what, _origin(url), attempts, _reason(exc)), attempts, unanswered) from None
                self._sleep(backoff_delay(attempts, rand=self._jitter))
                continue
            except requests.exceptions.RequestException as exc:
                # Only the error's type: its text may quote the request, headers included.
                raise TransportError("%s: request to %s failed (%s)"
                                     % (what, _origin(url), type(exc).__name__), attempts, unanswered) from None

            self._report(method, url, response.status_code, started)
            text = response.text
            content_type = response.headers.get("Content-Type", "")
            if response.status_code in RETRYABLE_STATUSES and may_retry:
                delay = backoff_delay(attempts, retry_after_seconds(response.headers.get("Retry-After")),
                                      rand=self._jitter)
                response.close()
                self._sleep(delay)
                continue
            return Reply(response.status_code, text, content_type, attempts, unanswered)

    def _report(self, method, url, status, started):
        if self._on_answer is not None:
            self._on_answer(method, url.split("?", 1)[0], status, time.monotonic() - started)


def _never_sent(exc):
    """True for connection errors raised before the request could reach the server."""
    text = repr(exc)
    return any(marker in text for marker in ("NewConnectionError", "NameResolutionError",
                                             "Connection refused", "Failed to resolve"))


def _reason(exc):
    if isinstance(exc, requests.exceptions.Timeout):
        return "timed out (timeout is the number of seconds allowed per request)"
    return _connection_error_text(exc)


def _origin(url):
    """scheme://host[:port] of a URL: enough to say where, without paths or queries."""
    scheme, _sep, rest = url.partition("://")
    return "%s://%s" % (scheme, rest.split("/", 1)[0])


def disable_insecure_warnings():
    """Silence urllib3's per-request warning: the module warns once, in words users act on."""
    try:
        import urllib3
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    except (ImportError, AttributeError):
        pass
