# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What a recording module returns: one entry per agent, the summary and the task's message.

For internal use by the cxone.recording collection only; not a public API.

``RESULT_FIELDS`` is the one list of an entry's keys; the modules' RETURN documentation is
checked against it by the unit tests.
"""

from __future__ import annotations

import datetime

from ansible_collections.cxone.recording.plugins.module_utils._errors import counted

# unchanged: the agent's status already showed what was asked (only_when_needed); nothing was sent.
OUTCOMES = ("completed", "accepted", "unchanged", "skipped", "failed", "planned")
CHANGED_OUTCOMES = frozenset(("completed", "accepted", "planned"))

RESULT_FIELDS = ("user_id", "outcome", "http_status", "contact_id", "description", "attempts",
                 "unanswered_attempts", "confirmed", "msg", "requested_at", "answered_at")
# With exactly one agent these are repeated at the top level of the task's result.
SINGLE_AGENT_FIELDS = ("user_id", "outcome", "http_status", "contact_id")

# A task's message lists this many failed users by name; the results hold them all.
FAILURES_NAMED = 10


def utc_now():
    """The current time as ISO 8601 UTC with milliseconds, e.g. 2026-11-25T04:05:06.789Z."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (now.microsecond // 1000)


def result_entry(user_id, outcome, http_status=None, contact_id=None, description=None, attempts=0,
                 unanswered_attempts=0, msg=None, requested_at=None, answered_at=None, confirmed=None):
    """One agent's result, with every key of ``RESULT_FIELDS`` present.

    ``confirmed`` is None unless the task waited for the agent's status (``wait``).
    """
    return {
        "user_id": user_id,
        "outcome": outcome,
        "http_status": http_status,
        "contact_id": contact_id,
        "description": description,
        "attempts": attempts,
        "unanswered_attempts": unanswered_attempts,
        "confirmed": confirmed,
        "msg": msg,
        "requested_at": requested_at,
        "answered_at": answered_at,
    }


def failed_entry(user_id, http_status, msg):
    """The entry of an agent that failed before or outside its request (a bad option, a refused login)."""
    now = utc_now()
    return result_entry(user_id, "failed", http_status, msg=msg, requested_at=now, answered_at=now)


def planned_entries(user_ids):
    """Check mode: what would be sent, sending nothing."""
    return [result_entry(user_id, "planned", msg="check mode: nothing was sent") for user_id in user_ids]


def summarise(entries, outcomes=OUTCOMES):
    """How many entries ended with each outcome, and ``total``."""
    summary = dict.fromkeys(outcomes, 0)
    for entry in entries:
        summary[entry["outcome"]] = summary.get(entry["outcome"], 0) + 1
    summary["total"] = len(entries)
    return summary


def task_result(in_words, entries, outcomes=OUTCOMES, changed_outcomes=CHANGED_OUTCOMES,
                single_agent_fields=SINGLE_AGENT_FIELDS):
    """The module's return value: per-agent results, a summary and, for one agent, top-level fields.

    ``in_words`` names what was done ("stop recording") at the start of the task's message.
    The task fails when any entry's outcome is ``failed``.
    """
    summary = summarise(entries, outcomes)
    result = {
        "changed": any(entry["outcome"] in changed_outcomes for entry in entries),
        "results": entries,
        "summary": summary,
    }
    if len(entries) == 1:
        for key in single_agent_fields:
            result[key] = entries[0][key]
    failures = [entry for entry in entries if entry["outcome"] == "failed"]
    if failures:
        result["failed"] = True
        result["msg"] = "%s failed for %d of %s: %s" % (
            in_words, len(failures), counted(len(entries), "user"), _failure_summary(failures))
    else:
        counts = ", ".join("%s %s" % (summary[outcome], outcome) for outcome in outcomes if summary[outcome])
        result["msg"] = "%s: %s" % (in_words, counts)
    return result


def _failure_summary(failures):
    """The failures' messages; one shared reason (a refused login, say) is given once."""
    shown = failures[:FAILURES_NAMED]
    more = len(failures) - len(shown)
    if len(failures) > 1 and len({entry["msg"] for entry in failures}) == 1:
        names = ", ".join(entry["user_id"] for entry in shown) + (" and %d more" % more if more else "")
        return "%s (users: %s)" % (failures[0]["msg"], names)
    return "; ".join(entry["msg"] for entry in shown) + ("; and %d more (see results)" % more if more else "")


def exit_task(module, result):
    """End the task: a failure when any agent failed (every agent's result still returned)."""
    if result.get("failed"):
        module.fail_json(**result)
    module.exit_json(**result)
