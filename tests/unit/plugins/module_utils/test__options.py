# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.cxone.recording.plugins.module_utils._errors import SettingsError
from ansible_collections.cxone.recording.plugins.module_utils._options import check_concurrency, normalise_user_ids


def test_user_ids_are_stripped_and_deduplicated_in_order():
    assert normalise_user_ids([" b ", "a", "b", "c", "a"]) == ["b", "a", "c"]
    assert normalise_user_ids("single") == ["single"]


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
