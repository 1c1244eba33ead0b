# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""cxone_evidence_verify run in-process: what a task returns for an intact or a damaged file."""

from __future__ import annotations

import json

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.cxone.recording.plugins.module_utils._evidence import (
    GENESIS_SHA256,
    EvidenceChain,
    agent_record,
    run_ended_record,
    run_started_record,
)
from ansible_collections.cxone.recording.plugins.modules import cxone_evidence_verify

RUN_ID = "4f9c0e2a7b1d4e8f9a0b1c2d3e4f5a6b"
FILE_NAME = "cxone-evidence-20261127T021500Z-%s.jsonl" % RUN_ID
CONTEXT = {"run_id": RUN_ID, "task": "stop", "host": "tenant_a", "module": "cxone.recording.cxone_recording_stop",
           "check_mode": False}
KEY = "k3y-of-the-auditor"


def run_module(capsys, **args):
    """The module's result as the controller gets it: the JSON it prints before exiting."""
    with patch_module_args(args), pytest.raises(SystemExit):
        cxone_evidence_verify.main()
    printed = capsys.readouterr().out
    return dict(json.loads(printed), printed=printed)


def write_run(path, agents, key=None, outcome="completed"):
    """A whole run's file as the callback writes it; returns its last sha256."""
    records = ([run_started_record(RUN_ID, "2026-11-27T02:15:00.104Z", "p.yml", "1.0.0", key is not None)]
               + [agent_record(CONTEXT, {"user_id": "agent-%d" % number, "outcome": outcome, "http_status": 200})
                  for number in range(agents)]
               + [run_ended_record(RUN_ID, "2026-11-27T02:15:04.001Z", agents)])
    made = EvidenceChain(key).lines(records)
    path.write_bytes(b"".join(data for data, _sealed in made))
    return made[-1][1]["sha256"]


def test_an_intact_file_passes_with_what_it_holds(tmp_path, capsys):
    evidence = tmp_path / FILE_NAME
    last = write_run(evidence, 4)
    result = run_module(capsys, path=str(evidence))
    assert not result.get("failed") and result["changed"] is False
    assert {key: result[key] for key in ("records", "complete", "keyed", "run_id", "last_sha256", "first_bad_line",
                                         "reason")} == {
        "records": 4, "complete": True, "keyed": False, "run_id": RUN_ID, "last_sha256": last,
        "first_bad_line": None, "reason": None}
    assert result["msg"].endswith("4 agent records of run %s, complete, not keyed" % RUN_ID)


def test_a_keyed_file_passes_with_its_key_and_without_it_says_the_hmac_was_not_checked(tmp_path, capsys):
    evidence = tmp_path / FILE_NAME
    write_run(evidence, 2, key=KEY)
    with_key = run_module(capsys, path=str(evidence), key=KEY)
    assert not with_key.get("failed") and with_key["keyed"] is True and with_key["msg"].endswith("HMAC checked")
    without = run_module(capsys, path=str(evidence))
    assert not without.get("failed") and without["keyed"] is True and "HMAC not checked (no key)" in without["msg"]
    for result in (with_key, without):
        assert KEY not in result["printed"]


def test_a_wrong_key_fails_on_line_1_and_is_not_shown(tmp_path, capsys):
    evidence = tmp_path / FILE_NAME
    write_run(evidence, 2, key=KEY)
    result = run_module(capsys, path=str(evidence), key="guessed-wrong-key")
    assert result["failed"] is True and (result["first_bad_line"], result["reason"]) == (1, "wrong hmac")
    assert "guessed-wrong-key" not in result["printed"]


def test_a_damaged_file_fails_naming_the_line_and_why(tmp_path, capsys):
    evidence = tmp_path / FILE_NAME
    write_run(evidence, 4)
    lines = evidence.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[3] = lines[3].replace("agent-2", "agent-9")
    evidence.write_text("".join(lines), encoding="utf-8")
    result = run_module(capsys, path=str(evidence))
    assert result["failed"] is True
    assert (result["records"], result["first_bad_line"], result["reason"], result["complete"]) == (
        2, 4, "wrong sha256", False)
    assert "line 4: wrong sha256" in result["msg"] and str(evidence) in result["msg"]


def test_check_mode_reads_the_file_all_the_same(tmp_path, capsys):
    evidence = tmp_path / FILE_NAME
    write_run(evidence, 2)
    with evidence.open("a", encoding="utf-8") as stream:
        stream.write('{"cut":')
    result = run_module(capsys, path=str(evidence), _ansible_check_mode=True)
    assert result["failed"] is True and (result["first_bad_line"], result["reason"]) == (5, "incomplete line")


def test_a_run_that_stopped_early_passes_only_with_allow_incomplete(tmp_path, capsys):
    evidence = tmp_path / FILE_NAME
    write_run(evidence, 3)
    lines = evidence.read_text(encoding="utf-8").splitlines(keepends=True)
    evidence.write_text("".join(lines[:-1]), encoding="utf-8")
    result = run_module(capsys, path=str(evidence))
    assert result["failed"] is True and (result["first_bad_line"], result["reason"]) == (5, "no run_ended")
    result = run_module(capsys, path=str(evidence), allow_incomplete=True)
    assert not result.get("failed") and (result["records"], result["complete"]) == (3, False)
    assert "without run_ended" in result["msg"]


def test_the_expected_last_hash_catches_a_rewrite_by_someone_with_the_key(tmp_path, capsys):
    evidence = tmp_path / FILE_NAME
    anchor = write_run(evidence, 3, key=KEY)
    assert not run_module(capsys, path=str(evidence), key=KEY, expected_last_sha256=anchor.upper()).get("failed")
    write_run(evidence, 3, key=KEY, outcome="failed")
    assert not run_module(capsys, path=str(evidence), key=KEY).get("failed"), "the rewrite holds by itself"
    result = run_module(capsys, path=str(evidence), key=KEY, expected_last_sha256=anchor)
    assert result["failed"] is True and result["first_bad_line"] is None and result["reason"] == "wrong last sha256"
    assert "not the expected %s" % anchor in result["msg"]


@pytest.mark.parametrize("name, make", [
    ("absent", None),
    ("a-directory", lambda path: path.mkdir()),
])
def test_a_path_that_cannot_be_read_fails_naming_the_option(tmp_path, capsys, name, make):
    path = tmp_path / name
    if make:
        make(path)
    result = run_module(capsys, path=str(path))
    assert result["failed"] is True and result["msg"].startswith("path: cannot read %s: " % path)
    assert (result["records"], result["last_sha256"], result["complete"]) == (0, GENESIS_SHA256, False)


def test_path_is_required(capsys):
    result = run_module(capsys)
    assert result["failed"] is True and "path" in result["msg"]
