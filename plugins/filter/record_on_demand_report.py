# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The filter that turns a plan's batches and the recording tasks' results into one report.

Every agent the plan names gets an entry for each action it is in, whatever happened to its
task: an agent missing from a task's results (the task failed before sending, for example
without credentials) is reported as failed with the task's message, so the report never
loses an agent.
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: record_on_demand_report
short_description: Report every agent's outcome of a Record on Demand plan
version_added: 1.0.0
author:
  - cxone.recording contributors (@cxone-recording)
description:
  - Combines the batches of P(cxone.recording.record_on_demand_plan#filter) with the registered
    results of the recording tasks that applied them into one report, with an entry per agent
    and action, counts per action and per outcome, and one readable summary line per action.
  - An agent that a task's C(results) do not list (the task failed before sending anything)
    is reported as V(failed) with the task's message.
  - Agents of the plan's conflicts (do-not-record and start for the same agent) are reported
    under V(start) with outcome V(conflict); they count as handled, not as failed.
  - The role C(cxone.recording.record_on_demand) uses it to set its fact C(record_on_demand_report).
options:
  _input:
    description: The batches, as P(cxone.recording.record_on_demand_plan#filter) returns them.
    type: dict
    required: true
  do_not_record:
    description: The registered result of the M(cxone.recording.cxone_do_not_record) task (or nothing when it did not run).
    type: dict
  stop:
    description: The registered result of the M(cxone.recording.cxone_recording_stop) task.
    type: dict
  start_voice:
    description: The registered result of the M(cxone.recording.cxone_recording_start) task for V(voice).
    type: dict
  start_voice_and_screen:
    description: The registered result of the M(cxone.recording.cxone_recording_start) task for V(voiceAndScreen).
    type: dict
  mask:
    description: The registered result of the M(cxone.recording.cxone_recording_mask) task.
    type: dict
  unmask:
    description: The registered result of the M(cxone.recording.cxone_recording_unmask) task.
    type: dict
seealso:
  - plugin: cxone.recording.record_on_demand_plan
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Stop recording for a team
  cxone.recording.cxone_recording_stop:
    user_ids: "{{ batches.stop }}"
  register: stopped
  failed_when: false
  when: batches.stop | length > 0

- name: Report every agent's outcome
  ansible.builtin.set_fact:
    report: "{{ batches | cxone.recording.record_on_demand_report(stop=stopped) }}"

- name: One line per action
  ansible.builtin.debug:
    msg: "{{ report.summary }}"
# report.summary:
#   - "do_not_record: no agents, not run"
#   - "stop: 2 agents: 1 completed, 1 skipped"
#   - "start: no agents, not run"
"""

RETURN = r"""
_value:
  description: The report.
  type: dict
  contains:
    results:
      description:
        - One entry per agent and action, do-not-record first, then stop, then start, each in
          the plan's order.
        - Each has C(user_id), C(action), C(media_type) (start only, else null), C(outcome)
          (V(completed), V(accepted), V(unchanged), V(planned), V(skipped), V(conflict) or V(failed)),
          C(http_status), C(contact_id), C(attempts) and C(msg) (why, or CXone's description).
      type: list
      elements: dict
    by_action:
      description: Per action, C(total) and the count of each outcome that occurred.
      type: dict
    by_outcome:
      description: The count of each outcome that occurred, over all actions, and C(total).
      type: dict
    failed:
      description: The entries of C(results) whose outcome is V(failed).
      type: list
      elements: dict
    summary:
      description: One readable line per action (do-not-record, stop, start, mask, unmask), also for actions with no agents.
      type: list
      elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.cxone.recording.plugins.module_utils._errors import counted
from ansible_collections.cxone.recording.plugins.module_utils._operations import PLANNED, START

ACTIONS = tuple(operation.name for operation in PLANNED)
# (action, media type or None, the keyword naming its task's registered result), in the plan's order.
BATCHES = tuple((operation.name, media_type, keyword) for operation in PLANNED
                for media_type, keyword in operation.plan_batches())
OUTCOMES = ("completed", "accepted", "unchanged", "planned", "skipped", "conflict", "failed")
CONFLICT_MSG = "not started: the same plan marks this agent's call do-not-record"


def _entry(user_id, action, media_type, found, task):
    """One agent's report entry from its result entry, or from its task when it has none."""
    if found is None:
        why = (task or {}).get("msg") or "the task returned no result for this agent"
        return {"user_id": user_id, "action": action, "media_type": media_type, "outcome": "failed",
                "http_status": None, "contact_id": None, "attempts": 0, "msg": why}
    return {"user_id": user_id, "action": action, "media_type": media_type,
            "outcome": found.get("outcome") or "failed", "http_status": found.get("http_status"),
            "contact_id": found.get("contact_id"), "attempts": found.get("attempts") or 0,
            "msg": found.get("msg") or found.get("description") or ""}


def _batch_entries(user_ids, action, media_type, task):
    task = task if isinstance(task, dict) else {}
    by_user = {}
    for found in task.get("results") or []:
        if isinstance(found, dict) and found.get("user_id") is not None:
            by_user.setdefault(found["user_id"], found)
    return [_entry(user_id, action, media_type, by_user.get(user_id), task) for user_id in user_ids]


def _summary_line(action, counts):
    if not counts:
        return "%s: no agents, not run" % action
    total = counts["total"]
    parts = ", ".join("%d %s" % (counts[outcome], outcome) for outcome in OUTCOMES if outcome in counts)
    return "%s: %s: %s" % (action, counted(total, "agent"), parts)


def record_on_demand_report(batches, **task_results):
    """The report of a plan's batches and the results of the tasks that applied them (keywords of ``BATCHES``)."""
    if not isinstance(batches, dict) or not all(action in batches for action in ACTIONS):
        raise AnsibleFilterError("record_on_demand_report: its input must be the batches of the "
                                 "cxone.recording.record_on_demand_plan filter")
    unknown = sorted(set(task_results) - {keyword for _action, _media, keyword in BATCHES})
    if unknown:
        raise AnsibleFilterError("record_on_demand_report: unknown keyword %s; the tasks' results are given as %s"
                                 % (", ".join(unknown), ", ".join(keyword for _action, _media, keyword in BATCHES)))
    results = []
    for action, media_type, keyword in BATCHES:
        user_ids = batches[action].get(media_type, []) if media_type else batches[action]
        results += _batch_entries(user_ids, action, media_type, task_results.get(keyword))
    results += [{"user_id": user_id, "action": START.name, "media_type": None, "outcome": "conflict",
                 "http_status": None, "contact_id": None, "attempts": 0, "msg": CONFLICT_MSG}
                for user_id in batches.get("conflicts", [])]

    by_action = {action: {} for action in ACTIONS}
    by_outcome = {}
    for entry in results:
        counts = by_action[entry["action"]]
        counts[entry["outcome"]] = counts.get(entry["outcome"], 0) + 1
        counts["total"] = counts.get("total", 0) + 1
        by_outcome[entry["outcome"]] = by_outcome.get(entry["outcome"], 0) + 1
    by_outcome["total"] = len(results)
    return {
        "results": results,
        "by_action": by_action,
        "by_outcome": by_outcome,
        "failed": [entry for entry in results if entry["outcome"] == "failed"],
        "summary": [_summary_line(action, by_action[action]) for action in ACTIONS],
    }


class FilterModule:  # pylint: disable=too-few-public-methods
    """The cxone.recording.record_on_demand_report filter."""

    def filters(self):
        return {"record_on_demand_report": record_on_demand_report}
