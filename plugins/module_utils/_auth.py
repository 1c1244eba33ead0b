# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Logging in to CXone and keeping a valid token: the one implementation of the token lifecycle.

Used in the module's own process (``connection: local``) and inside the ``cxone_api``
connection plugin's persistent process alike. OIDC discovery names the token endpoint; the
password grant logs in with an access key, the refresh grant renews; API discovery finds the
tenant's API base URL.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time

from ansible_collections.cxone.recording.plugins.module_utils._errors import (
    LOGIN_HINTS,
    NO_HINTS,
    AuthError,
    SettingsError,
    describe_failure,
    redact,
    status_hint,
)
from ansible_collections.cxone.recording.plugins.module_utils._settings import check_url, is_bearer_token

# Renew this long before expiry, but never more than a tenth of a token's life, so that
# very short-lived tokens (seconds, in tests) are not renewed on every use.
RENEWAL_MARGIN = 60.0
RENEWAL_FRACTION = 0.1
# Answers of the token endpoint that mean the credentials themselves were refused.
REFUSED_LOGIN_STATUSES = frozenset((400, 401, 403))
# CXone documents about an hour; used when an answer leaves out expires_in.
DEFAULT_LIFETIME = 3600.0


def token_fingerprint(token):
    """A short, non-reversible name for a token: safe to log or pass between processes."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:12]


def jwt_claims(token):
    """The claims of a JWT, or {} when ``token`` is not one.

    The signature is not checked: the token came straight from the token endpoint over the
    verified connection, and its claims only choose where to discover the API.
    """
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3:
        return {}
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")).decode("utf-8"))
    except (ValueError, UnicodeError):
        return {}
    return claims if isinstance(claims, dict) else {}


class Token:
    """An access token and when to renew it. ``repr`` shows only its fingerprint."""

    __slots__ = ("access_token", "refresh_token", "lifetime", "renew_at", "expires_at", "claims",
                 "fingerprint", "from_renewal", "worked")

    def __init__(self, access_token, lifetime, refresh_token=None, claims=None, now=0.0, from_renewal=False):
        self.access_token = access_token
        self.refresh_token = refresh_token
        self.lifetime = lifetime
        self.expires_at = now + lifetime
        self.renew_at = self.expires_at - min(RENEWAL_MARGIN, lifetime * RENEWAL_FRACTION)
        self.claims = claims or {}
        self.fingerprint = token_fingerprint(access_token)
        self.from_renewal = from_renewal
        # Whether CXone accepted it at least once (see Authenticator.confirm).
        self.worked = False

    def __repr__(self):
        return "Token(%s)" % self.fingerprint


def basic_authorization(client_id, client_secret):
    """The HTTP Basic header for the client, UTF-8 encoded (requests would use Latin-1 and
    fail on other characters)."""
    pair = ("%s:%s" % (client_id, client_secret)).encode("utf-8")
    return "Basic " + base64.b64encode(pair).decode("ascii")


class Authenticator:
    """Holds one tenant's token: logs in lazily, renews before expiry and after a rejection.

    Thread-safe: a batch's workers share it, and only one login or renewal is in flight at a
    time. A login that CXone refuses is remembered, so that a thousand workers get the same
    clear error instead of a thousand login attempts.
    """

    def __init__(self, settings, transport, clock=time.monotonic):
        self.settings = settings
        self.transport = transport
        self._clock = clock
        self._lock = threading.RLock()
        self._token = None
        self._token_endpoint = None
        self._api_base_url = settings.api_endpoint
        self._sticky_failure = None

    # -- discovery ---------------------------------------------------------------------------

    def _secrets(self):
        token = self._token
        return (self.settings.client_secret, self.settings.access_key_secret, self.settings.access_token,
                token and token.access_token, token and token.refresh_token)

    def _failure(self, what, reply, hints=NO_HINTS):
        message = redact(reply.message, self._secrets())
        return AuthError("%s failed: %s" % (what, describe_failure(reply.status, message, hints)), reply.status)

    def _get_json(self, url, what, params=None):
        reply = self.transport.request("GET", url, what, params=params)
        if not reply.ok:
            raise self._failure(what, reply)
        if not isinstance(reply.body, dict):
            raise AuthError("%s: the answer from %s is not a JSON object" % (what, url.split("?")[0]),
                            reply.status)
        return reply.body

    def token_endpoint(self):
        """The token endpoint named by the issuer's OpenID configuration (fetched once)."""
        with self._lock:
            if self._token_endpoint is None:
                what = "OpenID discovery at issuer %s" % self.settings.issuer
                config = self._get_json(self.settings.issuer + "/.well-known/openid-configuration", what)
                endpoint = config.get("token_endpoint")
                if not isinstance(endpoint, str) or not endpoint:
                    raise AuthError("%s: the answer names no token_endpoint" % what, 200)
                self._token_endpoint = self._checked_discovered_url("token_endpoint", endpoint, what)
            return self._token_endpoint

    def tenant_id(self):
        """The tenant id: from the settings, else from the token's claims."""
        if self.settings.tenant_id:
            return self.settings.tenant_id
        token = self._current()
        claims = token.claims or jwt_claims(token.access_token)
        tenant = claims.get("tenantId") or claims.get("tenant_id")
        if not tenant:
            raise SettingsError(
                "tenant_id: the access token does not name a tenant; set tenant_id or api_endpoint")
        return str(tenant)

    def api_base_url(self):
        """The tenant's API base URL: ``api_endpoint`` when set, else API discovery (once)."""
        with self._lock:
            if self._api_base_url is None:
                tenant = self.tenant_id()
                what = "API discovery for tenant %s" % tenant
                config = self._get_json(self.settings.issuer + "/.well-known/cxone-configuration", what,
                                        params={"tenantId": tenant})
                endpoint = config.get("api_endpoint")
                if not isinstance(endpoint, str) or not endpoint:
                    raise AuthError("%s: the answer has no api_endpoint; set api_endpoint" % what, 200)
                self._api_base_url = self._checked_discovered_url("api_endpoint", endpoint, what)
            return self._api_base_url

    def _checked_discovered_url(self, name, url, what):
        try:
            return check_url(name, url, self.settings.allow_plain_http)
        except SettingsError as exc:
            raise AuthError("%s: discovered %s" % (what, exc.msg), 200) from None

    # -- grants ------------------------------------------------------------------------------

    def _grant(self, form, what, from_renewal):
        endpoint = self.token_endpoint()
        # requests URL-encodes the form, so secrets with '=', '&' or '+' arrive intact.
        reply = self.transport.request(
            "POST", endpoint, what, data=form,
            headers={"Accept": "application/json",
                     "Authorization": basic_authorization(self.settings.client_id, self.settings.client_secret)})
        if not reply.ok:
            raise self._failure(what, reply, LOGIN_HINTS)
        body = reply.body if isinstance(reply.body, dict) else {}
        access_token = body.get("access_token")
        if not isinstance(access_token, str) or not access_token:
            raise AuthError("%s: the token endpoint answered without an access_token" % what, reply.status)
        if not is_bearer_token(access_token):
            raise AuthError("%s: the token endpoint answered with an access_token that is not a valid "
                            "bearer token (characters outside RFC 6750)" % what, reply.status)
        lifetime = body.get("expires_in")
        try:
            lifetime = float(lifetime)
        except (TypeError, ValueError):
            lifetime = DEFAULT_LIFETIME
        if lifetime <= 0:
            lifetime = DEFAULT_LIFETIME
        refresh_token = body.get("refresh_token") if isinstance(body.get("refresh_token"), str) else None
        claims = jwt_claims(body.get("id_token")) or jwt_claims(access_token)
        return Token(access_token, lifetime, refresh_token, claims, self._clock(), from_renewal)

    def _login(self, from_renewal=False):
        what = "login with access key %s" % self.settings.access_key_id
        try:
            return self._grant({"grant_type": "password", "username": self.settings.access_key_id,
                                "password": self.settings.access_key_secret}, what, from_renewal)
        except AuthError as exc:
            # Refused credentials are remembered: they will not start working during this run,
            # and a thousand workers should not try a thousand logins. Other failures (a
            # gateway's 503 after all retries, say) may pass, and the next task tries again.
            if exc.status in REFUSED_LOGIN_STATUSES:
                self._sticky_failure = exc
            raise

    def _refresh(self, token):
        return self._grant({"grant_type": "refresh_token", "refresh_token": token.refresh_token},
                           "token refresh", True)

    def _renewed(self, token):
        """A new token for ``token``: refresh grant first, a full login when that fails."""
        if token is not None and token.refresh_token:
            try:
                return self._refresh(token)
            except AuthError:
                pass
        return self._login(from_renewal=token is not None)

    # -- the lifecycle -----------------------------------------------------------------------

    def _current(self):
        with self._lock:
            if self._sticky_failure is not None:
                raise self._sticky_failure
            if self.settings.uses_given_token:
                if self._token is None:
                    given = self.settings.access_token
                    self._token = Token(given, DEFAULT_LIFETIME, claims=jwt_claims(given), now=self._clock())
                return self._token
            if self._token is None:
                self._token = self._login()
            elif self._clock() >= self._token.renew_at:
                self._token = self._renewed(self._token)
            return self._token

    def bearer(self):
        """``(access_token, seconds_until_renewal)`` for the token to use now."""
        token = self._current()
        return token.access_token, max(0.0, token.renew_at - self._clock())

    def confirm(self, fingerprint):
        """CXone accepted the token with this fingerprint (an answer other than 401)."""
        with self._lock:
            if self._token is not None and self._token.fingerprint == fingerprint:
                self._token.worked = True

    def renew(self, rejected_fingerprint):
        """Called when CXone answered 401 to a token; returns the token to retry with.

        Several workers may report the same stale token: only the first renews, the others get
        the token it obtained. A token obtained by a renewal and rejected before it ever worked
        means the credentials or permissions will not do: that raises instead of logging in
        again and again.
        """
        with self._lock:
            if self._sticky_failure is not None:
                raise self._sticky_failure
            current = self._token
            if current is not None and current.fingerprint != rejected_fingerprint:
                return self.bearer()
            if self.settings.uses_given_token:
                self._sticky_failure = AuthError(
                    "CXone rejected the access_token given (HTTP 401: expired or revoked); obtain a "
                    "new token, or set client_id, client_secret, access_key_id and access_key_secret "
                    "so that the collection can log in by itself", 401)
                raise self._sticky_failure
            if current is not None and current.from_renewal and not current.worked:
                self._sticky_failure = AuthError(
                    "CXone rejected a newly issued access token too (HTTP 401); %s" % status_hint(401), 401)
                raise self._sticky_failure
            self._token = self._renewed(current)
            return self.bearer()
