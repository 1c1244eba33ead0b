# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one table of connection settings, and their validation.

For internal use by the cxone.recording collection only; not a public API.

Module argument specs, environment fallbacks and the connection plugin's options all come
from ``SETTINGS``; the documentation fragments are checked against it by the unit tests.
Validation happens here, before any request is sent, and names the setting at fault.
"""

from __future__ import annotations

import ipaddress
import os
import re
import string
from collections import namedtuple
from urllib.parse import unquote, urlsplit

from ansible.module_utils.basic import env_fallback

from ansible_collections.cxone.recording.plugins.module_utils._errors import SettingsError
from ansible_collections.cxone.recording.plugins.module_utils._identifiers import has_control_character

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
URL_SETTING_NAMES = ("issuer", "api_endpoint")

# What may stand between "//" and the path of a URL setting: a host name or a bracketed IPv6
# address, and an optional port. urlsplit alone would accept "http://[::1]evil.com" with
# hostname "::1", a loopback address that lets plain HTTP through to another host.
_HOST_AND_PORT = re.compile(r"(?:\[(?P<ipv6>[0-9A-Fa-f:.]+)\]|(?P<name>[^\[\]@:/?#\\%\s]+))(?::[0-9]{1,5})?")


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
        """True when the user supplied a bearer token (used first, see ``Authenticator``)."""
        return bool(self.access_token)

    @property
    def missing_login_settings(self):
        """The names of the four login settings that are not set, in their usual order."""
        return [name for name in PASSWORD_GRANT_NAMES if not getattr(self, name)]

    @property
    def can_log_in(self):
        """True when all four login settings are set, so that the collection can log in itself."""
        return not self.missing_login_settings

    @property
    def verify(self):
        """The ``verify`` argument of requests for these settings (see ``tls_verify``)."""
        return tls_verify(self.validate_certs, self.ca_path)


def tls_verify(validate_certs, ca_path):
    """The ``verify`` argument of requests: a CA bundle, or whether to verify at all."""
    if not validate_certs:
        return False
    return ca_path or True


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


def _authority(value):
    """The part of a URL between "//" and its path, query or fragment: where user info sits."""
    rest = value.partition("://")[2] if "://" in value else value
    return re.split(r"[/?#]", rest, maxsplit=1)[0]


def shown_url(value):
    """What a message may show of a URL: scheme, host, port and path, never user info or query.

    Works on any text, also on a value that is not a valid URL, without parsing it.
    """
    value = str(value)
    scheme, sep, rest = value.partition("://")
    if not sep:
        scheme, rest = "", value
    authority = _authority(rest)
    path = re.split(r"[?#]", rest[len(authority):], maxsplit=1)[0]
    return "%s%s%s" % (scheme + sep, authority.rpartition("@")[2], path)


def url_credentials(values):
    """User info found in the URL settings of ``values`` (raw module params or plugin options).

    The password and the whole ``user:password`` text (also percent-decoded) of each URL that
    carries them. Such a URL is refused by ``check_url`` without being echoed; these strings
    are for the module to add to ``AnsibleModule.no_log_values``, so that the invocation shown
    with -vvv and later outputs hide them too.
    """
    found = []
    for name in URL_SETTING_NAMES:
        value = values.get(name)
        if not isinstance(value, str):
            continue
        user_info = _authority(value.strip()).rpartition("@")[0]
        if not user_info:
            continue
        password = user_info.partition(":")[2]
        for text in (user_info, unquote(user_info), password, unquote(password)):
            if text and text not in found:
                found.append(text)
    return found


def check_url(name, value, allow_plain_http=False):
    """Raise unless ``value`` is an absolute http(s) URL without query, fragment or user info.

    Messages show at most the scheme, host, port and path of ``value`` (see ``shown_url``).
    """
    if not isinstance(value, str) or not value.strip():
        raise SettingsError("%s: must be a URL such as https://cxone.niceincontact.com, got an empty value" % name)
    if "@" in _authority(value.strip()):
        # Nothing of the value is shown: the user info is likely a password.
        raise SettingsError("%s: the URL must not carry a user name or password (user info before @); "
                            "CXone credentials have their own settings" % name)
    shown = shown_url(value)
    if value != value.strip() or " " in value or has_control_character(value):
        raise SettingsError("%s: %r must not contain spaces or control characters" % (name, shown))
    try:
        parts = urlsplit(value)
        parts.port  # pylint: disable=pointless-statement  # raises ValueError on a bad port
    except ValueError as exc:
        raise SettingsError("%s: %r is not a valid URL (%s)" % (name, shown, exc)) from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise SettingsError("%s: %r must be an absolute https:// URL with a host name" % (name, shown))
    host = _HOST_AND_PORT.fullmatch(parts.netloc)
    if host is None or (host.group("ipv6") and not _is_ipv6(host.group("ipv6"))):
        raise SettingsError("%s: %r must have a host name or a bracketed IPv6 address, then an optional "
                            ":port, before the path" % (name, shown))
    if parts.query or parts.fragment:
        raise SettingsError("%s: %r must not have a query string or fragment" % (name, shown))
    if not allow_plain_http:
        check_secure_url(name, value)
    return value.rstrip("/")


def _is_ipv6(text):
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def check_range(name, value, bounds):
    """``value`` when it is a whole number within ``bounds`` (low, high); SettingsError names ``name``."""
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
    if has_control_character(value):
        # The value itself is not shown: it may be a secret.
        raise SettingsError("%s: must not contain control characters (such as a line break)" % name)
    return value


def is_bearer_token(token):
    """True for a string that can be sent as ``Authorization: Bearer <token>``."""
    return isinstance(token, str) and bool(token) and all(char in _TOKEN_CHARACTERS for char in token)


def validate_settings(values):
    """Turn raw values (module params, plugin options) into ``Settings``, or raise SettingsError.

    Missing keys take their defaults. Nothing here touches the network. Either ``access_token``
    or all four login settings are required; with both, the token is used first and the login
    settings are its fallback (see ``Authenticator``).
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

    raw["timeout"] = check_range("timeout", raw["timeout"], TIMEOUT_RANGE)
    raw["retries"] = check_range("retries", raw["retries"], RETRIES_RANGE)

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
            "are only sent over https:// (set allow_plain_http to accept this)" % (name, shown_url(url)))
