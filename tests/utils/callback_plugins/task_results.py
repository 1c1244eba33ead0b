# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Test and demo callback: writes every task's result, as ``register`` would see it, to a file."""

from __future__ import annotations

DOCUMENTATION = r"""
name: task_results
type: aggregate
short_description: Write task results as JSON lines
description:
  - Appends one JSON object per finished task and host (task name, host, action, status and the
    result) to the file named by TASK_RESULTS_FILE. Used by the end-to-end tests and C(make demo).
options: {}
"""

import json
import os

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "task_results"
    CALLBACK_NEEDS_ENABLED = True

    def _write(self, status, result):
        path = os.environ.get("TASK_RESULTS_FILE")
        if not path:
            return
        task = result._task
        action = getattr(task, "resolved_action", None) or task.action
        record = {"task": result.task_name, "host": result._host.get_name(), "action": action, "status": status,
                  "result": result._result}
        with open(path, "a", encoding="utf-8") as stream:
            stream.write(json.dumps(record, default=str) + "\n")

    def v2_runner_on_ok(self, result):
        self._write("ok", result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._write("ignored" if ignore_errors else "failed", result)

    def v2_runner_on_unreachable(self, result):
        self._write("unreachable", result)
