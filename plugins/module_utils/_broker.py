# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The token broker protocol between a module and the ``cxone_api`` connection: both sides.

For internal use by the cxone.recording collection only; not a public API.

The ``cxone_api`` connection runs in ansible-core's persistent connection process and holds one
tenant's ``Authenticator`` for the whole play: one login however many tasks. A module, in its
own process, borrows the token over the connection's JSON-RPC socket and sends its batch
itself, so that the batch stays concurrent and no single call to the connection runs long.

The calls (methods of the connection plugin, named by the ``CALL_*`` constants):

``cxone_session()``
    A task's first call. Logs in if needed and discovers the API. Answers the token keys below
    plus ``SESSION_KEYS``: where and how to send requests (base URL, path prefix, timeout,
    retries, TLS settings).
``cxone_token(confirmed)``
    The token to use now, renewed first when it is about to expire.
``cxone_renew(rejected, confirmed)``
    CXone answered 401 to the token whose fingerprint is ``rejected``: the token to retry with.
    However many workers report the same token, it is renewed once.

Every answer holds ``access_token`` and ``ask_again_in``: the seconds after which the module must
call ``cxone_token`` again before using the token. That is the sooner of the token's renewal
time, ``ASK_AGAIN_INTERVAL`` and a third of the connection's idle timeout, so the calls also
keep the connection alive during a long batch (it exits after an idle timeout).

``confirmed`` is the fingerprint of a token CXone accepted since the module's last call, or
None. The connection needs to know: a renewed token that CXone rejects before it ever worked
means the credentials or permissions will not do, and renewing again would only hammer CXone.

A failure is an answer too, ``{"error": {"type", "msg", "status"}}``, never an exception:
ansible-core would turn an exception into a generic error with a traceback in its log.

No call takes a token as an argument. When the connection process dies during a call,
ansible-core repeats the call's arguments in the module's error message; a fingerprint (a
short hash, see ``token_fingerprint``) names a token without revealing it.
"""

from __future__ import annotations

import threading
import time

from ansible.module_utils.connection import Connection, ConnectionError as ConnectionSocketError

from ansible_collections.cxone.recording.plugins.module_utils._tokens import token_fingerprint
from ansible_collections.cxone.recording.plugins.module_utils._errors import (
    AuthError,
    CxoneError,
    SettingsError,
    TransportError,
)

CALL_SESSION = "cxone_session"
CALL_TOKEN = "cxone_token"
CALL_RENEW = "cxone_renew"

# Keys of every answer but an error.
ACCESS_TOKEN = "access_token"
ASK_AGAIN_IN = "ask_again_in"
# Keys the session answer adds.
SESSION_KEYS = ("api_base_url", "recording_api_path", "timeout", "retries", "validate_certs", "ca_path")
ERROR = "error"

# A module asks the connection again at least this often, however long the token is valid.
ASK_AGAIN_INTERVAL = 10.0

_ERROR_TYPES = {cls.__name__: cls for cls in (AuthError, SettingsError, TransportError, CxoneError)}


# -- the connection's side ---------------------------------------------------------------------

def _token_answer(bearer, idle_timeout):
    token, renew_in = bearer
    return {ACCESS_TOKEN: token, ASK_AGAIN_IN: min(renew_in, ASK_AGAIN_INTERVAL, idle_timeout / 3.0)}


def answer_session(authenticator, idle_timeout):
    """``cxone_session``: log in (once), discover the API, and say how to send requests."""
    answer = _token_answer(authenticator.bearer(), idle_timeout)
    settings = authenticator.settings
    answer.update({
        "api_base_url": authenticator.api_base_url(),
        "recording_api_path": settings.recording_api_path,
        "timeout": settings.timeout,
        "retries": settings.retries,
        "validate_certs": settings.validate_certs,
        "ca_path": settings.ca_path,
    })
    return answer


def answer_token(authenticator, idle_timeout, confirmed=None):
    """``cxone_token``: the token to use now."""
    if confirmed:
        authenticator.confirm(confirmed)
    return _token_answer(authenticator.bearer(), idle_timeout)


def answer_renew(authenticator, idle_timeout, rejected, confirmed=None):
    """``cxone_renew``: CXone rejected the token with fingerprint ``rejected``."""
    if confirmed:
        authenticator.confirm(confirmed)
    return _token_answer(authenticator.renew(rejected), idle_timeout)


def error_answer(exc):
    """A ``CxoneError`` as an answer (JSON, no traceback)."""
    return {ERROR: {"type": type(exc).__name__, "msg": exc.msg, "status": getattr(exc, "status", None)}}


# -- the module's side -------------------------------------------------------------------------

def _raise_error_answer(error):
    error_type = _ERROR_TYPES.get(error.get("type"), CxoneError)
    if issubclass(error_type, AuthError):
        raise error_type(error["msg"], error.get("status"))
    raise error_type(error["msg"])


class BrokerClient:
    """The module's side: a token source (``bearer``, ``confirm``, ``renew``) backed by the connection.

    It calls the connection only when its ``ask_again_in`` time has come or CXone rejected the
    token; in between, a batch's workers share the token it holds.
    """

    def __init__(self, socket_path):
        self._connection = Connection(socket_path)
        self._lock = threading.Lock()
        self._token = None
        self._ask_again_at = 0.0
        # A fingerprint CXone accepted, told to the connection with the next call.
        self._confirmed = None

    def _call(self, name, *args):
        try:
            answer = getattr(self._connection, name)(*args)
        except ConnectionSocketError as exc:
            raise TransportError("the cxone_api connection did not answer %s: %s" % (name, exc)) from None
        if ERROR in answer:
            _raise_error_answer(answer[ERROR])
        return answer

    def _keep(self, answer):
        self._token = answer[ACCESS_TOKEN]
        self._ask_again_at = time.monotonic() + answer[ASK_AGAIN_IN]
        return self._token, answer[ASK_AGAIN_IN]

    def _take_confirmed(self):
        confirmed, self._confirmed = self._confirmed, None
        return confirmed

    def open(self):
        """Start the task: the session answer, whose ``SESSION_KEYS`` say how to send requests."""
        answer = self._call(CALL_SESSION)
        self._keep(answer)
        return {key: answer[key] for key in SESSION_KEYS}

    def bearer(self):
        with self._lock:
            if time.monotonic() >= self._ask_again_at:
                return self._keep(self._call(CALL_TOKEN, self._take_confirmed()))
            return self._token, self._ask_again_at - time.monotonic()

    def confirm(self, fingerprint):
        with self._lock:
            self._confirmed = fingerprint

    def renew(self, rejected_fingerprint):
        with self._lock:
            if token_fingerprint(self._token) != rejected_fingerprint:
                # Another worker renewed it already.
                return self._token, self._ask_again_at - time.monotonic()
            return self._keep(self._call(CALL_RENEW, rejected_fingerprint, self._take_confirmed()))

    def close(self):
        """Tell a confirmation not told yet: a later task of the play may need it."""
        confirmed = self._take_confirmed()
        if confirmed:
            try:
                self._call(CALL_TOKEN, confirmed)
            except CxoneError:
                pass
