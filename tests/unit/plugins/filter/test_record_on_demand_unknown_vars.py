# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.cxone.recording.plugins.filter.record_on_demand_unknown_vars import (
    FilterModule,
    record_on_demand_unknown_vars,
)

KNOWN = ["record_on_demand_plan", "record_on_demand_no_active_call", "record_on_demand_concurrency",
         "record_on_demand_report"]


def test_a_misspelled_variable_is_named_with_the_closest_known_one():
    assert record_on_demand_unknown_vars(["record_on_demand_plan", "record_on_demand_no_active_cal"], KNOWN, warn=False) == [
        "record_on_demand_no_active_cal is not a variable of the role cxone.recording.record_on_demand and is ignored; "
        "did you mean record_on_demand_no_active_call?"]


def test_a_name_like_none_of_them_gets_no_guess_and_known_names_nothing():
    assert record_on_demand_unknown_vars(["record_on_demand_colour"], KNOWN, warn=False) == [
        "record_on_demand_colour is not a variable of the role cxone.recording.record_on_demand and is ignored"]
    assert record_on_demand_unknown_vars(KNOWN, KNOWN, warn=False) == []


def test_each_unknown_name_is_warned_about_once(capsys):
    record_on_demand_unknown_vars(["record_on_demand_concurency", "record_on_demand_concurency"], KNOWN)
    err = capsys.readouterr().err
    assert err.count("record_on_demand_concurency is not a variable") == 1
    assert "did you mean record_on_demand_concurrency?" in err


def test_names_and_known_must_be_lists():
    with pytest.raises(AnsibleFilterError):
        record_on_demand_unknown_vars("record_on_demand_plan", KNOWN)


def test_the_filter_is_registered():
    assert FilterModule().filters()["record_on_demand_unknown_vars"] is record_on_demand_unknown_vars
