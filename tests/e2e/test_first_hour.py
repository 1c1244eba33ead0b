# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""End-to-end: what a new user meets in the first hour, as ansible-playbook shows it.

The way into the tools after ``make demo`` (``make shell``, ``.build/env``), ``make sandbox``
with its inventories, and the messages that must point at the fix: the 404 hint names
``no_active_call: skip``, a misspelled option is named even when ``user_id`` is missing too, a
wrong plan is the role's own message, a misspelled role variable is warned about, and counts
are spelled "1 record", "2 records".
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest

from e2e_helpers import agent_ids, make_tenant  # pylint: disable=import-error

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLE = "cxone.recording.record_on_demand"
ON_CALL, NO_CALL = agent_ids(2, prefix="f1r5")
PRINTED = re.compile(r"cxone\.recording\.evidence: (\d+) (records?) in ")


@pytest.fixture
def tenant(sandbox):
    sandbox.add_tenant(make_tenant(agents=[ON_CALL, NO_CALL], calls=[ON_CALL]))
    return sandbox


def test_the_404_hint_names_no_active_call_skip(ansible, tenant):
    tasks = [{"name": "stop %s" % mode, "cxone.recording.cxone_recording_stop": {"user_id": NO_CALL, "only_when_needed": mode},
              "ignore_errors": True} for mode in (False, True)]
    run = ansible.run(ansible.play(tasks, module_defaults=ansible.direct_vars()))
    for mode in (False, True):
        msg = run.result("stop %s" % mode)["msg"]
        assert "has no active call" in msg or "HTTP 404" in msg, msg
        assert "set no_active_call: skip" in msg, msg
        assert "record_on_demand_no_active_call: skip" in msg, msg
    # Skipped agents get no hint: there is nothing to fix.
    skipped = ansible.run(ansible.play([{"name": "skip", "cxone.recording.cxone_recording_stop": {
        "user_id": NO_CALL, "no_active_call": "skip"}}], module_defaults=ansible.direct_vars()))
    assert "set no_active_call" not in skipped.result("skip")["results"][0]["msg"]


def test_a_misspelled_option_is_named_even_when_user_id_is_missing(ansible, tenant):
    tasks = [{"name": "misspelled", "cxone.recording.cxone_recording_stop": {"userids": [ON_CALL]}, "ignore_errors": True},
             {"name": "info misspelled", "cxone.recording.cxone_recording_info": {"userid": ON_CALL}, "ignore_errors": True},
             {"name": "missing", "cxone.recording.cxone_do_not_record": {}, "ignore_errors": True}]
    run = ansible.run(ansible.play(tasks, module_defaults=ansible.direct_vars()))
    for task, option in (("misspelled", "userids"), ("info misspelled", "userid")):
        msg = run.result(task)["msg"]
        assert msg.startswith("Unsupported parameters for ("), msg
        assert ": %s. Supported parameters include:" % option in msg, msg
        assert "missing required" not in msg
    assert run.result("missing")["msg"] == "missing required arguments: user_id"
    assert tenant.requests()["requests"] == [], "nothing reached CXone, not even a login"


def test_a_wrong_plan_is_the_roles_own_message(ansible, tenant):
    plan = [{"action": "stop", "user_ids": [ON_CALL], "media_type": "voice"}]
    tasks = [{"name": "apply", "ansible.builtin.include_role": {"name": ROLE}, "vars": {"record_on_demand_plan": plan}}]
    run = ansible.run(ansible.play(tasks, hosts="cxone"), ansible.tenant_inventory())
    assert run.rc == 2
    result = run.result("Refuse a wrong plan before any request")
    assert result["msg"] == "record_on_demand_plan: entry 1: media_type is only for start entries, this one is stop"
    for wrapper in ("Finalization of task args", "filter plugin", "set_fact"):
        assert wrapper not in run.output, (wrapper, run.output[-3000:])
    assert tenant.requests()["requests"] == []


def test_a_plan_given_as_text_that_is_not_yaml_is_the_roles_own_message(ansible, tenant):
    tasks = [{"name": "apply", "ansible.builtin.include_role": {"name": ROLE, "tasks_from": "survey"},
              "vars": {"record_on_demand_plan": "[{action: stop, user_ids: [%s]" % ON_CALL}}]
    run = ansible.run(ansible.play(tasks, hosts="cxone"), ansible.tenant_inventory())
    assert run.rc == 2
    assert run.result("Refuse a wrong plan before any request")["msg"].startswith(
        "record_on_demand_plan: the text is not valid JSON or YAML (line 1")
    assert "Finalization of task args" not in run.output


def test_a_misspelled_role_variable_is_warned_about(ansible, tenant):
    plan = [{"action": "stop", "user_ids": [ON_CALL]}]
    role = {"name": "apply", "ansible.builtin.include_role": {"name": ROLE},
            "vars": {"record_on_demand_plan": plan, "record_on_demand_no_active_cal": "skip", "record_on_demand_wait": False}}
    run = ansible.run(ansible.play([role, dict(role, name="again")], hosts="cxone"), ansible.tenant_inventory())
    assert run.rc == 0, run.output[-3000:]
    output = " ".join(run.output.split())
    assert ("[WARNING]: record_on_demand_no_active_cal is not a variable of the role cxone.recording.record_on_demand "
            "and is ignored; did you mean record_on_demand_no_active_call?") in output, run.output[-3000:]
    # Only the misspelled one: the role's options, and the facts it set in the first run, are known.
    assert len(re.findall(r"is not a variable of the role", output)) == 1, run.output[-3000:]


def test_counts_are_singular_for_one(ansible, tenant, tmp_path):
    evidence_dir = tmp_path / "evidence"
    play = ansible.play([{"name": "stop", "cxone.recording.cxone_recording_stop": {"user_id": NO_CALL}, "ignore_errors": True}],
                        module_defaults=ansible.direct_vars())
    run = ansible.run(play, env={"ANSIBLE_CALLBACKS_ENABLED": "task_results,cxone.recording.evidence",
                                 "CXONE_EVIDENCE_PATH": str(evidence_dir)})
    assert PRINTED.search(run.stdout).groups() == ("1", "record"), run.stdout[-2000:]
    assert run.result("stop")["msg"].startswith("stop recording failed for 1 of 1 user: ")
    role = [{"name": "apply", "ansible.builtin.include_role": {"name": ROLE},
             "vars": {"record_on_demand_plan": [{"action": "stop", "user_ids": [NO_CALL]}]}}]
    run = ansible.run(ansible.play(role, hosts="cxone"), ansible.tenant_inventory())
    assert run.result("Fail when any agent failed")["msg"].startswith("1 of 1 agent action failed: stop: user %s" % NO_CALL)
    found = ansible.run(ansible.play([{"name": "find", "cxone.recording.cxone_user_info": {"user_id": ["nobody"]},
                                       "ignore_errors": True}], module_defaults=ansible.direct_vars()))
    assert found.result("find")["msg"].startswith("1 selector value matched no user of status ACTIVE")


def _venv_bin():
    return os.path.dirname(sys.executable)


def test_make_shell_and_the_env_file_give_the_checkouts_tools():
    """After make demo: .build/env (and make shell, which sources it) find ansible-playbook and the collection."""
    env = {name: value for name, value in os.environ.items() if name not in ("ANSIBLE_COLLECTIONS_PATH", "VIRTUAL_ENV")}
    env["PATH"] = os.pathsep.join(part for part in env["PATH"].split(os.pathsep) if part != _venv_bin())
    env["HOME"] = "/nonexistent"      # no ~/.bashrc of the user's
    script = "command -v ansible-playbook; echo \"collections=$ANSIBLE_COLLECTIONS_PATH\"; echo \"prompt=$PS1\"\n"
    done = subprocess.run(["make", "-s", "shell"], cwd=ROOT, input=script, env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert os.path.join(ROOT, ".venv", "bin", "ansible-playbook") in done.stdout, done.stdout + done.stderr
    assert "collections=%s" % os.path.join(ROOT, ".build", "collections") in done.stdout
    assert "prompt=(cxone.recording) " in done.stdout
    sourced = subprocess.run(["bash", "-c", ". .build/env && ansible-doc -t role %s | head -3" % ROLE], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=120, check=False)
    assert "ENTRY POINT" in sourced.stdout and "main" in sourced.stdout, sourced.stdout + sourced.stderr


def test_make_sandbox_serves_the_guides_inventories_until_stopped(tmp_path):
    """run_sandbox.py (what make sandbox runs): the guides' tenants.yml works as written from its folder."""
    output_dir = tmp_path / "sandbox"
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "tests", "sandbox"))
    env = {name: value for name, value in env.items() if not name.startswith("CXONE_")}
    process = subprocess.Popen([sys.executable, os.path.join(ROOT, "tests", "demo", "run_sandbox.py"), "--port", "0",
                                "--output-dir", str(output_dir)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        lines = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            lines.append(line)
            if "runs until Ctrl-C" in line or not line:
                break
        printed = "".join(lines)
        url = re.search(r"CXone sandbox listening on (http://127\.0\.0\.1:\d+)", printed).group(1)
        assert "export CXONE_ISSUER=%s" % url in printed and "export CXONE_ACCESS_KEY_ID=DEMOKEYID" in printed
        assert sorted(os.listdir(output_dir)) == ["env", "group_vars", "inventory.yml", "tenants.yml"]
        run_env = {name: value for name, value in os.environ.items() if not name.startswith("CXONE_")}
        run_env.update(ANSIBLE_NOCOLOR="1", ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"),
                       ANSIBLE_PERSISTENT_CONTROL_PATH_DIR=str(tmp_path / "pc"))
        for inventory, host in (("tenants.yml", "tenant_emea"), ("inventory.yml", "sandbox")):
            done = subprocess.run(["ansible-playbook", "-i", inventory, "cxone.recording.stop_recording",
                                   "-e", "user_ids=3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"], cwd=str(output_dir), env=run_env,
                                  capture_output=True, text=True, timeout=300, check=False)
            assert done.returncode == 0, done.stdout + done.stderr
            assert "stop: 1 agent: 1 " in done.stdout and "%s " % host in done.stdout, done.stdout
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "sandbox: stopped" in out
