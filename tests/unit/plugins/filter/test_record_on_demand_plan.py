# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import re

import pathlib

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.cxone.recording.plugins.filter.record_on_demand_plan import (
    ACTIONS,
    FilterModule,
    record_on_demand_plan,
)
from ansible_collections.cxone.recording.plugins.module_utils._operations import PLANNED
from ansible_collections.cxone.recording.plugins.module_utils._options import CONCURRENCY_RANGE

ROLE = pathlib.Path(__file__).resolve().parents[4] / "roles" / "record_on_demand"


NO_SELECTORS = {"user_name": [], "email": [], "team": []}


def refusal(plan, users=None):
    with pytest.raises(AnsibleFilterError) as raised:
        record_on_demand_plan(plan, users)
    return str(raised.value)


def test_entries_of_one_action_merge_each_agent_once_in_plan_order():
    batches = record_on_demand_plan([
        {"action": "stop", "user_ids": ["b", "a"]},
        {"action": "start", "user_id": "c"},
        {"action": "stop", "user_ids": " a , d ,b"},
        {"action": "do_not_record", "user_id": "e"},
        {"action": "start", "user_ids": ["f"], "media_type": "voiceAndScreen"},
        {"action": "start", "user_ids": ["c"], "media_type": "voice"},
    ])
    assert batches == {"do_not_record": ["e"], "stop": ["b", "a", "d"],
                       "start": {"voice": ["c"], "voiceAndScreen": ["f"]}, "mask": [], "unmask": [],
                       "conflicts": [], "agents": 6,
                       "selectors": NO_SELECTORS}


def test_user_ids_are_matched_whatever_their_case():
    refusal = "agent B is in a stop entry (entry 3) and a start entry (entry 1)"
    with pytest.raises(AnsibleFilterError, match=re.escape(refusal)):
        record_on_demand_plan([
            {"action": "start", "user_ids": ["B"]},
            {"action": "start", "user_ids": ["aaaa"]},
            {"action": "stop", "user_ids": ["b"]},
        ])
    batches = record_on_demand_plan([
        {"action": "do_not_record", "user_ids": ["AAAA0001-0000-4000-8000-000000000001"]},
        {"action": "start", "user_ids": ["aaaa0001-0000-4000-8000-000000000001", "c"]},
    ])
    assert batches["conflicts"] == ["AAAA0001-0000-4000-8000-000000000001"]
    assert batches["start"]["voice"] == ["c"] and batches["agents"] == 2


def test_do_not_record_wins_over_a_start_and_stop_with_do_not_record_is_allowed():
    batches = record_on_demand_plan([
        {"action": "start", "user_ids": ["a", "b"], "media_type": "voiceAndScreen"},
        {"action": "do_not_record", "user_ids": ["b", "c"]},
        {"action": "stop", "user_ids": ["c"]},
    ])
    assert batches["start"] == {"voice": [], "voiceAndScreen": ["a"]}
    assert batches["conflicts"] == ["b"]
    assert batches["do_not_record"] == ["b", "c"] and batches["stop"] == ["c"]


def test_an_empty_plan_has_nothing_to_do():
    assert record_on_demand_plan([]) == {"do_not_record": [], "stop": [], "start": {"voice": [], "voiceAndScreen": []},
                                         "mask": [], "unmask": [], "conflicts": [], "agents": 0, "selectors": NO_SELECTORS}


@pytest.mark.parametrize("plan, expected", [
    ([{"action": "pause", "user_ids": ["a"]}], "entry 1: action 'pause' is unknown; use one of do_not_record, stop, start"),
    ([{"user_ids": ["a"]}], "entry 1: action is missing"),
    ([{"action": "stop"}], "entry 1: user_ids is missing"),
    ([{"action": "stop", "user_ids": None}], "entry 1: user_ids is missing"),
    ([{"action": "stop", "user_ids": []}], "entry 1: user_ids is empty"),
    ([{"action": "stop", "user_id": ""}], "entry 1: user_id item 1 is empty"),
    ([{"action": "stop", "user_ids": ["a", " "]}], "entry 1: user_ids item 2 is empty"),
    ([{"action": "stop", "user_ids": ["a", 7]}], "entry 1: user_ids item 2 must be a string (a CXone user id), got int"),
    ([{"action": "stop", "user_ids": {"a": 1}}], "entry 1: user_ids must be a user id or a list of user ids, got dict"),
    ([{"action": "stop", "user_ids": ["a\nb"]}], "entry 1: user_ids item 1 ('a\\nb') contains a control character"),
    ([{"action": "stop", "user_ids": ["x" * 257]}], "entry 1: user_ids item 1 is 257 characters long"),
    ([{"action": "stop", "user_ids": ["a"], "user_id": "b"}], "entry 1: give user_ids or its alias user_id, not both"),
    ([{"action": "start", "user_ids": ["a"]}, {"action": "stop", "user_ids": ["b"], "media_type": "voice"}],
     "entry 2: media_type is only for start entries, this one is stop"),
    ([{"action": "start", "user_ids": ["a"], "media_type": "video"}], "entry 1: media_type 'video' is unknown"),
    ([{"action": "stop", "user_ids": ["a"], "users": ["b"], "when": 1}], "entry 1: unknown key users, when"),
    ([{"action": "stop", "teams": []}], "entry 1: teams must be a non-empty list of names"),
    ([{"action": "stop", "emails": ["a@example.com", " "]}], "entry 1: emails has an empty or non-text item"),
    (["stop a"], "entry 1: must be a dictionary with action and user_ids, got str"),
    ("stop a", "record_on_demand_plan: must be a list of entries"),
])
def test_each_bad_entry_is_named_with_its_number_and_key(plan, expected):
    assert expected in refusal(plan)


def test_every_problem_of_a_plan_is_named_at_once():
    message = refusal([{"action": "stop", "user_ids": []}, {"action": "jump", "user_ids": ["a"]}])
    assert "entry 1: user_ids is empty" in message and "entry 2: action 'jump' is unknown" in message


def test_an_agent_stopped_and_started_makes_the_plan_ambiguous():
    message = refusal([{"action": "start", "user_ids": ["a", "b"]}, {"action": "stop", "user_ids": ["b"]}])
    assert message.startswith("record_on_demand_plan is ambiguous, nothing was sent: ")
    assert "agent b is in a stop entry (entry 2) and a start entry (entry 1)" in message
    assert "agent a" not in message


def test_two_media_types_for_one_agent_make_the_plan_ambiguous():
    message = refusal([{"action": "start", "user_ids": ["a"]}, {"action": "start", "user_ids": ["a"], "media_type": "voiceAndScreen"}])
    assert "agent a is given different media types for start (voice in entry 1, voiceAndScreen in entry 2)" in message


def test_a_long_list_of_ambiguous_agents_is_cut_short():
    agents = ["agent-%02d" % number for number in range(15)]
    message = refusal([{"action": "start", "user_ids": agents}, {"action": "stop", "user_ids": agents}])
    assert "agent-09" in message and "agent-10" not in message and "and 5 more" in message


def test_the_filter_is_registered_under_its_documented_name():
    assert FilterModule().filters() == {"record_on_demand_plan": record_on_demand_plan}


def test_a_plan_given_as_json_or_yaml_text_is_read_like_the_list():
    expected = record_on_demand_plan([{"action": "stop", "user_ids": ["a", "b"]}, {"action": "start", "user_id": "c"}])
    assert record_on_demand_plan('[{"action": "stop", "user_ids": "a, b"}, {"action": "start", "user_id": "c"}]') == expected
    assert record_on_demand_plan("- action: stop\n  user_ids: [a, b]\n- {action: start, user_id: c}\n") == expected


def test_text_that_is_not_json_or_yaml_is_refused_with_its_position():
    message = refusal('[{"action": "stop", "user_ids": ["a"]')
    assert message.startswith("record_on_demand_plan: the text is not valid JSON or YAML (line 1, column")
    assert "record_on_demand_plan: must be a list of entries" in refusal("just words")


USERS = [{"user_id": "u1", "user_name": "JDoe", "email": "jane@example.com", "team_name": "Billing EMEA"},
         {"user_id": "u2", "user_name": "asmith", "email": "al@example.com", "team_name": "Billing EMEA"},
         {"user_id": "u3", "user_name": "bob", "email": "bob@example.com", "team_name": "Support"}]


def test_selectors_are_collected_once_each_for_the_user_lookup():
    plan = [{"action": "stop", "teams": ["Billing EMEA"], "user_ids": ["x"]},
            {"action": "do_not_record", "user_names": "jdoe, JDOE", "emails": ["bob@example.com"]},
            {"action": "start", "teams": ["billing emea", "Support"]}]
    batches = record_on_demand_plan(plan)
    assert batches["selectors"] == {"user_name": ["jdoe"], "email": ["bob@example.com"],
                                    "team": ["Billing EMEA", "Support"]}
    assert batches["stop"] == ["x"] and batches["agents"] == 1, "without users only the ids are batched"


def test_selectors_resolve_through_the_users_found_ignoring_case():
    plan = [{"action": "do_not_record", "user_names": ["jdoe"]},
            {"action": "stop", "emails": ["BOB@example.com"], "user_ids": ["x"]},
            {"action": "start", "teams": ["billing emea"], "media_type": "voiceAndScreen"}]
    batches = record_on_demand_plan(plan, USERS)
    assert batches["do_not_record"] == ["u1"] and batches["stop"] == ["x", "u3"]
    assert batches["start"]["voiceAndScreen"] == ["u2"] and batches["conflicts"] == ["u1"]


def test_a_selector_that_matches_none_of_the_users_found_is_a_problem_of_the_plan():
    assert "entry 1: teams 'Sales' matches no user" in refusal([{"action": "stop", "teams": ["Sales"]}], USERS)


def test_an_agent_reached_by_a_team_and_started_by_name_makes_the_plan_ambiguous():
    plan = [{"action": "stop", "teams": ["Support"]}, {"action": "start", "user_names": ["bob"]}]
    assert "agent u3 is in a stop entry (entry 1) and a start entry (entry 2)" in refusal(plan, USERS)


def test_the_roles_argument_spec_offers_the_actions_the_plan_accepts_in_the_order_applied():
    specs = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text(encoding="utf-8"))
    action = specs["argument_specs"]["main"]["options"]["record_on_demand_plan"]["options"]["action"]
    assert tuple(action["choices"]) == ACTIONS == tuple(operation.name for operation in PLANNED)


def test_a_mask_and_an_unmask_of_one_agent_are_refused_as_ambiguous():
    with pytest.raises(AnsibleFilterError) as failure:
        record_on_demand_plan([{"action": "mask", "user_ids": ["a", "b"]}, {"action": "unmask", "user_ids": ["A"]}])
    assert "agent a is in a mask entry (entry 1) and an unmask entry (entry 2)" in str(failure.value)
    assert "nothing was sent" in str(failure.value)


def test_mask_and_unmask_entries_become_their_batches_after_a_start():
    batches = record_on_demand_plan([{"action": "unmask", "user_ids": "u"}, {"action": "mask", "user_ids": ["m"]},
                                     {"action": "start", "user_ids": ["m"]}])
    assert batches["mask"] == ["m"] and batches["unmask"] == ["u"] and batches["start"]["voice"] == ["m"]


@pytest.mark.parametrize("plan", [
    [{"action": "stop", "user_ids": ["a"], "media_type": "voice"}],
    [{"action": "start", "user_ids": ["a"]}, {"action": "stop", "user_ids": ["a"]}],
    "[{action: stop",
    {"action": "stop"},
])
def test_errors_return_gives_the_message_raise_would_fail_with(plan):
    """The role shows a wrong plan's message as its own, without the set_fact and filter wrapper."""
    returned = record_on_demand_plan(plan, errors="return")
    assert returned["error"] == refusal(plan)
    assert returned["error"].startswith("record_on_demand_plan")
    assert returned["do_not_record"] == returned["stop"] == [] and returned["agents"] == 0
    assert returned["start"] == {"voice": [], "voiceAndScreen": []} and returned["selectors"] == NO_SELECTORS
    assert returned["mask"] == returned["unmask"] == []
    # The same keys as a plan that can be applied: a task reading any batch of it finds one.
    assert set(returned) == set(record_on_demand_plan([{"action": "stop", "user_ids": ["a"]}], errors="return"))


def test_errors_return_of_a_good_plan_has_no_error_and_the_same_batches():
    plan = [{"action": "do_not_record", "user_id": "a"}, {"action": "start", "user_ids": ["a", "b"]}]
    returned = record_on_demand_plan(plan, errors="return")
    assert returned.pop("error") is None
    assert returned == record_on_demand_plan(plan)
    assert "error" not in record_on_demand_plan(plan)


def test_errors_must_be_raise_or_return():
    with pytest.raises(AnsibleFilterError, match="errors must be raise or return, got 'ignore'"):
        record_on_demand_plan([{"action": "stop", "user_ids": ["a"]}], errors="ignore")


def test_the_roles_early_concurrency_check_has_the_modules_bounds():
    """The role refuses a bad record_on_demand_concurrency before its first task, with the modules' rule."""
    tasks = yaml.safe_load((ROLE / "tasks" / "main.yml").read_text(encoding="utf-8"))
    check = next(task for task in tasks if task["name"] == "Check record_on_demand_concurrency")
    low, high = CONCURRENCY_RANGE
    assert check["ansible.builtin.assert"]["that"][1:] == [
        "record_on_demand_concurrency | int >= %d" % low, "record_on_demand_concurrency | int <= %d" % high]
    assert "from %d to %d" % (low, high) in check["ansible.builtin.assert"]["fail_msg"]
