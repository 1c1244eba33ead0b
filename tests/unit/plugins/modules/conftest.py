# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Running a module's ``main()`` in this process, as ansible-core would run it in its own.

The arguments go where ``AnsibleModule`` reads them, ``main()`` ends with ``SystemExit`` as
after ``exit_json`` or ``fail_json``, and the test reads the JSON the module printed: what
ansible-core would receive, after the module's own ``no_log`` filtering.
"""

from __future__ import annotations

import json
from collections import namedtuple

import pytest

from ansible.module_utils import _internal as module_utils_internal
from ansible.module_utils import basic
from ansible.module_utils.common import warnings as module_warnings

ModuleRun = namedtuple("ModuleRun", "result printed exit_code")
ModuleRun.__doc__ = """One run of a module: the parsed result, the raw text it printed, its exit code."""


@pytest.fixture
def run_module(monkeypatch, capsys, no_cxone_environment):
    """``run(module, args, check_mode=False, socket_path=None)`` -> ``ModuleRun``."""

    def run(module, args, check_mode=False, socket_path=None):
        module_args = dict(args)
        if check_mode:
            module_args["_ansible_check_mode"] = True
        if socket_path:
            # How ansible-core tells a module the socket of its persistent connection.
            module_args["_ansible_socket"] = socket_path
        monkeypatch.setattr(basic, "_ANSIBLE_ARGS", json.dumps({"ANSIBLE_MODULE_ARGS": module_args}).encode())
        if hasattr(basic, "_ANSIBLE_PROFILE"):
            monkeypatch.setattr(basic, "_ANSIBLE_PROFILE", "legacy")
        # A module process of its own: warnings are collected for its result (another test may have
        # imported controller code, which would send them to the display instead), and none are
        # left over from an earlier run.
        monkeypatch.setattr(module_utils_internal, "is_controller", False)
        monkeypatch.setattr(module_warnings, "_global_warnings", {})
        monkeypatch.setattr(module_warnings, "_global_deprecations", {})
        capsys.readouterr()
        with pytest.raises(SystemExit) as exited:
            module.main()
        printed = capsys.readouterr().out
        return ModuleRun(json.loads(printed), printed, exited.value.code)

    return run
