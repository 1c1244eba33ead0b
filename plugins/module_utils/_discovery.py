# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Where to log in and where the tenant's API is: OpenID discovery and CXone's API discovery.

For internal use by the cxone.recording collection only; not a public API.

``GET <issuer>/.well-known/openid-configuration`` names the token endpoint;
``GET <issuer>/.well-known/cxone-configuration?tenantId=`` names the tenant's ``api_endpoint``.
Both are read once per authenticator (``_auth.Authenticator`` caches them). The words of a
failed answer of the login path are written here once, for the grants too; ``secrets`` are
redacted from any text of an answer that is shown.
"""

from __future__ import annotations

from ansible_collections.cxone.recording.plugins.module_utils._errors import (
    NO_HINTS,
    AuthError,
    SettingsError,
    describe_failure,
    redact,
)
from ansible_collections.cxone.recording.plugins.module_utils._settings import check_url

# Each request of the login path (OpenID discovery, a token grant, API discovery) stops
# retrying after this many seconds, whatever timeout and retries say, so that the longest
# login one call to the cxone_api connection can make (see _auth.login_path_worst_case) ends
# within its persistent_command_timeout (300 s by default).
LOGIN_REQUEST_BUDGET = 60.0


def answer_failure(what, reply, secrets, hints=NO_HINTS):
    """The error of a refused answer of the login path: its status, CXone's message and a hint."""
    message = redact(reply.message, secrets)
    return AuthError("%s failed: %s" % (what, describe_failure(reply.status, message, hints)), reply.status)


def not_understood(what, reply, problem, secrets):
    """An answer of the login path that is not what the protocol promises, with its status and,
    when the body is not JSON, what it is instead."""
    details = "HTTP %s" % reply.status
    if not reply.body_is_json:
        details += "; the body is not JSON: %s" % (redact(reply.message, secrets) or "empty")
    return AuthError("%s: %s (%s)" % (what, problem, details), reply.status)


def _discovered_url(settings, transport, url, what, key, secrets, params=None):
    reply = transport.request("GET", url, what, params=params, budget=LOGIN_REQUEST_BUDGET)
    if not reply.ok:
        raise answer_failure(what, reply, secrets)
    if not isinstance(reply.body, dict):
        raise not_understood(what, reply, "the answer is not a JSON object", secrets)
    found = reply.body.get(key)
    if not isinstance(found, str) or not found:
        problem = "the answer names no token_endpoint" if key == "token_endpoint" else \
            "the answer has no api_endpoint; set api_endpoint"
        raise not_understood(what, reply, problem, secrets)
    try:
        return check_url(key, found, settings.allow_plain_http)
    except SettingsError as exc:
        raise AuthError("%s: discovered %s" % (what, exc.msg), 200) from None


def discover_token_endpoint(settings, transport, secrets):
    """The token endpoint the issuer's OpenID configuration names, checked as a URL."""
    return _discovered_url(settings, transport, settings.issuer + "/.well-known/openid-configuration",
                           "OpenID discovery at issuer %s" % settings.issuer, "token_endpoint", secrets)


def discover_api_endpoint(settings, transport, tenant, secrets):
    """The API base URL CXone's API discovery names for ``tenant``, checked as a URL."""
    return _discovered_url(settings, transport, settings.issuer + "/.well-known/cxone-configuration",
                           "API discovery for tenant %s" % tenant, "api_endpoint", secrets,
                           params={"tenantId": tenant})
