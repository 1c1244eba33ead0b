# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""cxone_evidence_verify run in-process: what a task returns for an intact or a tampered file."""

from __future__ import annotations

import io
import json

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.cxone.recording.plugins.module_utils._evidence import GENESIS_SHA256, EvidenceChain
from ansible_collections.cxone.recording.plugins.modules import cxone_evidence_verify

CONTEXT = {"run_id": "r1", "task": "stop", "host": "tenant_a", "module": "cxone.recording.cxone_recording_stop",
           "check_mode": False}


def run_module(capsys, **args):
    """The module's result as the controller gets it: the JSON it prints before exiting."""
    with patch_module_args(args), pytest.raises(SystemExit):
        cxone_evidence_verify.main()
    return json.loads(capsys.readouterr().out)


def write_chain(path, count):
    stream = io.StringIO()
    chain = EvidenceChain(stream)
    for number in range(count):
        chain.append(CONTEXT, {"user_id": "agent-%d" % number, "outcome": "completed", "http_status": 200})
    path.write_text(stream.getvalue(), encoding="utf-8")
    return chain.last_sha256


def test_an_intact_file_passes_with_its_count(tmp_path, capsys):
    evidence = tmp_path / "evidence.jsonl"
    last = write_chain(evidence, 4)
    result = run_module(capsys, path=str(evidence))
    assert not result.get("failed") and result["changed"] is False
    assert (result["records"], result["first_bad_line"], result["reason"], result["last_sha256"]) == (4, None, None, last)
    assert result["msg"].endswith("4 records, chain intact")


def test_a_tampered_file_fails_naming_the_line_and_why(tmp_path, capsys):
    evidence = tmp_path / "evidence.jsonl"
    write_chain(evidence, 4)
    lines = evidence.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = lines[2].replace("agent-2", "agent-9")
    evidence.write_text("".join(lines), encoding="utf-8")
    result = run_module(capsys, path=str(evidence))
    assert result["failed"] is True
    assert (result["records"], result["first_bad_line"], result["reason"]) == (2, 3, "wrong sha256")
    assert "line 3: wrong sha256" in result["msg"] and str(evidence) in result["msg"]


def test_check_mode_reads_the_file_all_the_same(tmp_path, capsys):
    evidence = tmp_path / "evidence.jsonl"
    write_chain(evidence, 2)
    with evidence.open("a", encoding="utf-8") as stream:
        stream.write('{"cut":')
    result = run_module(capsys, path=str(evidence), _ansible_check_mode=True)
    assert result["failed"] is True and (result["first_bad_line"], result["reason"]) == (3, "incomplete line")


def test_the_expected_last_hash_catches_lines_removed_from_the_end(tmp_path, capsys):
    evidence = tmp_path / "evidence.jsonl"
    last = write_chain(evidence, 3)
    assert not run_module(capsys, path=str(evidence), expected_last_sha256=last.upper()).get("failed")
    lines = evidence.read_text(encoding="utf-8").splitlines(keepends=True)
    evidence.write_text("".join(lines[:-1]), encoding="utf-8")
    result = run_module(capsys, path=str(evidence), expected_last_sha256=last)
    assert result["failed"] is True and result["records"] == 2 and result["first_bad_line"] is None
    assert "not the expected %s" % last in result["msg"]


def test_a_missing_file_fails_naming_the_option(tmp_path, capsys):
    result = run_module(capsys, path=str(tmp_path / "absent.jsonl"))
    assert result["failed"] is True and result["msg"].startswith("path: cannot read ")
    assert "No such file" in result["msg"]
    assert (result["records"], result["last_sha256"]) == (0, GENESIS_SHA256)


def test_path_is_required(capsys):
    result = run_module(capsys)
    assert result["failed"] is True and "path" in result["msg"]
