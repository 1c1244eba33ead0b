# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The contact-centre model: tenants, agents, contacts (calls) and their recording state.

It follows what NICE publishes about Record on Demand: start and stop on demand override the recording
policy, a stop on demand is only undone by a new start on demand, and do-not-record
is sticky for the whole contact (transfers, consults and conferences included) but
never outlives it. Masking (the Masking API) silences a running recording until unmask;
the silenced stretch is a segment of its own marked ``masked``. Nothing here locks or
sleeps: ``sandbox.py`` holds the one lock.
"""

from __future__ import annotations

import datetime
import re
import uuid
from dataclasses import dataclass, field

MEDIA_TYPES = ("voice", "voiceAndScreen")
RECORDING_POLICIES = ("off",) + MEDIA_TYPES
RECORD_ON_DEMAND = "record_on_demand"
# The Masking API's own permission (CXone: "Multi-ACD Masking API"), separate from Record on Demand.
MASKING = "masking"
# The User Hub permission to view users and teams (CXone: a role's "View" on Users and Teams).
VIEW_USERS = "view_users"
# Every permission the sandbox knows, with what a 403 says the caller lacks.
PERMISSIONS = {
    RECORD_ON_DEMAND: "User lacks the Multi-ACD Record on Demand API permission",
    MASKING: "User lacks the Multi-ACD Masking API permission",
    VIEW_USERS: "User lacks the permission to view users and teams",
}
# What an access key may do when its configuration names no permissions: everything, so that a key
# configured before User Hub or masking was modelled keeps working.
DEFAULT_PERMISSIONS = (RECORD_ON_DEMAND, VIEW_USERS, MASKING)
USER_STATUSES = ("ACTIVE", "INACTIVE", "PENDING", "UNREGISTERED", "BLOCKED", "DELETED")
TEAM_STATUSES = ("ACTIVE", "INACTIVE")
# Where the recording operations live under a tenant's API base: NICE's OpenAPI document and
# SDK use the versioned path; the help page writes it without "/v1".
RECORDING_API_PATH = "/interaction-recording-management-service/v1/interactions"
# What the token endpoint issues as access tokens: random strings, or JWTs naming the tenant.
ACCESS_TOKEN_FORMATS = ("opaque", "jwt")

# Real CXone contact ids are numeric strings of about 11-12 digits; segment ids here are too.
_FIRST_CONTACT_ID = 700000000001
_FIRST_SEGMENT_ID = 900000000001
_AREA_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class ModelError(Exception):
    """A control-API request the model cannot honour (unknown agent, busy agent, bad config ...)."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


class RecordingRefused(Exception):
    """A start on a contact whose customer refused recording (do not record)."""


class MaskingRefused(Exception):
    """A mask or unmask on an internal (agent to agent) call, which cannot be masked."""


def utc_now_iso():
    """Timestamps in segments: ISO 8601 UTC with milliseconds, e.g. 2025-01-31T12:00:00.123Z."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _fields(obj, what, required=(), optional=()):
    """Check a config object's keys; keys starting with ``_`` are comments and ignored."""
    if not isinstance(obj, dict):
        raise ModelError(400, "%s must be a JSON object" % what)
    unknown = sorted(k for k in obj if k not in required and k not in optional and not k.startswith("_"))
    if unknown:
        raise ModelError(400, "%s: unknown field(s) %s" % (what, ", ".join(unknown)))
    missing = [k for k in required if obj.get(k) in (None, "")]
    if missing:
        raise ModelError(400, "%s: missing field(s) %s" % (what, ", ".join(missing)))
    return obj


def _string(value, what):
    if not isinstance(value, str) or not value:
        raise ModelError(400, "%s must be a non-empty string" % what)
    return value


def _number(value, what, minimum=0):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
        raise ModelError(400, "%s must be a number >= %s" % (what, minimum))
    return value


def _flag(value, what):
    if not isinstance(value, bool):
        raise ModelError(400, "%s must be true or false" % what)
    return value


def _policy(value):
    if value not in RECORDING_POLICIES:
        raise ModelError(400, "recording_policy must be one of %s" % ", ".join(RECORDING_POLICIES))
    return value


def _token_format(value):
    if value not in ACCESS_TOKEN_FORMATS:
        raise ModelError(400, "access_token_format must be one of %s" % ", ".join(ACCESS_TOKEN_FORMATS))
    return value


def _api_path(value):
    """A URL path for the recording operations: starts with /, no trailing /, no query."""
    if not isinstance(value, str) or not value.startswith("/") or value.endswith("/") or any(c in value for c in "?# "):
        raise ModelError(400, "recording_api_path must be a URL path starting with / and not ending with / (e.g. %s)"
                         % RECORDING_API_PATH)
    return value


def _rate_limit(value):
    """Requests per second over the API origin; None (or 0) switches the limit off."""
    if value is None or value == 0:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ModelError(400, "rate_limit must be a number of requests per second > 0, or null to switch it off")
    return value


@dataclass
class AccessKey:
    """A User Hub access key: what the password grant logs in with."""

    key_id: str
    secret: str
    user_id: str
    permissions: list
    name: str = "CXone API User"

    def may(self, permission):
        """Whether the key holds ``permission`` (one of PERMISSIONS)."""
        return permission in self.permissions


@dataclass
class Segment:
    """One stretch of recording. Segments are kept when recording stops: they stay available.

    A masked segment is a stretch recorded as silence (mask to unmask): it holds nothing of the
    call, and nothing can recover it. Mask and unmask split the running recording into segments;
    each keeps the ``started_by`` of the recording it continues (policy or on demand).
    """

    media: str
    started_by: str               # 'policy' | 'on_demand'
    started_at: str = field(default_factory=utc_now_iso)
    ended_at: str = None
    # 'on_demand_stop' | 'media_change' | 'do_not_record' | 'call_end' | 'mask' | 'unmask' | None
    ended_by: str = None
    masked: bool = False

    def to_dict(self):
        return {"media": self.media, "started_at": self.started_at, "ended_at": self.ended_at,
                "started_by": self.started_by, "ended_by": self.ended_by, "masked": self.masked}


@dataclass
class Agent:
    """A CXone user who takes calls; the operations name it by ``user_id``."""

    user_id: str
    name: str
    asynchronous: bool = False
    # An asynchronous agent whose accepted (202) operations are lost: answered, never applied.
    accepted_never_applies: bool = False
    contact_id: str = None        # the active contact, None when not on a call


@dataclass
class Contact:
    """A call with a customer. Its flags belong to the contact, not to any agent on it."""

    contact_id: str
    tenant_id: str
    participants: list
    interaction_id: str = None
    # An internal call (agent to agent): the Masking API refuses it (422).
    internal: bool = False
    # Each participant's leg of the contact: user id -> segment id (a new one for each join).
    segment_ids: dict = field(default_factory=dict)
    recording: str = "off"
    do_not_record: bool = False
    stopped_on_demand: bool = False
    # Masked (the Masking API): the running recording records silence until unmask. Only ever true
    # while recording: whatever stops the recording (stop, do-not-record, the call's end) ends the mask.
    masked: bool = False
    ended: bool = False
    segments: list = field(default_factory=list)
    # What the caller last told the IVR ("refused" or "given", None before), and when the IVR
    # posted it to the listener (Unix seconds), as the control call /calls/<id>/consent plays it.
    consent: str = None
    consent_posted_at: float = None
    # Lock state (see sandbox.py): a monotonic deadline and the number of asynchronous
    # operations accepted (202) but not applied yet.
    locked_until: float = 0.0
    pending: int = 0

    def is_locked(self, now):
        return self.pending > 0 or now < self.locked_until

    # -- recording transitions --------------------------------------------------------
    def _begin(self, media, started_by, masked=False, at=None):
        self.segments.append(Segment(media, started_by, masked=masked, started_at=at or utc_now_iso()))
        self.recording = media

    def _end(self, ended_by, at=None):
        if self.recording != "off":
            segment = self.segments[-1]
            segment.ended_at = at or utc_now_iso()
            segment.ended_by = ended_by
            self.recording = "off"

    def start_on_demand(self, media):
        """Start (or switch) recording; overrides the policy and undoes a stop on demand."""
        if self.do_not_record:
            raise RecordingRefused()
        self.stopped_on_demand = False
        if self.recording == media:
            return
        self._end("media_change")
        self._begin(media, "on_demand", masked=self.masked)     # a mask outlives a change of media

    def stop_on_demand(self):
        """Stop recording (and end a mask); repeating is harmless. Only a start on demand resumes it."""
        self._end("on_demand_stop")
        self.masked = False
        self.stopped_on_demand = True

    def refuse_recording(self):
        """Do not record: stop now (ending a mask), keep what was recorded, and refuse any later start."""
        self._end("do_not_record")
        self.masked = False
        self.do_not_record = True

    def _split(self, ended_by, masked):
        """The running segment ends; the recording goes on in a new one, silenced (masked) or not."""
        current = self.segments[-1]
        # One instant: the masked stretch begins exactly where the recorded one ends.
        now = utc_now_iso()
        self._end(ended_by, now)
        self._begin(current.media, current.started_by, masked=masked, at=now)
        self.masked = masked

    def mask(self):
        """Silence the running recording until unmask. Nothing to do when not recording or already masked.

        Internal calls cannot be masked (MaskingRefused).
        """
        if self.internal:
            raise MaskingRefused()
        if self.recording != "off" and not self.masked:
            self._split("mask", True)

    def unmask(self):
        """Record the call again. Nothing to do when it is not masked (never masked, or the recording stopped since)."""
        if self.internal:
            raise MaskingRefused()
        if self.masked:
            self._split("unmask", False)

    def apply_policy(self, policy):
        """What the tenant's recording policy does when an agent joins (or the call begins)."""
        if policy != "off" and self.recording == "off" and not (self.do_not_record or self.stopped_on_demand or self.ended):
            self._begin(policy, "policy")

    def end(self):
        self._end("call_end")
        self.masked = False
        self.ended = True

    def recording_status(self):
        """``(recordingStatusToAgent, statusReason)`` as get-recording-status reports the contact.

        The order matters: do-not-record outranks a stop on demand (both leave it not recording),
        a masked recording is still recording (reason Mask), and a recording in progress names who
        started it.
        """
        if self.masked:
            return "Recording", "Mask"
        if self.recording != "off":
            return "Recording", "Policy" if self.segments[-1].started_by == "policy" else "RecordOnDemand"
        if self.do_not_record:
            return ("Stopped" if self.segments else "NoRecording"), "CustomerDisconsent"
        if self.stopped_on_demand:
            return "Stopped", "StopOnDemand"
        return "NoRecording", "Policy"

    def to_dict(self):
        return {"contact_id": self.contact_id, "interaction_id": self.interaction_id, "segment_ids": dict(self.segment_ids),
                "participants": list(self.participants), "internal": self.internal, "recording": self.recording,
                "do_not_record": self.do_not_record, "stopped_on_demand": self.stopped_on_demand, "masked": self.masked,
                "ended": self.ended,
                "segments": [s.to_dict() for s in self.segments], "consent": self.consent, "consent_posted_at": self.consent_posted_at}


@dataclass
class Tenant:
    """One CXone tenant: its area (which API origin path serves it), credentials, settings and agents."""

    tenant_id: str
    area: str
    cluster: str = "B32"
    clients: dict = field(default_factory=dict)        # client_id -> client_secret
    access_keys: dict = field(default_factory=dict)    # key id -> AccessKey
    token_lifetime: float = 3600
    refresh_token_lifetime: float = 86400
    recording_policy: str = "off"
    async_delay_ms: float = 200
    processing_ms: float = 0
    recording_api_path: str = RECORDING_API_PATH
    access_token_format: str = "opaque"
    rate_limit: float = None                          # requests per second over the API origin, None: no limit
    agents: dict = field(default_factory=dict)         # user_id -> Agent, in insertion order
    contacts: dict = field(default_factory=dict)       # contact_id -> Contact, in creation order
    users: dict = field(default_factory=dict)          # User Hub: user id -> user as the API answers it
    teams: dict = field(default_factory=dict)          # User Hub: team id -> team as the API answers it

    def to_dict(self):
        return {"tenant_id": self.tenant_id, "area": self.area, "recording_policy": self.recording_policy,
                "token_lifetime": self.token_lifetime, "async_delay_ms": self.async_delay_ms, "processing_ms": self.processing_ms,
                "recording_api_path": self.recording_api_path, "access_token_format": self.access_token_format,
                "rate_limit": self.rate_limit,
                "agents": [{"user_id": a.user_id, "name": a.name, "asynchronous": a.asynchronous,
                            "accepted_never_applies": a.accepted_never_applies, "contact_id": a.contact_id}
                           for a in self.agents.values()],
                "contacts": [c.to_dict() for c in self.contacts.values()],
                "users": [dict(u) for u in self.users.values()], "teams": [dict(t) for t in self.teams.values()]}


SETTINGS_FIELDS = ("token_lifetime", "refresh_token_lifetime", "recording_policy", "async_delay_ms", "processing_ms",
                   "recording_api_path", "access_token_format", "rate_limit")
_TENANT_FIELDS = ("cluster", "clients", "access_keys", "agents", "calls", "users", "teams") + SETTINGS_FIELDS
# User Hub fields: (required, optional), as the users list and the teams search answer them.
USER_FIELDS = (("id", "userName"), ("firstName", "lastName", "emailAddress", "teamId", "status"))
TEAM_FIELDS = (("id", "name"), ("status",))
# What a call may say besides its agent (configuration "calls", POST /_sandbox/calls).
CALL_FIELDS = ("contact_id", "internal")


class ContactCentre:
    """All tenants with their agents and contacts; contact ids are unique across tenants."""

    def __init__(self):
        self.tenants = {}
        self._contacts = {}          # contact_id -> Contact, every tenant
        self._next_contact = _FIRST_CONTACT_ID
        self._next_segment = _FIRST_SEGMENT_ID

    @classmethod
    def from_config(cls, config):
        centre = cls()
        if config is None:
            return centre
        _fields(config, "configuration", optional=("tenants",))
        tenants = config.get("tenants", [])
        if not isinstance(tenants, list):
            raise ModelError(400, "tenants must be a list")
        for tenant in tenants:
            centre.add_tenant(tenant)
        return centre

    # -- lookup -------------------------------------------------------------------------
    def tenant(self, tenant_id=None):
        """The named tenant, or the only one when ``tenant_id`` is not given."""
        if tenant_id is None:
            if len(self.tenants) != 1:
                raise ModelError(400, "tenant_id is required when there is not exactly one tenant (there are %d)" % len(self.tenants))
            return next(iter(self.tenants.values()))
        if not isinstance(tenant_id, str):
            raise ModelError(400, "tenant_id must be a string, got %s" % type(tenant_id).__name__)
        try:
            return self.tenants[tenant_id]
        except KeyError:
            raise ModelError(404, "unknown tenant %s" % tenant_id) from None

    def tenant_by_area(self, area):
        """The tenant served under ``/api-<area>`` of the API origin, or None."""
        for tenant in self.tenants.values():
            if tenant.area == area:
                return tenant
        return None

    def contact(self, contact_id):
        try:
            return self._contacts[contact_id]
        except KeyError:
            raise ModelError(404, "unknown contact %s" % contact_id) from None

    def active_contact(self, tenant, user_id):
        """The contact the agent is on, or None (unknown agent or no call)."""
        agent = tenant.agents.get(user_id)
        if agent is None or agent.contact_id is None:
            return None
        return self._contacts[agent.contact_id]

    def _agent(self, tenant, user_id):
        try:
            return tenant.agents[user_id]
        except KeyError:
            raise ModelError(404, "unknown agent %s in tenant %s" % (user_id, tenant.tenant_id)) from None

    def find_agent(self, user_id, tenant_id=None):
        tenants = [self.tenant(tenant_id)] if tenant_id is not None else list(self.tenants.values())
        for tenant in tenants:
            if user_id in tenant.agents:
                return tenant, tenant.agents[user_id]
        raise ModelError(404, "unknown agent %s" % user_id)

    # -- building the model ----------------------------------------------------------------
    def add_tenant(self, cfg):
        _fields(cfg, "tenant", required=("tenant_id", "area"), optional=_TENANT_FIELDS)
        tenant_id = _string(cfg["tenant_id"], "tenant_id")
        area = _string(cfg["area"], "area")
        if not _AREA_RE.match(area):
            raise ModelError(400, 'area must be letters, digits, "-", "_" or "."')
        if tenant_id in self.tenants:
            raise ModelError(409, "tenant %s already exists" % tenant_id)
        if self.tenant_by_area(area) is not None:
            raise ModelError(409, "area %s is already used by another tenant" % area)
        clients = cfg.get("clients", {})
        if not isinstance(clients, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in clients.items()):
            raise ModelError(400, "clients must map client ids to client secrets (strings)")
        tenant = Tenant(tenant_id, area, cluster=_string(cfg.get("cluster", "B32"), "cluster"), clients=dict(clients))
        self.update_settings(tenant, {k: cfg[k] for k in SETTINGS_FIELDS if k in cfg})
        for key in self._list(cfg, "access_keys"):
            self.set_access_key(tenant, key)
        for team in self._list(cfg, "teams"):
            self.set_team(tenant, team)
        for user in self._list(cfg, "users"):
            self.set_user(tenant, user)
        # The tenant becomes visible only once its agents and calls are valid too.
        for agent in self._list(cfg, "agents"):
            self.add_agent(tenant, agent)
        staged_contacts = dict(self._contacts)
        try:
            for call in self._list(cfg, "calls"):
                _fields(call, "call", required=("user_id",), optional=CALL_FIELDS)
                self.start_call(tenant, call["user_id"], call.get("contact_id"), internal=call.get("internal", False))
        except ModelError:
            self._contacts = staged_contacts
            raise
        self.tenants[tenant_id] = tenant
        return tenant

    @staticmethod
    def _list(cfg, name):
        value = cfg.get(name, [])
        if not isinstance(value, list):
            raise ModelError(400, "%s must be a list" % name)
        return value

    @staticmethod
    def update_settings(tenant, settings):
        """Change some of a tenant's SETTINGS_FIELDS; all are checked before any changes."""
        checks = {
            "token_lifetime": lambda v: _number(v, "token_lifetime", 0),
            "refresh_token_lifetime": lambda v: _number(v, "refresh_token_lifetime", 0),
            "recording_policy": _policy,
            "async_delay_ms": lambda v: _number(v, "async_delay_ms", 0),
            "processing_ms": lambda v: _number(v, "processing_ms", 0),
            "recording_api_path": _api_path,
            "access_token_format": _token_format,
            "rate_limit": _rate_limit,
        }
        checked = {name: checks[name](value) for name, value in settings.items()}   # validate all before changing any
        for name, value in checked.items():
            setattr(tenant, name, value)

    @staticmethod
    def set_access_key(tenant, cfg):
        _fields(cfg, "access key", required=("id", "secret", "user_id"), optional=("permissions", "name"))
        permissions = cfg.get("permissions", list(DEFAULT_PERMISSIONS))
        if not isinstance(permissions, list) or not all(isinstance(p, str) for p in permissions):
            raise ModelError(400, "permissions must be a list of strings")
        key = AccessKey(_string(cfg["id"], "id"), _string(cfg["secret"], "secret"), _string(cfg["user_id"], "user_id"),
                        list(permissions), _string(cfg.get("name", "CXone API User"), "name"))
        tenant.access_keys[key.key_id] = key
        return key

    @staticmethod
    def change_permissions(tenant, key_id, grant=(), deny=()):
        """Give an access key (its user) some permissions and take others away; the rest stays.

        Names must be known (PERMISSIONS): a typo fails loudly rather than denying nothing.
        """
        key = tenant.access_keys.get(key_id)
        if key is None:
            raise ModelError(404, "unknown access key %s in tenant %s" % (key_id, tenant.tenant_id))
        for what, names in (("grant", grant), ("deny", deny)):
            if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
                raise ModelError(400, "%s must be a list of permission names" % what)
            unknown = sorted(set(names) - set(PERMISSIONS))
            if unknown:
                raise ModelError(400, "%s: unknown permission(s) %s (known: %s)" % (what, ", ".join(unknown), ", ".join(PERMISSIONS)))
        both = sorted(set(grant) & set(deny))
        if both:
            raise ModelError(400, "both granted and denied: %s" % ", ".join(both))
        key.permissions = [name for name in key.permissions if name not in deny]
        key.permissions += [name for name in grant if name not in key.permissions]
        return key

    @staticmethod
    def add_agent(tenant, cfg):
        _fields(cfg, "agent", required=("user_id",), optional=("name", "asynchronous", "accepted_never_applies"))
        user_id = _string(cfg["user_id"], "user_id")
        if user_id in tenant.agents:
            raise ModelError(409, "agent %s already exists in tenant %s" % (user_id, tenant.tenant_id))
        agent = Agent(user_id, _string(cfg.get("name", user_id), "name"), _flag(cfg.get("asynchronous", False), "asynchronous"),
                      _flag(cfg.get("accepted_never_applies", False), "accepted_never_applies"))
        tenant.agents[user_id] = agent
        return agent

    # -- User Hub -------------------------------------------------------------------------------
    @staticmethod
    def _directory_entry(cfg, what, fields, statuses):
        """A User Hub user or team as the API answers it: its fields as given, ``status`` defaulting to ACTIVE."""
        required, optional = fields
        _fields(cfg, what, required=required, optional=optional)
        entry = {}
        for name in required + optional:
            if name in cfg and cfg[name] is not None:
                entry[name] = _string(cfg[name], "%s %s" % (what, name))
        entry["status"] = entry.get("status", "ACTIVE")
        if entry["status"] not in statuses:
            raise ModelError(400, "%s status must be one of %s" % (what, ", ".join(statuses)))
        return entry

    def set_user(self, tenant, cfg):
        """Add or replace a User Hub user (by ``id``); it need not be an agent, nor its team exist."""
        user = self._directory_entry(cfg, "user", USER_FIELDS, USER_STATUSES)
        tenant.users[user["id"]] = user
        return user

    def set_team(self, tenant, cfg):
        """Add or replace a User Hub team (by ``id``)."""
        team = self._directory_entry(cfg, "team", TEAM_FIELDS, TEAM_STATUSES)
        tenant.teams[team["id"]] = team
        return team

    # -- calls ----------------------------------------------------------------------------
    def _new_contact_id(self):
        while str(self._next_contact) in self._contacts:
            self._next_contact += 1
        contact_id = str(self._next_contact)
        self._next_contact += 1
        return contact_id

    def _new_segment_id(self):
        segment_id = str(self._next_segment)
        self._next_segment += 1
        return segment_id

    def _join(self, contact, agent):
        """The agent's leg of the contact begins: a new segment id."""
        agent.contact_id = contact.contact_id
        contact.segment_ids[agent.user_id] = self._new_segment_id()

    def _free_agent(self, tenant, user_id):
        agent = self._agent(tenant, user_id)
        if agent.contact_id is not None:
            raise ModelError(409, "agent %s is already on contact %s" % (user_id, agent.contact_id))
        return agent

    def next_call(self, tenant, user_id, contact_id=None, recording_policy=None, internal=False):
        """The agent's call (if any) ends and the agent takes a new one: the race between a request and a hang-up."""
        agent = self._agent(tenant, _string(user_id, "user_id"))
        if agent.contact_id is not None:
            self.end_call(agent.contact_id)
        return self.start_call(tenant, user_id, contact_id, recording_policy, internal)

    def start_call(self, tenant, user_id, contact_id=None, recording_policy=None, internal=False):
        """A new call: a new contact, recorded according to ``recording_policy`` (default: the tenant's).

        ``internal``: a call between two agents (no customer), which the Masking API refuses.
        """
        agent = self._free_agent(tenant, _string(user_id, "user_id"))
        internal = _flag(internal, "internal")
        if contact_id is None:
            contact_id = self._new_contact_id()
        elif _string(contact_id, "contact_id") in self._contacts:
            raise ModelError(409, "contact %s already exists" % contact_id)
        contact = Contact(contact_id, tenant.tenant_id, [agent.user_id], interaction_id=str(uuid.uuid4()), internal=internal)
        contact.apply_policy(tenant.recording_policy if recording_policy is None else _policy(recording_policy))
        self._join(contact, agent)
        tenant.contacts[contact_id] = contact
        self._contacts[contact_id] = contact
        return contact

    def _live_contact(self, contact_id):
        contact = self.contact(contact_id)
        if contact.ended:
            raise ModelError(409, "contact %s has ended" % contact_id)
        return contact, self.tenants.get(contact.tenant_id)

    def join(self, contact_id, user_id):
        """Consult or conference: another agent joins the contact, its flags unchanged."""
        contact, tenant = self._live_contact(contact_id)
        agent = self._free_agent(tenant, _string(user_id, "user_id"))
        contact.participants.append(agent.user_id)
        self._join(contact, agent)
        contact.apply_policy(tenant.recording_policy)
        return contact

    def transfer(self, contact_id, to_user_id, from_user_id=None):
        """The contact moves to another agent; the one handing it over (default: the first) leaves."""
        contact, tenant = self._live_contact(contact_id)
        from_user_id = contact.participants[0] if from_user_id is None else from_user_id
        if from_user_id not in contact.participants:
            raise ModelError(409, "agent %s is not on contact %s" % (from_user_id, contact_id))
        agent = self._free_agent(tenant, _string(to_user_id, "to_user_id"))
        contact.participants[contact.participants.index(from_user_id)] = agent.user_id
        tenant.agents[from_user_id].contact_id = None
        contact.segment_ids.pop(from_user_id, None)
        self._join(contact, agent)
        contact.apply_policy(tenant.recording_policy)
        return contact

    def leave(self, contact_id, user_id):
        """An agent hangs up (e.g. the end of a consult); the last one leaving ends the call."""
        contact, tenant = self._live_contact(contact_id)
        if user_id not in contact.participants:
            raise ModelError(409, "agent %s is not on contact %s" % (user_id, contact_id))
        if len(contact.participants) == 1:
            return self.end_call(contact_id)
        contact.participants.remove(user_id)
        contact.segment_ids.pop(user_id, None)
        tenant.agents[user_id].contact_id = None
        return contact

    def end_call(self, contact_id):
        """The call ends: recording stops and every participant is free again."""
        contact, tenant = self._live_contact(contact_id)
        contact.end()
        for user_id in contact.participants:
            tenant.agents[user_id].contact_id = None
        return contact

    # -- views ------------------------------------------------------------------------------
    def snapshot(self):
        return {"tenants": [t.to_dict() for t in self.tenants.values()]}

    def agent_snapshot(self, user_id, tenant_id=None):
        tenant, agent = self.find_agent(user_id, tenant_id)
        view = {"tenant_id": tenant.tenant_id, "user_id": agent.user_id, "name": agent.name,
                "asynchronous": agent.asynchronous, "accepted_never_applies": agent.accepted_never_applies,
                "contact_id": agent.contact_id}
        if agent.contact_id is None:
            view.update(contact=None, recording=None, do_not_record=None, stopped_on_demand=None, masked=None, segments=[])
            return view
        contact = self._contacts[agent.contact_id].to_dict()
        view["contact"] = contact
        # The contact's recording state inline too, for the common assertions.
        view.update((name, contact[name]) for name in ("recording", "do_not_record", "stopped_on_demand", "masked", "segments"))
        return view
