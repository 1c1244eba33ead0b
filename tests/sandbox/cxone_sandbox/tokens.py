# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""OAuth tokens: opaque access and refresh tokens, and an unsigned-in-spirit id_token JWT.

Tokens are random strings remembered here with what they grant. Expired and revoked
access tokens are remembered too, so that a 401 can say *why* (expired / revoked),
as the module under test must tell the two apart from an unknown token.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass

ACCESS_TOKEN_PREFIX = "sbxAT"
REFRESH_TOKEN_PREFIX = "sbxRT"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"


class TokenProblem(Exception):
    """Why an access token is refused; the message is the 401's error_description."""


def token_fingerprint(token):
    """What the request log keeps instead of a token: 12 hex digits of its SHA-256."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:12]


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def make_id_token(claims):
    """A JWT shaped like CXone's (RS256 header); the signature is random bytes, nobody verifies it here."""
    header = {"alg": "RS256", "typ": "JWT"}
    return ".".join((_b64url(json.dumps(header, separators=(",", ":")).encode("utf-8")),
                     _b64url(json.dumps(claims, separators=(",", ":")).encode("utf-8")),
                     _b64url(secrets.token_bytes(256))))


@dataclass
class Grant:
    """What a token stands for: who logged in, through which client, until when."""

    tenant_id: str
    key_id: str
    user_id: str
    client_id: str
    expires_at: float
    revoked: bool = False


class TokenStore:
    def __init__(self):
        self._access = {}     # access token -> Grant
        self._refresh = {}    # refresh token -> Grant

    def issue(self, tenant, key, client_id, issuer):
        """A token response body for ``key`` of ``tenant``, as the token endpoint answers it."""
        now = time.time()
        # Recognisable prefixes let leak tests search output for any token the sandbox issued.
        access_token = ACCESS_TOKEN_PREFIX + secrets.token_urlsafe(32)
        refresh_token = REFRESH_TOKEN_PREFIX + secrets.token_urlsafe(32)
        self._access[access_token] = Grant(tenant.tenant_id, key.key_id, key.user_id, client_id, now + tenant.token_lifetime)
        self._refresh[refresh_token] = Grant(tenant.tenant_id, key.key_id, key.user_id, client_id, now + tenant.refresh_token_lifetime)
        claims = {"iss": issuer, "sub": "user:%s" % key.user_id, "aud": client_id, "iat": int(now),
                  "exp": int(now + tenant.token_lifetime), "tenantId": tenant.tenant_id, "userId": key.user_id,
                  "name": key.name}
        return {"access_token": access_token, "token_type": "Bearer", "expires_in": int(tenant.token_lifetime),
                "refresh_token": refresh_token, "refresh_token_expires_in": int(tenant.refresh_token_lifetime),
                "id_token": make_id_token(claims), "issued_token_type": ACCESS_TOKEN_TYPE}

    def check_access(self, token):
        """The Grant of a usable access token, or TokenProblem saying why not."""
        grant = self._access.get(token)
        if grant is None:
            raise TokenProblem("Access token is missing or invalid")
        if grant.revoked:
            raise TokenProblem("Access token revoked")
        if time.time() >= grant.expires_at:
            raise TokenProblem("Access token expired")
        return grant

    def redeem_refresh(self, refresh_token, client_id):
        """Use a refresh token once: it is invalid afterwards. None when not usable by this client."""
        grant = self._refresh.get(refresh_token)
        if grant is None or grant.revoked or grant.client_id != client_id or time.time() >= grant.expires_at:
            return None
        del self._refresh[refresh_token]
        return grant

    def revoke(self, tenant_id=None, keep_refresh=False):
        """Revoke every current token (of one tenant, or all); returns how many access tokens."""
        count = 0
        for grant in self._access.values():
            if (tenant_id is None or grant.tenant_id == tenant_id) and not grant.revoked:
                grant.revoked = True
                count += 1
        if not keep_refresh:
            for grant in self._refresh.values():
                if tenant_id is None or grant.tenant_id == tenant_id:
                    grant.revoked = True
        return count
