# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Test-only callback: writes every task result, as a user's ``register`` would see it, to a file."""

from __future__ import annotations

DOCUMENTATION = r"""
name: e2e_results
type: aggregate
short_description: Write task results as JSON lines for the end-to-end tests
description:
  - Appends one JSON object per finished task and host to the file named by E2E_RESULTS_FILE.
options: {}
"""

import json
import os

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "e2e_results"
    CALLBACK_NEEDS_ENABLED = True

    def _write(self, status, result):
        path = os.environ.get("E2E_RESULTS_FILE")
        if not path:
            return
        record = {"task": result.task_name, "host": result._host.get_name(), "status": status,
                  "result": result._result}
        with open(path, "a", encoding="utf-8") as stream:
            stream.write(json.dumps(record, default=str) + "\n")

    def v2_runner_on_ok(self, result):
        self._write("ok", result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._write("failed", result)

    def v2_runner_on_unreachable(self, result):
        self._write("unreachable", result)
