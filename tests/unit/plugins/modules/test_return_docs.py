# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The recording modules' RETURN documentation is the result the code builds, and alike in each.

ansible-core has no fragments for RETURN, so each module writes its own; this keeps the
copies equal and equal to ``_results.py`` (only the samples of CXone's text may differ).
"""

from __future__ import annotations

import importlib

import pytest
import yaml

from ansible_collections.cxone.recording.plugins.module_utils._operations import OPERATIONS

from ansible_collections.cxone.recording.plugins.module_utils._results import (
    OUTCOMES,
    RESULT_FIELDS,
    SINGLE_AGENT_FIELDS,
)

MODULES = tuple(importlib.import_module("ansible_collections.cxone.recording.plugins.modules." + operation.module)
                for operation in OPERATIONS)


def documented(module):
    return yaml.safe_load(module.RETURN)


def without_samples(value):
    if isinstance(value, dict):
        return {key: without_samples(item) for key, item in value.items() if key != "sample"}
    return value


@pytest.mark.parametrize("module", MODULES, ids=lambda module: module.__name__.rsplit(".", 1)[-1])
def test_return_documents_the_entry_fields_the_code_builds(module):
    returned = documented(module)
    assert tuple(returned["results"]["contains"]) == RESULT_FIELDS
    assert set(returned) == {"results", "summary"} | set(SINGLE_AGENT_FIELDS)
    assert set(returned["summary"]["sample"]) == set(OUTCOMES) | {"total"}


def test_the_recording_modules_document_their_results_alike():
    first = without_samples(documented(MODULES[0]))
    for module in MODULES[1:]:
        assert without_samples(documented(module)) == first, module.__name__
