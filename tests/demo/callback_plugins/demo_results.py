# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Demo-only callback: writes the per-agent results of the recording modules' tasks to a file."""

from __future__ import annotations

DOCUMENTATION = r"""
name: demo_results
type: aggregate
short_description: Write the recording modules' per-agent results as JSON lines for the demo
description:
  - Appends one JSON object per finished task of a cxone.recording module and host to the file
    named by CXONE_DEMO_RESULTS_FILE. Used by tests/demo/run_demo.py (C(make demo)).
options: {}
"""

import json
import os

from ansible.plugins.callback import CallbackBase

MODULES = {"cxone_recording_start": "start", "cxone_recording_stop": "stop", "cxone_do_not_record": "do-not-record"}


class CallbackModule(CallbackBase):
    """Records the results of the cxone.recording modules' tasks; ignores every other task."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "demo_results"
    CALLBACK_NEEDS_ENABLED = True

    def _write(self, status, result):
        path = os.environ.get("CXONE_DEMO_RESULTS_FILE")
        task = result.task
        action = (getattr(task, "resolved_action", None) or task.action or "").rsplit(".", 1)[-1]
        if not path or action not in MODULES:
            return
        answer = result.result
        module_args = (answer.get("invocation") or {}).get("module_args") or {}
        record = {"task": result.task_name, "host": result.host.get_name(), "operation": MODULES[action],
                  "media_type": module_args.get("media_type"), "status": status, "msg": answer.get("msg"),
                  "results": answer.get("results") or []}
        with open(path, "a", encoding="utf-8") as stream:
            stream.write(json.dumps(record, default=str) + "\n")

    def v2_runner_on_ok(self, result):
        """A task that succeeded, or whose failure ``failed_when`` turned off."""
        self._write("ok", result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        """A failed task (some agent failed), ignored or not."""
        self._write("ignored" if ignore_errors else "failed", result)

    def v2_runner_on_unreachable(self, result):
        """The connection could not be used at all."""
        self._write("unreachable", result)
