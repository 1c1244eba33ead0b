# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The filter that checks a Record on Demand plan and turns it into one batch per action.

The role ``cxone.recording.record_on_demand`` runs it before any request: everything a plan can
get wrong (unknown keys, empty ids, a media type on a stop, an agent both stopped and started)
is refused here, with the entry number and the key, so that nothing reaches CXone for a plan
that cannot be applied as a whole.
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: record_on_demand_plan
short_description: Check a Record on Demand plan and merge it into one batch per action
version_added: 1.0.0
author:
  - cxone.recording contributors (@cxone-recording)
description:
  - Checks a plan, a list of entries C({action, user_ids, media_type}), and merges its entries
    into one list of agents per action, each agent once, in the order the plan first names it.
  - Refuses the whole plan, naming every problem with its entry number and key, when an entry
    has an unknown action or key, no user ids or an empty one, a C(media_type) on an entry
    that is not a start, or when the plan is ambiguous.
  - "Ambiguous: an agent in both a stop and a start entry, or in two start entries with
    different media types. Such a plan is refused rather than guessed at."
  - "An agent in both a do-not-record and a start entry is a conflict, not an error: the
    customer's refusal wins, the agent is not started and is listed in RV(_value.conflicts)."
  - The role C(cxone.recording.record_on_demand) uses it; it is documented for those who build
    their own plays around the recording modules.
options:
  _input:
    description:
      - The plan, a list of entries, or the same list as JSON or YAML text (what an AWX survey's
        textarea gives).
      - Each entry has C(action) (V(start), V(stop), V(do_not_record), V(mask) or V(unmask)),
        C(user_ids) (one user id, a comma-separated string or a list; C(user_id) is an alias) and,
        for V(start) only, C(media_type) (V(voice), the default, or V(voiceAndScreen)).
      - Instead of or besides C(user_ids), an entry may name agents by C(user_names) (login
        names), C(emails) or C(teams) (team names); these are looked up with
        M(cxone.recording.cxone_user_info) and resolved through O(users).
    type: raw
    required: true
  users:
    description:
      - The RV(cxone.recording.cxone_user_info#module:users) of a M(cxone.recording.cxone_user_info)
        task run with the plan's RV(_value.selectors). Each entry's C(user_names), C(emails) and
        C(teams) become the user ids of the users they match, exactly but ignoring case; a value
        that matches none of them is a problem of the plan.
      - Left out, the selectors are only collected in RV(_value.selectors) and the batches hold
        the entries' C(user_ids).
    type: list
    elements: dict
  errors:
    description:
      - What a plan that cannot be applied does.
      - V(raise) fails the task that uses the filter, with every problem in the error's message
        (Ansible adds the task's and the filter's names before it).
      - V(return) returns the message in RV(_value.error) instead, with empty batches, so that a
        task of its own can show it as it is (C(ansible.builtin.fail)); the role
        C(cxone.recording.record_on_demand) does this.
    type: str
    choices: [raise, return]
    default: raise
    version_added: 1.0.0
seealso:
  - plugin: cxone.recording.record_on_demand_report
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Merge a plan into one batch per action
  ansible.builtin.set_fact:
    batches: "{{ plan | cxone.recording.record_on_demand_plan }}"
  vars:
    plan:
      - action: do_not_record
        user_id: 11111111-0000-4000-8000-000000000001
      - action: start
        user_ids: [11111111-0000-4000-8000-000000000001, 11111111-0000-4000-8000-000000000002]
        media_type: voiceAndScreen
# batches:
#   do_not_record: [11111111-0000-4000-8000-000000000001]
#   stop: []
#   start: {voice: [], voiceAndScreen: [11111111-0000-4000-8000-000000000002]}
#   conflicts: [11111111-0000-4000-8000-000000000001]
#   agents: 2
#   selectors: {user_name: [], email: [], team: []}

- name: Look up the agents a plan names by team or login name
  cxone.recording.cxone_user_info:
    user_name: "{{ (plan | cxone.recording.record_on_demand_plan).selectors.user_name }}"
    team: "{{ (plan | cxone.recording.record_on_demand_plan).selectors.team }}"
  register: found
  vars:
    plan:
      - action: stop
        teams: [Billing EMEA]
      - action: start
        user_names: [jdoe]

- name: Merge the plan with the agents found
  ansible.builtin.set_fact:
    batches: "{{ plan | cxone.recording.record_on_demand_plan(users=found.users) }}"

- name: Check a plan and fail with the plan's own message (no filter or set_fact wording around it)
  ansible.builtin.fail:
    msg: "{{ checked.error }}"
  when: checked.error is not none
  vars:
    checked: "{{ plan | cxone.recording.record_on_demand_plan(errors='return') }}"
"""

RETURN = r"""
_value:
  description: The plan as one batch per action.
  type: dict
  contains:
    do_not_record:
      description: The agents whose ongoing call is marked do-not-record.
      type: list
      elements: str
    stop:
      description: The agents whose recording stops.
      type: list
      elements: str
    start:
      description: The agents whose recording starts, per media type (V(voice), V(voiceAndScreen)).
      type: dict
    mask:
      description: The agents whose call's recording is masked.
      type: list
      elements: str
    unmask:
      description: The agents whose call's recording is unmasked.
      type: list
      elements: str
    conflicts:
      description: Agents of start entries that are also in a do-not-record entry; they are not started.
      type: list
      elements: str
    agents:
      description: How many distinct agents the plan names.
      type: int
    selectors:
      description:
        - The plan's C(user_names), C(emails) and C(teams), each value once, as the options
          C(user_name), C(email) and C(team) of M(cxone.recording.cxone_user_info).
      type: dict
    error:
      description:
        - With O(errors=return) only. Null for a plan that can be applied; otherwise the message
          O(errors=raise) would fail with, naming every problem, and the batches are empty.
      type: str
"""

import yaml
from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.cxone.recording.plugins.module_utils._identifiers import user_id_problem
from ansible_collections.cxone.recording.plugins.module_utils._operations import (
    DO_NOT_RECORD,
    MEDIA_TYPES,
    PLANNED,
    by_name,
)

ACTIONS = tuple(operation.name for operation in PLANNED)
# Selector keys of an entry -> the cxone_user_info option and the user field they match.
SELECTOR_KEYS = (("user_names", "user_name"), ("emails", "email"), ("teams", "team_name"))
SELECTOR_OPTIONS = {"user_names": "user_name", "emails": "email", "teams": "team"}
ENTRY_KEYS = ("action", "user_ids", "user_id", "media_type") + tuple(key for key, _field in SELECTOR_KEYS)
# A refusal names this many ambiguous agents; a longer plan would bury the message.
AGENTS_NAMED = 10


class PlanError(AnsibleFilterError):
    """A plan that cannot be applied; ``plan_message`` is the message as the filter words it."""

    def __init__(self, message):
        super().__init__(message)
        self.plan_message = message


def _entry_user_ids(entry, problems, where):
    """The entry's stripped user ids (a string is split at commas, as for any list option)."""
    if "user_ids" in entry and "user_id" in entry:
        problems.append("%s: give user_ids or its alias user_id, not both" % where)
        return []
    key = "user_id" if "user_id" in entry else "user_ids"
    if key not in entry or entry[key] is None:
        if not any(entry.get(selector) for selector, _field in SELECTOR_KEYS):
            problems.append("%s: user_ids is missing; give one user id or a list of them (or user_names, "
                            "emails or teams)" % where)
        return []
    values = entry[key]
    if isinstance(values, str):
        values = values.split(",")
    if not isinstance(values, (list, tuple)):
        problems.append("%s: %s must be a user id or a list of user ids, got %s" % (where, key, type(values).__name__))
        return []
    if not values:
        problems.append("%s: %s is empty; give at least one user id" % (where, key))
        return []
    user_ids = []
    for number, value in enumerate(values, 1):
        item = "%s: %s item %d" % (where, key, number)
        # The same rules as the modules' user_id option, so that a plan fails before its first batch.
        user_id = value.strip() if isinstance(value, str) else value
        problem = user_id_problem(user_id)
        if problem:
            problems.append("%s %s" % (item, problem))
        else:
            user_ids.append(user_id)
    return user_ids


def _check_entry(number, entry, problems):
    """(action, media type or None, user ids) of one entry; its problems go to ``problems``."""
    where = "entry %d" % number
    if not isinstance(entry, dict):
        problems.append("%s: must be a dictionary with action and user_ids, got %s" % (where, type(entry).__name__))
        return None
    unknown = sorted(to_text(key) for key in entry if key not in ENTRY_KEYS)
    if unknown:
        problems.append("%s: unknown key %s (an entry has action, user_ids or user_id, and media_type for start)"
                        % (where, ", ".join(unknown)))
    action = entry.get("action")
    if action is None:
        problems.append("%s: action is missing; use one of %s" % (where, ", ".join(ACTIONS)))
    elif action not in ACTIONS:
        problems.append("%s: action %r is unknown; use one of %s" % (where, to_text(action), ", ".join(ACTIONS)))
    operation = by_name(action) if action in ACTIONS else None
    media_type = entry.get("media_type")
    if media_type is not None:
        if operation is not None and not operation.takes_media_type:
            problems.append("%s: media_type is only for %s entries, this one is %s"
                            % (where, " and ".join(op.name for op in PLANNED if op.takes_media_type), to_text(action)))
        elif media_type not in MEDIA_TYPES:
            problems.append("%s: media_type %r is unknown; use %s" % (where, to_text(media_type), " or ".join(MEDIA_TYPES)))
    user_ids = _entry_user_ids(entry, problems, where)
    selectors = _entry_selectors(entry, problems, where)
    if operation is not None and operation.takes_media_type and media_type is None:
        media_type = MEDIA_TYPES[0]
    return action, media_type, user_ids, selectors


def _entry_selectors(entry, problems, where):
    """``{selector key: [values]}`` of the entry's user_names, emails and teams (strings split at commas)."""
    selectors = {}
    for key, _field in SELECTOR_KEYS:
        values = entry.get(key)
        if values is None:
            continue
        if isinstance(values, str):
            values = values.split(",")
        if not isinstance(values, (list, tuple)) or not values:
            problems.append("%s: %s must be a non-empty list of names" % (where, key))
            continue
        texts = [value.strip() for value in values if isinstance(value, str) and value.strip()]
        if len(texts) != len(values):
            problems.append("%s: %s has an empty or non-text item" % (where, key))
            continue
        selectors[key] = texts
    return selectors


def _matches(user, field, value):
    """Whether a user found by cxone_user_info has ``value`` in ``field``, ignoring case."""
    text = user.get(field) if isinstance(user, dict) else None
    return isinstance(text, str) and text.casefold() == value.casefold() and bool(user.get("user_id"))


def _resolve(selectors, users, where, problems):
    """The user ids ``users`` (cxone_user_info's result) holds for an entry's selectors, in order."""
    found = []
    for key, field in SELECTOR_KEYS:
        for value in selectors.get(key, ()):
            matches = [user["user_id"] for user in users if _matches(user, field, value)]
            if not matches:
                problems.append("%s: %s %r matches no user" % (where, key, value))
            found.extend(matches)
    return found


def _first_entry(seen, action):
    """The number of the first entry that names the agent with ``action`` (per media type for some)."""
    found = seen[action]
    return min(found.values()) if isinstance(found, dict) else found


def _with_article(action):
    return ("an %s" if action[0] in "aeiou" else "a %s") % action


def _ambiguities(named):
    """Why the plan is ambiguous: per agent, the entries that contradict each other."""
    reasons = []
    for user_id, seen in named.items():
        for operation in PLANNED:
            if operation.name in seen and operation.contradicts in seen:
                reasons.append("agent %s is in %s entry (entry %d) and %s entry (entry %d)"
                               % (user_id, _with_article(operation.name), _first_entry(seen, operation.name),
                                  _with_article(operation.contradicts), _first_entry(seen, operation.contradicts)))
            media = seen.get(operation.name) if operation.takes_media_type else None
            if media and len(media) > 1:
                reasons.append("agent %s is given different media types for %s (%s)"
                               % (user_id, operation.name, ", ".join(
                                   "%s in entry %d" % (media_type, number)
                                   for media_type, number in sorted(media.items(), key=lambda item: item[1]))))
    return reasons


def _parse_text(text):
    """A plan given as JSON or YAML text (JSON is YAML): an AWX survey answer is always a string."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        position = " (line %d, column %d)" % (where.line + 1, where.column + 1) if where else ""
        raise PlanError("record_on_demand_plan: the text is not valid JSON or YAML%s: %s"
                        % (position, getattr(exc, "problem", None) or exc)) from None


def record_on_demand_plan(plan, users=None, errors="raise"):
    """The plan as one batch per action; AnsibleFilterError lists every problem found.

    ``users`` is the ``users`` list of a ``cxone_user_info`` task that looked up the plan's
    ``selectors``; without it, entries' user_names, emails and teams are only collected.
    ``errors="return"`` returns the message in ``error`` (empty batches) instead of raising it.
    """
    if errors not in ("raise", "return"):
        raise AnsibleFilterError("record_on_demand_plan: errors must be raise or return, got %r" % to_text(errors))
    if errors == "raise":
        return _merge(plan, users)
    try:
        batches = _merge(plan, users)
    except PlanError as exc:
        batches = dict(_empty_batches(), conflicts=[], agents=0,
                       selectors={option: [] for option in SELECTOR_OPTIONS.values()}, error=exc.plan_message)
    else:
        batches["error"] = None
    return batches


def _empty_batches():
    """One empty batch per planned operation (one per media type for a start)."""
    return {operation.name: {media: [] for media in MEDIA_TYPES} if operation.takes_media_type else []
            for operation in PLANNED}


def _merge(plan, users):
    """The plan as one batch per action, or AnsibleFilterError naming every problem."""
    if isinstance(plan, str):
        plan = _parse_text(plan)
    if not isinstance(plan, (list, tuple)):
        raise PlanError("record_on_demand_plan: must be a list of entries ({action, user_ids, media_type}), got %s"
                        % type(plan).__name__)
    problems = []
    batches = _empty_batches()
    # user id -> action -> first entry number (for start: media type -> first entry number)
    named = {}
    # casefolded user id -> its first spelling in the plan
    spelled = {}
    wanted = {option: [] for option in SELECTOR_OPTIONS.values()}
    wanted_seen = {option: set() for option in SELECTOR_OPTIONS.values()}
    for number, entry in enumerate(plan, 1):
        checked = _check_entry(number, entry, problems)
        if checked is None or checked[0] not in ACTIONS:
            continue
        action, media_type, user_ids, selectors = checked
        for key, values in selectors.items():
            option = SELECTOR_OPTIONS[key]
            for value in values:
                if value.casefold() not in wanted_seen[option]:
                    wanted_seen[option].add(value.casefold())
                    wanted[option].append(value)
        if selectors and users is not None:
            user_ids = user_ids + _resolve(selectors, users, "entry %d" % number, problems)
        for user_id in user_ids:
            # One agent whatever the case of its id (CXone's user ids are UUIDs); its first spelling is sent.
            seen = named.setdefault(spelled.setdefault(user_id.casefold(), user_id), {})
            if media_type is not None:
                seen.setdefault(action, {}).setdefault(media_type, number)
            else:
                seen.setdefault(action, number)
    if problems:
        raise PlanError("record_on_demand_plan: %s" % "; ".join(problems))

    reasons = _ambiguities(named)
    if reasons:
        more = len(reasons) - AGENTS_NAMED
        raise PlanError(
            "record_on_demand_plan is ambiguous, nothing was sent: %s%s. Split it into separate plans or remove "
            "the contradicting entries." % ("; ".join(reasons[:AGENTS_NAMED]), " and %d more" % more if more > 0 else ""))

    conflicts = []
    for user_id, seen in named.items():
        for operation in PLANNED:
            if operation.name not in seen:
                continue
            if operation.starts_recording and DO_NOT_RECORD.name in seen:
                # The customer's refusal wins: what would record the call is not sent.
                conflicts.append(user_id)
            elif operation.takes_media_type:
                batches[operation.name][next(iter(seen[operation.name]))].append(user_id)
            else:
                batches[operation.name].append(user_id)
    batches["conflicts"] = conflicts
    batches["agents"] = len(named)
    batches["selectors"] = wanted
    return batches


class FilterModule:  # pylint: disable=too-few-public-methods
    """The cxone.recording.record_on_demand_plan filter."""

    def filters(self):
        return {"record_on_demand_plan": record_on_demand_plan}
