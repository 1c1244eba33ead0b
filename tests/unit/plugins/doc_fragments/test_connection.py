# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The documented connection settings say what the settings table does, in both forms."""

from __future__ import annotations

import yaml

from ansible_collections.cxone.recording.plugins.doc_fragments.connection import ModuleDocFragment
from ansible_collections.cxone.recording.plugins.module_utils._settings import SETTINGS


def test_module_form_lists_every_setting_with_type_default_and_environment():
    options = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
    assert list(options) == [setting.name for setting in SETTINGS]
    for setting in SETTINGS:
        documented = options[setting.name]
        assert documented["type"] == setting.type, setting.name
        assert documented.get("default") == setting.default, setting.name
        assert "E(%s)" % setting.env in " ".join(documented["description"]), setting.name


def test_plugin_form_adds_environment_and_inventory_variables():
    options = yaml.safe_load(ModuleDocFragment.PLUGIN)["options"]
    for setting in SETTINGS:
        documented = options[setting.name]
        assert documented["env"] == [{"name": setting.env}]
        assert documented["vars"] == [{"name": "cxone_" + setting.name}]


def test_both_forms_describe_each_setting_alike():
    module = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
    plugin = yaml.safe_load(ModuleDocFragment.PLUGIN)["options"]
    for setting in SETTINGS:
        environment_line = "If not set, the environment variable E(%s) is used." % setting.env
        module_text = [line for line in module[setting.name]["description"] if line != environment_line]
        assert module_text == plugin[setting.name]["description"], setting.name
