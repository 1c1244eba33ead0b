# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The three Record on Demand operations, run for a batch of agents, and their results.

Each agent's user id gets exactly one result entry, in input order, whatever happens to the
others: a batch never loses a user.
"""

from __future__ import annotations

import datetime
from collections import namedtuple
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.cxone.recording.plugins.module_utils._auth import token_fingerprint
from ansible_collections.cxone.recording.plugins.module_utils._errors import (
    NO_HINTS,
    CxoneError,
    SettingsError,
    describe_failure,
    redact,
)

Operation = namedtuple("Operation", "name path action")

START = Operation("start", "start-recording-on-demand", "start recording")
STOP = Operation("stop", "stop-recording-on-demand", "stop recording")
DO_NOT_RECORD = Operation("do_not_record", "do-not-record", "do not record")

MEDIA_TYPES = ("voice", "voiceAndScreen")
NO_ACTIVE_CALL_CHOICES = ("fail", "skip")
OUTCOMES = ("completed", "accepted", "skipped", "failed", "planned")
CHANGED_OUTCOMES = frozenset(("completed", "accepted", "planned"))

CONCURRENCY_RANGE = (1, 64)
MAX_USER_ID_LENGTH = 256
# A task's message lists this many failed users by name; the results hold them all.
FAILURES_NAMED = 10


def utc_now():
    """The current time as ISO 8601 UTC with milliseconds, e.g. 2026-11-25T04:05:06.789Z."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (now.microsecond // 1000)


def normalise_user_ids(values, option="user_id"):
    """Stripped, distinct user ids in first-seen order; SettingsError names a bad item."""
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, (list, tuple)) or not values:
        raise SettingsError("%s: give one user id or a non-empty list of user ids" % option)
    seen = set()
    user_ids = []
    for number, value in enumerate(values, 1):
        where = "%s: item %d" % (option, number) if len(values) > 1 else option
        if not isinstance(value, str):
            raise SettingsError("%s must be a string (a CXone user id), got %s" % (where, type(value).__name__))
        user_id = value.strip()
        if not user_id:
            raise SettingsError("%s is empty; each user id must be a CXone user id such as "
                                "11111111-2222-3333-4444-555555555555" % where)
        if any(ord(char) < 32 or 127 <= ord(char) < 160 for char in user_id):
            raise SettingsError("%s (%r) contains a control character" % (where, user_id))
        if len(user_id) > MAX_USER_ID_LENGTH:
            raise SettingsError("%s is %d characters long; user ids have at most %d"
                                % (where, len(user_id), MAX_USER_ID_LENGTH))
        if user_id not in seen:
            seen.add(user_id)
            user_ids.append(user_id)
    return user_ids


def check_concurrency(value):
    low, high = CONCURRENCY_RANGE
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SettingsError("concurrency: must be a whole number from %d to %d, got %r" % (low, high, value))
    return value


def result_entry(user_id, outcome, http_status=None, contact_id=None, description=None, attempts=0,
                 unanswered_attempts=0, msg=None, requested_at=None, answered_at=None):
    """One agent's result, with every key always present."""
    return {
        "user_id": user_id,
        "outcome": outcome,
        "http_status": http_status,
        "contact_id": contact_id,
        "description": description,
        "attempts": attempts,
        "unanswered_attempts": unanswered_attempts,
        "msg": msg,
        "requested_at": requested_at,
        "answered_at": answered_at,
    }


class RecordingApi:
    """Sends one operation for one agent and turns the answer into a result entry.

    ``token_source`` has ``bearer()``, ``confirm(fingerprint)`` and ``renew(fingerprint)``:
    the in-process ``Authenticator`` or the connection plugin's broker.
    """

    def __init__(self, token_source, transport, base_url, api_path):
        self.token_source = token_source
        self.transport = transport
        self.base_url = base_url.rstrip("/") + api_path
        # Tokens CXone accepted, each confirmed to the token source once: a renewed token
        # rejected before it ever worked stops renewals (see Authenticator.renew).
        self._confirmed = set()

    def send(self, operation, user_id, media_type=None, no_active_call="fail"):
        requested_at = utc_now()
        params = {"userId": user_id}
        if operation is START:
            params["mediaType"] = media_type
        url = "%s/%s" % (self.base_url, operation.path)
        attempts = unanswered = 0
        try:
            token = self.token_source.bearer()[0]
            for renewal in (False, True):
                reply = self.transport.request("POST", url, operation.action, params=params,
                                               headers={"Authorization": "Bearer " + token,
                                                        "Accept": "application/json"})
                attempts += reply.attempts
                unanswered += reply.unanswered_attempts
                fingerprint = token_fingerprint(token)
                if reply.status != 401:
                    if fingerprint not in self._confirmed:
                        self._confirmed.add(fingerprint)
                        self.token_source.confirm(fingerprint)
                    break
                if renewal:
                    break
                token = self.token_source.renew(fingerprint)[0]
        except CxoneError as exc:
            attempts += getattr(exc, "attempts", 0)
            unanswered += getattr(exc, "unanswered_attempts", 0)
            return result_entry(user_id, "failed", getattr(exc, "status", None), attempts=attempts,
                                unanswered_attempts=unanswered, msg="user %s: %s" % (user_id, exc.msg),
                                requested_at=requested_at, answered_at=utc_now())
        return _entry_from_reply(user_id, reply, no_active_call, attempts, unanswered, requested_at, token)


def _entry_from_reply(user_id, reply, no_active_call, attempts, unanswered, requested_at, token):
    body = reply.body if isinstance(reply.body, dict) else {}
    contact_id = body.get("contactId")
    if isinstance(contact_id, bool) or not isinstance(contact_id, (str, int)) or contact_id == "":
        contact_id = None
    elif isinstance(contact_id, int):
        contact_id = str(contact_id)
    description = redact(reply.message, (token,))
    msg = None
    if reply.status == 202:
        outcome = "accepted"
    elif reply.ok:
        outcome = "completed"
    elif reply.status == 404 and no_active_call == "skip":
        outcome = "skipped"
        msg = "user %s has no active call, skipped (%s)" % (user_id, describe_failure(404, description, NO_HINTS))
    else:
        outcome = "failed"
        msg = "user %s: %s" % (user_id, describe_failure(reply.status, description))
    if unanswered:
        note = "%d earlier attempt(s) got no answer and may have taken effect" % unanswered
        msg = "%s; %s" % (msg, note) if msg else note
    return result_entry(user_id, outcome, reply.status, contact_id, description, attempts, unanswered,
                        msg, requested_at, utc_now())


def planned_entries(user_ids):
    """Check mode: what would be sent, sending nothing."""
    return [result_entry(user_id, "planned", msg="check mode: nothing was sent") for user_id in user_ids]


def failed_entries(user_ids, error):
    """Every agent failed for one reason found before their requests (e.g. login refused)."""
    now = utc_now()
    return [result_entry(user_id, "failed", getattr(error, "status", None), msg=error.msg,
                         requested_at=now, answered_at=now) for user_id in user_ids]


def run_batch(api, operation, user_ids, media_type=None, no_active_call="fail", concurrency=8):
    """Send ``operation`` for every user id with up to ``concurrency`` requests in flight.

    Returns the entries in input order (``Executor.map`` keeps it).
    """
    def send(user_id):
        try:
            return api.send(operation, user_id, media_type, no_active_call)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            # A batch never loses an agent, even to a fault of this code; the error's type is
            # named, not its text, which could quote a request.
            now = utc_now()
            return result_entry(user_id, "failed", msg="user %s: unexpected error (%s); the request may or may "
                                "not have reached CXone" % (user_id, type(exc).__name__), requested_at=now, answered_at=now)

    if concurrency == 1 or len(user_ids) == 1:
        return [send(user_id) for user_id in user_ids]
    with ThreadPoolExecutor(max_workers=min(concurrency, len(user_ids)),
                            thread_name_prefix="cxone-recording") as pool:
        return list(pool.map(send, user_ids))


def summarise(entries):
    summary = dict.fromkeys(OUTCOMES, 0)
    for entry in entries:
        summary[entry["outcome"]] += 1
    summary["total"] = len(entries)
    return summary


def task_result(operation, entries):
    """The module's return value: per-agent results, a summary and, for one agent, top-level fields."""
    summary = summarise(entries)
    result = {
        "changed": any(entry["outcome"] in CHANGED_OUTCOMES for entry in entries),
        "results": entries,
        "summary": summary,
    }
    if len(entries) == 1:
        for key in ("user_id", "outcome", "http_status", "contact_id"):
            result[key] = entries[0][key]
    failures = [entry for entry in entries if entry["outcome"] == "failed"]
    counts = ", ".join("%s %s" % (summary[outcome], outcome) for outcome in OUTCOMES if summary[outcome])
    if failures:
        result["failed"] = True
        result["msg"] = "%s failed for %d of %d user(s): %s" % (
            operation.action, len(failures), len(entries), _failure_summary(failures))
    else:
        result["msg"] = "%s: %s" % (operation.action, counts)
    return result


def _failure_summary(failures):
    """The failures' messages; one shared reason (a refused login, say) is given once."""
    shown = failures[:FAILURES_NAMED]
    more = len(failures) - len(shown)
    if len(failures) > 1 and len({entry["msg"] for entry in failures}) == 1:
        names = ", ".join(entry["user_id"] for entry in shown) + (" and %d more" % more if more else "")
        return "%s (users: %s)" % (failures[0]["msg"], names)
    return "; ".join(entry["msg"] for entry in shown) + ("; and %d more (see results)" % more if more else "")
