# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""HTTP to CXone: one ``requests.Session``, timeouts, TLS and retries with backoff.

For internal use by the cxone.recording collection only; not a public API.

Requests carry only the collection's own credentials: a ``~/.netrc`` is never applied, while
proxies from the environment (``HTTPS_PROXY``, ``NO_PROXY``) are. A certificate that fails
verification is final; any other failure during TLS is a lost connection like the rest.

Retrying a recording operation is safe because repeating one has no further effect (a second
stop leaves the call stopped, do-not-record is sticky). An attempt that got no answer may
still have reached CXone, so a reply counts such attempts for the result to report.
"""

from __future__ import annotations

import email.utils
import random
import re
import threading
import time

from ansible_collections.cxone.recording.plugins.module_utils._connection_failures import (
    failure_reason,
    failure_without_answer,
    lost_connection,
    origin,
)
from ansible_collections.cxone.recording.plugins.module_utils._errors import CxoneError, TransportError, counted
from ansible_collections.cxone.recording.plugins.module_utils._responses import decode_json, message_from_body

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
# Workers told the same Retry-After wait it plus a random share of this spread, so that a
# batch does not come back in the same millisecond (see backoff_delay).
RETRY_AFTER_SPREAD = 0.2
RETRY_AFTER_MIN_SPREAD = 1.0

USER_AGENT = "cxone.recording-ansible-collection"

# The largest answer read: far above any CXone answer (a tenant's whole users list included), it
# stops an endless or runaway body from filling the controller's memory.
MAX_ANSWER_BYTES = 64 * 1024 * 1024
READ_CHUNK_BYTES = 64 * 1024


def require_requests():
    """Raise a clear error when the controller's Python lacks ``requests``."""
    if requests is None:
        raise TransportError(
            "the Python library 'requests' is required on the Ansible controller "
            "(pip install requests into the Python that runs ansible-playbook)")


class Reply:
    """One HTTP answer, with what it took to get it.

    ``body`` is the decoded JSON (None when the body is empty or not JSON); ``body_is_json``
    tells a JSON ``null`` from a body that is not JSON at all, such as a proxy's HTML page
    answered with 200.
    """

    __slots__ = ("status", "body", "body_is_json", "text", "content_type", "attempts", "unanswered_attempts")

    def __init__(self, status, text, content_type, attempts, unanswered_attempts):
        self.status = status
        self.text = text
        self.content_type = content_type
        self.body = decode_json(text)
        self.body_is_json = self.body is not None or (text or "").strip() == "null"
        self.attempts = attempts
        self.unanswered_attempts = unanswered_attempts

    @property
    def ok(self):
        return 200 <= self.status < 300

    @property
    def message(self):
        """CXone's explanation, from the JSON body or a summary of the raw text."""
        return message_from_body(self.body, self.text, self.content_type)


_DELAY_SECONDS = re.compile(r"[0-9]+")


def retry_after_seconds(value, now=None):
    """Seconds asked for by a ``Retry-After`` header (delta or HTTP date), at most ``RETRY_AFTER_CAP``, or None.

    The cap is applied here, where the header is read, so that every wait built on it (one
    request's retry, the pause of a whole batch) is bounded: a hostile or broken header cannot
    stall a play for hours. Anything else (other digits than 0-9, a date that cannot be, text)
    is None: the retry then backs off as without the header.
    """
    if not value or not isinstance(value, str):
        return None
    value = value.strip()
    if _DELAY_SECONDS.fullmatch(value):
        return min(float(value), RETRY_AFTER_CAP)
    try:
        when = email.utils.parsedate_to_datetime(value)
        if when is None:
            return None
        now = time.time() if now is None else now
        return min(max(0.0, when.timestamp() - now), RETRY_AFTER_CAP)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def backoff_delay(retry_number, retry_after=None, rand=random.random):
    """How long to wait before retry ``retry_number`` (1 for the first retry).

    Exponential backoff with full jitter spreads a batch's retries. A ``Retry-After`` from
    CXone wins (``retry_after_seconds`` has capped it already; capped again for callers that
    pass their own number), and is waited plus up to a fifth more (at least up to one second more when it asks for a
    second or more), so that 64 workers told "Retry-After: 1" come back spread over a second.
    """
    if retry_after is not None:
        wait = min(retry_after, RETRY_AFTER_CAP)
        return wait + rand() * max(wait * RETRY_AFTER_SPREAD, min(wait, RETRY_AFTER_MIN_SPREAD))
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** (retry_number - 1)))
    return ceiling * (0.5 + rand() / 2)


def worst_case_seconds(timeout, retries, budget=None):
    """The longest one ``Transport.request`` can take: every attempt times out and every wait
    is the longest ``Retry-After`` allowed; with a ``budget`` (seconds), at most that."""
    longest_wait = backoff_delay(1, RETRY_AFTER_CAP, rand=lambda: 1.0)
    unbounded = (retries + 1) * timeout + retries * longest_wait
    return unbounded if budget is None else min(unbounded, budget)


class _OwnHeadersOnly:
    """The ``auth`` of every request: leaves the request as built.

    Without an ``auth``, requests reads ~/.netrc and replaces the Authorization header with
    the credentials it finds there, which would send a netrc password to CXone instead of the
    collection's own client or bearer credentials. Proxies from the environment still apply.
    """

    def __call__(self, request):
        return request


class Transport:
    """Sends requests with connection reuse, a timeout per request and bounded retries.

    ``on_answer(method, url, status, seconds)`` is called for every attempt (status None when
    no answer came) so that a caller can log traffic; ``url`` has no query string, and nothing
    else of the request (headers, body) is passed, so a log cannot hold a secret. ``sleep`` and
    ``clock`` (for time budgets) can be replaced by tests. With ``pacing``, an attempt waits
    for a place among the requests in flight, and tells how it ended (see ``_pacing.py``).
    """

    def __init__(self, timeout, retries, verify, pool_size=8, sleep=time.sleep, rand=random.random,
                 on_answer=None, clock=time.monotonic, pacing=None, max_answer_bytes=MAX_ANSWER_BYTES):
        require_requests()
        self.max_answer_bytes = max_answer_bytes
        # An AdaptiveLimit (_pacing.py) that every attempt passes through, or None.
        self._pacing = pacing
        self.timeout = timeout
        self.retries = retries
        self.verify = verify
        self._sleep = sleep
        self._rand = rand
        self._rand_lock = threading.Lock()
        self._clock = clock
        self._on_answer = on_answer
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.auth = _OwnHeadersOnly()
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

    def request(self, method, url, what, retry=True, budget=None, before_retry=None, **kwargs):
        """Send a request and return a ``Reply`` for the final answer.

        ``what`` names the request in error messages (e.g. "login", "start recording for user
        X"); it must never hold a secret. Retries follow ``retries``; an error answer that is
        not retryable, or the last one, is returned, not raised. TransportError is raised when
        no answer came at all. ``budget`` bounds the seconds spent on all attempts and waits,
        the wait for a place among the batch's requests in flight included: no attempt starts,
        and no wait is begun, that would end after it. ``before_retry()`` is called after the
        wait and before each retry; whatever it raises ends the request (the recording
        operations check there that the agent is still on the contact they are meant for).
        """
        deadline = None if budget is None else self._clock() + budget
        attempts = 0
        unanswered = 0
        while True:
            attempts += 1
            if attempts > 1 and before_retry is not None:
                try:
                    before_retry()
                except CxoneError as exc:
                    exc.attempts, exc.unanswered_attempts = attempts - 1, unanswered
                    raise
            timeout = self.timeout if deadline is None else max(0.001, min(self.timeout, deadline - self._clock()))
            if self._pacing is not None and not self._pacing.acquire(
                    None if deadline is None else deadline - self._clock()):
                raise TransportError("%s: not sent to %s: CXone asked the batch to pause (Retry-After) beyond this "
                                     "request's time limit of %g s" % (what, origin(url), budget), attempts - 1, unanswered)
            started = time.monotonic()
            try:
                response = self.session.request(method, url, timeout=timeout, verify=self.verify,
                                                allow_redirects=False, stream=True, **kwargs)
                content = _read_body(response, self.max_answer_bytes)
            except requests.exceptions.RequestException as exc:
                self._released(None)
                self._report(method, url, None, started)
                lost = lost_connection(exc)
                if lost is None:
                    raise failure_without_answer(exc, what, url, attempts, unanswered) from None
                if lost:
                    unanswered += 1
                delay = backoff_delay(attempts, rand=self._jitter)
                if not self._may_retry(retry, attempts, delay, deadline):
                    limit = " (stopped at its time limit of %g s)" % budget \
                        if retry and attempts <= self.retries and deadline is not None else ""
                    raise TransportError(
                        "%s: no answer from %s after %s%s: %s"
                        % (what, origin(url), counted(attempts, "attempt"), limit, failure_reason(exc)),
                        attempts, unanswered) from None
                self._sleep(delay)
                continue

            self._report(method, url, response.status_code, started)
            if content is None:
                self._released(response.status_code)
                raise TransportError("%s: the answer of %s (HTTP %s) is longer than %d bytes and was not read"
                                     % (what, origin(url), response.status_code, self.max_answer_bytes),
                                     attempts, unanswered)
            try:
                reply = Reply(response.status_code, _decoded(content, response.encoding),
                              response.headers.get("Content-Type", ""), attempts, unanswered)
                retry_after = retry_after_seconds(response.headers.get("Retry-After"))
            except Exception as exc:  # pylint: disable=broad-exception-caught
                self._released(response.status_code)
                # No answer, however odd, may end a task with a Python error; only the error's
                # type is named, its text could quote the answer.
                raise TransportError("%s: the answer of %s (HTTP %s) could not be read (%s)"
                                     % (what, origin(url), response.status_code, type(exc).__name__),
                                     attempts, unanswered) from None
            self._released(reply.status, retry_after)
            if reply.status in RETRYABLE_STATUSES:
                delay = self._retry_delay(attempts, retry_after)
                if self._may_retry(retry, attempts, delay, deadline):
                    response.close()
                    self._sleep(delay)
                    continue
            return reply

    def _retry_delay(self, attempts, retry_after):
        """Seconds before the next attempt of a request answered with a retryable status."""
        if retry_after is not None and self._pacing is not None:
            # The pacing pauses the whole batch for the Retry-After, then lets at most its lowered
            # limit go at once: the return is spread already, and an extra spread would only keep
            # this request out for longer than CXone asked.
            return backoff_delay(attempts, retry_after, rand=lambda: 0.0)
        return backoff_delay(attempts, retry_after, rand=self._jitter)

    def _released(self, status, retry_after=None):
        if self._pacing is not None:
            self._pacing.release(status, retry_after)

    def _may_retry(self, retry, attempts, delay, deadline):
        if not retry or attempts > self.retries:
            return False
        return deadline is None or self._clock() + delay < deadline

    def _report(self, method, url, status, started):
        if self._on_answer is not None:
            self._on_answer(method, url.split("?", 1)[0], status, time.monotonic() - started)


def _read_body(response, limit):
    """The answer's body as bytes, or None (and the connection closed) once it grows beyond ``limit``."""
    chunks = []
    size = 0
    for chunk in response.iter_content(READ_CHUNK_BYTES):
        size += len(chunk)
        if size > limit:
            response.close()
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _decoded(content, encoding):
    """Text of a body in the charset its answer named; UTF-8 (CXone's) when it named none or an unknown one."""
    try:
        return content.decode(encoding or "utf-8", errors="replace")
    except LookupError:
        return content.decode("utf-8", errors="replace")


def disable_insecure_warnings():
    """Silence urllib3's per-request warning: the module warns once, in words users act on."""
    try:
        import urllib3
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    except (ImportError, AttributeError):
        pass
