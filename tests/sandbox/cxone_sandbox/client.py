# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""``SandboxClient``: the control API as Python methods, for tests, the demo and the benchmark.

Standard library only (urllib), so it runs wherever the sandbox runs. Every method
returns the parsed JSON answer; an error answer raises ``SandboxError``.
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from urllib.parse import quote, urlencode


class SandboxError(Exception):
    """The control API refused a call; ``status`` and ``body`` say why."""

    def __init__(self, status, body):
        super().__init__("HTTP %d: %s" % (status, body))
        self.status = status
        self.body = body


class SandboxClient:  # pylint: disable=too-many-public-methods  # one method per control call, on purpose
    """One method per control call. ``verify``: True, False, or the path of a CA bundle."""

    def __init__(self, url, verify=True, timeout=10):
        self.url = url.rstrip("/")
        self.timeout = timeout
        handlers = [urllib.request.ProxyHandler({})]    # never through a proxy: the sandbox is local
        if self.url.startswith("https:"):
            if verify is False:
                context = ssl._create_unverified_context()  # pylint: disable=protected-access  # test-only opt-out
            elif isinstance(verify, str):
                context = ssl.create_default_context(cafile=verify)
            else:
                context = ssl.create_default_context()
            handlers.append(urllib.request.HTTPSHandler(context=context))
        self._opener = urllib.request.build_opener(*handlers)

    def call(self, method, path, body=None, query=None, timeout=None):
        """Send one control request (``timeout`` seconds, default the client's); returns the parsed JSON answer."""
        url = self.url + "/_sandbox" + path
        if query:
            url += "?" + urlencode(query)
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with self._opener.open(request, timeout=self.timeout if timeout is None else timeout) as answer:
                return json.loads(answer.read().decode("utf-8"))
        except urllib.error.HTTPError as error:
            text = error.read().decode("utf-8", "replace")
            try:
                text = json.loads(text)
            except ValueError:
                pass
            raise SandboxError(error.code, text) from None

    @staticmethod
    def _fields(**fields):
        """The JSON body: only the arguments that were given."""
        return {name: value for name, value in fields.items() if value is not None}

    # -- model --------------------------------------------------------------------------------
    def health(self):
        return self.call("GET", "/health")

    def reset(self, config=None):
        """Back to ``config`` (a full configuration), or to an empty model; clears faults, latency, log, stats."""
        return self.call("POST", "/reset", config)

    def add_tenant(self, tenant):
        return self.call("POST", "/tenants", tenant)

    def add_agent(self, user_id, name=None, asynchronous=None, tenant_id=None, accepted_never_applies=None):
        return self.call("POST", "/agents", self._fields(user_id=user_id, name=name, asynchronous=asynchronous, tenant_id=tenant_id,
                                                         accepted_never_applies=accepted_never_applies))

    def set_user(self, user, tenant_id=None):
        """Add or replace a User Hub user: ``user`` as the API answers it (``id``, ``userName``, ``status`` ...)."""
        return self.call("POST", "/users", dict(user, **self._fields(tenant_id=tenant_id)))

    def set_team(self, team, tenant_id=None):
        """Add or replace a User Hub team: ``team`` as the API answers it (``id``, ``name``, ``status``)."""
        return self.call("POST", "/teams", dict(team, **self._fields(tenant_id=tenant_id)))

    def start_call(self, user_id, contact_id=None, tenant_id=None, internal=None):
        """A new call for the agent (``internal=True``: agent to agent, which cannot be masked); the answer
        (the new contact) holds ``contact_id``."""
        return self.call("POST", "/calls", self._fields(user_id=user_id, contact_id=contact_id, tenant_id=tenant_id,
                                                        internal=internal))

    def _call_event(self, contact_id, event, **fields):
        return self.call("POST", "/calls/%s/%s" % (quote(contact_id, safe=""), event), self._fields(**fields))

    def transfer(self, contact_id, to_user_id, from_user_id=None):
        return self._call_event(contact_id, "transfer", to_user_id=to_user_id, from_user_id=from_user_id)

    def consult(self, contact_id, user_id):
        return self._call_event(contact_id, "consult", user_id=user_id)

    def conference(self, contact_id, user_id):
        return self._call_event(contact_id, "conference", user_id=user_id)

    def leave(self, contact_id, user_id):
        return self._call_event(contact_id, "leave", user_id=user_id)

    def end_call(self, contact_id):
        return self._call_event(contact_id, "end")

    def refuse_consent(self, contact_id, listener_url, token=None, hmac_secret=None, consent="refused", signature_header=None,
                       tenant_id=None):
        """The caller on this live contact answers the IVR (refuses by default) and the IVR POSTs it to
        ``listener_url`` as a Studio REST action would, with the bearer ``token`` and/or an HMAC signature.

        Returns ``{"contact_id", "user_id", "consent", "posted_at", "listener_status", "listener_body",
        "listener_error"}``: the listener's answer is reported, not raised.
        """
        body = self._fields(listener_url=listener_url, consent=consent, token=token, hmac_secret=hmac_secret,
                            signature_header=signature_header, tenant_id=tenant_id)
        # The sandbox waits up to POST_TIMEOUT (10 s) for the listener, then answers.
        return self.call("POST", "/calls/%s/consent" % quote(contact_id, safe=""), body, timeout=max(self.timeout, 20))

    def lock_contact(self, contact_id, ms):
        return self.call("POST", "/contacts/%s/lock" % quote(contact_id, safe=""), {"ms": ms})

    def settings(self, tenant_id=None, **settings):
        """token_lifetime, refresh_token_lifetime, recording_policy, async_delay_ms, processing_ms,
        recording_api_path, access_token_format, rate_limit (None keeps a setting; use ``rate_limit=0`` to switch it off)."""
        return self.call("POST", "/settings", self._fields(tenant_id=tenant_id, **settings))

    def set_access_key(self, key_id, secret, user_id, permissions=("record_on_demand",), tenant_id=None, name=None):
        return self.call("POST", "/access-keys", self._fields(id=key_id, secret=secret, user_id=user_id, permissions=list(permissions),
                                                              tenant_id=tenant_id, name=name))

    def change_permissions(self, key_id, grant=(), deny=(), tenant_id=None):
        """Grant the access key (its user) the ``grant`` permissions and deny it the ``deny`` ones, e.g.
        ``deny=["masking"]``; the others stay. Returns the key with its ``permissions``."""
        return self.call("POST", "/access-keys/%s/permissions" % quote(key_id, safe=""),
                         self._fields(grant=list(grant), deny=list(deny), tenant_id=tenant_id))

    def issue_token(self, tenant_id=None, key_id=None, client_id=None):
        """A token answer as the token endpoint gives it (``access_token``, ``refresh_token``, ``id_token`` ...)
        for the tenant's access key (default: its first), without a login request."""
        return self.call("POST", "/tokens", self._fields(tenant_id=tenant_id, key_id=key_id, client_id=client_id))

    def revoke_tokens(self, tenant_id=None, keep_refresh=False):
        return self.call("POST", "/tokens/revoke", self._fields(tenant_id=tenant_id, keep_refresh=keep_refresh))

    # -- trouble --------------------------------------------------------------------------------
    def set_latency(self, ms, paths=None, jitter_ms=None, seed=None):
        """``paths``: some of "operations" (the default), "token", "discovery", "all"."""
        return self.call("POST", "/latency", self._fields(ms=ms, paths=paths, jitter_ms=jitter_ms, seed=seed))

    def add_fault(self, kind="status", **rule):
        """One fault rule (see the README); returns it with its ``id`` and ``fired`` count."""
        return self.call("POST", "/faults", dict(rule, kind=kind))

    def faults(self):
        return self.call("GET", "/faults")["faults"]

    def clear_faults(self):
        return self.call("DELETE", "/faults")

    # -- what happened -------------------------------------------------------------------------
    def requests(self, since=None):
        """The request log: ``{"requests": [...], "next_seq": n}``; pass ``next_seq`` back as ``since``."""
        return self.call("GET", "/requests", query=None if since is None else {"since": since})

    def stats(self):
        return self.call("GET", "/stats")

    def state(self):
        return self.call("GET", "/state")

    def agent_state(self, user_id, tenant_id=None):
        return self.call("GET", "/state/agents/%s" % quote(user_id, safe=""), query=None if tenant_id is None else {"tenant_id": tenant_id})
