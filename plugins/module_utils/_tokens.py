# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the collection knows of an access token without asking CXone: its fingerprint and claims.

For internal use by the cxone.recording collection only; not a public API.

A fingerprint names a token in logs and between processes (the ``cxone_api`` connection and
its modules) without revealing it; a ``Token`` is one token with the times of its lifecycle.
"""

from __future__ import annotations

import base64
import hashlib
import json


def token_fingerprint(token):
    """A short, non-reversible name for a token: safe to log or pass between processes."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:12]


def jwt_claims(token):
    """The claims of a JWT, or {} when ``token`` is not one.

    The signature is not checked: the claims only choose where to discover the API and when a
    token given by the user expires; CXone itself judges the token.
    """
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3:
        return {}
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")).decode("utf-8"))
    except (ValueError, UnicodeError, RecursionError):
        return {}
    return claims if isinstance(claims, dict) else {}


class Token:
    """An access token and when to renew it. ``repr`` shows only its fingerprint.

    Times are on the authenticator's monotonic clock. ``given``: the user's access_token, not
    one this collection obtained; ``rejected``: CXone answered 401 to it.
    """

    __slots__ = ("access_token", "refresh_token", "renew_at", "expires_at", "claims", "fingerprint",
                 "from_renewal", "given", "rejected", "worked")

    def __init__(self, access_token, expires_at, renew_at, refresh_token=None, claims=None, from_renewal=False,
                 given=False):
        self.access_token = access_token
        self.refresh_token = refresh_token
        self.expires_at = expires_at
        self.renew_at = renew_at
        self.claims = claims or {}
        self.fingerprint = token_fingerprint(access_token)
        self.from_renewal = from_renewal
        self.given = given
        self.rejected = False
        # Whether CXone accepted it at least once (see Authenticator.confirm).
        self.worked = False

    def __repr__(self):
        return "Token(%s)" % self.fingerprint

    def usable(self, now):
        return not self.rejected and now < self.expires_at
