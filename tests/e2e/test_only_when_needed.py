# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""``only_when_needed`` against the sandbox in both connection modes: a task run twice changes
only the first time, check mode is a true diff, a voice-and-screen start is always sent, and the
evidence callback records the agents that needed nothing."""

from __future__ import annotations

import glob
import json
import os

import pytest

from e2e_helpers import (  # pylint: disable=import-error
    CONNECTION_MODES,
    agent_ids,
    make_tenant,
    operation_requests,
    plays_in_mode,
)

pytestmark = pytest.mark.e2e

RECORDED, NOT_RECORDED, NO_CALL, UNREADABLE, LATE, SCREEN = AGENTS = agent_ids(6, prefix="0a1d")


def start(name, user_ids, check_mode=False, **options):
    step = {"name": name, "register": name.replace(" ", "_"), "ignore_errors": True,
            "cxone.recording.cxone_recording_start": dict(
                {"user_id": user_ids, "only_when_needed": True, "no_active_call": "skip"}, **options)}
    if check_mode:
        step["check_mode"] = True
    return step


@pytest.mark.parametrize("mode", CONNECTION_MODES)
def test_a_start_run_twice_changes_only_the_first_time(ansible, sandbox, mode, tmp_path):
    config = make_tenant(agents=AGENTS, calls=[agent for agent in AGENTS if agent != NO_CALL], async_delay_ms=300)
    for agent in config["agents"]:
        agent["asynchronous"] = agent["user_id"] == LATE
    sandbox.add_tenant(config)
    sandbox.add_fault("slow", delay_ms=0, operation="status", user_id=RECORDED, count=1,
                      next_call={"recording_policy": "voice"})  # a call recorded by a policy
    sandbox.add_fault("status", status=403, operation="status", user_id=UNREADABLE, count=3)
    batch = [RECORDED, NOT_RECORDED, NO_CALL, UNREADABLE, LATE]
    tasks = [
        start("preview", batch, check_mode=True),
        start("first", batch, wait=True, wait_timeout=20),
        start("second", batch),
        start("screen", [SCREEN], media_type="voiceAndScreen"),
        start("screen again", [SCREEN], media_type="voiceAndScreen"),
    ]
    evidence = str(tmp_path / "evidence")
    os.mkdir(evidence)
    playbook, inventory = plays_in_mode(ansible, mode, [(None, tasks)])
    run = ansible.run(playbook, inventory=inventory, env={
        "ANSIBLE_CALLBACKS_ENABLED": "task_results,cxone.recording.evidence", "CXONE_EVIDENCE_PATH": evidence})
    assert run.rc == 0, run.output

    def outcomes(name):
        return [entry["outcome"] for entry in run.result(name)["results"]]

    # UNREADABLE's first three status reads are refused (403): the preview and the first run cannot tell, and send.
    assert outcomes("preview") == ["unchanged", "planned", "skipped", "planned", "planned"]
    first = run.result("first")
    assert outcomes("first") == ["unchanged", "completed", "skipped", "completed", "completed"]
    assert first["results"][4]["http_status"] == 202 and first["results"][4]["confirmed"] is True
    assert first["summary"]["unchanged"] == 1 and first["changed"] is True
    assert "already recording (contact" in first["results"][0]["msg"]

    second = run.result("second")
    assert outcomes("second") == ["unchanged", "unchanged", "skipped", "unchanged", "unchanged"]
    assert second["changed"] is False and second["summary"]["unchanged"] == 4
    starts = [entry["user_id"] for entry in operation_requests(sandbox, "start")]
    assert sorted(starts) == sorted([NOT_RECORDED, UNREADABLE, LATE, SCREEN, SCREEN]), \
        "one start each where needed; voice and screen always sent"
    assert run.result("screen again")["changed"] is True

    lines = [json.loads(line) for path in glob.glob(os.path.join(evidence, "*.jsonl"))
             for line in open(path, encoding="utf-8")]
    unchanged = [line for line in lines if line.get("task") == "second" and line.get("outcome") == "unchanged"]
    assert sorted(line["user_id"] for line in unchanged) == sorted([RECORDED, NOT_RECORDED, UNREADABLE, LATE])


@pytest.mark.parametrize("value", ["maybe", "[1]"])
def test_only_when_needed_must_be_a_boolean(ansible, sandbox, value):
    sandbox.add_tenant(make_tenant(agents=AGENTS[:1], calls=AGENTS[:1]))
    tasks = [{"name": "bad", "register": "bad", "ignore_errors": True, "cxone.recording.cxone_do_not_record": {
        "user_id": AGENTS[0], "only_when_needed": value}}]
    run = ansible.run(ansible.play(tasks, module_defaults=ansible.direct_vars()))
    bad = run.result("bad")
    assert bad["failed"] is True and "only_when_needed" in bad["msg"] and "bool" in bad["msg"]
    assert operation_requests(sandbox) == [] and sandbox.requests()["requests"] == []
