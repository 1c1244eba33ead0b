# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Event source: consent refusals POSTed by a CXone Studio script, in batches of do-not-record work.

A refusal is worth something only while the call goes on, and one run of a module costs about a
second whatever the number of agents in it: refusals are therefore collected for a short window
and handed to the rulebook as one event per batch, each contact once.
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
    \"<contact id>\", \"consent\": \"refused\"}) of at most 64 KiB. It answers C(202) once the
    refusal is queued, C(400) with a reason for a malformed payload, C(401) for a missing or
    wrong token or signature, and C(413) for a larger body; only a C(202) queues anything."
  - C(GET /health) answers C(200) without authentication, for load balancers and probes.
  - A contact already queued within O(dedupe_seconds) is answered C(202) and not queued again,
    so that Studio's retries and a caller who refuses twice cost nothing.
  - "Refusals are collected for O(batch_window) seconds after the first one arrives, and at
    least O(batch_interval) seconds after the previous batch (or until O(batch_max) agents are
    waiting), and emitted as one event:
    C({\"cxone_consent\": {\"user_ids\": [...], \"contacts\": {\"<user id>\": \"<contact id>\"},
    \"received\": <number of refusals in this batch>}}); C(contacts) is what the module's
    O(cxone.recording.cxone_do_not_record#module:expected_contacts) takes."
  - An agent appears at most once in a batch. When the same agent has a second contact waiting
    (an agent takes calls one after the other), that contact goes into the next batch, which is
    emitted at once; each contact keeps its own guard, and the one the agent is no longer on is
    skipped by the module.
  - A batch is formed only when the rule engine takes events; with C(ansible-rulebook
    --max-concurrent-actions 2) it stops taking them while two module runs are going on, so
    that under a burst the refusals gather into the next batch instead of starting more runs
    than the machine's CPUs can carry.
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
      - One module run costs about a second of CPU whatever its number of agents, so that a
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
notes:
  - A C(userId) or C(contactId) is 1 to 128 letters, digits, C(.), C(_), C(:) or C(-) (a JSON
    number is accepted as C(contactId)), so that nothing a caller sends can be taken for a
    template by the playbook that acts on it. Other keys of the payload are ignored.
"""

EXAMPLES = r"""
- name: Consent refusals from the IVR
  hosts: localhost
  sources:
    - cxone.recording.consent_events:
        port: 8443
        token: "{{ cxone_consent_token }}"
        certfile: /etc/eda/consent.crt
        keyfile: /etc/eda/consent.key
        batch_window: 0.25
        batch_interval: 1.0
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
from collections import OrderedDict, namedtuple

from aiohttp import web

try:
    # The settings of the ansible-rulebook process this source runs in (absent when run alone).
    from ansible_rulebook.conf import settings as rulebook_settings
except ImportError:
    rulebook_settings = None

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
EVENT_KEY = "cxone_consent"
REFUSED = "refused"
# No braces, spaces or quotes: an id ends up in a generated playbook, where ansible-core templates it.
ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,128}")
SIGNATURE_PREFIX = "sha256="
# How often a batch ready to go checks whether the rule engine takes events again.
ROOM_POLL_SECONDS = 0.02

Settings = namedtuple("Settings", "host port token hmac_secret hmac_header ssl_context batch_window "
                                  "batch_interval batch_max dedupe_seconds")

_KNOWN_ARGS = frozenset(("host", "port", "token", "hmac_secret", "hmac_header", "certfile", "keyfile",
                         "batch_window", "batch_interval", "batch_max", "dedupe_seconds"))


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
        raise ValueError("consent_events: unknown argument(s): %s; known: %s"
                         % (", ".join(unknown), ", ".join(sorted(_KNOWN_ARGS))))
    if args.get("port") in (None, ""):
        raise ValueError("consent_events: port: is required")
    port = _number(args, "port", None, int, 1, 65535)
    token = _text(args, "token")
    hmac_secret = _text(args, "hmac_secret")
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
    )


Refusal = namedtuple("Refusal", "user_id contact_id arrived")


def rulebook_actions_busy():
    """True while every action slot of ansible-rulebook (``--max-concurrent-actions``) is taken."""
    semaphore = getattr(rulebook_settings, "max_actions_semaphore", None)
    return semaphore is not None and semaphore.locked()


class Batcher:
    """Collects refusals and puts one event per batch on the rulebook's queue.

    ``offer`` is called by the HTTP handler; ``run`` is the task that emits batches. Both run on
    the same event loop, so no lock is needed. ``clock`` and ``actions_busy`` are injectable for tests.
    """

    def __init__(self, queue, window, batch_max, dedupe_seconds, interval=0.0, clock=time.monotonic,
                 actions_busy=rulebook_actions_busy):
        self._queue = queue
        self._actions_busy = actions_busy
        self._window = window
        self._interval = interval
        self._last_batch = None
        self._batch_max = batch_max
        self._dedupe_seconds = dedupe_seconds
        self._clock = clock
        self._pending = []
        # contact id -> when it was queued, oldest first: expired entries are dropped from the front.
        self._seen = OrderedDict()
        self._wakeup = asyncio.Event()

    def offer(self, user_id, contact_id):
        """Queue a refusal; False when the contact was already queued within the dedupe period."""
        now = self._clock()
        while self._seen and next(iter(self._seen.values())) <= now - self._dedupe_seconds:
            self._seen.popitem(last=False)
        if contact_id in self._seen:
            return False
        if self._dedupe_seconds > 0:
            self._seen[contact_id] = now
        self._pending.append(Refusal(user_id, contact_id, now))
        self._wakeup.set()
        return True

    def _agents_waiting(self):
        return len({refusal.user_id for refusal in self._pending})

    def take_batch(self):
        """The next batch's event, in arrival order; an agent's later contacts stay for the next batch."""
        contacts = {}
        rest = []
        for refusal in self._pending:
            if refusal.user_id in contacts or len(contacts) >= self._batch_max:
                rest.append(refusal)
            else:
                contacts[refusal.user_id] = refusal.contact_id
        self._pending = rest
        return {EVENT_KEY: {"user_ids": list(contacts), "contacts": contacts, "received": len(contacts)}}

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
        """Emit a batch ``window`` s after its first refusal, ``interval`` s after the last batch, or once full."""
        while True:
            while not self._pending:
                await self._wait_for_news()
            deadline = self._pending[0].arrived + self._window
            if self._last_batch is not None:
                deadline = max(deadline, self._last_batch + self._interval)
            while self._agents_waiting() < self._batch_max:
                remaining = deadline - self._clock()
                if remaining <= 0:
                    break
                await self._wait_for_news(remaining)
            await self._until_the_rulebook_takes_events()
            event = self.take_batch()
            self._last_batch = self._clock()
            logger.info("consent_events: batch of %d refusal(s) for user(s) %s",
                        event[EVENT_KEY]["received"], ", ".join(event[EVENT_KEY]["user_ids"]))
            await self._queue.put(event)


def _error(status, reason):
    return web.json_response({"error": reason}, status=status)


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


class ConsentListener:
    """The HTTP side: authentication, size limit, validation, then ``Batcher.offer``."""

    def __init__(self, settings, batcher):
        self._settings = settings
        self._batcher = batcher
        self._token = settings.token.encode("utf-8") if settings.token else None
        self._hmac_key = settings.hmac_secret.encode("utf-8") if settings.hmac_secret else None

    def application(self):
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_post("/consent", self.consent)
        app.router.add_get("/health", self.health)
        return app

    async def health(self, request):
        return web.json_response({"ok": True})

    def _token_accepted(self, request):
        scheme, given = (request.headers.get("Authorization", "").strip().split(" ", 1) + [""])[:2]
        if scheme.lower() != "bearer":
            return False
        return hmac.compare_digest(given.strip().encode("utf-8"), self._token)

    def _signature_accepted(self, request, body):
        given = request.headers.get(self._settings.hmac_header, "").strip()
        if given[:len(SIGNATURE_PREFIX)].lower() == SIGNATURE_PREFIX:
            given = given[len(SIGNATURE_PREFIX):]
        expected = hmac.new(self._hmac_key, body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(given.lower().encode("utf-8"), expected.encode("ascii"))

    def _refuse(self, request, status, reason):
        # The peer and the reason only: never a header's value.
        logger.warning("consent_events: %s %s from %s answered %d: %s", request.method, request.path,
                       request.remote, status, reason)
        return _error(status, reason)

    async def consent(self, request):
        if self._token is not None and not self._token_accepted(request):
            return self._refuse(request, 401, "missing or wrong bearer token")
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            return self._refuse(request, 413, "the body is larger than %d bytes" % MAX_BODY_BYTES)
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._refuse(request, 413, "the body is larger than %d bytes" % MAX_BODY_BYTES)
        if self._hmac_key is not None and not self._signature_accepted(request, body):
            return self._refuse(request, 401, "missing or wrong signature in %s" % self._settings.hmac_header)
        refusal, problem = read_refusal(body)
        if problem:
            return self._refuse(request, 400, problem)
        user_id, contact_id = refusal
        if self._batcher.offer(user_id, contact_id):
            logger.info("consent_events: refusal queued for user %s, contact %s", user_id, contact_id)
            return web.json_response({"status": "queued", "contactId": contact_id}, status=202)
        return web.json_response({"status": "already queued", "contactId": contact_id}, status=202)


async def main(queue, args):
    """Serve ``/consent`` and ``/health`` and emit batches until cancelled."""
    settings = parse_args(args)
    batcher = Batcher(queue, settings.batch_window, settings.batch_max, settings.dedupe_seconds,
                      settings.batch_interval)
    runner = web.AppRunner(ConsentListener(settings, batcher).application(), access_log=None)
    await runner.setup()
    emitter = asyncio.ensure_future(batcher.run())
    try:
        site = web.TCPSite(runner, settings.host, settings.port, ssl_context=settings.ssl_context)
        await site.start()
        logger.info("consent_events: listening on %s://%s:%d", "https" if settings.ssl_context else "http",
                    settings.host, settings.port)
        await emitter
    finally:
        emitter.cancel()
        await runner.cleanup()


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
