# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What a recording module's task does for each agent with one of the operations of ``_operations``.

For internal use by the cxone.recording collection only; not a public API.

``RecordingTask`` is the task ``_batch.run_agent_task`` runs. For each agent (``act``): when
``expected_contacts`` names the agent or ``only_when_needed`` is set, its status is read first;
the request is sent only if the agent is on that contact and the status does not already show
the goal; then, with ``wait``, its status is read until it shows the goal (``confirmed``).
"""

from __future__ import annotations

from collections import namedtuple

from ansible_collections.cxone.recording.plugins.module_utils._errors import (
    NO_ACTIVE_CALL_FIX,
    NO_HINTS,
    CxoneError,
    counted,
    describe_failure,
)
from ansible_collections.cxone.recording.plugins.module_utils._operations import MEDIA_TYPES
from ansible_collections.cxone.recording.plugins.module_utils._options import (
    ADAPTIVE_CONCURRENCY_OPTION,
    CONCURRENCY_OPTION,
    EXPECTED_CONTACTS_OPTION,
    ONLY_WHEN_NEEDED_OPTION,
    USER_ID_OPTION,
    WAIT_OPTIONS,
    check_expected_contacts,
    check_wait_timeout,
)
from ansible_collections.cxone.recording.plugins.module_utils._recording_status import (
    Waiter,
    describe_status,
    on_other_contact,
    read_status,
)
from ansible_collections.cxone.recording.plugins.module_utils._results import (
    failed_entry,
    planned_entries,
    result_entry,
    task_result,
    utc_now,
)
from ansible_collections.cxone.recording.plugins.module_utils._settings import connection_argument_spec

# What a task asks for every agent: media_type (start only), no_active_call, expected_contacts
# ({user id: contact id}), waiter (a Waiter, or None without wait), only_when_needed (read the
# status first and send only where it does not show the target state yet).
TaskOptions = namedtuple("TaskOptions", "media_type no_active_call expected_contacts waiter only_when_needed")

NO_ACTIVE_CALL_CHOICES = ("fail", "skip")


def argument_spec(operation):
    """The module's options: the agents, the batch, ``media_type`` if it takes one, the connection settings."""
    spec = {
        "user_id": dict(USER_ID_OPTION),
        "no_active_call": {"type": "str", "default": "fail", "choices": list(NO_ACTIVE_CALL_CHOICES)},
        "concurrency": dict(CONCURRENCY_OPTION),
        "adaptive_concurrency": dict(ADAPTIVE_CONCURRENCY_OPTION),
    }
    if operation.takes_media_type:
        spec["media_type"] = {"type": "str", "default": "voice", "choices": list(MEDIA_TYPES)}
    if operation.guards_contact:
        spec["expected_contacts"] = dict(EXPECTED_CONTACTS_OPTION)
    spec.update((name, dict(option)) for name, option in WAIT_OPTIONS.items())
    spec["only_when_needed"] = dict(ONLY_WHEN_NEEDED_OPTION)
    spec.update(connection_argument_spec())
    return spec


class RecordingTask:
    """A recording module's task: ``operation`` for each agent (the interface ``_batch.run_agent_task`` runs).

    ``options`` (a ``TaskOptions``) come from ``check_options``, or are given by a test.
    """

    def __init__(self, operation, check_mode, options=None):
        self.operation = operation
        self.check_mode = check_mode
        self.options = options

    def check_options(self, params, user_ids):
        """The per-agent options from the module's parameters, checked before any request."""
        operation = self.operation
        waiter = Waiter(check_wait_timeout(params["wait_timeout"])) if params["wait"] else None
        self.options = TaskOptions(
            params.get("media_type") if operation.takes_media_type else None,
            params["no_active_call"],
            check_expected_contacts(params.get("expected_contacts"), user_ids) if operation.guards_contact else {},
            waiter, params["only_when_needed"])

    def act(self, session, user_id):
        """Everything the task does for one agent: the status read (for the contact guard or
        ``only_when_needed``), the request, the confirmation."""
        operation, options = self.operation, self.options
        expected_contact = options.expected_contacts.get(user_id)
        only_when_needed = options.only_when_needed and status_decides(operation, options)
        status = read_status(session, user_id) if expected_contact is not None or only_when_needed else None
        if expected_contact is not None:
            skipped = guard_contact(expected_contact, status)
            if skipped is not None:
                return skipped
        if only_when_needed and status["outcome"] == "found" and operation.confirmed_when(status):
            return unchanged_entry(operation, status)
        if only_when_needed and status["outcome"] == "no_active_call":
            # The request would be answered 404 too: the status read's answer stands for it.
            skip = options.no_active_call == "skip"
            return result_entry(user_id, "skipped" if skip else "failed", 404, attempts=status["attempts"],
                                msg="%s; nothing was sent%s" % (status["msg"],
                                                                "" if skip else "; " + NO_ACTIVE_CALL_FIX),
                                requested_at=status["requested_at"], answered_at=status["answered_at"])
        if self.check_mode:
            entry = planned_entries([user_id])[0]
            if expected_contact is not None:
                entry["msg"] = "check mode: nothing was sent; the agent is on the expected contact"
            return entry
        entry = send(session, operation, user_id, options, expected_contact)
        if options.waiter is not None and entry["outcome"] in ("completed", "accepted"):
            entry = confirm(session, operation, entry, options.waiter, entry["contact_id"] or expected_contact)
        return entry

    @staticmethod
    def failed_entry(user_id, http_status, msg):
        """The entry of an agent that failed outside ``act`` (a bad option, a refused login)."""
        return failed_entry(user_id, http_status, msg)

    def result(self, entries):
        """The module's return value."""
        return task_result(self.operation.in_words, entries)


class _ContactChanged(CxoneError):
    """Raised before a retry when the agent is no longer on the expected contact (or that could not be read)."""

    def __init__(self, status):
        super().__init__("the agent's contact changed before a retry")
        self.status = status


def _ongoing(status):
    """Where the agent is, in words: "has no active call" or "is on contact X"."""
    if status["outcome"] == "no_active_call":
        return "has no active call"
    return "is on contact %s" % (status["contact_id"] or "unknown")


def send(session, operation, user_id, options, expected_contact=None):
    """Send ``operation`` for one agent and turn CXone's answer into the agent's result entry.

    With ``expected_contact``, the agent's contact is read again before every retry, and the
    retries stop once it is another; an answer naming another contact is never ``completed``.
    """
    requested_at = utc_now()
    method, path, params = operation.request(session.recording_api_path, user_id, options.media_type)

    def still_on_expected_contact():
        status = read_status(session, user_id)
        if status["outcome"] != "found" or status["contact_id"] != expected_contact:
            raise _ContactChanged(status)

    try:
        answer = session.client.request(method, path, operation.in_words, params=params,
                                        before_retry=still_on_expected_contact if expected_contact else None)
    except _ContactChanged as exc:
        return _entry_for_changed_contact(user_id, expected_contact, exc, requested_at)
    except CxoneError as exc:
        return result_entry(user_id, "failed", getattr(exc, "status", None), attempts=getattr(exc, "attempts", 0),
                            unanswered_attempts=getattr(exc, "unanswered_attempts", 0),
                            msg="user %s: %s" % (user_id, exc.msg), requested_at=requested_at, answered_at=utc_now())
    entry = _entry_from_answer(operation, user_id, answer, options.no_active_call, requested_at)
    landed_on = entry["contact_id"]
    if expected_contact and landed_on is not None and landed_on != expected_contact \
            and entry["outcome"] in ("completed", "accepted"):
        entry["outcome"] = "failed"
        entry["msg"] = _joined("user %s: %s landed on contact %s, expected %s: the agent's call changed between "
                               "the last status read and the request" % (user_id, operation.in_words, landed_on,
                                                                         expected_contact), entry["msg"])
    return entry


def _entry_for_changed_contact(user_id, expected_contact, exc, requested_at):
    """The entry of an agent whose retries stopped because its contact changed or could not be read."""
    status = exc.status
    earlier = ("%d earlier attempt was not applied by CXone" if exc.attempts == 1
               else "%d earlier attempts were not applied by CXone") % exc.attempts
    if exc.unanswered_attempts:
        earlier += ", %d of them got no answer and may have taken effect" % exc.unanswered_attempts
    if status["outcome"] == "failed":
        return result_entry(user_id, "failed", status["http_status"], attempts=exc.attempts + status["attempts"],
                            unanswered_attempts=exc.unanswered_attempts,
                            msg="%s; it was needed to check the expected contact %s before retrying, so nothing more "
                            "was sent (%s)" % (status["msg"], expected_contact, earlier),
                            requested_at=requested_at, answered_at=utc_now())
    return result_entry(user_id, "skipped", status["http_status"], status["contact_id"],
                        attempts=exc.attempts + status["attempts"], unanswered_attempts=exc.unanswered_attempts,
                        msg="user %s: expected contact %s, but before a retry the agent %s; nothing more was sent (%s)"
                        % (user_id, expected_contact, _ongoing(status), earlier),
                        requested_at=requested_at, answered_at=utc_now())


def guard_contact(expected_contact, status):
    """None when ``status`` shows the agent on ``expected_contact``; else the agent's entry (nothing sent)."""
    user_id, requested_at = status["user_id"], status["requested_at"]
    if status["outcome"] == "found" and status["contact_id"] == expected_contact:
        return None
    if status["outcome"] == "failed":
        return result_entry(user_id, "failed", status["http_status"], attempts=status["attempts"],
                            msg="%s; it was needed to check the expected contact %s, so nothing was sent"
                            % (status["msg"], expected_contact), requested_at=requested_at, answered_at=utc_now())
    return result_entry(user_id, "skipped", status["http_status"], status["contact_id"], attempts=status["attempts"],
                        msg="user %s: expected contact %s, but the agent %s; nothing was sent"
                        % (user_id, expected_contact, _ongoing(status)), requested_at=requested_at,
                        answered_at=utc_now())


def confirm(session, operation, entry, waiter, contact_id=None):
    """Wait until the agent's status shows what ``operation`` asked for, on ``contact_id``; the entry says whether it did."""
    waited = waiter.wait(session, entry["user_id"], operation.confirmed_when, contact_id)
    entry["attempts"] += waited.reads
    entry["confirmed"] = waited.confirmed
    entry["answered_at"] = utc_now()
    if waited.confirmed:
        entry["outcome"] = "completed"
        return entry
    entry["outcome"] = "failed"
    if on_other_contact(waited.status, waited.contact_id):
        note = ("user %s: CXone answered HTTP %s for contact %s, but then the agent %s: the call ended or changed "
                "before its status showed %s" % (entry["user_id"], entry["http_status"],
                                                 waited.contact_id or "unknown", _ongoing(waited.status),
                                                 operation.goal))
    else:
        note = ("user %s: CXone answered HTTP %s, but the agent's status did not show %s within %d s; last status "
                "read: %s" % (entry["user_id"], entry["http_status"], operation.goal, waiter.timeout,
                              describe_status(waited.status)))
    entry["msg"] = _joined(note, entry["msg"])
    return entry


def _joined(note, msg):
    return "%s; %s" % (note, msg) if msg else note


def status_decides(operation, options):
    """Whether the agent's status can tell that ``operation`` is not needed.

    It cannot for a start of voice and screen: the status does not say which media are recorded.
    """
    return not (operation.takes_media_type and options.media_type != "voice")


def unchanged_entry(operation, status):
    """The entry of an agent whose status already shows what ``operation`` asks for: nothing sent."""
    return result_entry(status["user_id"], "unchanged", status["http_status"], status["contact_id"],
                        attempts=status["attempts"], msg="already %s (%s); nothing was sent"
                        % (operation.goal, describe_status(status)),
                        requested_at=status["requested_at"], answered_at=status["answered_at"])


def _contact_id(body):
    contact_id = body.get("contactId") if isinstance(body, dict) else None
    if isinstance(contact_id, bool) or not isinstance(contact_id, (str, int)) or contact_id == "":
        return None
    return str(contact_id)


def _entry_from_answer(operation, user_id, answer, no_active_call, requested_at):
    msg = None
    if answer.ok and answer.html:
        # A proxy or portal's page, not CXone's API: the request may never have reached CXone.
        outcome = "failed"
        msg = ("user %s: HTTP %s with %s instead of CXone's answer; a proxy or portal may have answered "
               "for CXone, so the request may not have reached it" % (user_id, answer.status, answer.message))
    elif answer.status == 202:
        outcome = "accepted"
    elif answer.ok:
        outcome = "completed"
        if answer.not_json:
            msg = "CXone answered HTTP %s with a body that is not JSON (%s)" % (answer.status, answer.message)
    elif answer.status == 404 and no_active_call == "skip":
        outcome = "skipped"
        msg = "user %s has no active call, skipped (%s)" % (user_id, describe_failure(404, answer.message, NO_HINTS))
    else:
        outcome = "failed"
        msg = "user %s: %s" % (user_id, describe_failure(answer.status, answer.message, operation.hints))
    if answer.unanswered_attempts:
        note = "%s got no answer and may have taken effect" % counted(answer.unanswered_attempts, "earlier attempt")
        msg = "%s; %s" % (msg, note) if msg else note
    return result_entry(user_id, outcome, answer.status, _contact_id(answer.body), answer.message, answer.attempts,
                        answer.unanswered_attempts, msg, requested_at, utc_now())
