# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""How a module task reaches CXone: a token source, a transport and the API's base URL.

For internal use by the cxone.recording collection only; not a public API.

Two ways, one result (a ``Session`` holding an ``ApiClient``):

- over the ``cxone_api`` connection, the connection's persistent process holds the token for
  the whole play and lends it (``BrokerClient``, see ``_broker.py``);
- with ``connection: local``, the module logs in itself from its options or the ``CXONE_*``
  environment (an ``Authenticator`` of its own).
"""

from __future__ import annotations

from ansible_collections.cxone.recording.plugins.module_utils._api_client import ApiClient
from ansible_collections.cxone.recording.plugins.module_utils._auth import Authenticator
from ansible_collections.cxone.recording.plugins.module_utils._broker import BrokerClient
from ansible_collections.cxone.recording.plugins.module_utils._pacing import AdaptiveLimit
from ansible_collections.cxone.recording.plugins.module_utils._settings import (
    SETTING_NAMES,
    tls_verify,
    url_credentials,
    validate_settings,
)
from ansible_collections.cxone.recording.plugins.module_utils._transport import Transport, disable_insecure_warnings

INSECURE_WARNING = ("validate_certs is false: CXone's TLS certificate is not verified, so the "
                    "credentials and tokens could reach an impostor; use this for test systems only")


class Session:
    """A task's way to CXone: ``client`` sends authenticated requests; ``close()`` ends it."""

    def __init__(self, client, recording_api_path, on_close=None):
        self.client = client
        self.recording_api_path = recording_api_path
        self._on_close = on_close

    def close(self):
        if self._on_close is not None:
            self._on_close()
        self.client.transport.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def _transport(timeout, retries, validate_certs, ca_path, concurrency, adaptive, warn):
    if not validate_certs:
        warn(INSECURE_WARNING)
        disable_insecure_warnings()
    pacing = AdaptiveLimit(concurrency) if adaptive else None
    return Transport(timeout, retries, tls_verify(validate_certs, ca_path), pool_size=concurrency, pacing=pacing)


def _brokered_session(socket_path, concurrency, adaptive, warn):
    broker = BrokerClient(socket_path)
    info = broker.open()
    transport = _transport(info["timeout"], info["retries"], info["validate_certs"], info["ca_path"],
                           concurrency, adaptive, warn)
    return Session(ApiClient(broker, transport, info["api_base_url"]), info["recording_api_path"], broker.close)


def _direct_session(params, concurrency, adaptive, warn):
    settings = validate_settings({name: params.get(name) for name in SETTING_NAMES})
    transport = _transport(settings.timeout, settings.retries, settings.validate_certs, settings.ca_path,
                           concurrency, adaptive, warn)
    try:
        authenticator = Authenticator(settings, transport)
        authenticator.bearer()
        client = ApiClient(authenticator, transport, authenticator.api_base_url())
    except BaseException:
        transport.close()
        raise
    return Session(client, settings.recording_api_path)


def hide_url_credentials(module):
    """Keep a password written into a URL option out of every output of the task.

    Such a URL is refused, but AnsibleModule would still show it in the task's invocation; the
    module's first step is to add it to the values ``no_log`` hides.
    """
    module.no_log_values.update(url_credentials(module.params))


def open_session(module, concurrency, adaptive=True):
    """Log in (or borrow the connection's token) and find the API: the ``Session`` for this task.

    ``concurrency`` requests at most are in flight; with ``adaptive``, fewer while CXone answers
    429. Raises ``CxoneError`` when the settings are wrong, the login fails or the API cannot be
    found.
    """
    socket_path = getattr(module, "_socket_path", None)
    if socket_path:
        return _brokered_session(socket_path, concurrency, adaptive, module.warn)
    return _direct_session(module.params, concurrency, adaptive, module.warn)
