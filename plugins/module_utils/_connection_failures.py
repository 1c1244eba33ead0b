# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A request that got no answer, in words: what failed, whether it may have reached CXone.

For internal use by the cxone.recording collection only; not a public API.

requests and urllib3 wrap the real cause (a refused connection, a timeout, a certificate that
fails verification) in layers of exceptions whose text quotes reprs, addresses and sometimes
the request. ``_transport.Transport`` asks this file whether to retry and what to say; the
words name the cause and where, never the request itself.
"""

from __future__ import annotations

import re
import ssl

from ansible_collections.cxone.recording.plugins.module_utils._errors import TransportError
from ansible_collections.cxone.recording.plugins.module_utils._responses import summarise_text

try:
    import requests
except ImportError:  # _transport.require_requests() reports it
    requests = None


def _chain(exc):
    """``exc`` and the errors it wraps (urllib3's ``reason``, arguments, causes), outermost first."""
    found = []
    pending = [exc]
    while pending and len(found) < 20:
        current = pending.pop(0)
        if not isinstance(current, BaseException) or any(current is seen for seen in found):
            continue
        found.append(current)
        pending.extend(arg for arg in getattr(current, "args", ()) if isinstance(arg, BaseException))
        pending.extend((getattr(current, "reason", None), current.__cause__, current.__context__))
    return found


def _verification_failure(exc):
    """The certificate verification error inside ``exc``, or None."""
    for error in _chain(exc):
        if isinstance(error, ssl.SSLCertVerificationError):
            return error
    return None


def _during_handshake(exc):
    """True when the error came from the TLS handshake, before anything of the request was sent."""
    for error in _chain(exc):
        trace = error.__traceback__
        while trace is not None:
            if trace.tb_frame.f_code.co_name == "do_handshake":
                return True
            trace = trace.tb_next
    return False


def lost_connection(exc):
    """For an error without an answer: None when retrying cannot help, else whether the request
    may have reached CXone (to be counted in ``unanswered_attempts``)."""
    if _verification_failure(exc) is not None:
        return None
    if isinstance(exc, (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)):
        # An answer began but could not be read: the request was received.
        return True
    if not isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.Timeout)):
        return None
    # Only a refused or unresolvable connection, or a failed TLS handshake, is known not to
    # have reached CXone.
    return not (isinstance(exc, requests.exceptions.ConnectTimeout) or _never_sent(exc) or _during_handshake(exc))


def failure_without_answer(exc, what, url, attempts, unanswered):
    failure = _verification_failure(exc)
    if failure is not None:
        return TransportError(
            "%s: TLS certificate verification failed for %s (%s); set ca_path to the CA bundle that "
            "signs it, or validate_certs: false for a test system"
            % (what, origin(url), _words(failure)), attempts, unanswered)
    # Only the error's type: its text may quote the request, headers included.
    return TransportError("%s: request to %s failed (%s)" % (what, origin(url), type(exc).__name__),
                          attempts, unanswered)


def _never_sent(exc):
    """True for connection errors raised before the request could reach the server."""
    text = repr(exc)
    return any(marker in text for marker in ("NewConnectionError", "NameResolutionError",
                                             "Connection refused", "Failed to resolve"))


def failure_reason(exc):
    if isinstance(exc, requests.exceptions.Timeout):
        return "timed out (timeout is the number of seconds allowed per request)"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "the answer was cut off"
    if isinstance(exc, requests.exceptions.ContentDecodingError):
        return "the answer's compressed body could not be decoded"
    return _words(_root_cause(exc), during_handshake=_during_handshake(exc))


def _root_cause(exc):
    """The innermost error ``exc`` wraps, following one path of reasons, arguments and causes."""
    current = exc
    for _depth in range(10):
        nested = getattr(current, "reason", None)
        if not isinstance(nested, BaseException):
            nested = next((arg for arg in current.args if isinstance(arg, BaseException)), None)
        if nested is None:
            nested = current.__cause__ or current.__context__
        if nested is None or nested is current:
            break
        current = nested
    return current


_SSL_LIBRARY_TAG = re.compile(r"^\[[A-Z0-9_]+: [A-Z0-9_]+\]\s*")
_SSL_SOURCE_TAG = re.compile(r"\s*\(_ssl\.c:\d+\)$")


def _words(error, during_handshake=False):
    """An error's reason as a sentence, without the library's nested repr, tuples or addresses."""
    if isinstance(error, ssl.SSLCertVerificationError) and error.verify_message:
        return error.verify_message.rstrip(".")
    text = ""
    if isinstance(error, OSError) and error.strerror:
        text = error.strerror
    elif error.args and isinstance(error.args[0], str):
        text = error.args[0]
    text = _SSL_SOURCE_TAG.sub("", _SSL_LIBRARY_TAG.sub("", text))
    # urllib3 prefixes "<urllib3.connection.HTTPSConnection object at 0x...>: "; drop it.
    if text.startswith("<") and ">: " in text:
        text = text.split(">: ", 1)[1]
    if not text or text.startswith(("(", "<", "[")):
        text = " ".join(re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])", type(error).__name__)).lower()
    if isinstance(error, ssl.SSLError) and getattr(error, "reason", None) == "WRONG_VERSION_NUMBER":
        text += " (is it a plain http:// server?)"
    if during_handshake:
        text = "TLS handshake failed: %s" % text
    elif isinstance(error, ssl.SSLError):
        text = "TLS error: %s" % text
    return summarise_text(text, 160)


def origin(url):
    """scheme://host[:port] of a URL: enough to say where, without paths or queries."""
    scheme, _sep, rest = url.partition("://")
    return "%s://%s" % (scheme, rest.split("/", 1)[0])
