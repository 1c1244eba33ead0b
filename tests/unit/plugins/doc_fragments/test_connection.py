# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The documented connection settings say what the settings table does, for modules and the plugin."""

from __future__ import annotations

import json
import os
import subprocess
import sys

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


def test_plugin_form_only_adds_environment_and_inventory_variables():
    options = yaml.safe_load(ModuleDocFragment.PLUGIN)["options"]
    assert list(options) == [setting.name for setting in SETTINGS]
    for setting in SETTINGS:
        assert options[setting.name] == {"env": [{"name": setting.env}], "vars": [{"name": "cxone_" + setting.name}]}


def test_the_connection_plugin_documents_each_setting_in_full():
    # As users read it: ansible-doc merges the fragments option by option.
    rendered = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-doc"), "--json", "-t",
                               "connection", "cxone.recording.cxone_api"],
                              capture_output=True, text=True, check=True).stdout
    documentation = json.loads(rendered)["cxone.recording.cxone_api"]["doc"]
    module_form = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
    for setting in SETTINGS:
        documented = documentation["options"][setting.name]
        assert documented["description"] == module_form[setting.name]["description"], setting.name
        assert documented["type"] == setting.type, setting.name
        assert documented["env"] == [{"name": setting.env}], setting.name
        assert documented["vars"] == [{"name": "cxone_" + setting.name}], setting.name
