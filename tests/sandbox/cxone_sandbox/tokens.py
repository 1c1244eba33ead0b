# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""OAuth tokens: access tokens (opaque or JWT), refresh tokens, and an id_token JWT.

Every token is remembered here with what it grants, whatever its form: expired and revoked
access tokens too, so that a 401 can say *why* (expired / revoked), as the module under test
must tell the two apart from an unknown token. A tenant may ask for JWT access tokens, which
name the tenant and the user in their claims (as CXone's do), so that a client given only a
token can find the tenant's API; they are signed with HMAC-SHA256 under the sandbox's own key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

ACCESS_TOKEN_PREFIX = "sbxAT"
REFRESH_TOKEN_PREFIX = "sbxRT"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
# The compact JSON headers, in this order, so that a leak search can look for their base64url form.
ID_TOKEN_HEADER = {"alg": "RS256", "typ": "JWT"}
ACCESS_JWT_HEADER = {"alg": "HS256", "typ": "JWT"}


class TokenProblem(Exception):
    """Why an access token is refused; the message is the 401's error_description."""


def token_fingerprint(token):
    """What the request log keeps instead of a token: 12 hex digits of its SHA-256."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:12]


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_json(obj):
    return _b64url(json.dumps(obj, separators=(",", ":")).encode("utf-8"))


def make_id_token(claims):
    """A JWT shaped like CXone's (RS256 header); the signature is random bytes, nobody verifies it here."""
    return ".".join((_b64url_json(ID_TOKEN_HEADER), _b64url_json(claims), _b64url(secrets.token_bytes(256))))


def make_access_jwt(claims, signing_key):
    """A JWT access token signed with HMAC-SHA256 under ``signing_key``."""
    signed = "%s.%s" % (_b64url_json(ACCESS_JWT_HEADER), _b64url_json(claims))
    signature = hmac.new(signing_key, signed.encode("ascii"), hashlib.sha256).digest()
    return "%s.%s" % (signed, _b64url(signature))


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
    """The tokens issued since the last reset, and the key that signs JWT access tokens."""

    def __init__(self):
        self._access = {}     # access token -> Grant
        self._refresh = {}    # refresh token -> Grant
        self._signing_key = secrets.token_bytes(32)

    def issue(self, tenant, key, client_id, issuer):
        """A token response body for ``key`` of ``tenant``, as the token endpoint answers it."""
        now = time.time()
        # Recognisable prefixes (and JWT headers) let leak tests search output for any token the sandbox issued.
        if tenant.access_token_format == "jwt":
            access_token = make_access_jwt({"iss": issuer, "sub": "user:%s" % key.user_id, "userId": key.user_id,
                                            "tenantId": tenant.tenant_id, "iat": int(now),
                                            "exp": int(now + tenant.token_lifetime), "jti": secrets.token_urlsafe(12)},
                                           self._signing_key)
        else:
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
