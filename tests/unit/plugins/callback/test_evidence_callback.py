# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The evidence callback driven in-process.

Its options are declared from its DOCUMENTATION as ansible-core's plugin loader declares them
(the loader itself cannot load a collection that the tests import through a plain path), the
events are those ansible-core sends (a playbook, a play, task results built as the strategy
builds them), and what is checked is the file an auditor gets.
"""

from __future__ import annotations

import json
import os
import re
import stat
import threading

import yaml
from ansible import constants as C
from ansible.inventory.host import Host
from ansible.playbook import Playbook
from ansible.playbook.play import Play
from ansible.playbook.task import Task

from ansible_collections.cxone.recording.plugins.callback import evidence
from ansible_collections.cxone.recording.plugins.module_utils._evidence import (
    GENESIS_SHA256,
    RECORD_FIELDS,
    verify_lines,
)

try:
    from ansible.executor.task_result import CallbackTaskResult as TaskResult
except ImportError:  # ansible-core before 2.19
    from ansible.executor.task_result import TaskResult

START = "cxone.recording.cxone_recording_start"
STOP = "cxone.recording.cxone_recording_stop"
DO_NOT_RECORD = "cxone.recording.cxone_do_not_record"
SECRET = "KEY-SECRET-never-in-evidence"


NAME = "cxone.recording.evidence"


def load_callback(**direct):
    """The callback with its options set from ``direct``, its environment and its ini section."""
    options = yaml.safe_load(evidence.DOCUMENTATION)["options"]
    C.config.initialize_plugin_configuration_definitions("callback", NAME, options)
    callback = evidence.CallbackModule()
    callback._load_name = NAME  # pylint: disable=protected-access
    callback.set_options(direct=direct)
    return callback


def agent(user_id, outcome="completed", status=200, **fields):
    values = {"user_id": user_id, "outcome": outcome, "http_status": status, "contact_id": "c-" + user_id,
              "description": "CXone's text", "attempts": 1, "unanswered_attempts": 0, "msg": None,
              "requested_at": "2026-11-27T02:15:03.118Z", "answered_at": "2026-11-27T02:15:03.397Z"}
    values.update(fields)
    return values


def module_result(*entries, **extra):
    result = {"changed": True, "results": list(entries), "summary": {"total": len(entries)},
              "invocation": {"module_args": {"user_id": [entry["user_id"] for entry in entries],
                                             "access_key_secret": SECRET, "concurrency": 8}}}
    result.update(extra)
    return result


class Run:
    """A callback as ansible-playbook loads it, and the events of one playbook run."""

    def __init__(self, directory, playbook="/srv/runbooks/consent.yml", play="Consent refused"):
        self.callback = load_callback(path=str(directory))
        book = Playbook(loader=None)
        book._file_name = playbook  # pylint: disable=protected-access
        self.callback.v2_playbook_on_start(book)
        self.callback.v2_playbook_on_play_start(Play.load({"name": play, "hosts": "all", "tasks": []}))

    def task(self, name, action, returned, host="tenant_a", status="ok", check_mode=False):
        fields = {"name": name, "_resolved_action": action, "check_mode": check_mode}
        result = TaskResult(Host(host), Task(), returned, fields)
        if status == "ok":
            self.callback.v2_runner_on_ok(result)
        elif status == "unreachable":
            self.callback.v2_runner_on_unreachable(result)
        else:
            self.callback.v2_runner_on_failed(result, ignore_errors=status == "ignored")

    def end(self):
        self.callback.v2_playbook_on_stats(None)

    @property
    def path(self):
        return self.callback.file_path

    def lines(self):
        with open(self.path, encoding="utf-8") as stream:
            return [json.loads(line) for line in stream]


def verified(path):
    with open(path, "rb") as stream:
        return verify_lines(stream)


def test_each_agent_of_each_recording_task_is_one_chained_line(tmp_path, capsys):
    run = Run(tmp_path)
    run.task("start", START, module_result(agent("a1"), agent("a2", "accepted", 202)))
    run.task("a debug task", "ansible.builtin.debug", {"msg": "not evidence", "results": [agent("zz")]})
    run.task("do not record", DO_NOT_RECORD, module_result(agent("a3")), host="tenant_b")
    run.task("stop", STOP, module_result(agent("a1"), agent("a4", "failed", 404, msg="no active call")),
             status="ignored")
    run.end()

    assert re.fullmatch(r"cxone-evidence-\d{8}T\d{6}Z-[0-9a-f]{32}\.jsonl", os.path.basename(run.path))
    lines = run.lines()
    assert [(line["task"], line["host"], line["module"], line["user_id"], line["outcome"], line["http_status"])
            for line in lines] == [
        ("start", "tenant_a", START, "a1", "completed", 200),
        ("start", "tenant_a", START, "a2", "accepted", 202),
        ("do not record", "tenant_b", DO_NOT_RECORD, "a3", "completed", 200),
        ("stop", "tenant_a", STOP, "a1", "completed", 200),
        ("stop", "tenant_a", STOP, "a4", "failed", 404),
    ]
    assert all(list(line) == list(RECORD_FIELDS) for line in lines)
    assert {(line["playbook"], line["play"], line["check_mode"]) for line in lines} == {
        ("/srv/runbooks/consent.yml", "Consent refused", False)}
    assert len({line["run_id"] for line in lines}) == 1 and lines[0]["run_id"] in run.path
    assert lines[4]["msg"] == "no active call" and lines[3]["contact_id"] == "c-a1"
    assert lines[0]["confirmed"] is None, "a field the entry lacks is null"
    assert verified(run.path) == (5, lines[-1]["sha256"]) and lines[0]["prev_sha256"] == GENESIS_SHA256
    printed = capsys.readouterr().out
    assert "5 records in %s, last sha256 %s" % (run.path, lines[-1]["sha256"]) in printed


def test_nothing_but_the_listed_fields_is_written(tmp_path):
    run = Run(tmp_path)
    run.task("start", START, module_result(agent("a1", confirmed=True, media_type="voice")))
    run.end()
    with open(run.path, encoding="utf-8") as stream:
        text = stream.read()
    assert SECRET not in text and "CXone's text" not in text and "module_args" not in text and "voice" not in text
    assert json.loads(text)["confirmed"] is True


def test_the_file_is_private_from_its_creation(tmp_path):
    previous = os.umask(0)
    try:
        run = Run(tmp_path / "new" / "evidence")
        run.task("start", START, module_result(agent("a1")))
    finally:
        os.umask(previous)
    assert stat.S_IMODE(os.stat(run.path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "new" / "evidence").st_mode) == 0o700


def test_each_task_is_on_disk_as_soon_as_it_ends(tmp_path):
    """A run killed after a task keeps its lines: nothing waits for the end of the run."""
    run = Run(tmp_path)
    run.task("start", START, module_result(agent("a1"), agent("a2")))
    assert verified(run.path)[0] == 2
    run.task("stop", STOP, module_result(agent("a1")))
    assert verified(run.path)[0] == 3


def test_a_run_without_recording_tasks_leaves_no_file(tmp_path):
    run = Run(tmp_path)
    run.task("debug", "ansible.builtin.debug", {"msg": "hello"})
    run.end()
    assert run.path is None and os.listdir(tmp_path) == []


def test_check_mode_is_recorded(tmp_path):
    run = Run(tmp_path)
    planned = agent("a1", "planned", None, contact_id=None, attempts=0, msg="check mode: nothing was sent")
    run.task("start", START, module_result(planned), check_mode=True)
    line = run.lines()[0]
    assert (line["check_mode"], line["outcome"], line["msg"]) == (True, "planned", "check mode: nothing was sent")


def test_every_item_of_a_loop_is_recorded(tmp_path):
    run = Run(tmp_path)
    items = [dict(module_result(agent("a1")), item="a1", ansible_loop_var="item"),
             dict(module_result(agent("a2"), agent("a3")), item=["a2", "a3"], ansible_loop_var="item"),
             {"skipped": True, "item": "a4", "ansible_loop_var": "item"},
             dict(module_result(agent("a5", "failed", 409, msg="conflict")), failed=True, item="a5",
                  ansible_loop_var="item")]
    run.task("start each", START, {"changed": True, "results": items, "msg": "One or more items failed"},
             status="failed")
    assert [(line["user_id"], line["outcome"]) for line in run.lines()] == [
        ("a1", "completed"), ("a2", "completed"), ("a3", "completed"), ("a5", "failed")]


def test_a_task_that_failed_before_any_agent_is_one_line_saying_so(tmp_path):
    run = Run(tmp_path)
    # ansible-core 2.19 says that a task failed by the event, not by a key of its result.
    run.task("bad input", STOP, {"changed": False, "msg": "user_id: must not be empty"}, status="failed")
    run.task("bad item", STOP, {"changed": False, "results": [
        {"failed": True, "msg": "concurrency: must be from 1 to 64", "item": 0, "ansible_loop_var": "item"}]},
        status="ignored")
    run.task("no tenant", STOP, {"msg": "cannot reach the tenant"}, status="unreachable")
    run.task("an ok task without agents", STOP, {"changed": False, "msg": "nothing"})
    assert [(line["task"], line["user_id"], line["outcome"], line["msg"]) for line in run.lines()] == [
        ("bad input", None, "failed", "user_id: must not be empty"),
        ("bad item", None, "failed", "concurrency: must be from 1 to 64"),
        ("no tenant", None, "failed", "cannot reach the tenant")]


def test_a_result_hidden_by_no_log_is_one_line_saying_so(tmp_path):
    run = Run(tmp_path)
    run.task("hidden", DO_NOT_RECORD, {"censored": "the output has been hidden", "changed": True})
    line = run.lines()[0]
    assert line["user_id"] is None and line["outcome"] is None and "no_log" in line["msg"]


def test_an_unwritable_directory_warns_and_does_not_stop_the_run(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    run = Run(blocker / "evidence")
    run.task("start", START, module_result(agent("a1")))
    run.task("stop", STOP, module_result(agent("a1")))
    run.end()
    err = capsys.readouterr().err
    assert "cxone.recording.evidence: cannot write" in err and "2 recording task(s) of this run have no evidence" in err


def test_results_from_many_threads_make_one_intact_chain(tmp_path):
    """Several tenants' tasks ending at once: whole lines, none lost, one chain."""
    run = Run(tmp_path)

    def tenant(number):
        for task in range(20):
            run.task("start %d" % task, START, module_result(*[agent("t%d-%d-%d" % (number, task, index))
                                                               for index in range(10)]), host="tenant_%d" % number)

    threads = [threading.Thread(target=tenant, args=(number,)) for number in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run.end()
    assert verified(run.path)[0] == 6 * 20 * 10
    lines = run.lines()
    assert len({line["user_id"] for line in lines}) == 1200
    for number in range(6):
        mine = [line["task"] for line in lines if line["host"] == "tenant_%d" % number]
        assert mine == ["start %d" % task for task in range(20) for _agent in range(10)], "a task's lines stay together"


def test_the_directory_comes_from_the_environment_or_is_the_current_one(tmp_path, monkeypatch):
    monkeypatch.setenv("CXONE_EVIDENCE_PATH", str(tmp_path / "from-env"))
    assert load_callback().get_option("path") == str(tmp_path / "from-env")
    monkeypatch.delenv("CXONE_EVIDENCE_PATH")
    monkeypatch.chdir(tmp_path)
    callback = load_callback()
    assert callback.get_option("path") is None
    callback.v2_runner_on_ok(TaskResult(Host("tenant_a"), Task(), module_result(agent("a1")),
                                        {"name": "start", "_resolved_action": START}))
    assert os.path.dirname(callback.file_path) == str(tmp_path)
