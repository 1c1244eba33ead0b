# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The identifier rules every check shares: the modules' options, the settings, User Hub selectors and the plan."""

from __future__ import annotations

import pytest

from ansible_collections.cxone.recording.plugins.filter.record_on_demand_plan import record_on_demand_plan
from ansible_collections.cxone.recording.plugins.module_utils._errors import SettingsError
from ansible_collections.cxone.recording.plugins.module_utils._identifiers import (
    contact_id_problem,
    has_control_character,
    same_user_key,
    user_id_problem,
)
from ansible_collections.cxone.recording.plugins.module_utils._options import normalise_user_ids
from ansible_collections.cxone.recording.plugins.module_utils._users import check_selectors


@pytest.mark.parametrize("text, found", [
    ("plain-id", False), ("é-and-ü", False), ("line\nbreak", True), ("tab\t", True), ("del\x7f", True),
    ("c1\x85", True), ("nbsp\xa0", False),
])
def test_control_characters_are_c0_c1_and_del(text, found):
    assert has_control_character(text) is found


def test_user_id_problems_in_words():
    assert user_id_problem("11111111-2222-3333-4444-555555555555") is None
    assert user_id_problem(7) == "must be a string (a CXone user id), got int"
    assert user_id_problem("").startswith("is empty")
    assert user_id_problem("a\rb") == "('a\\rb') contains a control character"
    assert user_id_problem("x" * 257) == "is 257 characters long; user ids have at most 256"
    assert contact_id_problem("604812734581") is None and contact_id_problem("x" * 300) is not None
    assert same_user_key("ABC-def") == same_user_key("abc-DEF")


def test_one_rule_for_the_modules_the_plan_and_user_hub_selectors():
    bad = "agent\x85one"
    with pytest.raises(SettingsError, match="contains a control character"):
        normalise_user_ids([bad])
    with pytest.raises(Exception, match="contains a control character"):
        record_on_demand_plan([{"action": "stop", "user_ids": [bad]}])
    with pytest.raises(SettingsError, match="without control characters"):
        check_selectors({"user_name": [bad], "email": None, "team": None, "user_id": None, "status": ["ACTIVE"]})
