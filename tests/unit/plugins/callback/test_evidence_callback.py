# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The evidence callback driven in-process.

Its options are declared from its DOCUMENTATION as ansible-core's plugin loader declares them
(the loader itself cannot load a collection that the tests import through a plain path), the
events are those ansible-core sends (a playbook, a play, task results built as the strategy
builds them), and what is checked is the file an auditor gets and the line the run prints.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
import threading

import pytest
import yaml
from ansible import constants as C
from ansible.inventory.host import Host
from ansible.playbook import Playbook
from ansible.playbook.play import Play
from ansible.playbook.task import Task
from ansible.utils.display import Display

from ansible_collections.cxone.recording.plugins.callback import evidence
from ansible_collections.cxone.recording.plugins.module_utils._evidence import (
    AGENT_FIELDS,
    GENESIS_SHA256,
    NO_RUN_ENDED,
    record_hmac,
    verify_lines,
)

try:
    from ansible.executor.task_result import CallbackTaskResult as TaskResult
except ImportError:  # ansible-core before 2.19
    from ansible.executor.task_result import TaskResult

START = "cxone.recording.cxone_recording_start"
STOP = "cxone.recording.cxone_recording_stop"
DO_NOT_RECORD = "cxone.recording.cxone_do_not_record"
ASYNC_STATUS = "ansible.builtin.async_status"
SECRET = "KEY-SECRET-never-in-evidence"
EVIDENCE_KEY = "evidence-KEY-held-by-the-auditor"

NAME = "cxone.recording.evidence"
PRINTED = re.compile(r"cxone\.recording\.evidence: (\d+) records? in (\S+), last sha256 ([0-9a-f]{64})")


@pytest.fixture(autouse=True)
def fresh_warnings():
    """Each test is a run of its own: ansible-core's Display shows a warning once per process."""
    getattr(Display(), "_warns", set()).clear()


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


def job_started(job):
    """What a task with ``async`` and ``poll: 0`` returns at once."""
    return {"ansible_job_id": job, "started": True, "finished": False, "results_file": "/root/.ansible_async/" + job,
            "changed": True}


def job_status(job, finished, result=None):
    """What ``async_status`` returns for the job: the module's result once it finished."""
    return dict(result or {}, ansible_job_id=job, started=True, finished=finished)


class Run:
    """A callback as ansible-playbook loads it, and the events of one playbook run."""

    def __init__(self, directory, playbook="/srv/runbooks/consent.yml", play="Consent refused", **options):
        self.callback = load_callback(path=str(directory), **options)
        book = Playbook(loader=None)
        book._file_name = playbook  # pylint: disable=protected-access
        self.callback.v2_playbook_on_start(book)
        self.callback.v2_playbook_on_play_start(Play.load({"name": play, "hosts": "all", "tasks": []}))

    def task(self, name, action, returned, host="tenant_a", status="ok", check_mode=False):
        fields = {"name": name, "_resolved_action": action, "check_mode": check_mode}
        result = TaskResult(Host(host), Task(), returned, fields)
        if status == "ok":
            self.callback.v2_runner_on_ok(result)
        elif status == "async_ok":
            self.callback.v2_runner_on_async_ok(result)
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

    def agents(self):
        return [line for line in self.lines() if line["record"] == "agent"]


def verified(path, **options):
    with open(path, "rb") as stream:
        return verify_lines(stream, os.path.basename(path), **options)


def printed_anchor(capsys):
    output = capsys.readouterr()
    found = PRINTED.findall(output.out)
    assert len(found) <= 1, output.out
    return (int(found[0][0]), found[0][1], found[0][2]) if found else None, output.err


def test_a_run_is_run_started_one_line_per_agent_of_each_recording_task_and_run_ended(tmp_path, capsys):
    run = Run(tmp_path)
    run.task("start", START, module_result(agent("a1"), agent("a2", "accepted", 202)))
    run.task("a debug task", "ansible.builtin.debug", {"msg": "not evidence", "results": [agent("zz")]})
    run.task("do not record", DO_NOT_RECORD, module_result(agent("a3")), host="tenant_b")
    run.task("stop", STOP, module_result(agent("a1"), agent("a4", "failed", 404, msg="no active call")),
             status="ignored")
    run.end()

    assert re.fullmatch(r"cxone-evidence-\d{8}T\d{6}Z-[0-9a-f]{32}\.jsonl", os.path.basename(run.path))
    lines = run.lines()
    assert [line["record"] for line in lines] == ["run_started"] + ["agent"] * 5 + ["run_ended"]
    started, agents, ended = lines[0], lines[1:-1], lines[-1]
    assert [(line["task"], line["host"], line["module"], line["user_id"], line["outcome"], line["http_status"])
            for line in agents] == [
        ("start", "tenant_a", START, "a1", "completed", 200),
        ("start", "tenant_a", START, "a2", "accepted", 202),
        ("do not record", "tenant_b", DO_NOT_RECORD, "a3", "completed", 200),
        ("stop", "tenant_a", STOP, "a1", "completed", 200),
        ("stop", "tenant_a", STOP, "a4", "failed", 404),
    ]
    assert all(list(line)[:-2] == list(AGENT_FIELDS) for line in agents)
    assert {(line["playbook"], line["play"], line["check_mode"]) for line in agents} == {
        ("/srv/runbooks/consent.yml", "Consent refused", False)}
    assert len({line["run_id"] for line in lines}) == 1 and lines[0]["run_id"] in run.path
    assert agents[4]["msg"] == "no active call" and agents[3]["contact_id"] == "c-a1"
    assert agents[0]["confirmed"] is None, "a field the entry lacks is null"
    assert (started["playbook"], started["keyed"]) == ("/srv/runbooks/consent.yml", False)
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", started["collection_version"])
    assert os.path.basename(run.path).startswith("cxone-evidence-%sZ-" % started["started_at"][:19].replace(
        "-", "").replace(":", ""))
    assert ended["records"] == 5 and ended["ended_at"] >= agents[-1]["recorded_at"]
    assert "hmac" not in "".join(json.dumps(line) for line in lines)
    found = verified(run.path)
    assert found.bad is None and (found.records, found.complete, found.keyed) == (5, True, False)
    assert lines[0]["prev_sha256"] == GENESIS_SHA256
    assert printed_anchor(capsys)[0] == (5, run.path, ended["sha256"])


def test_with_a_key_every_line_carries_its_hmac_and_the_key_is_never_written_or_shown(tmp_path, capsys):
    run = Run(tmp_path, key=EVIDENCE_KEY)
    run.task("start", START, module_result(agent("a1"), agent("a2")))
    run.task("bad input", STOP, {"changed": False, "msg": "user_id: must not be empty"}, status="failed")
    run.end()
    lines = run.lines()
    assert lines[0]["keyed"] is True and len(lines) == 5
    assert all(line["hmac"] == record_hmac(line, EVIDENCE_KEY) for line in lines)
    assert verified(run.path, key=EVIDENCE_KEY).bad is None
    assert verified(run.path, key="another key").bad.reason == "wrong hmac"
    with open(run.path, encoding="utf-8") as stream:
        assert EVIDENCE_KEY not in stream.read()
    output = capsys.readouterr()
    assert EVIDENCE_KEY not in output.out + output.err


def test_the_key_comes_from_the_environment_and_an_empty_one_is_none(tmp_path, monkeypatch):
    monkeypatch.setenv("CXONE_EVIDENCE_KEY", EVIDENCE_KEY)
    run = Run(tmp_path / "keyed")
    run.task("start", START, module_result(agent("a1")))
    assert run.lines()[0]["keyed"] is True and verified(run.path, key=EVIDENCE_KEY, allow_incomplete=True).bad is None
    monkeypatch.setenv("CXONE_EVIDENCE_KEY", "")
    run = Run(tmp_path / "unkeyed")
    run.task("start", START, module_result(agent("a1")))
    assert run.lines()[0]["keyed"] is False and "hmac" not in run.lines()[1]


def test_nothing_but_the_listed_fields_is_written(tmp_path):
    run = Run(tmp_path)
    run.task("start", START, module_result(agent("a1", confirmed=True, media_type="voice")))
    run.end()
    with open(run.path, encoding="utf-8") as stream:
        text = stream.read()
    assert SECRET not in text and "CXone's text" not in text and "module_args" not in text and "voice" not in text
    assert run.agents()[0]["confirmed"] is True


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
    found = verified(run.path)
    assert found.bad.reason == NO_RUN_ENDED, "killed here, the file lacks only its end"
    assert (verified(run.path, allow_incomplete=True).records, found.complete) == (2, False)
    run.task("stop", STOP, module_result(agent("a1")))
    assert verified(run.path, allow_incomplete=True).records == 3


def test_a_run_without_recording_tasks_leaves_no_file_and_prints_nothing(tmp_path, capsys):
    run = Run(tmp_path)
    run.task("debug", "ansible.builtin.debug", {"msg": "hello"})
    run.task("an ok task without agents", STOP, {"changed": False, "msg": "nothing"})
    run.end()
    assert run.path is None and os.listdir(tmp_path) == []
    assert printed_anchor(capsys) == (None, "")


def test_check_mode_is_recorded(tmp_path):
    run = Run(tmp_path)
    planned = agent("a1", "planned", None, contact_id=None, attempts=0, msg="check mode: nothing was sent")
    run.task("start", START, module_result(planned), check_mode=True)
    line = run.agents()[0]
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
    assert [(line["user_id"], line["outcome"]) for line in run.agents()] == [
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
    assert [(line["task"], line["user_id"], line["outcome"], line["msg"]) for line in run.agents()] == [
        ("bad input", None, "failed", "user_id: must not be empty"),
        ("bad item", None, "failed", "concurrency: must be from 1 to 64"),
        ("no tenant", None, "failed", "cannot reach the tenant")]


def test_a_result_hidden_by_no_log_is_one_line_saying_so(tmp_path):
    run = Run(tmp_path)
    run.task("hidden", DO_NOT_RECORD, {"censored": "the output has been hidden", "changed": True})
    line = run.agents()[0]
    assert line["user_id"] is None and line["outcome"] is None and "no_log" in line["msg"]


# -- tasks in the background (async) -------------------------------------------------------------

def test_a_background_job_is_recorded_once_from_its_finished_result(tmp_path, capsys):
    run = Run(tmp_path)
    run.task("dnr in the background", DO_NOT_RECORD, job_started("j1.1"))
    assert run.path is None, "the start of a job holds no agent: no file yet"
    run.task("wait", ASYNC_STATUS, job_status("j1.1", False))
    run.task("wait", ASYNC_STATUS, job_status("j1.1", True, module_result(agent("a1"), agent("a2"))))
    # Asked again (a second async_status, or its cleanup): the job is on record already.
    run.task("wait again", ASYNC_STATUS, job_status("j1.1", True, module_result(agent("a1"), agent("a2"))))
    run.task("clean up", ASYNC_STATUS, {"ansible_job_id": "j1.1", "erased": "/root/.ansible_async/j1.1",
                                        "started": False, "finished": False})
    run.end()
    agents = run.agents()
    assert [(line["task"], line["module"], line["user_id"]) for line in agents] == [
        ("dnr in the background", DO_NOT_RECORD, "a1"), ("dnr in the background", DO_NOT_RECORD, "a2")]
    assert run.lines()[-1]["records"] == 2 and verified(run.path).bad is None
    anchor, err = printed_anchor(capsys)
    assert anchor[0] == 2 and "background" not in err


def test_a_background_job_that_failed_is_recorded_as_it_failed(tmp_path):
    run = Run(tmp_path)
    run.task("start in the background", START, job_started("j2.1"))
    run.task("wait", ASYNC_STATUS, job_status("j2.1", True, {"failed": True, "msg": "Timeout exceeded"}),
             status="failed")
    assert [(line["task"], line["user_id"], line["outcome"], line["msg"]) for line in run.agents()] == [
        ("start in the background", None, "failed", "Timeout exceeded")]


def test_background_jobs_of_a_loop_are_each_recorded_from_their_own_result(tmp_path):
    run = Run(tmp_path)
    run.task("stop each", STOP, {"changed": True, "results": [
        dict(job_started("j3.%d" % number), item=user, ansible_loop_var="item")
        for number, user in enumerate(("a1", "a2"))]})
    run.task("wait each", ASYNC_STATUS, {"changed": True, "results": [
        dict(job_status("j3.1", True, module_result(agent("a2"))), item={"ansible_job_id": "j3.1"},
             ansible_loop_var="item"),
        dict(job_status("j3.0", True, module_result(agent("a1"))), item={"ansible_job_id": "j3.0"},
             ansible_loop_var="item")]})
    assert [(line["task"], line["user_id"]) for line in run.agents()] == [("stop each", "a2"), ("stop each", "a1")]


def test_a_job_polled_by_ansible_itself_is_recorded_once(tmp_path):
    """With poll above 0, ansible-core sends the finished result as async_ok, then as the task's ok."""
    run = Run(tmp_path)
    finished = job_status("j4.1", True, module_result(agent("a1")))
    run.task("start and wait", START, finished, status="async_ok")
    run.task("start and wait", START, finished)
    assert [(line["task"], line["user_id"]) for line in run.agents()] == [("start and wait", "a1")]


def test_a_background_job_never_seen_finished_leaves_no_file_and_a_warning(tmp_path, capsys):
    run = Run(tmp_path)
    run.task("dnr in the background", DO_NOT_RECORD, job_started("j5.1"))
    run.task("wait", ASYNC_STATUS, job_status("j5.1", False))
    run.task("someone else's job", ASYNC_STATUS, job_status("j9.9", True, module_result(agent("zz"))))
    run.end()
    assert run.path is None and os.listdir(tmp_path) == []
    anchor, err = printed_anchor(capsys)
    assert anchor is None and "1 background job of recording tasks was not seen finished" in err


# -- write errors ---------------------------------------------------------------------------------

class DiskFull:  # pylint: disable=too-few-public-methods
    """``evidence._write_all`` on a disk with ``room`` bytes left: a line may be cut in its middle."""

    def __init__(self, room):
        self.room = room

    def __call__(self, descriptor, data):
        if len(data) > self.room:
            os.write(descriptor, data[:self.room])
            self.room = 0
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        os.write(descriptor, data)
        self.room -= len(data)


def test_a_full_disk_warns_naming_the_file_and_the_printed_count_is_what_was_written(tmp_path, capsys, monkeypatch):
    run = Run(tmp_path)
    run.task("start", START, module_result(agent("a1"), agent("a2")))
    written = os.path.getsize(run.path)
    line_size = written // 3
    # Room for one more line and a half: the second agent's line of the task is cut.
    monkeypatch.setattr(evidence, "_write_all", DiskFull(line_size + line_size // 2))
    run.task("stop", STOP, module_result(agent("a1"), agent("a2"), agent("a3")))
    run.task("start again", START, module_result(agent("a4")))
    run.end()

    anchor, err = printed_anchor(capsys)
    lines = run.lines()
    assert [line["user_id"] for line in lines[1:]] == ["a1", "a2", "a1"], "whole lines only, the cut one removed"
    assert anchor == (3, run.path, lines[-1]["sha256"])
    assert "cannot write %s: No space left on device" % run.path in err
    assert "2 recording tasks of this run are missing from the evidence" in err
    found = verified(run.path, allow_incomplete=True)
    assert found.bad is None and (found.records, found.last_sha256, found.complete) == (3, anchor[2], False)
    assert verified(run.path).bad.reason == NO_RUN_ENDED


def test_a_full_disk_at_the_run_end_leaves_the_agents_and_counts_them(tmp_path, capsys, monkeypatch):
    run = Run(tmp_path)
    run.task("start", START, module_result(agent("a1"), agent("a2")))
    monkeypatch.setattr(evidence, "_write_all", DiskFull(10))
    run.end()
    anchor, err = printed_anchor(capsys)
    lines = run.lines()
    assert [line["record"] for line in lines] == ["run_started", "agent", "agent"]
    assert anchor == (2, run.path, lines[-1]["sha256"]) and "cannot write %s" % run.path in err


def test_a_full_disk_before_the_first_line_leaves_no_file_and_no_count(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(evidence, "_write_all", DiskFull(100))
    run = Run(tmp_path)
    run.task("start", START, module_result(agent("a1")))
    run.end()
    anchor, err = printed_anchor(capsys)
    assert anchor is None and os.listdir(tmp_path) == []
    assert "cannot write %s: No space left on device" % run.path in err


def test_a_failed_flush_to_disk_counts_nothing_of_its_task(tmp_path, capsys, monkeypatch):
    """When fsync fails, whether the task's lines are on disk is unknown: they are not counted."""
    run = Run(tmp_path)
    run.task("start", START, module_result(agent("a1")))
    size = os.path.getsize(run.path)

    def fsync_fails(descriptor):
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(os, "fsync", fsync_fails)
    run.task("stop", STOP, module_result(agent("a1"), agent("a2")))
    run.end()
    anchor, err = printed_anchor(capsys)
    assert os.path.getsize(run.path) == size, "the file is cut back to what was counted"
    assert anchor == (1, run.path, run.lines()[-1]["sha256"])
    assert "cannot write %s: Input/output error" % run.path in err


def test_an_unwritable_directory_warns_and_does_not_stop_the_run(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    run = Run(blocker / "evidence")
    run.task("start", START, module_result(agent("a1")))
    run.task("stop", STOP, module_result(agent("a1")))
    run.end()
    anchor, err = printed_anchor(capsys)
    assert anchor is None
    assert "cannot write %s" % (blocker / "evidence" / "cxone-evidence-") in err
    assert "2 recording tasks of this run are missing from the evidence" in err


# -- many tenants, options ------------------------------------------------------------------------

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
    assert verified(run.path).records == 6 * 20 * 10
    agents = run.agents()
    assert len({line["user_id"] for line in agents}) == 1200
    for number in range(6):
        mine = [line["task"] for line in agents if line["host"] == "tenant_%d" % number]
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


def test_the_collection_version_comes_from_the_installed_manifest_else_galaxy_yml(tmp_path):
    (tmp_path / "galaxy.yml").write_text("namespace: cxone\nversion: 2.3.4\n", encoding="utf-8")
    assert evidence.collection_version(str(tmp_path)) == "2.3.4"
    (tmp_path / "MANIFEST.json").write_text(json.dumps({"collection_info": {"version": "2.3.5"}}), encoding="utf-8")
    assert evidence.collection_version(str(tmp_path)) == "2.3.5"
    assert evidence.collection_version(str(tmp_path / "absent")) is None


@pytest.mark.parametrize("agents, printed", [(1, "1 record in "), (2, "2 records in ")])
def test_the_printed_line_counts_one_record_in_the_singular(tmp_path, capsys, agents, printed):
    run = Run(tmp_path)
    run.task("stop", STOP, module_result(*(agent("a%d" % number) for number in range(agents))))
    run.end()
    assert "cxone.recording.evidence: " + printed + run.path in capsys.readouterr().out
