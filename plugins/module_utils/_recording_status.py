# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Reading an agent's recording status, and waiting until it shows what an operation asked for.

For internal use by the cxone.recording collection only; not a public API.

``GET <recording_api_path>/get-recording-status?userId=`` answers the agent's ongoing contact
and whether it is being recorded (every field optional). The same reading serves the
``cxone_recording_info`` module, the recording modules' ``wait`` (proof that an accepted
request took effect) and their ``expected_contacts`` guard (an action meant for one call must
not land on the agent's next one).
"""

from __future__ import annotations

import time
from collections import namedtuple

from ansible_collections.cxone.recording.plugins.module_utils._errors import CxoneError, describe_failure
from ansible_collections.cxone.recording.plugins.module_utils._results import utc_now

STATUS_PATH = "get-recording-status"

STATUS_OUTCOMES = ("found", "no_active_call", "failed")
STATUS_FIELDS = ("user_id", "outcome", "http_status", "contact_id", "segment_id", "interaction_id",
                 "recording_status_to_agent", "recording_status_from_agent", "status_reason", "attempts",
                 "msg", "requested_at", "answered_at")
# Entry field <- CXone's key.
_ANSWER_KEYS = (("contact_id", "contactId"), ("segment_id", "segmentId"), ("interaction_id", "interactionId"),
                ("recording_status_to_agent", "recordingStatusToAgent"),
                ("recording_status_from_agent", "recordingStatusFromAgent"), ("status_reason", "statusReason"))

# Polling while waiting: the first read after this many seconds, doubling up to the cap.
WAIT_FIRST_DELAY = 0.5
WAIT_DELAY_CAP = 5.0
# Each read of a wait has at least this long to be answered; none starts with less left.
MIN_READ_BUDGET = 0.5


def status_entry(user_id, outcome, http_status=None, attempts=0, msg=None, requested_at=None, answered_at=None,
                 **fields):
    """One agent's status, with every key of ``STATUS_FIELDS`` present."""
    entry = dict.fromkeys(STATUS_FIELDS)
    entry.update(user_id=user_id, outcome=outcome, http_status=http_status, attempts=attempts, msg=msg,
                 requested_at=requested_at, answered_at=answered_at)
    entry.update(fields)
    return entry


def _text(value):
    """CXone's value as a string, or None for a missing, empty or odd one (a number is kept as text)."""
    if isinstance(value, bool) or not isinstance(value, (str, int)) or value == "":
        return None
    return str(value)


def read_status(session, user_id, budget=None):
    """The recording status of one agent, as a ``STATUS_FIELDS`` entry; never raises ``CxoneError``.

    Outcome ``found`` (HTTP 2xx), ``no_active_call`` (HTTP 404: the agent is on no call) or
    ``failed`` (any other answer, or none). ``budget`` bounds the seconds spent, retries included.
    """
    requested_at = utc_now()
    path = "%s/%s" % (session.recording_api_path, STATUS_PATH)
    try:
        answer = session.client.request("GET", path, "read recording status", params={"userId": user_id},
                                        budget=budget)
    except CxoneError as exc:
        return status_entry(user_id, "failed", getattr(exc, "status", None), getattr(exc, "attempts", 0),
                            "user %s: %s" % (user_id, exc.msg), requested_at, utc_now())
    if answer.ok and not answer.not_json:
        body = answer.body if isinstance(answer.body, dict) else {}
        fields = {field: _text(body.get(key)) for field, key in _ANSWER_KEYS}
        return status_entry(user_id, "found", answer.status, answer.attempts, None, requested_at, utc_now(), **fields)
    if answer.status == 404:
        return status_entry(user_id, "no_active_call", 404, answer.attempts,
                            "user %s has no active call (%s)" % (user_id, describe_failure(404, answer.message, {})),
                            requested_at, utc_now())
    if answer.ok:
        problem = "HTTP %s with a body that is not CXone's JSON (%s)" % (answer.status, answer.message)
    else:
        problem = describe_failure(answer.status, answer.message)
    return status_entry(user_id, "failed", answer.status, answer.attempts, "user %s: %s" % (user_id, problem),
                        requested_at, utc_now())


def describe_status(status):
    """The status in words for a message: contact, recording state and reason."""
    if status["outcome"] == "no_active_call":
        return "no active call"
    if status["outcome"] != "found":
        return "status unknown (%s)" % status["msg"]
    return "contact %s, recording status %s, reason %s" % (
        status["contact_id"] or "unknown", status["recording_status_to_agent"] or "none",
        status["status_reason"] or "none")


def on_other_contact(status, contact_id):
    """True when the status shows the agent on no call, or on a contact other than ``contact_id``."""
    if status["outcome"] == "no_active_call":
        return True
    return status["outcome"] == "found" and status["contact_id"] is not None and contact_id is not None \
        and status["contact_id"] != contact_id


# What a wait found: ``confirmed`` (the condition held on the contact), ``status`` (the last read),
# ``reads`` (how many), ``contact_id`` (the contact waited on: the one given, else the first read's).
WaitResult = namedtuple("WaitResult", "confirmed status reads contact_id")


class Waiter:
    """Reads an agent's status until a condition holds or ``timeout`` seconds have passed.

    Each worker of a batch waits for its own agent, so waiting shares the batch's concurrency
    and its token. ``timeout`` bounds the whole wait, each read's retries included. ``sleep``
    and ``clock`` are injectable for tests.
    """

    def __init__(self, timeout, sleep=time.sleep, clock=time.monotonic):
        self.timeout = timeout
        self._sleep = sleep
        self._clock = clock

    def wait(self, session, user_id, condition, contact_id=None):
        """A ``WaitResult``; reads once at least, then backs off until the deadline.

        Only a status of ``contact_id`` (when None, of the contact the first read shows) can
        confirm. The wait ends at once, unconfirmed, when the agent is on no call or on another
        contact: the call the request was for ended or changed, and will show nothing more.
        """
        deadline = self._clock() + self.timeout
        delay = WAIT_FIRST_DELAY
        reads = 0
        status = None
        while True:
            left = deadline - self._clock()
            if status is not None and left <= MIN_READ_BUDGET:
                return WaitResult(False, status, reads, contact_id)
            # The last read comes early enough to be answered before the deadline.
            self._sleep(max(0.0, min(delay, left - MIN_READ_BUDGET)))
            status = read_status(session, user_id, budget=max(deadline - self._clock(), MIN_READ_BUDGET))
            reads += 1
            if contact_id is None and status["outcome"] == "found":
                contact_id = status["contact_id"]
            if on_other_contact(status, contact_id):
                return WaitResult(False, status, reads, contact_id)
            if status["outcome"] == "found" and condition(status):
                return WaitResult(True, status, reads, contact_id)
            delay = min(delay * 2, WAIT_DELAY_CAP)
