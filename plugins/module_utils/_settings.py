# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one table of connection settings, and their validation.

Module argument specs, environment fallbacks and the connection plugin's options all come
from ``SETTINGS``; the documentation fragments are checked against it by the unit tests.
Validation happens here, before any request is sent, and names the setting at fault.
"""

from __future__ import annotations

import ipaddress
import os
import string
from collections import namedtuple
from urllib.parse import urlsplit

from ansible.module_utils.basic import env_fallback

from ansible_collections.cxone.recording.plugins.module_utils._errors import SettingsError

DEFAULT_ISSUER = "https://cxone.niceincontact.com"
DEFAULT_RECORDING_API_PATH = "/interaction-recording-management-service/v1/interactions"

# Characters of an OAuth bearer token (RFC 6750 b64token); anything else cannot be sent in
# an Authorization header, and would make requests quote the header in its error message.
_TOKEN_CHARACTERS = frozenset(string.ascii_letters + string.digits + "-._~+/=")

TIMEOUT_RANGE = (1, 600)
RETRIES_RANGE = (0, 20)

Setting = namedtuple("Setting", "name type default env secret")

SETTINGS = (
    Setting("issuer", "str", DEFAULT_ISSUER, "CXONE_ISSUER", False),
    Setting("client_id", "str", None, "CXONE_CLIENT_ID", False),
    Setting("client_secret", "str", None, "CXONE_CLIENT_SECRET", True),
    Setting("access_key_id", "str", None, "CXONE_ACCESS_KEY_ID", False),
    Setting("access_key_secret", "str", None, "CXONE_ACCESS_KEY_SECRET", True),
    Setting("access_token", "str", None, "CXONE_ACCESS_TOKEN", True),
    Setting("tenant_id", "str", None, "CXONE_TENANT_ID", False),
    Setting("api_endpoint", "str", None, "CXONE_API_ENDPOINT", False),
    Setting("recording_api_path", "str", DEFAULT_RECORDING_API_PATH, "CXONE_RECORDING_API_PATH", False),
    Setting("validate_certs", "bool", True, "CXONE_VALIDATE_CERTS", False),
    Setting("ca_path", "path", None, "CXONE_CA_PATH", False),
    Setting("timeout", "int", 30, "CXONE_TIMEOUT", False),
    Setting("retries", "int", 5, "CXONE_RETRIES", False),
    Setting("allow_plain_http", "bool", False, "CXONE_ALLOW_PLAIN_HTTP", False),
)

SETTING_NAMES = tuple(setting.name for setting in SETTINGS)
SECRET_NAMES = tuple(setting.name for setting in SETTINGS if setting.secret)
PASSWORD_GRANT_NAMES = ("client_id", "client_secret", "access_key_id", "access_key_secret")


class Settings(namedtuple("Settings", SETTING_NAMES)):
    """Validated connection settings. ``repr`` hides the secrets."""

    __slots__ = ()

    def __repr__(self):
        shown = ", ".join(
            "%s=%s" % (name, "<hidden>" if name in SECRET_NAMES and value else repr(value))
            for name, value in zip(self._fields, self)
        )
        return "Settings(%s)" % shown

    @property
    def uses_given_token(self):
        """True when the user supplied a bearer token instead of login credentials."""
        return bool(self.access_token)

    @property
    def verify(self):
        """The ``verify`` argument of requests: a CA bundle, or whether to verify at all."""
        if not self.validate_certs:
            return False
        return self.ca_path or True


def connection_argument_spec():
    """Argument spec entries for the connection settings, with ``CXONE_*`` fallbacks."""
    spec = {}
    for setting in SETTINGS:
        option = {"type": setting.type, "fallback": (env_fallback, [setting.env])}
        if setting.default is not None:
            option["default"] = setting.default
        if setting.secret:
            option["no_log"] = True
        spec[setting.name] = option
    return spec


def _is_loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(name, value, allow_plain_http=False):
    """Raise unless ``value`` is an absolute http(s) URL without query, fragment or credentials."""
    if not isinstance(value, str) or not value.strip():
        raise SettingsError("%s: must be a URL such as https://cxone.niceincontact.com, got an empty value" % name)
    if value != value.strip() or any(ord(char) < 32 or char == " " for char in value):
        raise SettingsError("%s: %r must not contain spaces or control characters" % (name, value))
    try:
        parts = urlsplit(value)
        parts.port  # pylint: disable=pointless-statement  # raises ValueError on a bad port
    except ValueError as exc:
        raise SettingsError("%s: %r is not a valid URL (%s)" % (name, value, exc)) from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise SettingsError("%s: %r must be an absolute https:// URL with a host name" % (name, value))
    if parts.query or parts.fragment:
        raise SettingsError("%s: %r must not have a query string or fragment" % (name, value))
    if parts.username or parts.password:
        raise SettingsError("%s: the URL must not carry a user name or password" % name)
    if not allow_plain_http:
        check_secure_url(name, value)
    return value.rstrip("/")


def _check_range(name, value, bounds):
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SettingsError("%s: must be a whole number from %d to %d, got %r" % (name, low, high, value))
    return value


def _check_text(name, value):
    """Identifiers and secrets: None, or a non-empty string without control characters."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise SettingsError("%s: must be a string" % name)
    if not value.strip():
        return None
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        # The value itself is not shown: it may be a secret.
        raise SettingsError("%s: must not contain control characters (such as a line break)" % name)
    return value


def is_bearer_token(token):
    """True for a string that can be sent as ``Authorization: Bearer <token>``."""
    return isinstance(token, str) and bool(token) and all(char in _TOKEN_CHARACTERS for char in token)


def validate_settings(values):
    """Turn raw values (module params, plugin options) into ``Settings``, or raise SettingsError.

    Missing keys take their defaults. Nothing here touches the network.
    """
    raw = {}
    for setting in SETTINGS:
        value = values.get(setting.name)
        raw[setting.name] = setting.default if value is None else value

    for name in ("client_id", "client_secret", "access_key_id", "access_key_secret",
                 "access_token", "tenant_id"):
        raw[name] = _check_text(name, raw[name])

    if not isinstance(raw["allow_plain_http"], bool):
        raise SettingsError("allow_plain_http: must be true or false, got %r" % (raw["allow_plain_http"],))
    raw["issuer"] = check_url("issuer", raw["issuer"], raw["allow_plain_http"])
    if raw["api_endpoint"] is not None and str(raw["api_endpoint"]).strip():
        raw["api_endpoint"] = check_url("api_endpoint", raw["api_endpoint"], raw["allow_plain_http"])
    else:
        raw["api_endpoint"] = None

    path = raw["recording_api_path"]
    if not isinstance(path, str) or not path.startswith("/") or any(char in path for char in "?# ") \
            or any(ord(char) < 32 for char in path):
        raise SettingsError(
            "recording_api_path: %r must be a URL path starting with / (for example %s)" % (path, DEFAULT_RECORDING_API_PATH))
    raw["recording_api_path"] = path.rstrip("/") or "/"

    raw["timeout"] = _check_range("timeout", raw["timeout"], TIMEOUT_RANGE)
    raw["retries"] = _check_range("retries", raw["retries"], RETRIES_RANGE)

    if not isinstance(raw["validate_certs"], bool):
        raise SettingsError("validate_certs: must be true or false, got %r" % (raw["validate_certs"],))
    if raw["ca_path"]:
        if not os.path.isfile(raw["ca_path"]):
            raise SettingsError("ca_path: %r does not exist or is not a file" % raw["ca_path"])
    else:
        raw["ca_path"] = None

    if raw["access_token"] and not is_bearer_token(raw["access_token"]):
        raise SettingsError("access_token: is not a bearer token (it holds spaces or characters outside RFC 6750)")
    if not raw["access_token"]:
        missing = [name for name in PASSWORD_GRANT_NAMES if not raw[name]]
        if missing:
            raise SettingsError(
                "missing credentials: set access_token, or all of client_id, client_secret, "
                "access_key_id and access_key_secret (missing: %s); each can also come from its "
                "CXONE_* environment variable" % ", ".join(missing))
    return Settings(**raw)


def check_secure_url(name, url):
    """Refuse a URL that credentials or tokens would travel to in clear over a network.

    Plain HTTP is accepted only to this machine (a local proxy or a test server), unless the
    user sets ``allow_plain_http``; every other host must be reached over HTTPS. Discovered
    URLs go through the same check.
    """
    parts = urlsplit(url)
    if parts.scheme != "https" and not _is_loopback(parts.hostname or ""):
        raise SettingsError(
            "%s: %r uses plain http:// to a host other than this machine; credentials and tokens "
            "are only sent over https:// (set allow_plain_http to accept this)" % (name, url))
