# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The test-only control API under ``/_sandbox/``: build the model, inject faults, read what happened.

JSON in, JSON out, no authentication: it exists for tests, the demo and the benchmark,
never for the code under test. Errors answer ``{"error": "..."}`` with 400, 404 or 409.
"""

from __future__ import annotations

import json
import re
import time
from urllib.parse import unquote

from . import ivr
from .model import CALL_FIELDS, SETTINGS_FIELDS, ModelError
from .replies import json_reply

PREFIX = "/_sandbox"


def _body(raw):
    if not raw.strip():
        return None
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ModelError(400, "the body must be JSON") from None


def _object(body, required=(), optional=()):
    """The body as a dict with only known fields; tenant_id is always optional."""
    body = {} if body is None else body
    if not isinstance(body, dict):
        raise ModelError(400, "the body must be a JSON object")
    allowed = set(required) | set(optional) | {"tenant_id"}
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise ModelError(400, "unknown field(s) %s" % ", ".join(unknown))
    missing = [name for name in required if body.get(name) in (None, "")]
    if missing:
        raise ModelError(400, "missing field(s) %s" % ", ".join(missing))
    return body


class ControlApi:
    """Routes ``/_sandbox/...`` requests to operations on a Sandbox, each under its lock."""

    def __init__(self, sandbox):
        self.sandbox = sandbox
        # (method, path regex, handler); path groups are URL-decoded and passed on.
        routes = [
            ("GET", r"/health", self.health),
            ("POST", r"/reset", self.reset),
            ("POST", r"/tenants", self.add_tenant),
            ("POST", r"/agents", self.add_agent),
            ("POST", r"/users", self.set_user),
            ("POST", r"/teams", self.set_team),
            ("POST", r"/calls", self.start_call),
            ("POST", r"/calls/([^/]+)/(transfer|consult|conference|leave|end)", self.call_event),
            ("POST", r"/calls/([^/]+)/consent", self.caller_consent),
            ("POST", r"/contacts/([^/]+)/lock", self.lock_contact),
            ("POST", r"/settings", self.settings),
            ("POST", r"/access-keys", self.set_access_key),
            ("POST", r"/access-keys/([^/]+)/permissions", self.change_permissions),
            ("POST", r"/tokens", self.issue_token),
            ("POST", r"/tokens/revoke", self.revoke_tokens),
            ("GET", r"/latency", self.get_latency),
            ("POST", r"/latency", self.set_latency),
            ("GET", r"/faults", self.list_faults),
            ("POST", r"/faults", self.add_fault),
            ("DELETE", r"/faults", self.clear_faults),
            ("GET", r"/requests", self.requests),
            ("GET", r"/stats", self.stats),
            ("GET", r"/state", self.state),
            ("GET", r"/state/agents/([^/]+)", self.agent_state),
        ]
        self._routes = [(method, re.compile(re.escape(PREFIX) + pattern + "$"), handler) for method, pattern, handler in routes]

    def handle(self, method, path, query, raw_body):
        allowed = []
        for route_method, pattern, handler in self._routes:
            match = pattern.match(path)
            if not match:
                continue
            if route_method != method:
                allowed.append(route_method)
                continue
            try:
                args = [unquote(group, errors="strict") for group in match.groups()]
                status, result = handler(_body(raw_body), query, *args)
            except ModelError as error:
                return json_reply(error.status, {"error": error.message})
            except UnicodeDecodeError:
                return json_reply(400, {"error": "the path is not valid UTF-8 once decoded"})
            return json_reply(status, result)
        if allowed:
            return json_reply(405, {"error": "method not allowed"}, {"Allow": ", ".join(allowed)})
        return json_reply(404, {"error": "no control endpoint %s %s" % (method, path)})

    # -- model ------------------------------------------------------------------------------------
    def health(self, _body, _query):
        return 200, {"ok": True, "url": self.sandbox.base_url, "api_url": self.sandbox.api_url}

    def reset(self, body, _query):
        with self.sandbox.lock:
            self.sandbox.load(body)
            return 200, {"ok": True, "tenants": list(self.sandbox.centre.tenants)}

    def add_tenant(self, body, _query):
        with self.sandbox.lock:
            tenant = self.sandbox.centre.add_tenant(body)
            return 201, tenant.to_dict()

    def add_agent(self, body, _query):
        body = _object(body, required=("user_id",), optional=("name", "asynchronous", "accepted_never_applies"))
        with self.sandbox.lock:
            centre = self.sandbox.centre
            tenant = centre.tenant(body.pop("tenant_id", None))
            agent = centre.add_agent(tenant, body)
            return 201, {"tenant_id": tenant.tenant_id, "user_id": agent.user_id, "name": agent.name, "asynchronous": agent.asynchronous,
                         "accepted_never_applies": agent.accepted_never_applies}

    def set_user(self, body, _query):
        """Add or replace a User Hub user; the body is the user as the API answers it, plus tenant_id."""
        body = dict(_object(body, optional=("id", "userName", "firstName", "lastName", "emailAddress", "teamId", "status")))
        with self.sandbox.lock:
            centre = self.sandbox.centre
            tenant = centre.tenant(body.pop("tenant_id", None))
            return 200, dict(centre.set_user(tenant, body))

    def set_team(self, body, _query):
        """Add or replace a User Hub team; the body is the team as the API answers it, plus tenant_id."""
        body = dict(_object(body, optional=("id", "name", "status")))
        with self.sandbox.lock:
            centre = self.sandbox.centre
            tenant = centre.tenant(body.pop("tenant_id", None))
            return 200, dict(centre.set_team(tenant, body))

    def start_call(self, body, _query):
        body = _object(body, required=("user_id",), optional=CALL_FIELDS)
        with self.sandbox.lock:
            centre = self.sandbox.centre
            tenant = centre.tenant(body.get("tenant_id"))
            contact = centre.start_call(tenant, body["user_id"], body.get("contact_id"), internal=body.get("internal", False))
            return 201, dict(contact.to_dict(), tenant_id=tenant.tenant_id)

    def call_event(self, body, _query, contact_id, event):
        fields = {"transfer": (("to_user_id",), ("from_user_id",)), "consult": (("user_id",), ()),
                  "conference": (("user_id",), ()), "leave": (("user_id",), ()), "end": ((), ())}[event]
        body = _object(body, *fields)
        with self.sandbox.lock:
            centre = self.sandbox.centre
            if event == "transfer":
                contact = centre.transfer(contact_id, body["to_user_id"], body.get("from_user_id"))
            elif event in ("consult", "conference"):
                contact = centre.join(contact_id, body["user_id"])
            elif event == "leave":
                contact = centre.leave(contact_id, body["user_id"])
            else:
                contact = centre.end_call(contact_id)
            return 200, contact.to_dict()

    def caller_consent(self, body, _query, contact_id):
        """The IVR plays the caller's answer: kept on the contact, then POSTed to the listener as Studio would.

        The POST happens outside the lock: the listener's rulebook calls the sandbox's API while it
        is in flight. Whatever the listener answers (or not) is reported, not raised: the call
        itself succeeds once the post was made.
        """
        body = _object(body, required=("listener_url",), optional=("consent", "token", "hmac_secret", "signature_header"))
        problem = ivr.listener_url_problem(body["listener_url"])
        if problem:
            raise ModelError(400, "listener_url %s" % problem)
        consent = body.get("consent", "refused")
        if consent not in ivr.CONSENT_VALUES:
            raise ModelError(400, "consent must be one of %s" % ", ".join(ivr.CONSENT_VALUES))
        for name in ("token", "hmac_secret"):
            if name in body and (not isinstance(body[name], str) or not body[name]):
                raise ModelError(400, "%s must be a non-empty string" % name)
        signature_header = body.get("signature_header", ivr.DEFAULT_SIGNATURE_HEADER)
        problem = ivr.header_name_problem(signature_header)
        if problem:
            raise ModelError(400, "signature_header %s" % problem)
        with self.sandbox.lock:
            centre = self.sandbox.centre
            contact = centre.contact(contact_id)
            if body.get("tenant_id") is not None and centre.tenant(body["tenant_id"]).tenant_id != contact.tenant_id:
                raise ModelError(404, "unknown contact %s in tenant %s" % (contact_id, body["tenant_id"]))
            if contact.ended:
                raise ModelError(409, "contact %s has ended: the IVR speaks only on a live call" % contact_id)
            # The agent the contact is connected to: the one a Studio script knows in its OnAnswer branch.
            user_id = contact.participants[0]
            payload, headers = ivr.consent_request(user_id, contact_id, consent, body.get("token"), body.get("hmac_secret"),
                                                   signature_header)
            contact.consent = consent
            contact.consent_posted_at = posted_at = time.time()
        status, answer, error = ivr.post(body["listener_url"], payload, headers)
        return 200, {"contact_id": contact_id, "user_id": user_id, "consent": consent, "posted_at": posted_at,
                     "listener_status": status, "listener_body": answer, "listener_error": error}

    def lock_contact(self, body, _query, contact_id):
        body = _object(body, required=("ms",))
        if isinstance(body["ms"], bool) or not isinstance(body["ms"], (int, float)) or body["ms"] < 0:
            raise ModelError(400, "ms must be a non-negative number")
        with self.sandbox.lock:
            contact = self.sandbox.centre.contact(contact_id)
            contact.locked_until = time.monotonic() + body["ms"] / 1000.0
            return 200, {"contact_id": contact_id, "locked_ms": body["ms"]}

    def settings(self, body, _query):
        body = _object(body, optional=SETTINGS_FIELDS)
        with self.sandbox.lock:
            tenant = self.sandbox.centre.tenant(body.pop("tenant_id", None))
            self.sandbox.centre.update_settings(tenant, body)
            return 200, {name: getattr(tenant, name) for name in SETTINGS_FIELDS}

    def set_access_key(self, body, _query):
        body = _object(body, required=("id", "secret", "user_id"), optional=("permissions", "name"))
        with self.sandbox.lock:
            tenant = self.sandbox.centre.tenant(body.pop("tenant_id", None))
            key = self.sandbox.centre.set_access_key(tenant, body)
            return 200, {"tenant_id": tenant.tenant_id, "id": key.key_id, "user_id": key.user_id, "permissions": key.permissions}

    def change_permissions(self, body, _query, key_id):
        """Grant an access key (its user) some permissions and deny it others; tokens issued before follow."""
        body = _object(body, optional=("grant", "deny"))
        with self.sandbox.lock:
            tenant = self.sandbox.centre.tenant(body.get("tenant_id"))
            key = self.sandbox.centre.change_permissions(tenant, key_id, body.get("grant", []), body.get("deny", []))
            return 200, {"tenant_id": tenant.tenant_id, "id": key.key_id, "user_id": key.user_id, "permissions": key.permissions}

    def issue_token(self, body, _query):
        """A token as the token endpoint would issue it, without a login: for tests that are given a token."""
        body = _object(body, optional=("key_id", "client_id"))
        with self.sandbox.lock:
            tenant = self.sandbox.centre.tenant(body.get("tenant_id"))
            if not tenant.access_keys:
                raise ModelError(409, "tenant %s has no access key to issue a token for" % tenant.tenant_id)
            key_id = body.get("key_id") or next(iter(tenant.access_keys))
            key = tenant.access_keys.get(key_id)
            if key is None:
                raise ModelError(404, "unknown access key %s in tenant %s" % (key_id, tenant.tenant_id))
            client_id = body.get("client_id") or next(iter(tenant.clients), "sandbox-control")
            return 201, self.sandbox.tokens.issue(tenant, key, client_id, self.sandbox.base_url)

    def revoke_tokens(self, body, _query):
        body = _object(body, optional=("keep_refresh",))
        with self.sandbox.lock:
            tenant_id = body.get("tenant_id")
            if tenant_id is not None:
                self.sandbox.centre.tenant(tenant_id)     # 404 for an unknown tenant
            revoked = self.sandbox.tokens.revoke(tenant_id, bool(body.get("keep_refresh", False)))
            return 200, {"revoked_access_tokens": revoked}

    # -- trouble ------------------------------------------------------------------------------------
    def get_latency(self, _body, _query):
        with self.sandbox.lock:
            return 200, self.sandbox.latency.to_dict()

    def set_latency(self, body, _query):
        with self.sandbox.lock:
            return 200, self.sandbox.latency.set({} if body is None else body)

    def list_faults(self, _body, _query):
        with self.sandbox.lock:
            return 200, {"faults": [rule.to_dict() for rule in self.sandbox.faults.rules]}

    def add_fault(self, body, _query):
        with self.sandbox.lock:
            return 201, self.sandbox.faults.add({} if body is None else body).to_dict()

    def clear_faults(self, _body, _query):
        with self.sandbox.lock:
            self.sandbox.faults.clear()
            return 200, {"faults": []}

    # -- what happened ----------------------------------------------------------------------------
    def requests(self, _body, query):
        try:
            since = int(query.get("since", ["0"])[0] or 0)
        except ValueError:
            raise ModelError(400, "since must be an integer") from None
        with self.sandbox.lock:
            return 200, self.sandbox.log.since(since)

    def stats(self, _body, _query):
        with self.sandbox.lock:
            return 200, self.sandbox.stats.to_dict()

    def state(self, _body, _query):
        with self.sandbox.lock:
            return 200, self.sandbox.centre.snapshot()

    def agent_state(self, _body, query, user_id):
        tenant_id = query.get("tenant_id", [None])[0]
        with self.sandbox.lock:
            return 200, self.sandbox.centre.agent_snapshot(user_id, tenant_id)
