# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: evidence
type: notification
short_description: Keep a tamper-evident file of every agent's recording outcome
version_added: 1.0.0
description:
  - Writes evidence that an auditor can check on their own - which agent and contact, what was
    asked (start, stop or do-not-record), when, and what CXone answered - for every agent of
    every task of M(cxone.recording.cxone_recording_start), M(cxone.recording.cxone_recording_stop)
    and M(cxone.recording.cxone_do_not_record), whatever name the task used for the module. Tasks
    of other modules are left out.
  - One file per run of C(ansible-playbook) (or AWX job), named
    C(cxone-evidence-<UTC start time>-<run id>.jsonl), for example
    C(cxone-evidence-20261127T021500Z-4f9c0e2a7b1d4e8f9a0b1c2d3e4f5a6b.jsonl). It is created
    with mode C(0600) when the first recording task ends; a run without one leaves no file.
  - One JSON line per agent with the keys C(run_id), C(recorded_at), C(playbook), C(play),
    C(task), C(host) (the inventory host, for example the tenant), C(module) (the module's full
    name), C(check_mode), the agent's result - C(user_id), C(outcome), C(http_status),
    C(contact_id), C(attempts), C(unanswered_attempts), C(confirmed), C(msg),
    C(requested_at), C(answered_at), null where the module did not return it - then
    C(prev_sha256) and C(sha256), which chain each line to the one before.
    M(cxone.recording.cxone_evidence_verify) checks the chain and documents its rule.
  - Succeeded, failed and ignored failures are written alike (the C(outcome) of each agent says
    what happened), as are check mode runs (C(check_mode) true, outcome C(planned)) and every
    item of a loop. A task that failed before it had any agent (bad input, say) is written as
    one line with C(user_id) null, C(outcome) V(failed) and the task's message. A result hidden
    by C(no_log) is written as one line with C(user_id) null and a C(msg) saying so.
  - Nothing else from a task is written - no module argument, secret or token. The messages
    come from the modules, which never put a secret in them.
  - Lines are written as each task ends and flushed to disk, so a run that is killed keeps every
    task finished before. With several hosts (tenants) and forks, all lines go to the one file
    of the run, one whole line at a time.
  - At the end of the run the file's name, its number of records and its last C(sha256) are
    printed in the run's output; keep them (an AWX job's output does) to tell later that no line
    was removed from the file's end.
requirements:
  - Enabled in C(callbacks_enabled) of C(ansible.cfg) (C([defaults])) or in the
    E(ANSIBLE_CALLBACKS_ENABLED) environment variable, as C(cxone.recording.evidence).
options:
  path:
    description:
      - The directory where the evidence files are written; created (mode C(0700)) if missing.
      - The current directory of C(ansible-playbook) when not set. Under AWX or
        C(ansible-runner), set it to a directory that outlives the job.
    type: path
    env:
      - name: CXONE_EVIDENCE_PATH
    ini:
      - section: cxone_evidence
        key: path
notes:
  - Callbacks run on the controller, so the file is written where C(ansible-playbook) runs, not
    on the managed hosts.
  - The chain shows that no line was changed, removed, inserted or reordered before the last
    one. It is not a signature; whoever can write the file can also rewrite it whole. Keep the
    last C(sha256) printed at the end of the run elsewhere, or copy the files to write-once
    storage.
seealso:
  - module: cxone.recording.cxone_evidence_verify
"""

EXAMPLES = r"""
# ansible.cfg
#   [defaults]
#   callbacks_enabled = cxone.recording.evidence
#
#   [cxone_evidence]
#   path = /var/lib/cxone-evidence

# Or for one run:
#   ANSIBLE_CALLBACKS_ENABLED=cxone.recording.evidence CXONE_EVIDENCE_PATH=/var/lib/cxone-evidence \
#     ansible-playbook cxone.recording.do_not_record -e user_ids=...
#
# A line of the file (wrapped here):
#   {"run_id":"4f9c0e2a7b1d4e8f9a0b1c2d3e4f5a6b","recorded_at":"2026-11-27T02:15:03.412Z",
#    "playbook":"/srv/runbooks/consent.yml","play":"Consent refused","task":"Do not record",
#    "host":"tenant_eu","module":"cxone.recording.cxone_do_not_record","check_mode":false,
#    "user_id":"3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d","outcome":"completed","http_status":200,
#    "contact_id":"604812734581","attempts":1,"unanswered_attempts":0,"confirmed":null,"msg":null,
#    "requested_at":"2026-11-27T02:15:03.118Z","answered_at":"2026-11-27T02:15:03.397Z",
#    "prev_sha256":"0000000000000000000000000000000000000000000000000000000000000000",
#    "sha256":"5d0c..."}
"""

import datetime
import os
import threading
import uuid

from ansible.plugins.callback import CallbackBase

from ansible_collections.cxone.recording.plugins.module_utils._evidence import EvidenceChain
from ansible_collections.cxone.recording.plugins.module_utils._results import utc_now

RECORDING_MODULES = frozenset("cxone.recording." + name for name in
                              ("cxone_recording_start", "cxone_recording_stop", "cxone_do_not_record"))

HIDDEN_BY_NO_LOG = "the task's result is hidden by no_log: no agent's result can be recorded"


def _public(result, name):
    """``result.task`` and the like on ansible-core 2.19+, ``result._task`` on older cores."""
    try:
        return getattr(result, name)
    except AttributeError:
        return getattr(result, "_" + name)


def task_action(result):
    """The module the task ran, by its full name, however the task spelled it."""
    task = _public(result, "task")
    fields = _public(result, "task_fields") or {}
    return fields.get("_resolved_action") or getattr(task, "resolved_action", None) or task.action


def task_check_mode(result):
    """Whether the task ran in check mode (``--check`` or its own ``check_mode``), as it ran."""
    fields = _public(result, "task_fields") or {}
    value = fields.get("check_mode")
    if value is None:
        value = getattr(_public(result, "task"), "check_mode", None)
    return value is True


def result_units(returned, failed):
    """The parts of a task's result that each hold agents, with whether each failed.

    A loop's items each have their own agents and their own ``failed``; a task without a loop
    is one part, failed as the event said (ansible-core 2.19 passes that outside the result).
    """
    items = returned.get("results")
    if isinstance(items, list) and any(isinstance(item, dict) and "ansible_loop_var" in item for item in items):
        return [(item, bool(item.get("failed") or item.get("unreachable"))) for item in items if isinstance(item, dict)]
    return [(returned, failed or bool(returned.get("failed") or returned.get("unreachable")))]


def unit_lines(unit, failed):
    """The agents' result entries of one part of a result; or one stand-in when it has none to show.

    A failed part without entries (bad input, a failure before any agent) and a result hidden
    by ``no_log`` still leave a line, so that the attempt is on record; a skipped item leaves none.
    """
    entries = unit.get("results")
    if isinstance(entries, list):
        agents = [entry for entry in entries if isinstance(entry, dict) and "user_id" in entry]
        if agents:
            return agents
    if unit.get("skipped"):
        return []
    if "censored" in unit:
        return [{"outcome": "failed" if failed else None, "msg": HIDDEN_BY_NO_LOG}]
    if failed:
        return [{"outcome": "failed", "msg": unit.get("msg")}]
    return []


class CallbackModule(CallbackBase):
    """Appends each recording task's agents to the run's evidence file."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "notification"
    CALLBACK_NAME = "cxone.recording.evidence"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, display=None):
        super().__init__(display=display)
        # Callbacks are called from the controller's main thread; the lock keeps each task's
        # lines together should a strategy ever call them from several threads.
        self._lock = threading.Lock()
        self._run_id = uuid.uuid4().hex
        self._started = datetime.datetime.now(datetime.timezone.utc)
        self._playbook = None
        self._play = None
        self._file_path = None
        self._stream = None
        self._chain = None
        self._unwritten_tasks = 0

    @property
    def file_path(self):
        """The run's evidence file, once created."""
        return self._file_path

    # -- ansible-core's events --------------------------------------------------------------

    def v2_playbook_on_start(self, playbook):
        self._playbook = getattr(playbook, "_file_name", None)

    def v2_playbook_on_play_start(self, play):
        self._play = play.get_name()

    def v2_runner_on_ok(self, result):
        self._record(result, failed=False)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, failed=True)

    def v2_runner_on_unreachable(self, result):
        self._record(result, failed=True)

    def v2_playbook_on_stats(self, stats):
        with self._lock:
            self._close()

    # -- writing ------------------------------------------------------------------------------

    def _record(self, result, failed):
        if task_action(result) not in RECORDING_MODULES:
            return
        returned = _public(result, "result")
        context = {
            "run_id": self._run_id, "recorded_at": utc_now(), "playbook": self._playbook, "play": self._play,
            "task": result.task_name, "host": _public(result, "host").get_name(), "module": task_action(result),
            "check_mode": task_check_mode(result),
        }
        with self._lock:
            if self._unwritten_tasks:
                self._unwritten_tasks += 1
                return
            try:
                chain = self._open_chain()
                for unit, unit_failed in result_units(returned, failed):
                    for entry in unit_lines(unit, unit_failed):
                        chain.append(context, entry)
                self._stream.flush()
                os.fsync(self._stream.fileno())
            except OSError as exc:
                self._unwritten_tasks = 1
                self._display.warning("cxone.recording.evidence: cannot write %s: %s; no further evidence is written in "
                                      "this run" % (self._file_path or self._directory(), exc.strerror or exc))

    def _directory(self):
        return self.get_option("path") or os.getcwd()

    def _open_chain(self):
        if self._chain is None:
            directory = self._directory()
            os.makedirs(directory, mode=0o700, exist_ok=True)
            self._file_path = os.path.join(directory, "cxone-evidence-%s-%s.jsonl" % (
                self._started.strftime("%Y%m%dT%H%M%SZ"), self._run_id))
            # Created with its mode (never readable by others, not even for a moment); O_EXCL: a
            # file of another run is never appended to.
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | getattr(os, "O_CLOEXEC", 0)
            descriptor = os.open(self._file_path, flags, 0o600)
            self._stream = os.fdopen(descriptor, "w", encoding="utf-8", newline="\n")
            self._chain = EvidenceChain(self._stream)
        return self._chain

    def _close(self):
        if self._stream is not None:
            try:
                self._stream.close()
            except OSError as exc:
                self._display.warning("cxone.recording.evidence: cannot close %s: %s" % (self._file_path, exc))
            self._stream = None
        if self._chain is not None:
            self._display.display("cxone.recording.evidence: %d records in %s, last sha256 %s"
                                  % (self._chain.records, self._file_path, self._chain.last_sha256))
        if self._unwritten_tasks:
            self._display.warning("cxone.recording.evidence: %d recording task(s) of this run have no evidence"
                                  % self._unwritten_tasks)
