# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The Record on Demand operations, and what a recording module's task does with them.

For internal use by the cxone.recording collection only; not a public API.

A module is its documentation, ``argument_spec(OPERATION)`` and ``run_task(module, OPERATION)``.
A new operation is one line in the table below plus its module file.
"""

from __future__ import annotations

from collections import namedtuple

from ansible_collections.cxone.recording.plugins.module_utils._batch import run_batch
from ansible_collections.cxone.recording.plugins.module_utils._errors import (
    NO_HINTS,
    CxoneError,
    describe_failure,
)
from ansible_collections.cxone.recording.plugins.module_utils._options import (
    CONCURRENCY_OPTION,
    USER_ID_OPTION,
    check_concurrency,
    normalise_user_ids,
)
from ansible_collections.cxone.recording.plugins.module_utils._results import (
    failed_entries,
    planned_entries,
    result_entry,
    task_result,
    utc_now,
)
from ansible_collections.cxone.recording.plugins.module_utils._session import open_session
from ansible_collections.cxone.recording.plugins.module_utils._settings import connection_argument_spec

# path: after recording_api_path; in_words: what it does, in messages; takes_media_type: whether
# it has the media_type option (query parameter mediaType).
Operation = namedtuple("Operation", "path in_words takes_media_type")

START = Operation("start-recording-on-demand", "start recording", True)
STOP = Operation("stop-recording-on-demand", "stop recording", False)
DO_NOT_RECORD = Operation("do-not-record", "do not record", False)

MEDIA_TYPES = ("voice", "voiceAndScreen")
NO_ACTIVE_CALL_CHOICES = ("fail", "skip")


def argument_spec(operation):
    """The module's options: the agents, the batch, ``media_type`` if it takes one, the connection settings."""
    spec = {
        "user_id": dict(USER_ID_OPTION),
        "no_active_call": {"type": "str", "default": "fail", "choices": list(NO_ACTIVE_CALL_CHOICES)},
        "concurrency": dict(CONCURRENCY_OPTION),
    }
    if operation.takes_media_type:
        spec["media_type"] = {"type": "str", "default": "voice", "choices": list(MEDIA_TYPES)}
    spec.update(connection_argument_spec())
    return spec


def send(session, operation, user_id, media_type=None, no_active_call="fail"):
    """Send ``operation`` for one agent and turn CXone's answer into the agent's result entry."""
    requested_at = utc_now()
    params = {"userId": user_id}
    if operation.takes_media_type:
        params["mediaType"] = media_type
    path = "%s/%s" % (session.recording_api_path, operation.path)
    try:
        answer = session.client.request("POST", path, operation.in_words, params=params)
    except CxoneError as exc:
        return result_entry(user_id, "failed", getattr(exc, "status", None), attempts=getattr(exc, "attempts", 0),
                            unanswered_attempts=getattr(exc, "unanswered_attempts", 0),
                            msg="user %s: %s" % (user_id, exc.msg), requested_at=requested_at, answered_at=utc_now())
    return _entry_from_answer(user_id, answer, no_active_call, requested_at)


def _contact_id(body):
    contact_id = body.get("contactId") if isinstance(body, dict) else None
    if isinstance(contact_id, bool) or not isinstance(contact_id, (str, int)) or contact_id == "":
        return None
    return str(contact_id)


def _entry_from_answer(user_id, answer, no_active_call, requested_at):
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
        msg = "user %s: %s" % (user_id, describe_failure(answer.status, answer.message))
    if answer.unanswered_attempts:
        note = "%d earlier attempt(s) got no answer and may have taken effect" % answer.unanswered_attempts
        msg = "%s; %s" % (msg, note) if msg else note
    return result_entry(user_id, outcome, answer.status, _contact_id(answer.body), answer.message, answer.attempts,
                        answer.unanswered_attempts, msg, requested_at, utc_now())


def _unexpected_fault(user_id, exc):
    # The error's type is named, not its text, which could quote a request.
    now = utc_now()
    return result_entry(user_id, "failed", msg="user %s: unexpected error (%s); the request may or may not have "
                        "reached CXone" % (user_id, type(exc).__name__), requested_at=now, answered_at=now)


def run_task(module, operation):
    """Run ``operation`` for the task's agents and return the module's result.

    The user ids are checked first: without valid ones there is nothing to report per agent.
    After that, any failure (a bad setting, a refused login, no API found) fails each agent
    with that reason, so that every user id has its entry and the summary is complete.
    """
    params = module.params
    try:
        user_ids = normalise_user_ids(params["user_id"])
    except CxoneError as exc:
        return dict(exc.to_fail_json(), failed=True, changed=False)
    try:
        concurrency = check_concurrency(params["concurrency"])
        media_type = params.get("media_type") if operation.takes_media_type else None
        with open_session(module, min(concurrency, len(user_ids))) as session:
            if module.check_mode:
                entries = planned_entries(user_ids)
            else:
                entries = run_batch(
                    user_ids, lambda user_id: send(session, operation, user_id, media_type, params["no_active_call"]),
                    _unexpected_fault, concurrency)
    except CxoneError as exc:
        entries = failed_entries(user_ids, exc)
    return task_result(operation.in_words, entries)


def exit_task(module, result):
    """End the task: a failure when any agent failed (every agent's result still returned)."""
    if result.get("failed"):
        module.fail_json(**result)
    module.exit_json(**result)
