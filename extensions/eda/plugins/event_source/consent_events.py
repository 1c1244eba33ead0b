# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Event source: consent refusals POSTed by a CXone Studio script, in batches of do-not-record work.

A refusal is worth something only while the call goes on, and one run of a module costs about a
second whatever the number of agents in it: refusals are therefore collected for a short window
and handed to the rulebook as one event per batch, each (agent, contact) pair once. A post is
answered 202 only once its batch's event was taken by the rule engine: the caller (Studio)
retries anything else, so that a refusal is never only in this process's memory.
"""

from __future__ import annotations

DOCUMENTATION = r"""
---
short_description: Receive CXone consent refusals over HTTP(S) and emit them in batches
description:
  - An ansible-rulebook event source that listens for the refusals of recording consent that a
    CXone Studio script (the IVR) POSTs with its REST API action, and emits them in batches for
    the C(cxone.recording.cxone_do_not_record) module.
  - "C(POST /consent) takes a JSON object C({\"userId\": \"<agent's user id>\", \"contactId\":
    \"<contact id>\", \"consent\": \"refused\"}) of at most 64 KiB. It answers C(202) only once
    the refusal is in an event the rule engine has taken, C(400) with a reason for a malformed
    request, C(401) for a missing or wrong token or signature, C(413) for a larger body, and
    C(503) with C(Retry-After) when the refusal could not be handed over (see below); only a
    C(202) means the refusal will be acted on, and a caller retries anything else but C(400)
    and C(401)."
  - "Taken means: when ansible-rulebook gives the source feedback (the source argument
    C(feedback: true), which ansible-rulebook allows only with C(--persistence-id) and a
    persistence store), the rule engine has posted the event to its ruleset and acknowledged
    it; otherwise the event is on the rule engine's queue, which holds one event, so that the
    previous one was taken. A post waits for this at most O(request_timeout)."
  - C(GET /health) answers C(200) without authentication, for load balancers and probes.
  - A (C(userId), C(contactId)) pair already handed over within O(dedupe_seconds) is answered
    C(202) C(already queued) at once and not handed over again; a post of a pair still waiting
    waits for the same hand-over. User ids are compared without regard to case (they are
    UUIDs). Two agents posting the same contact (a transfer) are two refusals.
  - "Refusals are collected for O(batch_window) seconds after the first one arrives, and at
    least O(batch_interval) seconds after the previous batch (or until O(batch_max) agents are
    waiting), and emitted as one event:
    C({\"cxone_consent\": {\"user_ids\": [...], \"contacts\": {\"<user id>\": \"<contact id>\"},
    \"received\": <number of refusals in this batch>}}); C(contacts) is what the module's
    O(cxone.recording.cxone_do_not_record#module:expected_contacts) takes."
  - An agent appears at most once in a batch, and agents take turns. When the same agent has a
    second contact waiting (an agent takes calls one after the other), that contact goes into a
    later batch; each contact keeps its own guard, and the one the agent is no longer on is
    skipped by the module. An agent has at most 10 refusals waiting; more are answered C(503),
    so that one agent's flood cannot keep the others' refusals out.
  - A batch is formed only when the rule engine takes events; with C(ansible-rulebook
    --max-concurrent-actions 2) it stops taking them while two module runs are going on, so
    that under a burst the refusals gather into the next batch instead of starting more runs
    than the machine's CPUs can carry.
  - When the source is stopped (cancelled), new posts and the posts still waiting are answered
    C(503) before the connections close. ansible-rulebook 1.3 ends at once on SIGTERM (its Java
    rule engine handles the signal) without cancelling the source; a post in flight then sees
    its connection closed. With C(JAVA_TOOL_OPTIONS=-Xrs) in its environment the JVM leaves the
    signal to ansible-rulebook, which cancels the source and the posts' tasks, and the posts still
    waiting are then answered C(503). Either way nothing answered C(202) was only in the
    listener's memory.
  - Each connection carries one request; a connection whose request is not read within
    O(request_timeout) is closed, and one beyond O(max_connections) is answered C(503).
  - Tokens, HMAC secrets and signatures are never logged; secrets are compared in constant time.
options:
  host:
    description: The address to listen on.
    type: str
    default: "0.0.0.0"
  port:
    description: The TCP port to listen on, from 1 to 65535.
    type: int
    required: true
  token:
    description:
      - The bearer token Studio must send as C(Authorization: Bearer <token>).
      - At least one of O(token) and O(hmac_secret) is required; with both, a request needs both.
      - An empty value counts as not set, so that a rulebook can pass C({{ var | default('') }}).
    type: str
  hmac_secret:
    description:
      - The secret of an HMAC-SHA256 signature of the raw request body, sent in hex in the
        O(hmac_header) header, optionally prefixed C(sha256=).
      - An empty value counts as not set.
    type: str
  hmac_header:
    description: The header that carries the signature.
    type: str
    default: X-CXone-Signature
  certfile:
    description:
      - A PEM certificate (chain) to serve HTTPS with. Without it the listener speaks plain HTTP,
        which is only fit behind a TLS-terminating proxy or on a trusted network.
    type: str
  keyfile:
    description: The PEM private key of O(certfile), when the certificate file does not hold it.
    type: str
  batch_window:
    description: Seconds a batch collects refusals after its first one arrives, from 0 to 60.
    type: float
    default: 0.25
  batch_interval:
    description:
      - The least number of seconds between two batches, from 0 to 60. Refusals arriving
        meanwhile wait for the next batch.
      - One module run costs about 1.2 s of CPU whatever its number of agents, so that a
        burst of refusals must make a few large batches rather than many small ones; a refusal
        after a quiet period still goes out after O(batch_window).
    type: float
    default: 1.0
  batch_max:
    description: The most agents in one batch, from 1 to 1000; a full batch is emitted at once.
    type: int
    default: 100
  dedupe_seconds:
    description: Seconds during which a contact already queued is not queued again; 0 turns this off.
    type: float
    default: 600
  max_pending:
    description:
      - The most refusals waiting to be handed over at once, from 1 to 1000000; a post beyond
        it is answered C(503) with C(Retry-After).
    type: int
    default: 10000
  request_timeout:
    description:
      - Seconds a client has to send a request's headers and body (the connection is closed
        after that), and the longest a post waits for its refusal to be handed over (it is
        answered C(503) with C(Retry-After) after that); from 0.1 to 300.
    type: float
    default: 10
  max_connections:
    description:
      - The most connections open at once, from 1 to 100000; one more is answered C(503) with
        C(Retry-After) and closed.
      - Lowered, with a warning, to what the process's limit of open files allows.
    type: int
    default: 1000
  feedback:
    description:
      - Answer C(202) only once the rule engine has acknowledged the refusal's event.
      - ansible-rulebook reads this argument itself, and starts only with C(--persistence-id)
        and a persistence store when it is true; the rulebook
        C(cxone.recording.consent_refused_persistent) sets it.
    type: bool
    default: false
notes:
  - The token and the HMAC secret must be printable ASCII without surrounding white space (a
    trailing newline from a file is refused at start-up, naming the argument).
  - A C(userId) or C(contactId) is 1 to 128 letters, digits, C(.), C(_), C(:) or C(-) (a JSON
    number is accepted as C(contactId)), so that nothing a caller sends can be taken for a
    template by the playbook that acts on it. Other keys of the payload are ignored.
"""

EXAMPLES = r"""
- name: Consent refusals from the IVR
  hosts: localhost
  sources:
    - name: consent
      cxone.recording.consent_events:
        port: 8443
        token: "{{ cxone_consent_token }}"
        certfile: /etc/eda/consent.crt
        keyfile: /etc/eda/consent.key
        batch_window: 0.25
        batch_interval: 1.0
        max_pending: 10000
        request_timeout: 10
        max_connections: 1000
        # With ansible-rulebook --persistence-id and a store only.
        feedback: true
  rules:
    - name: Do not record the refused contacts
      condition: event.cxone_consent is defined
      action:
        run_module:
          name: cxone.recording.cxone_do_not_record
          module_args:
            user_id: "{{ event.cxone_consent.user_ids }}"
            expected_contacts: "{{ event.cxone_consent.contacts }}"
            no_active_call: skip

# The collection's rulebook cxone.recording.consent_refused does the same, configured by variables.
"""

import asyncio
import hashlib
import hmac
import json
import logging
import re
import ssl
import time
import uuid
from collections import OrderedDict, deque, namedtuple

from aiohttp import web

try:
    # The settings of the ansible-rulebook process this source runs in (absent when run alone).
    from ansible_rulebook.conf import settings as rulebook_settings
except ImportError:
    rulebook_settings = None

try:
    import resource
except ImportError:  # not on POSIX: no file limit to respect
    resource = None

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
EVENT_KEY = "cxone_consent"
REFUSED = "refused"
# No braces, spaces or quotes: an id ends up in a generated playbook, where ansible-core templates it.
ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,128}")
SIGNATURE_PREFIX = "sha256="
# How often a batch ready to go checks whether the rule engine takes events again.
ROOM_POLL_SECONDS = 0.02
# What a 503 asks the caller to wait before posting again (Studio's own retries are about that far apart).
RETRY_AFTER_SECONDS = 1
# An agent is on one call at a time: more refusals waiting for one agent than this is a caller
# (or a script) gone wrong, and must not keep the other agents' refusals out.
MAX_PENDING_PER_AGENT = 10
# File descriptors kept free for everything else the process opens (logs, the rule engine, runs).
SPARE_FILE_DESCRIPTORS = 64
# Pairs remembered for dedupe at most: past it the oldest are forgotten (a second do-not-record is harmless).
MAX_REMEMBERED = 100000

Settings = namedtuple("Settings", "host port token hmac_secret hmac_header ssl_context batch_window "
                                  "batch_interval batch_max dedupe_seconds max_pending request_timeout "
                                  "max_connections")

_KNOWN_ARGS = frozenset(("host", "port", "token", "hmac_secret", "hmac_header", "certfile", "keyfile",
                         "batch_window", "batch_interval", "batch_max", "dedupe_seconds", "max_pending",
                         "request_timeout", "max_connections", "feedback"))


def _number(args, name, default, kind, low, high):
    """The argument as ``kind`` within [low, high]; a numeric string is accepted (rulebook variables)."""
    value = args.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise ValueError("consent_events: %s: must be a number from %s to %s, got %r" % (name, low, high, value))
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise ValueError("consent_events: %s: must be a number from %s to %s, got %r"
                         % (name, low, high, value)) from None
    if kind is int and isinstance(value, float) and value != number:
        raise ValueError("consent_events: %s: must be a whole number, got %r" % (name, value))
    if not low <= number <= high:
        raise ValueError("consent_events: %s: must be from %s to %s, got %s" % (name, low, high, number))
    return number


def _text(args, name, default=None):
    """A string argument; None and the empty string mean not set."""
    value = args.get(name)
    if value is None or value == "":
        return default
    if not isinstance(value, str):
        raise ValueError("consent_events: %s: must be a string, got %s" % (name, type(value).__name__))
    return value


def _secret(args, name):
    """A token or secret: as ``_text``, refused when white space surrounds it (never echoed).

    A value read from a file often ends with a newline that Studio never sends: taken as it is,
    every genuine post would be answered 401.
    """
    value = _text(args, name)
    if value is not None and value != value.strip():
        raise ValueError("consent_events: %s: starts or ends with white space (a newline from a file?); "
                         "remove it" % name)
    if value is not None and not all(" " < character < "\x7f" for character in value):
        raise ValueError("consent_events: %s: must be printable ASCII, as an HTTP header carries it" % name)
    return value


def _ssl_context(certfile, keyfile):
    """A server TLS context (TLS 1.2 or later), or None for plain HTTP."""
    if keyfile and not certfile:
        raise ValueError("consent_events: keyfile: needs certfile as well")
    if not certfile:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(certfile, keyfile)
    except (OSError, ssl.SSLError) as exc:
        # The paths are named, never a key's content.
        raise ValueError("consent_events: certfile/keyfile: cannot load %s%s: %s"
                         % (certfile, " with " + keyfile if keyfile else "", exc)) from None
    return context


def parse_args(args):
    """The source's arguments as ``Settings``; a ``ValueError`` names the argument and the problem."""
    if not isinstance(args, dict):
        raise ValueError("consent_events: the arguments must be a mapping")
    unknown = sorted(name for name in args if name not in _KNOWN_ARGS and not name.startswith("eda_"))
    if unknown:
        raise ValueError("consent_events: unknown %s: %s; known: %s"
                         % ("argument" if len(unknown) == 1 else "arguments", ", ".join(unknown), ", ".join(sorted(_KNOWN_ARGS))))
    if args.get("port") in (None, ""):
        raise ValueError("consent_events: port: is required")
    port = _number(args, "port", None, int, 1, 65535)
    token = _secret(args, "token")
    hmac_secret = _secret(args, "hmac_secret")
    if token is None and hmac_secret is None:
        raise ValueError("consent_events: token, hmac_secret: at least one is required, so that only Studio "
                         "can post refusals")
    hmac_header = _text(args, "hmac_header", "X-CXone-Signature")
    if not re.fullmatch(r"[A-Za-z0-9-]+", hmac_header):
        raise ValueError("consent_events: hmac_header: must be an HTTP header name, got %r" % hmac_header)
    return Settings(
        host=_text(args, "host", "0.0.0.0"),
        port=port,
        token=token,
        hmac_secret=hmac_secret,
        hmac_header=hmac_header,
        ssl_context=_ssl_context(_text(args, "certfile"), _text(args, "keyfile")),
        batch_window=_number(args, "batch_window", 0.25, float, 0, 60),
        batch_interval=_number(args, "batch_interval", 1.0, float, 0, 60),
        batch_max=_number(args, "batch_max", 100, int, 1, 1000),
        dedupe_seconds=_number(args, "dedupe_seconds", 600.0, float, 0, 86400),
        max_pending=_number(args, "max_pending", 10000, int, 1, 1000000),
        request_timeout=_number(args, "request_timeout", 10.0, float, 0.1, 300),
        max_connections=_number(args, "max_connections", 1000, int, 1, 100000),
    )


def rulebook_actions_busy():
    """True while every action slot of ansible-rulebook (``--max-concurrent-actions``) is taken."""
    semaphore = getattr(rulebook_settings, "max_actions_semaphore", None)
    return semaphore is not None and semaphore.locked()


class Unavailable(Exception):
    """The refusal was not handed over to the rule engine: the post is answered 503 (retry)."""


class Refusal:
    """One (agent, contact) pair waiting to be handed over, and the posts waiting for it."""

    __slots__ = ("key", "user_id", "contact_id", "arrived", "handed_over", "waiters", "in_batch")

    def __init__(self, key, user_id, contact_id, arrived):
        self.key = key
        self.user_id = user_id
        self.contact_id = contact_id
        self.arrived = arrived
        # Resolved with True once the rule engine has the event, or failed with Unavailable.
        self.handed_over = asyncio.get_running_loop().create_future()
        self.waiters = 0
        self.in_batch = False


class Batcher:
    """Collects refusals and hands one event per batch to the rule engine; answers only after the hand-over.

    ``submit`` is called by the HTTP handler and returns once the refusal's event was taken (or
    raises ``Unavailable``); ``run`` is the task that forms and hands over batches. Both run on
    the same event loop, so no lock is needed. ``clock`` and ``actions_busy`` are injectable for tests.

    Taken means: with ``feedback`` (ansible-rulebook's ``eda_feedback_queue``), the engine has
    posted the event to its ruleset and put it back on that queue; without, ``queue.put``
    returned (the engine's queue holds one event, so the previous one had been taken).
    """

    def __init__(self, queue, window, batch_max, dedupe_seconds, interval=0.0, max_pending=10000,
                 feedback=None, clock=time.monotonic, actions_busy=rulebook_actions_busy):
        self._queue = queue
        self._feedback = feedback
        self._actions_busy = actions_busy
        self._window = window
        self._interval = interval
        self._last_batch = None
        self._batch_max = batch_max
        self._dedupe_seconds = dedupe_seconds
        self._max_pending = max_pending
        self._clock = clock
        # agent key -> refusals not yet in a batch, oldest first; agents in turn (round robin).
        self._queued = OrderedDict()
        self._queued_count = 0
        self._window_start = None
        # pair -> Refusal, from the first post until the hand-over (or until no post waits for it).
        self._unsettled = {}
        # pair -> when it was handed over, oldest first: expired entries are dropped from the front.
        self._seen = OrderedDict()
        # event uuid -> the refusals of that event, until the engine's feedback.
        self._awaiting_feedback = {}
        self._wakeup = asyncio.Event()
        self._stopping = False

    @staticmethod
    def pair(user_id, contact_id):
        # User ids are UUIDs, which CXone may spell in either case.
        return user_id.lower(), contact_id

    def _forget_expired(self):
        horizon = self._clock() - self._dedupe_seconds
        while self._seen and (next(iter(self._seen.values())) <= horizon or len(self._seen) > MAX_REMEMBERED):
            self._seen.popitem(last=False)

    @property
    def pending(self):
        """Refusals not yet handed over."""
        return len(self._unsettled)

    async def submit(self, user_id, contact_id, timeout):
        """``"queued"`` or ``"already queued"`` once the refusal's event was taken; ``Unavailable`` otherwise."""
        key = self.pair(user_id, contact_id)
        self._forget_expired()
        if key in self._seen:
            return "already queued"
        if self._stopping:
            raise Unavailable("the listener is stopping")
        refusal = self._unsettled.get(key)
        status = "already queued"
        if refusal is None:
            refusal = self._enqueue(key, user_id, contact_id)
            status = "queued"
        refusal.waiters += 1
        try:
            await asyncio.wait_for(asyncio.shield(refusal.handed_over), timeout)
        except asyncio.TimeoutError:
            raise Unavailable("the rule engine did not take the refusal within %g s" % timeout) from None
        except asyncio.CancelledError:
            # At its end ansible-rulebook cancels every task at once, this post's with the
            # listener's: answered 503, its poster posts again now rather than after a timeout.
            if not refusal.handed_over.done() or refusal.handed_over.exception() is not None:
                raise Unavailable("the listener is stopping") from None
        finally:
            refusal.waiters -= 1
            if not refusal.handed_over.done() and refusal.waiters == 0:
                # Nobody waits for it any more, and its poster will post again: a refusal nobody
                # answers for must not hold a place in the backlog.
                self._withdraw(refusal)
        return status

    def _enqueue(self, key, user_id, contact_id):
        if len(self._unsettled) >= self._max_pending:
            raise Unavailable(("%d refusal is waiting already (max_pending)" if self._max_pending == 1
                               else "%d refusals are waiting already (max_pending)") % self._max_pending)
        agent = key[0]
        waiting = self._queued.get(agent)
        if waiting is not None and len(waiting) >= MAX_PENDING_PER_AGENT:
            raise Unavailable("agent %s has %d refusals waiting already" % (user_id, MAX_PENDING_PER_AGENT))
        refusal = Refusal(key, user_id, contact_id, self._clock())
        if waiting is None:
            waiting = self._queued[agent] = deque()
        if not self._queued_count:
            self._window_start = refusal.arrived
        waiting.append(refusal)
        self._queued_count += 1
        self._unsettled[key] = refusal
        self._wakeup.set()
        return refusal

    def _withdraw(self, refusal):
        if self._unsettled.get(refusal.key) is refusal:
            del self._unsettled[refusal.key]
        if refusal.in_batch:
            return
        waiting = self._queued.get(refusal.key[0])
        if waiting is not None and refusal in waiting:
            waiting.remove(refusal)
            self._queued_count -= 1
            if not waiting:
                del self._queued[refusal.key[0]]

    def _settle(self, refusals, problem=None):
        for refusal in refusals:
            newer = self._unsettled.pop(refusal.key, None)
            if newer is not None and newer is not refusal:
                if problem is None and not newer.in_batch:
                    # A retry posted after its first post timed out: the engine has the pair now.
                    self._withdraw(newer)
                    newer.handed_over.set_result(True)
                else:
                    self._unsettled[refusal.key] = newer
            if problem is None and self._dedupe_seconds > 0:
                self._seen[refusal.key] = self._clock()
                self._seen.move_to_end(refusal.key)
            if not refusal.handed_over.done():
                if problem is None:
                    refusal.handed_over.set_result(True)
                else:
                    refusal.handed_over.set_exception(Unavailable(problem))
                    # Retrieved here so that a refusal nobody awaits any more logs nothing.
                    refusal.handed_over.exception()

    def take_batch(self):
        """The next batch: the oldest refusal of up to ``batch_max`` agents, each agent in turn."""
        taken = []
        for agent in list(self._queued)[:self._batch_max]:
            waiting = self._queued[agent]
            refusal = waiting.popleft()
            refusal.in_batch = True
            taken.append(refusal)
            if waiting:
                # Its next refusal waits behind every other agent's.
                self._queued.move_to_end(agent)
            else:
                del self._queued[agent]
        self._queued_count -= len(taken)
        if self._queued_count:
            self._window_start = min(waiting[0].arrived for waiting in self._queued.values())
        return taken

    @staticmethod
    def event_of(refusals):
        contacts = dict((refusal.user_id, refusal.contact_id) for refusal in refusals)
        # The uuid ansible-rulebook would give the event, chosen here to recognise its feedback.
        return {EVENT_KEY: {"user_ids": list(contacts), "contacts": contacts, "received": len(contacts)},
                "meta": {"uuid": str(uuid.uuid4())}}

    async def _wait_for_news(self, timeout=None):
        self._wakeup.clear()
        try:
            await asyncio.wait_for(self._wakeup.wait(), timeout)
        except asyncio.TimeoutError:
            pass

    async def _until_the_rulebook_takes_events(self):
        """Wait while every action slot is busy, or the rule engine's queue is full.

        ansible-rulebook runs at most ``--max-concurrent-actions`` actions at once and stops
        draining the source's bounded queue (its wrapper's ``queue``) meanwhile. A batch formed
        only once a slot is free takes every refusal that arrived until then, instead of waiting
        in the queue behind the running actions while newer refusals wait for the batch after.
        Any other queue is put to at once.
        """
        inner = getattr(self._queue, "queue", self._queue)
        full = getattr(inner, "full", None)
        while self._actions_busy() or (callable(full) and full()):
            await asyncio.sleep(ROOM_POLL_SECONDS)

    async def run(self):
        """Hand over a batch ``window`` s after its first refusal, ``interval`` s after the last one, or once full."""
        while True:
            while not self._queued:
                await self._wait_for_news()
            deadline = self._window_start + self._window
            if self._last_batch is not None:
                deadline = max(deadline, self._last_batch + self._interval)
            while self._queued and len(self._queued) < self._batch_max:
                remaining = deadline - self._clock()
                if remaining <= 0:
                    break
                await self._wait_for_news(remaining)
            await self._until_the_rulebook_takes_events()
            refusals = self.take_batch()
            if not refusals:
                continue
            self._last_batch = self._clock()
            await self._hand_over(refusals)

    async def _hand_over(self, refusals):
        event = self.event_of(refusals)
        if self._feedback is not None:
            self._awaiting_feedback[event["meta"]["uuid"]] = refusals
        try:
            await self._queue.put(event)
        except BaseException:
            self._awaiting_feedback.pop(event["meta"]["uuid"], None)
            self._settle(refusals, "the listener stopped before the rule engine took the refusal")
            raise
        logger.info("consent_events: batch of %d %s for %s %s", event[EVENT_KEY]["received"],
                    "refusal" if event[EVENT_KEY]["received"] == 1 else "refusals",
                    "user" if len(event[EVENT_KEY]["user_ids"]) == 1 else "users", ", ".join(event[EVENT_KEY]["user_ids"]))
        if self._feedback is None:
            self._settle(refusals)

    async def read_feedback(self):
        """Settle each batch the rule engine puts back on the feedback queue (it waits for room there)."""
        while True:
            event = await self._feedback.get()
            meta = event.get("meta") if isinstance(event, dict) else None
            refusals = self._awaiting_feedback.pop(meta.get("uuid") if isinstance(meta, dict) else None, None)
            if refusals is not None:
                self._settle(refusals)

    def stop(self):
        """Take no more refusals; every one not handed over is answered 503 (its poster retries). Returns their number."""
        self._stopping = True
        waiting = list(self._unsettled.values())
        for refusals in self._awaiting_feedback.values():
            waiting.extend(refusals)
        self._awaiting_feedback.clear()
        self._queued.clear()
        self._queued_count = 0
        self._settle(waiting, "the listener is stopping")
        return len(waiting)


def _error(status, reason, retry_after=None):
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return web.json_response({"error": reason}, status=status, headers=headers)


def _valid_id(value, name):
    """The id as a string, or the reason it is refused."""
    if name == "contactId" and isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        value = str(value)
    if not isinstance(value, str):
        return None, "%s must be a string" % name
    if not ID_PATTERN.fullmatch(value):
        return None, "%s must be 1 to 128 letters, digits, '.', '_', ':' or '-'" % name
    return value, None


def read_refusal(body):
    """``(user_id, contact_id)`` from a request body, or ``(None, reason)`` for a malformed one."""
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None, "the body must be a JSON object in UTF-8"
    except RecursionError:
        return None, "the body must be a JSON object, not nested this deep"
    if not isinstance(payload, dict):
        return None, "the body must be a JSON object"
    if payload.get("consent") != REFUSED:
        return None, "consent must be %r (only refusals are handled here)" % REFUSED
    user_id, problem = _valid_id(payload.get("userId"), "userId")
    if problem:
        return None, problem
    contact_id, problem = _valid_id(payload.get("contactId"), "contactId")
    if problem:
        return None, problem
    return (user_id, contact_id), None


def _ascii(text):
    """The header value as bytes, or None when it holds anything but ASCII (never a valid token or signature)."""
    try:
        return text.encode("ascii")
    except UnicodeEncodeError:
        return None


class ConsentListener:
    """The HTTP side: authentication, size limit, validation, then ``Batcher.submit``."""

    def __init__(self, settings, batcher, connections=None):
        self._settings = settings
        self._batcher = batcher
        self._connections = connections
        self._token = settings.token.encode("ascii") if settings.token else None
        self._hmac_key = settings.hmac_secret.encode("ascii") if settings.hmac_secret else None

    def application(self):
        app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[self._one_request_never_500])
        app.router.add_post("/consent", self.consent)
        app.router.add_get("/health", self.health)
        return app

    @web.middleware
    async def _one_request_never_500(self, request, handler):
        """Every answer closes its connection, and an unexpected failure is a 503, never a 500.

        One request per connection: the connection's time limit then covers exactly one request.
        A failure is logged by its type only (a message may quote what the caller sent); a retry
        is the right answer to it, since nothing was handed over.
        """
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            exc.force_close()
            raise
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # pylint: disable=broad-except
            logger.error("consent_events: %s %s from %s failed (%s): answered 503", request.method, request.path,
                         request.remote, type(exc).__name__)
            response = _error(503, "the listener could not handle this request", RETRY_AFTER_SECONDS)
        response.force_close()
        return response

    async def health(self, request):
        return web.json_response({"ok": True})

    def _token_accepted(self, request):
        scheme, given = (request.headers.get("Authorization", "").strip().split(" ", 1) + [""])[:2]
        if scheme.lower() != "bearer":
            return False
        given = _ascii(given.strip())
        return given is not None and hmac.compare_digest(given, self._token)

    def _signature_accepted(self, request, body):
        given = request.headers.get(self._settings.hmac_header, "").strip()
        if given[:len(SIGNATURE_PREFIX)].lower() == SIGNATURE_PREFIX:
            given = given[len(SIGNATURE_PREFIX):]
        given = _ascii(given.lower())
        expected = hmac.new(self._hmac_key, body, hashlib.sha256).hexdigest()
        return given is not None and hmac.compare_digest(given, expected.encode("ascii"))

    def _refuse(self, request, status, reason, retry_after=None):
        # The peer and the reason only: never a header's value.
        logger.warning("consent_events: %s %s from %s answered %d: %s", request.method, request.path,
                       request.remote, status, reason)
        return _error(status, reason, retry_after)

    async def consent(self, request):
        if self._token is not None and not self._token_accepted(request):
            return self._refuse(request, 401, "missing or wrong bearer token")
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            return self._refuse(request, 413, "the body is larger than %d bytes" % MAX_BODY_BYTES)
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._refuse(request, 413, "the body is larger than %d bytes" % MAX_BODY_BYTES)
        if self._connections is not None:
            self._connections.request_read(request.transport)
        if self._hmac_key is not None and not self._signature_accepted(request, body):
            return self._refuse(request, 401, "missing or wrong signature in %s" % self._settings.hmac_header)
        refusal, problem = read_refusal(body)
        if problem:
            return self._refuse(request, 400, problem)
        user_id, contact_id = refusal
        try:
            status = await self._batcher.submit(user_id, contact_id, self._settings.request_timeout)
        except Unavailable as exc:
            return self._refuse(request, 503, str(exc), RETRY_AFTER_SECONDS)
        if status == "queued":
            logger.info("consent_events: refusal handed over for user %s, contact %s", user_id, contact_id)
        return web.json_response({"status": status, "contactId": contact_id}, status=202)


# The answer to a connection beyond max_connections, written before aiohttp sees the connection.
_TOO_MANY_CONNECTIONS = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\n"
    b"Retry-After: %d\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s")


class _GuardedConnection(asyncio.Protocol):
    """aiohttp's protocol for one connection, counted, and closed unless its request is read in time."""

    def __init__(self, guard, inner):
        self._guard = guard
        self._inner = inner
        self._timer = None
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport
        if not self._guard.admit(self):
            body = json.dumps({"error": "too many open connections (max_connections)"}).encode("ascii")
            transport.write(_TOO_MANY_CONNECTIONS % (RETRY_AFTER_SECONDS, len(body), body))
            transport.close()
            self._inner = None
            return
        self._timer = asyncio.get_running_loop().call_later(self._guard.request_timeout, self._expire)
        self._inner.connection_made(transport)

    def _expire(self):
        # Headers or body still not in: a client this slow only holds a connection others need.
        self._timer = None
        self.transport.abort()

    def request_read(self):
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def data_received(self, data):
        if self._inner is not None:
            self._inner.data_received(data)

    def eof_received(self):
        return self._inner.eof_received() if self._inner is not None else None

    def pause_writing(self):
        if self._inner is not None:
            self._inner.pause_writing()

    def resume_writing(self):
        if self._inner is not None:
            self._inner.resume_writing()

    def connection_lost(self, exc):
        self.request_read()
        if self._inner is not None:
            self._guard.release(self)
            self._inner.connection_lost(exc)


class ConnectionGuard:
    """At most ``limit`` connections open at once, each given ``request_timeout`` to send its request."""

    def __init__(self, limit, request_timeout):
        self.limit = limit
        self.request_timeout = request_timeout
        self._open = {}

    def protocol_factory(self, inner_factory):
        return lambda: _GuardedConnection(self, inner_factory())

    def admit(self, connection):
        if len(self._open) >= self.limit:
            logger.warning("consent_events: %d %s open (max_connections): answered 503", len(self._open),
                           "connection" if len(self._open) == 1 else "connections")
            return False
        self._open[connection.transport] = connection
        return True

    def release(self, connection):
        self._open.pop(connection.transport, None)

    def request_read(self, transport):
        connection = self._open.get(transport)
        if connection is not None:
            connection.request_read()


def connection_limit(wanted):
    """``max_connections``, lowered to what the process's open-file limit allows (with a warning)."""
    if resource is None:
        return wanted
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft - SPARE_FILE_DESCRIPTORS >= wanted:
        return wanted
    allowed = max(1, soft - SPARE_FILE_DESCRIPTORS)
    logger.warning("consent_events: max_connections %d lowered to %d: the process may open %d files "
                   "(raise it with ulimit -n)", wanted, allowed, soft)
    return allowed


async def serve(queue, settings, feedback=None, ready=None, **batcher_options):
    """Serve ``/consent`` and ``/health`` and hand over batches until cancelled; then stop cleanly.

    On cancellation new posts are answered 503 and every post still waiting is answered 503 too
    (nothing it sent was handed over), before the connections close. ``ready``, when given, is
    a future set to the listening address once the port is open.
    """
    batcher = Batcher(queue, settings.batch_window, settings.batch_max, settings.dedupe_seconds,
                      settings.batch_interval, settings.max_pending, feedback, **batcher_options)
    guard = ConnectionGuard(connection_limit(settings.max_connections), settings.request_timeout)
    runner = web.AppRunner(ConsentListener(settings, batcher, guard).application(), access_log=None,
                           shutdown_timeout=settings.request_timeout)
    await runner.setup()
    tasks = [asyncio.ensure_future(batcher.run())]
    if feedback is not None:
        tasks.append(asyncio.ensure_future(batcher.read_feedback()))
    server = None
    try:
        loop = asyncio.get_running_loop()
        # A TLS handshake is part of sending the request: it gets request_timeout too.
        server = await loop.create_server(guard.protocol_factory(runner.server), settings.host, settings.port,
                                          ssl=settings.ssl_context,
                                          ssl_handshake_timeout=settings.request_timeout if settings.ssl_context else None)
        address = server.sockets[0].getsockname()
        logger.info("consent_events: listening on %s://%s:%d%s", "https" if settings.ssl_context else "http",
                    settings.host, address[1], " (answering after the rule engine's feedback)" if feedback else "")
        if ready is not None:
            ready.set_result(address)
        await asyncio.gather(*tasks)
    finally:
        unanswered = batcher.stop()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if server is not None:
            server.close()
        # The posts answered 503 above get their answers before the connections close.
        await runner.cleanup()
        logger.info("consent_events: stopped; %d %s not handed over %s answered 503", unanswered,
                    "refusal" if unanswered == 1 else "refusals", "was" if unanswered == 1 else "were")


async def main(queue, args):
    """The ansible-rulebook entry point: ``args`` are the source's arguments."""
    await serve(queue, parse_args(args), feedback=args.get("eda_feedback_queue"))


if __name__ == "__main__":
    # A quick manual test: `python consent_events.py [port] [token]` prints each batch.
    import sys

    class PrintingQueue:
        """Stands in for the rulebook's queue."""

        async def put(self, event):
            print(json.dumps(event), flush=True)

    logging.basicConfig(level=logging.INFO)
    asyncio.run(main(PrintingQueue(), {"host": "127.0.0.1", "port": int(sys.argv[1]) if len(sys.argv) > 1 else 5000,
                                       "token": sys.argv[2] if len(sys.argv) > 2 else "test-token"}))
