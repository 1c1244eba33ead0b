# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The sandbox's core: the state behind one lock, and the public (CXone-like) API.

CXone has two kinds of origin: the issuer (OpenID and API discovery, the token endpoint) and
a tenant's API host (``api-<area>...``), which discovery names as ``api_endpoint``. The
sandbox serves both, on two sockets: the issuer origin answers no API path and the API origin
nothing but the API, so a client that skips discovery or builds a wrong path fails here as it
would against CXone. Every public request goes through the same steps: the tenant's rate
limit (API origin), added latency (outside the lock), fault rules, then the endpoint itself
under the lock, then a ``slow`` rule's delay (outside the lock again). The HTTP plumbing
lives in ``server.py``, the test-only control API in ``control.py``.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import re
import threading
import time
from dataclasses import dataclass
from urllib.parse import parse_qs

from . import activity
from .faults import FaultBook, Latency
from .model import MEDIA_TYPES, PERMISSIONS, VIEW_USERS, ContactCentre, MaskingRefused, RecordingRefused
from .operations import BY_ENDPOINT, INTERNAL_CALL
from .ratelimit import RateLimits
from .replies import DROP, api_reply, gateway_reply, json_reply, oauth_error
from .timers import Scheduler
from .tokens import TokenProblem, TokenStore, token_fingerprint

# The API origin serves each tenant under /api-<area> (CXone: a host per area); what follows
# must be the tenant's recording_api_path and an operation.
API_PATH_RE = re.compile(r"^/api-(?P<area>[^/]+)(?P<rest>/.*)?$")
ISSUER_ORIGIN = "issuer"
API_ORIGIN = "api"
# User Hub's endpoints after /api-<area>: (method, counter name).
USER_HUB_ENDPOINTS = {"/user-management/v1/users": ("GET", "users"), "/user-management/v4/teams/search": ("POST", "teams")}
TEAMS_MAX_TOP = 1000
DO_NOT_RECORD_CONFLICT = "Recording is not allowed: the customer refused recording for this contact (do not record)"
LOCKED = "Interaction is locked while a previous request is processed"
FORM = "application/x-www-form-urlencoded"


@dataclass
class Request:
    """A parsed HTTP request, as the handler hands it over."""

    origin: str        # ISSUER_ORIGIN or API_ORIGIN: which of the sandbox's sockets it came in on
    method: str
    path: str          # as sent, without the query string
    query: dict        # parse_qs of the query string: name -> list of values
    headers: object    # case-insensitive mapping (http.client.HTTPMessage)
    body: bytes


def _single(params, name):
    """The one value of a form or query parameter; None when absent, ValueError when repeated."""
    values = params.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise ValueError("%s must be given once" % name)
    return values[0]


def _invalid_token(description):
    """A 401 as an OAuth resource server gives it: the reason in the body and in WWW-Authenticate."""
    header = 'Bearer error="invalid_token", error_description="%s"' % description
    return oauth_error(401, "invalid_token", description, {"WWW-Authenticate": header})


class Sandbox:
    """Holds the model, tokens, faults and activity; every change happens under ``self.lock``."""

    def __init__(self, config=None):
        self.lock = threading.Lock()
        self.base_url = "http://127.0.0.1"      # the issuer origin; set by the server once it knows its port
        self.api_url = "http://127.0.0.1"       # the API origin, likewise
        self.scheduler = Scheduler()
        self.generation = 0
        self.load(config)

    def load(self, config):
        """Replace everything with a fresh model built from ``config`` (validated before anything changes)."""
        centre = ContactCentre.from_config(config)
        self.centre = centre
        self.tokens = TokenStore()
        self.faults = FaultBook()
        self.latency = Latency()
        self.rate_limits = RateLimits()
        self.log = activity.RequestLog()
        self.stats = activity.Stats()
        # Asynchronous operations accepted before a reset must not land in the new model.
        self.generation += 1
        self.scheduler.cancel_all()

    def close(self):
        self.scheduler.stop()

    # -- public API entry point ---------------------------------------------------------------
    def handle(self, request):
        """Answer one public request: a Reply, or DROP to close the connection silently."""
        entry = activity.new_entry(request.origin, request.method, request.path, request.query)
        reply = None
        try:
            route = self._route_api if request.origin == API_ORIGIN else self._route_issuer
            reply = route(request, entry)
            return reply
        finally:
            with self.lock:
                entry["status"] = None if reply is None or reply is DROP else reply.status
                entry["finished"] = time.time()
                if entry["grant_type"] is not None and entry["status"] != 200:
                    self.stats.token_requests["failed"] += 1
                self.log.add(entry)

    def _route_issuer(self, request, entry):
        """Discovery, JWKS and the token endpoint; anything else is a 404 (the API lives on the API origin)."""
        path, method = request.path, request.method
        if path == "/.well-known/openid-configuration":
            return self._only(method, "GET") or self._serve("discovery", entry, self._openid_configuration, count=("openid",))
        if path == "/.well-known/cxone-configuration":
            return self._only(method, "GET") or self._serve("discovery", entry, lambda: self._cxone_configuration(request), count=("cxone",))
        if path == "/auth/jwks":
            return self._only(method, "GET") or json_reply(200, {"keys": []})
        if path == "/auth/token":
            return self._only(method, "POST") or self._token_request(request, entry)
        return gateway_reply(404, "No API at %s %s" % (method, path))

    def _route_api(self, request, entry):
        """``/api-<area>`` + the tenant's recording_api_path + ``/<endpoint>``, or User Hub's paths; else a 404."""
        match = API_PATH_RE.match(request.path)
        with self.lock:
            tenant = self.centre.tenant_by_area(match.group("area")) if match else None
            served = tenant.recording_api_path if tenant is not None else None
        operation = None
        rest = (match.group("rest") or "") if match else ""
        if tenant is not None and rest.startswith(served + "/"):
            operation = BY_ENDPOINT.get(rest[len(served) + 1:])
        if operation is not None:
            return self._only(request.method, operation.method) or self._operation_request(request, entry, tenant, operation)
        endpoint = USER_HUB_ENDPOINTS.get(rest) if tenant is not None else None
        if endpoint is not None:
            method, what = endpoint
            return self._only(request.method, method) or self._user_hub_request(request, entry, tenant, what)
        return gateway_reply(404, "No API at %s %s" % (request.method, request.path))

    @staticmethod
    def _only(method, allowed):
        """None when the method is allowed on a known path, else the 405 to answer."""
        if method == allowed:
            return None
        return api_reply(405, "Method %s not allowed here" % method, headers={"Allow": allowed})

    def _serve(self, category, entry, action, operation=None, user_id=None, count=None, limited_tenant=None):
        """Rate limit, latency, faults, then ``action()`` (which takes the lock itself), then a slow rule's delay."""
        with self.lock:
            if count is not None:
                counters = {"discovery": self.stats.discovery_requests, "operations": self.stats.operation_requests,
                            "users": self.stats.user_hub_requests}[category]
                counters[count[0]] += 1
            retry_after = self.rate_limits.take(limited_tenant) if limited_tenant is not None else None
            if retry_after is not None:
                self.stats.rate_limited += 1
                # A gateway refuses before the service sees the request: nothing else applies.
                return gateway_reply(429, "Too Many Requests", {"Retry-After": str(retry_after)})
            delay = self.latency.seconds(category)
        if delay:
            time.sleep(delay)
        with self.lock:
            rule = self.faults.pick(category, operation, user_id)
            if rule is not None:
                self.stats.faults_fired += 1
                entry["fault"] = rule.kind
                if rule.next_call is not None and user_id and limited_tenant is not None:
                    entry["next_call"] = self.centre.next_call(limited_tenant, user_id, **rule.next_call).contact_id
        if rule is not None and rule.kind == "status":
            return rule.reply()
        if rule is not None and rule.kind == "drop" and not rule.after_effect:
            return DROP
        reply = action()
        if rule is not None and rule.kind == "drop":
            return DROP
        if rule is not None and rule.kind == "slow":
            time.sleep(rule.delay_ms / 1000.0)
        return reply

    # -- discovery ------------------------------------------------------------------------------
    def _openid_configuration(self):
        base = self.base_url
        return json_reply(200, {
            "issuer": base,
            "authorization_endpoint": base + "/auth/authorize",
            "token_endpoint": base + "/auth/token",
            "jwks_uri": base + "/auth/jwks",
            "grant_types_supported": ["password", "refresh_token"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            "response_types_supported": ["code", "id_token", "token id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
        })

    def _cxone_configuration(self, request):
        try:
            tenant_id = _single(request.query, "tenantId")
        except ValueError as error:
            return oauth_error(400, "invalid_request", str(error))
        if not tenant_id:
            return oauth_error(400, "invalid_request", "tenantId is required")
        with self.lock:
            tenant = self.centre.tenants.get(tenant_id)
            if tenant is None:
                return oauth_error(404, "not_found", "Unknown tenant")
            area, cluster = tenant.area, tenant.cluster
        base = self.base_url
        return json_reply(200, {"private": False, "area": area, "cluster": cluster, "domain": "niceincontact.com",
                                "api_endpoint": "%s/api-%s" % (self.api_url, area), "auth_endpoint": base, "ui_endpoint": base + "/ui",
                                "tenantId": tenant_id})

    # -- token endpoint ------------------------------------------------------------------------
    def _token_request(self, request, entry):
        """Count and log the grant type, then serve the token endpoint through latency and faults."""
        content_type = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
        form = None
        if content_type == FORM:
            try:
                form = parse_qs(request.body.decode("utf-8"), keep_blank_values=True, errors="strict")
            except UnicodeDecodeError:
                form = None
        grant_type = None
        if form is not None:
            try:
                grant_type = _single(form, "grant_type")
            except ValueError:
                grant_type = None
        # The log names the grant type only when it is one of ours: the field is free text otherwise.
        entry["grant_type"] = grant_type if grant_type in ("password", "refresh_token") else "other"
        with self.lock:
            if grant_type in ("password", "refresh_token"):
                self.stats.token_requests[grant_type] += 1
        return self._serve("token", entry, lambda: self._token(request, form, grant_type), operation=entry["grant_type"])

    @staticmethod
    def _client_credentials(headers):
        """(client_id, client_secret) from an HTTP Basic header, or None."""
        scheme, _space, value = headers.get("Authorization", "").strip().partition(" ")
        if scheme.lower() != "basic" or not value:
            return None
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        client_id, colon, client_secret = decoded.partition(":")
        return (client_id, client_secret) if colon else None

    def _token(self, request, form, grant_type):
        """The token endpoint itself: client authentication, then the password or refresh grant."""
        if form is None:
            return oauth_error(400, "invalid_request", "The body must be form-encoded (%s, UTF-8)" % FORM)
        try:
            fields = {name: _single(form, name) for name in ("grant_type", "username", "password", "refresh_token")}
        except ValueError as error:
            return oauth_error(400, "invalid_request", str(error))
        credentials = self._client_credentials(request.headers)
        with self.lock:
            tenant = None
            if credentials is not None:
                tenant = next((t for t in self.centre.tenants.values() if credentials[0] in t.clients), None)
            if tenant is None or not hmac.compare_digest(tenant.clients[credentials[0]].encode("utf-8"), credentials[1].encode("utf-8")):
                return oauth_error(401, "invalid_client", "Client authentication failed", {"WWW-Authenticate": 'Basic realm="cxone"'})
            client_id = credentials[0]
            if not grant_type:
                return oauth_error(400, "invalid_request", "grant_type is required")
            if grant_type == "password":
                if not fields["username"] or not fields["password"]:
                    return oauth_error(400, "invalid_request", "username and password are required")
                key = tenant.access_keys.get(fields["username"])
                if key is None or not hmac.compare_digest(key.secret.encode("utf-8"), fields["password"].encode("utf-8")):
                    return oauth_error(400, "invalid_grant", "Invalid access key credentials")
            elif grant_type == "refresh_token":
                if not fields["refresh_token"]:
                    return oauth_error(400, "invalid_request", "refresh_token is required")
                grant = self.tokens.redeem_refresh(fields["refresh_token"], client_id)
                key = tenant.access_keys.get(grant.key_id) if grant is not None and grant.tenant_id == tenant.tenant_id else None
                if key is None:
                    return oauth_error(400, "invalid_grant", "Invalid refresh token")
            else:
                return oauth_error(400, "unsupported_grant_type", "Supported grant types: password, refresh_token")
            body = self.tokens.issue(tenant, key, client_id, self.base_url)
            self.stats.token_requests["issued"] += 1
        return json_reply(200, body, {"Cache-Control": "no-store", "Pragma": "no-cache"})

    # -- the recording operations (operations.RECORDING_OPERATIONS) --------------------------------
    def _operation_request(self, request, entry, tenant, operation):
        """Log who and what, then serve the operation (a RecordingOperation) through the rate limit, latency and faults."""
        entry["operation"] = operation.name
        user_ids = request.query.get("userId") or [None]
        entry["user_id"] = user_ids[0]
        scheme, _space, token = request.headers.get("Authorization", "").strip().partition(" ")
        token = token.strip() if scheme.lower() == "bearer" else ""
        if token:
            entry["token_sha256"] = token_fingerprint(token)
        with self.lock:
            self.stats.enter_operation()
        try:
            return self._serve("operations", entry, lambda: self._operation(request, operation, tenant, token),
                               operation=operation.name, user_id=user_ids[0], count=(operation.name,), limited_tenant=tenant)
        finally:
            with self.lock:
                self.stats.leave_operation()

    def _authorise(self, token, area_tenant, permission):
        """``(tenant, None)`` when the bearer token may use ``permission`` there, else ``(None, the 401 or 403)``.

        The caller holds the lock. ``permission`` is one of model.PERMISSIONS.
        """
        if not token:
            return None, _invalid_token("Access token is missing or invalid")
        try:
            grant = self.tokens.check_access(token)
        except TokenProblem as problem:
            return None, _invalid_token(str(problem))
        tenant = self.centre.tenants.get(grant.tenant_id)
        if tenant is None:
            return None, _invalid_token("Access token is missing or invalid")
        if tenant.tenant_id != area_tenant.tenant_id:
            return None, _invalid_token("Access token not valid for this tenant")
        key = tenant.access_keys.get(grant.key_id)
        if key is None or not key.may(permission):
            return None, api_reply(403, PERMISSIONS[permission])
        return tenant, None

    def _operation(self, request, operation, area_tenant, token):
        """The checks in CXone's order, then the operation (or the status read); all under the lock."""
        with self.lock:
            tenant, refusal = self._authorise(token, area_tenant, operation.permission)
            if refusal is not None:
                return refusal
            try:
                user_id = _single(request.query, "userId")
                media = _single(request.query, "mediaType") if operation.takes_media else None
            except ValueError as error:
                return api_reply(400, str(error))
            if not user_id:
                return api_reply(400, "userId is required")
            if operation.takes_media:
                media = media or "voice"
                if media not in MEDIA_TYPES:
                    return api_reply(400, "mediaType must be one of: %s" % ", ".join(MEDIA_TYPES))
            contact = self.centre.active_contact(tenant, user_id)
            if contact is None:
                return api_reply(404, "No active interaction found for user %s" % user_id)
            if operation.is_read:
                # Reading is never locked: it shows the state as it is, a pending 202 not yet included.
                return json_reply(200, self._recording_status(contact, user_id))
            if contact.is_locked(time.monotonic()):
                return api_reply(425, LOCKED, contact.contact_id)
            if operation.starts_recording and contact.do_not_record:
                return api_reply(409, DO_NOT_RECORD_CONFLICT, contact.contact_id)
            if operation.refuses_internal and contact.internal:
                return api_reply(422, INTERNAL_CALL, contact.contact_id)
            agent = tenant.agents[user_id]
            if agent.asynchronous:
                # Accepted now, applied later (or, for an agent whose accepted requests are lost, never);
                # the contact stays locked until then.
                contact.pending += 1
                self.scheduler.call_later(tenant.async_delay_ms / 1000.0, self._apply_later, self.generation, tenant, contact,
                                          None if agent.accepted_never_applies else operation, media)
                return api_reply(202, "Request accepted for processing", contact.contact_id)
            self._apply(tenant, contact, operation, media)
            return api_reply(200, operation.done, contact.contact_id)

    @staticmethod
    def _apply(tenant, contact, operation, media):
        """Change the contact's recording (caller holds the lock); RecordingRefused after do-not-record,
        MaskingRefused for masking on an internal call."""
        action = getattr(contact, operation.apply)
        if operation.takes_media:
            action(media)
        else:
            action()
        if tenant.processing_ms:
            contact.locked_until = max(contact.locked_until, time.monotonic() + tenant.processing_ms / 1000.0)

    def _apply_later(self, generation, tenant, contact, operation, media):
        """Apply an operation accepted with 202, unless the sandbox was reset or the call ended meanwhile.

        ``operation`` None: the request is lost; only the contact's lock is released.
        """
        with self.lock:
            if generation != self.generation:
                return
            contact.pending -= 1
            if contact.ended or operation is None:
                return
            try:
                self._apply(tenant, contact, operation, media)
            except (RecordingRefused, MaskingRefused):
                pass    # do-not-record arrived first: the start is refused, as it would be synchronously

    @staticmethod
    def _recording_status(contact, user_id):
        """What get-recording-status answers for an agent on ``contact`` (the fields the README's API section lists, both directions alike)."""
        status, reason = contact.recording_status()
        return {"contactId": contact.contact_id, "segmentId": contact.segment_ids.get(user_id),
                "interactionId": contact.interaction_id, "recordingStatusToAgent": status,
                "recordingStatusFromAgent": status, "statusReason": reason}

    # -- User Hub ------------------------------------------------------------------------------
    def _user_hub_request(self, request, entry, tenant, what):
        """Log the token, then serve the users list or the teams search through the rate limit, latency and faults."""
        scheme, _space, token = request.headers.get("Authorization", "").strip().partition(" ")
        token = token.strip() if scheme.lower() == "bearer" else ""
        if token:
            entry["token_sha256"] = token_fingerprint(token)
        action = self._list_users if what == "users" else self._search_teams
        return self._serve("users", entry, lambda: action(request, tenant, token), count=(what,), limited_tenant=tenant)

    def _list_users(self, request, area_tenant, token):
        """``GET .../user-management/v1/users[?includeDeleted=]``: the whole directory in one answer."""
        with self.lock:
            tenant, refusal = self._authorise(token, area_tenant, VIEW_USERS)
            if refusal is not None:
                return refusal
            try:
                include_deleted = _single(request.query, "includeDeleted")
            except ValueError as error:
                return api_reply(400, str(error))
            if include_deleted is not None and include_deleted.lower() not in ("true", "false"):
                return api_reply(400, "includeDeleted must be true or false")
            with_deleted = include_deleted is not None and include_deleted.lower() == "true"
            users = [dict(user) for user in tenant.users.values() if with_deleted or user["status"] != "DELETED"]
        return json_reply(200, {"users": users})

    def _search_teams(self, request, area_tenant, token):
        """``POST .../user-management/v4/teams/search``: ``{filter?, operations?, skip, top}``, one page of teams."""
        with self.lock:
            tenant, refusal = self._authorise(token, area_tenant, VIEW_USERS)
            if refusal is not None:
                return refusal
            teams = list(tenant.teams.values())
        content_type = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            return api_reply(415, "The body must be JSON (application/json)")
        try:
            search = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return api_reply(400, "The body is not valid JSON")
        try:
            skip, top, wanted = _team_search(search)
        except ValueError as error:
            return api_reply(400, str(error))
        found = [team for team in teams if all(team.get(name) in values for name, values in wanted.items())]
        return json_reply(200, {"totalRecords": len(found), "skip": skip, "top": top, "teams": found[skip:skip + top]})


def _whole_number(search, name, default, low, high):
    value = search.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError("%s must be a whole number from %d to %d" % (name, low, high))
    return value


def _team_search(search):
    """``(skip, top, {field: allowed values})`` from a teams search body; ValueError says what is wrong.

    The filter grammar beyond ``{"name": [...]}`` with ``{"name": "IN"}`` is not documented: the
    fields ``id``, ``name`` and ``status`` are accepted, each only with ``IN`` (the default),
    matching exactly.
    """
    if not isinstance(search, dict):
        raise ValueError("The body must be a JSON object")
    unknown = sorted(set(search) - {"filter", "operations", "skip", "top"})
    if unknown:
        raise ValueError("Unknown field(s) %s" % ", ".join(unknown))
    skip = _whole_number(search, "skip", 0, 0, 10 ** 9)
    top = _whole_number(search, "top", 100, 1, TEAMS_MAX_TOP)
    filters = search.get("filter") or {}
    operations = search.get("operations") or {}
    if not isinstance(filters, dict) or not isinstance(operations, dict):
        raise ValueError("filter and operations must be JSON objects")
    wanted = {}
    for name, values in filters.items():
        if name not in ("id", "name", "status"):
            raise ValueError("filter: unknown field %s" % name)
        if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
            raise ValueError("filter: %s must be a list of strings" % name)
        if operations.get(name, "IN") != "IN":
            raise ValueError("operations: only IN is supported for %s" % name)
        wanted[name] = set(values)
    extra = sorted(set(operations) - set(filters))
    if extra:
        raise ValueError("operations: no filter for %s" % ", ".join(extra))
    return skip, top, wanted
