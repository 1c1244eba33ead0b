# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Logging in to CXone and keeping a valid token: the one implementation of the token lifecycle.

For internal use by the cxone.recording collection only; not a public API.

Used in the module's own process (``connection: local``) and inside the ``cxone_api``
connection plugin's persistent process alike. The password grant logs in with an access key,
the refresh grant renews; where to log in and the tenant's API come from ``_discovery``.
"""

from __future__ import annotations

import base64
import datetime
import math
import threading
import time

from ansible_collections.cxone.recording.plugins.module_utils._discovery import (
    LOGIN_REQUEST_BUDGET,
    answer_failure,
    discover_api_endpoint,
    discover_token_endpoint,
    not_understood,
)
from ansible_collections.cxone.recording.plugins.module_utils._errors import (
    LOGIN_HINTS,
    ApiError,
    AuthError,
    CxoneError,
    SettingsError,
    status_hint,
)
from ansible_collections.cxone.recording.plugins.module_utils._settings import is_bearer_token
from ansible_collections.cxone.recording.plugins.module_utils._tokens import Token, jwt_claims
from ansible_collections.cxone.recording.plugins.module_utils._transport import worst_case_seconds

# Renew this long before expiry, but never more than a tenth of a token's life, so that
# very short-lived tokens (seconds, in tests) are not renewed on every use.
RENEWAL_MARGIN = 60.0
RENEWAL_FRACTION = 0.1
# After a failed renewal or login, no new attempt starts for this long: the workers of a
# batch keep the current token while it lasts, or get that failure, instead of each trying.
RENEWAL_RETRY_INTERVAL = 5.0
# Answers of the token endpoint that mean the credentials themselves were refused.
REFUSED_LOGIN_STATUSES = frozenset((400, 401, 403))
# CXone documents about an hour; used when an answer leaves out expires_in.
DEFAULT_LIFETIME = 3600.0
# The most login-path requests one call makes: OpenID discovery, a refused refresh, the
# login after it, API discovery.
LOGIN_PATH_REQUESTS = 4


def login_path_worst_case(timeout, retries):
    """The longest a login with its discoveries can take, in seconds, for these settings."""
    return LOGIN_PATH_REQUESTS * worst_case_seconds(timeout, retries, LOGIN_REQUEST_BUDGET)


def utc_text(wall_time):
    """A wall-clock time as ISO 8601 UTC, e.g. 2026-11-27T16:05:00Z."""
    moment = datetime.datetime.fromtimestamp(wall_time, datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def renewal_time(expires_at, lifetime):
    """When to renew a token that lives ``lifetime`` seconds until ``expires_at``."""
    return expires_at - min(RENEWAL_MARGIN, lifetime * RENEWAL_FRACTION)


def basic_authorization(client_id, client_secret):
    """The HTTP Basic header for the client, UTF-8 encoded (requests would use Latin-1 and
    fail on other characters)."""
    pair = ("%s:%s" % (client_id, client_secret)).encode("utf-8")
    return "Basic " + base64.b64encode(pair).decode("ascii")


def _token_lifetime(value):
    """Seconds from an ``expires_in``; the default for anything but a positive finite number."""
    if isinstance(value, bool):
        return DEFAULT_LIFETIME
    try:
        lifetime = float(value)
    except (TypeError, ValueError, OverflowError):
        return DEFAULT_LIFETIME
    return lifetime if math.isfinite(lifetime) and lifetime > 0 else DEFAULT_LIFETIME


def _failure_recipe(error):
    """What it takes to raise an error like ``error`` again: its type, message and status."""
    return type(error), error.msg, getattr(error, "status", None)


def _fresh_error(recipe):
    """A new error from a recipe: each raise gets its own short traceback, and no attempts
    are counted for a worker that sent nothing."""
    error_type, msg, status = recipe
    if issubclass(error_type, ApiError):
        return error_type(msg, status)
    return error_type(msg)


class Authenticator:
    """Holds one tenant's token: logs in lazily, renews before expiry and after a rejection.

    Which credentials are used:

    - An ``access_token`` given by the user is used first. When it is a JWT, its ``exp`` claim
      is taken as its expiry (an opaque token is used until CXone rejects it).
    - When CXone rejects it (401) or it has expired, and all four login settings
      (``client_id``, ``client_secret``, ``access_key_id``, ``access_key_secret``) are set, the
      collection logs in with them and goes on with its own tokens; a token of that login that
      CXone rejects before it ever worked fails the task (no second round). A given JWT already
      expired goes straight to that login.
    - Without the four login settings, an expired or rejected given token fails with a message
      saying so; an expired JWT fails before any request.
    - Without a given token, the collection logs in with the four settings, renews ahead of
      expiry (refresh grant; a full login when the refresh is refused) and after a 401.

    A renewal ahead of expiry that fails (a 503 after all retries, no answer) fails nothing
    while the current token lasts. After any failed renewal or login, no new attempt starts for
    ``RENEWAL_RETRY_INTERVAL`` seconds, or, when the current token expires sooner, until halfway
    to its expiry (so one more attempt is made before it expires): workers that still hold a
    valid token keep it, the others get that failure, each as a fresh error. Attempts stay
    serialized: one in flight at a time. A login refused for its credentials (400,
    401, 403) is final for the authenticator's life: a thousand workers get one clear error
    instead of a thousand login attempts.

    Thread-safe: a batch's workers share it. Only one renewal is in flight at a time, and it
    runs outside the lock, so that workers with a valid token are not held up by it.
    """

    def __init__(self, settings, transport, clock=time.monotonic, wall_clock=time.time):
        self.settings = settings
        self.transport = transport
        self._clock = clock
        self._wall_clock = wall_clock
        self._lock = threading.RLock()
        self._renewal_done = threading.Condition(self._lock)
        self._renewing = False
        self._token = self._given_token() if settings.uses_given_token else None
        self._token_endpoint = None
        self._api_base_url = settings.api_endpoint
        # Recipes (see _failure_recipe) of the refused login, final, and of the last failed
        # renewal or login, answered until _retry_at.
        self._refused = None
        self._failed = None
        self._retry_at = None

    def _given_token(self):
        given = self.settings.access_token
        claims = jwt_claims(given)
        now = self._clock()
        expiry = claims.get("exp")
        if isinstance(expiry, (int, float)) and not isinstance(expiry, bool) and math.isfinite(expiry):
            lifetime = expiry - self._wall_clock()
            expires_at = now + lifetime
            # Renewing ahead of expiry means a login: only possible with the login settings.
            renew_at = renewal_time(expires_at, max(lifetime, 0.0)) if self.settings.can_log_in else expires_at
        else:
            expires_at = renew_at = math.inf
        return Token(given, expires_at, renew_at, claims=claims, given=True)

    # -- discovery ---------------------------------------------------------------------------

    def _secrets(self):
        token = self._token
        return (self.settings.client_secret, self.settings.access_key_secret, self.settings.access_token,
                token and token.access_token, token and token.refresh_token)

    def token_endpoint(self):
        """The token endpoint named by the issuer's OpenID configuration (fetched once)."""
        with self._lock:
            if self._token_endpoint is None:
                self._token_endpoint = discover_token_endpoint(self.settings, self.transport, self._secrets())
            return self._token_endpoint

    def tenant_id(self):
        """The tenant id: from the settings, else from the token's claims."""
        if self.settings.tenant_id:
            return self.settings.tenant_id
        token = self._obtain()
        claims = token.claims or jwt_claims(token.access_token)
        tenant = claims.get("tenantId") or claims.get("tenant_id")
        if isinstance(tenant, bool) or not isinstance(tenant, (str, int)) or not str(tenant).strip():
            raise SettingsError(
                "tenant_id: the access token does not name a tenant; set tenant_id or api_endpoint")
        return str(tenant).strip()

    def api_base_url(self):
        """The tenant's API base URL: ``api_endpoint`` when set, else API discovery (once)."""
        with self._lock:
            if self._api_base_url is None:
                tenant = self.tenant_id()
                self._api_base_url = discover_api_endpoint(self.settings, self.transport, tenant, self._secrets())
            return self._api_base_url

    # -- grants ------------------------------------------------------------------------------

    def _grant(self, form, what, from_renewal):
        endpoint = self.token_endpoint()
        # requests URL-encodes the form, so secrets with '=', '&' or '+' arrive intact.
        reply = self.transport.request(
            "POST", endpoint, what, data=form, budget=LOGIN_REQUEST_BUDGET,
            headers={"Accept": "application/json",
                     "Authorization": basic_authorization(self.settings.client_id, self.settings.client_secret)})
        if not reply.ok:
            raise answer_failure(what, reply, self._secrets(), LOGIN_HINTS)
        body = reply.body if isinstance(reply.body, dict) else {}
        access_token = body.get("access_token")
        if not isinstance(access_token, str) or not access_token:
            raise not_understood(what, reply, "the token endpoint answered without an access_token", self._secrets())
        if not is_bearer_token(access_token):
            raise AuthError("%s: the token endpoint answered with an access_token that is not a valid "
                            "bearer token (characters outside RFC 6750)" % what, reply.status)
        lifetime = _token_lifetime(body.get("expires_in"))
        refresh_token = body.get("refresh_token") if isinstance(body.get("refresh_token"), str) else None
        claims = jwt_claims(body.get("id_token")) or jwt_claims(access_token)
        expires_at = self._clock() + lifetime
        return Token(access_token, expires_at, renewal_time(expires_at, lifetime), refresh_token, claims,
                     from_renewal)

    def _login(self, from_renewal):
        what = "login with access key %s" % self.settings.access_key_id
        try:
            return self._grant({"grant_type": "password", "username": self.settings.access_key_id,
                                "password": self.settings.access_key_secret}, what, from_renewal)
        except AuthError as exc:
            # Refused credentials are final: they will not start working during this run.
            # Other failures (a gateway's 503 after all retries, say) may pass.
            if exc.status in REFUSED_LOGIN_STATUSES:
                with self._lock:
                    self._refused = _failure_recipe(exc)
            raise

    def _refresh(self, token):
        return self._grant({"grant_type": "refresh_token", "refresh_token": token.refresh_token},
                           "token refresh", True)

    def _new_token(self, token):
        """A token to replace ``token`` (None: the first login).

        The refresh grant first; a full login when there is no refresh token or CXone refused
        it. A refresh that failed otherwise (a 503, no answer) is not followed by a login: the
        same token endpoint would answer it.
        """
        if token is not None and token.refresh_token:
            try:
                return self._refresh(token)
            except AuthError as exc:
                if exc.status not in REFUSED_LOGIN_STATUSES:
                    raise
        # A given token that merely expired was never judged by CXone: its login is a first one.
        return self._login(from_renewal=token is not None and (token.rejected or not token.given))

    # -- the lifecycle -----------------------------------------------------------------------

    def _raise_if_refused(self):
        if self._refused is not None:
            raise _fresh_error(self._refused)

    def _given_token_error(self, token):
        missing = self.settings.missing_login_settings
        advice = ("give a current token, or set client_id, client_secret, access_key_id and access_key_secret "
                  "so that the collection can log in by itself")
        if len(missing) < 4:
            advice += " (missing: %s)" % ", ".join(missing)
        if token.rejected:
            return AuthError("CXone rejected the access_token given (HTTP 401: expired or revoked); %s" % advice, 401)
        # Only a JWT expires by the clock (see _given_token): its exp claim says when.
        return SettingsError("access_token: the token given expired at %s; %s" % (utc_text(token.claims["exp"]), advice))

    def _obtain(self):
        """The token to use now: renewed first when due, unless another worker is renewing it."""
        with self._lock:
            while True:
                self._raise_if_refused()
                token = self._token
                now = self._clock()
                if token is not None and not token.rejected and now < token.renew_at:
                    return token
                usable = token is not None and token.usable(now)
                if self._renewing:
                    if usable:
                        return token
                    self._renewal_done.wait()
                    continue
                if self._retry_at is not None and now < self._retry_at:
                    if usable:
                        return token
                    raise _fresh_error(self._failed)
                if token is not None and token.given and not self.settings.can_log_in:
                    raise self._given_token_error(token)
                self._renewing = True
                break
        new_token = None
        try:
            new_token = self._new_token(token)
        except CxoneError as exc:
            with self._lock:
                now = self._clock()
                self._failed = _failure_recipe(exc)
                self._retry_at = now + RENEWAL_RETRY_INTERVAL
                if token is not None and token.usable(now):
                    # One more attempt before the token expires, halfway there when the usual pause
                    # would outlast it: an endpoint back just before expiry then costs no agent.
                    self._retry_at = min(self._retry_at, now + (token.expires_at - now) / 2)
                    return token
            raise
        finally:
            with self._lock:
                if new_token is not None:
                    self._token = new_token
                    self._failed = self._retry_at = None
                self._renewing = False
                self._renewal_done.notify_all()
        return new_token

    def bearer(self):
        """``(access_token, seconds_until_renewal)`` for the token to use now.

        The seconds say when to ask again; after a failed renewal, when the next attempt may
        start (never after the token's expiry).
        """
        token = self._obtain()
        with self._lock:
            ask_at = token.renew_at
            if self._retry_at is not None and ask_at < self._retry_at:
                ask_at = min(self._retry_at, token.expires_at)
            return token.access_token, min(DEFAULT_LIFETIME, max(0.0, ask_at - self._clock()))

    def confirm(self, fingerprint):
        """CXone accepted the token with this fingerprint (an answer other than 401)."""
        with self._lock:
            if self._token is not None and self._token.fingerprint == fingerprint:
                self._token.worked = True

    def renew(self, rejected_fingerprint):
        """Called when CXone answered 401 to a token; returns the token to retry with.

        Several workers may report the same stale token: only the first renews, the others get
        the token it obtained (or its failure). A token obtained by a renewal and rejected
        before it ever worked means the credentials or permissions will not do: that raises
        instead of logging in again and again. A rejected token is never used again, so a
        renewal that fails here fails the request.
        """
        with self._lock:
            self._raise_if_refused()
            current = self._token
            if current is not None and current.fingerprint == rejected_fingerprint and not current.rejected:
                if current.from_renewal and not current.worked:
                    self._refused = _failure_recipe(AuthError(
                        "CXone rejected a newly issued access token too (HTTP 401); %s" % status_hint(401), 401))
                    self._raise_if_refused()
                current.rejected = True
        return self.bearer()
