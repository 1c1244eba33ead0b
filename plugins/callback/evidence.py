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
    asked, when, and what CXone answered - for every agent of every task of the collection's
    modules that act on recording (such as M(cxone.recording.cxone_recording_start),
    M(cxone.recording.cxone_recording_stop) and M(cxone.recording.cxone_do_not_record); every
    module of the collection but the C(_info) modules and M(cxone.recording.cxone_evidence_verify)),
    whatever name the task used for the module. Tasks of other modules are left out.
  - One file per run of C(ansible-playbook) (or AWX job), named
    C(cxone-evidence-<UTC start time>-<run id>.jsonl), for example
    C(cxone-evidence-20261127T021500Z-4f9c0e2a7b1d4e8f9a0b1c2d3e4f5a6b.jsonl). It is created
    with mode C(0600) when the first agent's line is written; a run without one leaves no file.
  - Each line is one JSON record and says what it is in C(record). The first is C(run_started)
    (C(run_id), C(started_at), C(playbook), C(collection_version), and C(keyed), whether the
    lines carry an C(hmac)). Then one C(agent) record per agent, with C(run_id),
    C(recorded_at), C(playbook), C(play), C(task), C(host) (the inventory host, for example the
    tenant), C(module) (the module's full name), C(check_mode) and the agent's result -
    C(user_id), C(outcome), C(http_status), C(contact_id), C(attempts), C(unanswered_attempts),
    C(confirmed), C(msg), C(requested_at), C(answered_at), null where the module did not return
    it. The last is C(run_ended) (C(run_id), C(ended_at), and C(records), the number of C(agent)
    records), written when the run ends. Every record ends with C(prev_sha256) and C(sha256),
    which chain it to the one before, and, when O(key) is set, C(hmac).
    M(cxone.recording.cxone_evidence_verify) checks a file and documents the rule.
  - Succeeded, failed and ignored failures are written alike (the C(outcome) of each agent says
    what happened), as are check mode runs (C(check_mode) true, outcome C(planned)) and every
    item of a loop. A task that failed before it had any agent (bad input, say) is written as
    one line with C(user_id) null, C(outcome) V(failed) and the task's message. A result hidden
    by C(no_log) is written as one line with C(user_id) null and a C(msg) saying so.
  - A task run in the background (C(async) with C(poll) 0) is written once, from the finished
    job's result, when a later C(ansible.builtin.async_status) task of the same run first sees
    the job finished; the lines name the task that started the job. With C(poll) above 0
    Ansible waits for the job itself and the task is written when it ends, like any other. A
    job whose end the run never saw leaves no line, and a warning at the end of the run says
    how many.
  - Nothing else from a task is written - no module argument, secret or token, and never the key.
    The messages come from the modules, which never put a secret in them.
  - Lines are written as each task ends and flushed to disk, so a run that is killed keeps every
    task finished before (its file then ends without C(run_ended)). With several hosts
    (tenants) and forks, all lines go to the one file of the run, one whole line at a time.
  - At the end of the run one line of the run's output gives the file's name, its number of
    C(agent) records and its last C(sha256). It counts only what reached the disk.
  - When the file cannot be written (disk full, permissions), a warning names the file and the
    run goes on without evidence. A line cut by the error is removed, so that the file holds
    whole lines only and ends where the printed line says.
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
  key:
    description:
      - A secret; when set, every line also carries C(hmac), so that no one without the key
        can rewrite the file and have it verify with the key.
      - Keep it with whoever verifies (an auditor, an AWX credential), never beside the files.
        An empty value is the same as none.
      - It is never written to the file or shown in the run's output. Prefer the environment
        variable (an AWX credential injects it) to C(ansible.cfg), where it would be in clear.
    type: str
    env:
      - name: CXONE_EVIDENCE_KEY
    ini:
      - section: cxone_evidence
        key: key
notes:
  - Callbacks run on the controller, so the file is written where C(ansible-playbook) runs, not
    on the managed hosts.
  - M(cxone.recording.cxone_evidence_verify) says what the chain, the key and the printed line
    each prove; the evidence guide gives an auditor's whole procedure.
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

# Or for one run, keyed (the key from a secret store, never typed on the command line):
#   export CXONE_EVIDENCE_KEY="$(cat /run/secrets/cxone-evidence-key)"
#   ANSIBLE_CALLBACKS_ENABLED=cxone.recording.evidence CXONE_EVIDENCE_PATH=/var/lib/cxone-evidence \
#     ansible-playbook cxone.recording.do_not_record -e user_ids=...
#
# The run's output then ends with:
#   cxone.recording.evidence: 1 records in /var/lib/cxone-evidence/cxone-evidence-20261127T021500Z-4f9c....jsonl,
#   last sha256 b7e1... (on one line)
#
# The file (each record on one line, wrapped here; hashes shortened):
#   {"record":"run_started","run_id":"4f9c0e2a7b1d4e8f9a0b1c2d3e4f5a6b","started_at":"2026-11-27T02:15:00.104Z",
#    "playbook":"/srv/runbooks/consent.yml","collection_version":"1.0.0","keyed":true,
#    "prev_sha256":"0000...0000","sha256":"2a4f...","hmac":"91c3..."}
#   {"record":"agent","run_id":"4f9c0e2a7b1d4e8f9a0b1c2d3e4f5a6b","recorded_at":"2026-11-27T02:15:03.412Z",
#    "playbook":"/srv/runbooks/consent.yml","play":"Consent refused","task":"Do not record",
#    "host":"tenant_eu","module":"cxone.recording.cxone_do_not_record","check_mode":false,
#    "user_id":"3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d","outcome":"completed","http_status":200,
#    "contact_id":"604812734581","attempts":1,"unanswered_attempts":0,"confirmed":null,"msg":null,
#    "requested_at":"2026-11-27T02:15:03.118Z","answered_at":"2026-11-27T02:15:03.397Z",
#    "prev_sha256":"2a4f...","sha256":"5d0c...","hmac":"0e77..."}
#   {"record":"run_ended","run_id":"4f9c0e2a7b1d4e8f9a0b1c2d3e4f5a6b","ended_at":"2026-11-27T02:15:03.455Z",
#    "records":1,"prev_sha256":"5d0c...","sha256":"b7e1...","hmac":"4c18..."}
#
# A recording task in the background is recorded from the async_status task that sees it finish:
#   - name: Do not record (in the background)
#     cxone.recording.cxone_do_not_record:
#       user_id: "{{ user_ids }}"
#     async: 300
#     poll: 0
#     register: dnr_job
#
#   - name: Wait for it
#     ansible.builtin.async_status:
#       jid: "{{ dnr_job.ansible_job_id }}"
#     register: dnr_status
#     until: dnr_status.finished
#     retries: 60
#     delay: 5
"""

import datetime
import json
import os
import re
import threading
import uuid

from ansible.plugins.callback import CallbackBase

from ansible_collections.cxone.recording.plugins.module_utils._errors import counted
from ansible_collections.cxone.recording.plugins.module_utils._evidence import (
    FILE_NAME,
    EvidenceChain,
    agent_record,
    run_ended_record,
    run_started_record,
)
from ansible_collections.cxone.recording.plugins.module_utils._operations import OPERATIONS
from ansible_collections.cxone.recording.plugins.module_utils._results import utc_now

RECORDING_MODULES = frozenset(operation.fqcn for operation in OPERATIONS)

HIDDEN_BY_NO_LOG = "the task's result is hidden by no_log: no agent's result can be recorded"

# The collection's root: plugins/callback/evidence.py is three levels below it.
COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def collection_version(root=COLLECTION_ROOT):
    """The version of the collection running: MANIFEST.json when installed, galaxy.yml in a checkout."""
    try:
        with open(os.path.join(root, "MANIFEST.json"), encoding="utf-8") as stream:
            return str(json.load(stream)["collection_info"]["version"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    try:
        with open(os.path.join(root, "galaxy.yml"), encoding="utf-8") as stream:
            found = re.search(r"^version:\s*['\"]?([^'\"\s]+)", stream.read(), re.MULTILINE)
    except OSError:
        return None
    return found.group(1) if found else None


def iso_utc(moment):
    """A UTC time as the records write it (as ``utc_now``): 2026-11-25T04:05:06.789Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (moment.microsecond // 1000)


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


def async_job(unit):
    """The job id of a part of a result that comes from a background job, or None."""
    job = unit.get("ansible_job_id")
    return job if isinstance(job, str) and job else None


def _write_all(descriptor, data):
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view):]


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
        self._descriptor = None
        self._chain = None
        # The size of the file's committed lines: where a line cut by a write error starts.
        self._size = 0
        self._broken = False
        self._unwritten_tasks = 0
        # Background jobs of recording tasks not yet seen finished: job id -> the task's context.
        self._async_jobs = {}

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

    # v2_runner_on_async_ok/failed are left alone: with poll above 0 the same result then
    # comes as the task's own ok or failed, and with poll 0 they are never sent.

    def v2_playbook_on_stats(self, stats):
        with self._lock:
            self._close()

    # -- what a result holds --------------------------------------------------------------------

    def _record(self, result, failed):
        returned = _public(result, "result")
        action = task_action(result)
        recording = action in RECORDING_MODULES
        context = None
        if recording:
            context = {"run_id": self._run_id, "playbook": self._playbook, "play": self._play,
                       "task": result.task_name, "host": _public(result, "host").get_name(), "module": action,
                       "check_mode": task_check_mode(result)}
        records = []
        with self._lock:
            for unit, unit_failed in result_units(returned, failed):
                job = async_job(unit)
                if recording and job and not unit.get("finished") and not unit_failed:
                    # Started with poll 0: the agents' results come with the finished job.
                    self._async_jobs[job] = context
                    continue
                if not recording:
                    # Any task (async_status) that sees a job of a recording task finished.
                    if not (job in self._async_jobs and unit.get("finished")):
                        continue
                    context = self._async_jobs.pop(job)
                stamped = dict(context, recorded_at=utc_now())
                records.extend(agent_record(stamped, entry) for entry in unit_lines(unit, unit_failed))
            if records and not self._write(records):
                self._unwritten_tasks += 1

    # -- writing ------------------------------------------------------------------------------

    def _directory(self):
        return self.get_option("path") or os.getcwd()

    def _open(self):
        directory = self._directory()
        self._file_path = os.path.join(directory, FILE_NAME % (self._started.strftime("%Y%m%dT%H%M%SZ"),
                                                               self._run_id))
        os.makedirs(directory, mode=0o700, exist_ok=True)
        # Created with its mode (never readable by others, not even for a moment); O_EXCL: a
        # file of another run is never appended to.
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | getattr(os, "O_CLOEXEC", 0)
        self._descriptor = os.open(self._file_path, flags, 0o600)
        self._chain = EvidenceChain(self.get_option("key") or None)

    def _write(self, records):
        """Append ``records`` (the run's first ones open the file); False when they are not all on disk."""
        if self._broken:
            return False
        try:
            if self._descriptor is None:
                self._open()
                started = run_started_record(self._run_id, iso_utc(self._started), self._playbook,
                                             collection_version(), self._chain.keyed)
                records = [started] + records
        except OSError as exc:
            self._give_up(exc)
            return False
        size, whole, error = self._size, [], None
        try:
            for data, sealed in self._chain.lines(records):
                _write_all(self._descriptor, data)
                size += len(data)
                whole.append(sealed)
        except OSError as exc:
            error = exc
        try:
            if error is not None:
                # A line cut by the error would end the file with a line that does not verify.
                os.ftruncate(self._descriptor, size)
            os.fsync(self._descriptor)
        except OSError as exc:
            # Whether this task's lines are on disk is unknown (a second fsync may not tell):
            # none of them is counted, and the file is cut back to what was.
            error = error or exc
            size, whole = self._size, []
            try:
                os.ftruncate(self._descriptor, size)
            except OSError:
                pass
        self._chain.commit(whole)
        self._size = size
        if error is not None:
            self._give_up(error)
            return False
        return True

    def _give_up(self, error):
        """A write error: say so, naming the file, and write nothing more in this run."""
        self._broken = True
        self._display.warning("cxone.recording.evidence: cannot write %s: %s; no further evidence is written in "
                              "this run" % (self._file_path or self._directory(), error.strerror or error))
        if self._descriptor is not None and self._chain.written == 0:
            # The file holds nothing: an empty file would only say less than this warning.
            self._close_descriptor()
            try:
                os.unlink(self._file_path)
            except OSError:
                pass
            self._chain = None

    def _close_descriptor(self):
        try:
            os.close(self._descriptor)
        except OSError as exc:
            self._display.warning("cxone.recording.evidence: cannot close %s: %s" % (self._file_path, exc))
        self._descriptor = None

    def _close(self):
        if self._descriptor is not None:
            if not self._broken:
                self._write([run_ended_record(self._run_id, utc_now(), self._chain.agents)])
            if self._descriptor is not None:
                self._close_descriptor()
        if self._chain is not None:
            self._display.display("cxone.recording.evidence: %s in %s, last sha256 %s"
                                  % (counted(self._chain.agents, "record"), self._file_path, self._chain.last_sha256))
        if self._unwritten_tasks:
            words = ("task", "is") if self._unwritten_tasks == 1 else ("tasks", "are")
            self._display.warning("cxone.recording.evidence: %d recording %s of this run %s missing from the "
                                  "evidence, wholly or in part" % ((self._unwritten_tasks,) + words))
        if self._async_jobs:
            self._display.warning("cxone.recording.evidence: %d background %s of recording tasks %s not seen "
                                  "finished by an async_status task of this run: %s no evidence"
                                  % ((len(self._async_jobs),) + (("job", "was", "it has") if len(self._async_jobs) == 1
                                                                 else ("jobs", "were", "they have"))))
