# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""How a module task reaches CXone: a token source, a transport and the API's base URL.

Two ways, one interface (``prepare()`` returns a ``RecordingApi``, ``close()``):

- ``BrokeredSession`` over the ``cxone_api`` connection: the connection's persistent process
  holds the token for the whole play and lends it; the module sends the requests itself, so
  a batch stays concurrent and no single call to the connection runs long.
- ``DirectSession`` with ``connection: local``: the module logs in itself, from its options
  or the ``CXONE_*`` environment.
"""

from __future__ import annotations

import threading
import time

from ansible.module_utils.connection import Connection, ConnectionError as BrokerConnectionError

from ansible_collections.cxone.recording.plugins.module_utils._auth import Authenticator, token_fingerprint
from ansible_collections.cxone.recording.plugins.module_utils._errors import (
    AuthError,
    CxoneError,
    SettingsError,
    TransportError,
)
from ansible_collections.cxone.recording.plugins.module_utils._recording import RecordingApi
from ansible_collections.cxone.recording.plugins.module_utils._settings import SETTING_NAMES, validate_settings
from ansible_collections.cxone.recording.plugins.module_utils._transport import Transport, disable_insecure_warnings

INSECURE_WARNING = ("validate_certs is false: CXone's TLS certificate is not verified, so the "
                    "credentials and tokens could reach an impostor; use this for test systems only")

# A module asks the connection for the token at least this often (less when the connection's
# idle timeout is short), which keeps the connection alive during a long batch.
BROKER_CHECK_INTERVAL = 10.0

_ERROR_TYPES = {cls.__name__: cls for cls in (AuthError, SettingsError, TransportError, CxoneError)}


def broker_session_info(settings, api_base_url):
    """What the connection tells a module besides the token: where and how to send requests."""
    return {
        "api_base_url": api_base_url,
        "recording_api_path": settings.recording_api_path,
        "timeout": settings.timeout,
        "retries": settings.retries,
        "validate_certs": settings.validate_certs,
        "ca_path": settings.ca_path,
    }


def broker_error(exc):
    """A ``CxoneError`` as the connection returns it to the module (JSON, no traceback)."""
    return {"error": {"type": type(exc).__name__, "msg": exc.msg, "status": getattr(exc, "status", None)}}


def _raise_broker_error(error):
    error_type = _ERROR_TYPES.get(error.get("type"), CxoneError)
    if issubclass(error_type, AuthError):
        raise error_type(error["msg"], error.get("status"))
    raise error_type(error["msg"])


class BrokeredSession:
    """Borrows the token of the ``cxone_api`` connection; a token source for RecordingApi."""

    def __init__(self, socket_path, concurrency, warn):
        self._connection = Connection(socket_path)
        self._concurrency = concurrency
        self._warn = warn
        self._lock = threading.Lock()
        self._token = None
        self._check_at = 0.0
        # A fingerprint CXone accepted, told to the connection with the next call.
        self._confirmed = None
        self.transport = None

    def _call(self, method, *args):
        try:
            answer = getattr(self._connection, method)(*args)
        except BrokerConnectionError as exc:
            raise TransportError("the cxone_api connection did not answer %s: %s" % (method, exc)) from None
        if "error" in answer:
            _raise_broker_error(answer["error"])
        return answer

    def _keep(self, answer):
        self._token = answer["access_token"]
        self._check_at = time.monotonic() + answer["check_in"]
        return self._token, answer["check_in"]

    def prepare(self):
        info = self._call("cxone_session")
        self._keep(info)
        verify = (info["ca_path"] or True) if info["validate_certs"] else False
        if not verify:
            self._warn(INSECURE_WARNING)
            disable_insecure_warnings()
        self.transport = Transport(info["timeout"], info["retries"], verify, pool_size=self._concurrency)
        return RecordingApi(self, self.transport, info["api_base_url"], info["recording_api_path"])

    def _take_confirmed(self):
        confirmed, self._confirmed = self._confirmed, None
        return confirmed

    def bearer(self):
        with self._lock:
            if time.monotonic() >= self._check_at:
                return self._keep(self._call("cxone_token", self._take_confirmed()))
            return self._token, self._check_at - time.monotonic()

    def confirm(self, fingerprint):
        with self._lock:
            self._confirmed = fingerprint

    def renew(self, rejected_fingerprint):
        with self._lock:
            if token_fingerprint(self._token) != rejected_fingerprint:
                return self._token, self._check_at - time.monotonic()
            return self._keep(self._call("cxone_renew", rejected_fingerprint, self._take_confirmed()))

    def close(self):
        # A confirmation not told yet is told now: a later task may need it (Authenticator.renew).
        confirmed = self._take_confirmed()
        if confirmed:
            try:
                self._call("cxone_token", confirmed)
            except CxoneError:
                pass
        if self.transport is not None:
            self.transport.close()


class DirectSession:
    """Logs in from this process with the module's own connection settings."""

    def __init__(self, params, concurrency, warn):
        self.settings = validate_settings({name: params.get(name) for name in SETTING_NAMES})
        if not self.settings.validate_certs:
            warn(INSECURE_WARNING)
            disable_insecure_warnings()
        self.transport = Transport.for_settings(self.settings, pool_size=concurrency)
        self.token_source = Authenticator(self.settings, self.transport)

    def prepare(self):
        self.token_source.bearer()
        return RecordingApi(self.token_source, self.transport, self.token_source.api_base_url(),
                            self.settings.recording_api_path)

    def close(self):
        self.transport.close()


def open_session(module, concurrency):
    """The session for this task: the connection's when it runs over ``cxone_api``."""
    socket_path = getattr(module, "_socket_path", None)
    if socket_path:
        return BrokeredSession(socket_path, concurrency, module.warn)
    return DirectSession(module.params, concurrency, module.warn)
