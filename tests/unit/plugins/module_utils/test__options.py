# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.cxone.recording.plugins.module_utils._errors import SettingsError
from ansible_collections.cxone.recording.plugins.module_utils._options import (
    check_concurrency,
    check_expected_contacts,
    check_wait_timeout,
    normalise_user_ids,
)


def test_user_ids_are_stripped_and_deduplicated_in_order():
    assert normalise_user_ids([" b ", "a", "b", "c", "a"]) == ["b", "a", "c"]
    assert normalise_user_ids("single") == ["single"]


def test_a_missing_user_id_is_refused_as_ansible_words_a_missing_required_option():
    """user_id is not `required` in the argument spec, so that AnsibleModule names an unknown option
    (its first error) before the missing one; the check here keeps Ansible's wording."""
    with pytest.raises(SettingsError) as caught:
        normalise_user_ids(None)
    assert caught.value.msg == "missing required arguments: user_id"


@pytest.mark.parametrize("values, problem", [
    ([], "non-empty list"),
    (["ok", "  "], "user_id: item 2 is empty"),
    (["ok", "a\tb"], "user_id: item 2 ('a\\tb') contains a control character"),
    (["x\x7f"], "user_id ('x\\x7f') contains a control character"),
    (["u" * 257], "user_id is 257 characters long"),
    ([{"id": 1}], "user_id must be a string"),
])
def test_bad_user_ids_are_refused_naming_the_item(values, problem):
    with pytest.raises(SettingsError) as caught:
        normalise_user_ids(values)
    assert problem in caught.value.msg


@pytest.mark.parametrize("value", [0, 65, -1, True, "8"])
def test_concurrency_outside_range_is_refused(value):
    with pytest.raises(SettingsError, match="concurrency: must be a whole number from 1 to 64"):
        check_concurrency(value)


@pytest.mark.parametrize("value", [1, 8, 64])
def test_concurrency_in_range_is_kept(value):
    assert check_concurrency(value) == value


@pytest.mark.parametrize("value", [0, 601, True, "30"])
def test_wait_timeout_outside_range_is_refused(value):
    with pytest.raises(SettingsError, match="wait_timeout: must be a whole number from 1 to 600"):
        check_wait_timeout(value)


def test_expected_contacts_become_text_for_known_agents():
    assert check_expected_contacts({" u1 ": 604812734581, "u2": " c-2 "}, ["u1", "u2", "u3"]) == {
        "u1": "604812734581", "u2": "c-2"}
    assert check_expected_contacts(None, ["u1"]) == {}


@pytest.mark.parametrize("value, problem", [
    (["u1"], "expected_contacts: must be a mapping of user id to contact id, got list"),
    ({"stranger": "c-1"}, "expected_contacts: user 'stranger' is not one of the agents in user_id"),
    ({"u1": None}, "expected_contacts: the contact id of user u1 must be a string, got NoneType"),
    ({"u1": " "}, "expected_contacts: the contact id of user u1 must be a non-empty contact id"),
    ({"u1": "c\n1"}, "without control characters"),
])
def test_bad_expected_contacts_are_refused_naming_the_problem(value, problem):
    with pytest.raises(SettingsError) as caught:
        check_expected_contacts(value, ["u1"])
    assert problem in caught.value.msg


def test_user_ids_differing_only_in_case_are_one_agent_sent_as_first_spelled():
    assert normalise_user_ids(["AAAA0001-1", "aaaa0001-1", "Bb", "bB"]) == ["AAAA0001-1", "Bb"]


def test_expected_contacts_keys_match_user_ids_whatever_their_case():
    assert check_expected_contacts({"aaaa0001-1": "7"}, ["AAAA0001-1"]) == {"AAAA0001-1": "7"}
    with pytest.raises(SettingsError, match="named twice"):
        check_expected_contacts({"aaaa0001-1": "7", "AAAA0001-1": "8"}, ["AAAA0001-1"])
