# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Evidence an auditor can check: the ``cxone.recording.evidence`` callback and ``cxone_evidence_verify``.

Each run enables the callback next to the tests' ``task_results`` callback. The evidence is
compared with what the tasks returned (as ``register`` sees it), checked by the verify module
run by ``ansible-playbook``, tampered with as someone covering their tracks would, and searched
for every planted secret and every token the sandbox issued.
"""

from __future__ import annotations

import glob
import json
import os
import re
import stat

import ansible_runner  # pylint: disable=import-error
import pytest
import yaml

from conftest import (  # pylint: disable=import-error
    ACCESS_KEY_ID,
    ACCESS_KEY_SECRET,
    CLIENT_ID,
    CLIENT_SECRET,
    TENANT_A,
    TENANT_B,
    Ansible,
    agent_ids,
    make_tenant,
)
from cxone_sandbox import SandboxServer  # pylint: disable=import-error
from _helpers_secrets import Needles  # pylint: disable=import-error

pytestmark = pytest.mark.e2e

ALICE, BOB, CAROL, IDLE = agent_ids(4, prefix="5e71")
ZEROS = "0" * 64
TENANT_B_CLIENT_SECRET = "CLIENT-SECRET-B-ev=&+1"
TENANT_B_KEY_SECRET = "KEY-SECRET-B-ev%=&+2"
RECORDING = {"start": "cxone.recording.cxone_recording_start", "stop": "cxone.recording.cxone_recording_stop",
             "dnr": "cxone.recording.cxone_do_not_record"}
ENTRY_FIELDS = ("user_id", "outcome", "http_status", "contact_id", "attempts", "unanswered_attempts", "msg",
                "requested_at", "answered_at")
PRINTED = re.compile(r"cxone\.recording\.evidence: (\d+) records in (\S+), last sha256 ([0-9a-f]{64})")


def evidence_env(directory):
    return {"ANSIBLE_CALLBACKS_ENABLED": "task_results,cxone.recording.evidence", "CXONE_EVIDENCE_PATH": directory}


def read_lines(path):
    with open(path, encoding="utf-8") as stream:
        return [json.loads(line) for line in stream]


def evidence_files(directory):
    return sorted(glob.glob(os.path.join(directory, "cxone-evidence-*.jsonl")))


def step(module, name, ignore_errors=False, **options):
    task = {"name": name, RECORDING[module]: options}
    if ignore_errors:
        task["ignore_errors"] = True
    return task


def verify_own_evidence(directory, name="verify"):
    """Tasks a runbook ends with: find the run's evidence file and check it."""
    return [
        {"name": "find the evidence", "ansible.builtin.find": {"paths": directory, "patterns": "cxone-evidence-*.jsonl"},
         "register": "evidence_files"},
        {"name": name, "cxone.recording.cxone_evidence_verify": {"path": "{{ evidence_files.files[0].path }}"}},
    ]


def add_secrets(ansible, **values):
    """More secrets in the vars file that direct_vars() wrote (passed with -e @, as from a vault)."""
    path = os.path.join(ansible.workdir, "secrets.yml")
    with open(path, encoding="utf-8") as stream:
        secrets = yaml.safe_load(stream)
    secrets.update(values)
    with open(path, "w", encoding="utf-8") as stream:
        yaml.safe_dump(secrets, stream)


def registered_entries(result):
    """The agents' entries of a registered result, loop items included."""
    if result.get("results") and "ansible_loop_var" in result["results"][0]:
        return [entry for item in result["results"] for entry in item.get("results", [])]
    return result.get("results", [])


# -- one tenant: every kind of task, then tampering -------------------------------------------

class Story:  # pylint: disable=too-few-public-methods
    """One playbook run with every kind of recording task, and the evidence file it left."""

    def __init__(self, ansible, run, path, token_requests):
        self.ansible = ansible
        self.run = run
        self.path = path
        self.token_requests = token_requests


@pytest.fixture(scope="module")
def story(sandbox_server, tmp_path_factory):
    control = sandbox_server.client()
    control.reset()
    control.add_tenant(make_tenant(agents=[ALICE, BOB, CAROL, IDLE], calls=[ALICE, BOB, CAROL]))
    workdir = str(tmp_path_factory.mktemp("evidence-story"))
    ansible = Ansible(workdir, sandbox_server.url)
    directory = os.path.join(workdir, "evidence")
    tasks = [
        step("start", "start", user_id=[ALICE, BOB]),
        {"name": "not evidence", "ansible.builtin.debug": {"msg": "only the recording modules are recorded"}},
        step("stop", "stop", user_id=ALICE),
        step("dnr", "do not record", user_id=CAROL),
        step("start", "refused", ignore_errors=True, user_id=[CAROL, IDLE]),
        dict(step("stop", "rehearsal", user_id=[ALICE, BOB]), check_mode=True),
        step("stop", "bad input", ignore_errors=True, user_id=[ALICE], concurrency=0),
        step("stop", "no agents", ignore_errors=True, user_id=[]),
        dict(step("start", "each", ignore_errors=True, user_id="{{ item }}"), loop=[ALICE, IDLE]),
        {"name": "short name", "cxone_recording_stop": {"user_id": BOB}},
    ] + verify_own_evidence(directory)
    playbook = ansible.play(tasks, module_defaults=ansible.direct_vars(), collections=["cxone.recording"])
    run = ansible.run(playbook, env=evidence_env(directory))
    assert run.rc == 0, run.output[-3000:]
    files = evidence_files(directory)
    assert len(files) == 1, files
    return Story(ansible, run, files[0], control.stats()["token_requests"])


EXPECTED = [  # (task, module, check_mode, user_id, outcome, http_status)
    ("start", "start", False, ALICE, "completed", 200),
    ("start", "start", False, BOB, "completed", 200),
    ("stop", "stop", False, ALICE, "completed", 200),
    ("do not record", "dnr", False, CAROL, "completed", 200),
    ("refused", "start", False, CAROL, "failed", 409),
    ("refused", "start", False, IDLE, "failed", 404),
    ("rehearsal", "stop", True, ALICE, "planned", None),
    ("rehearsal", "stop", True, BOB, "planned", None),
    ("bad input", "stop", False, ALICE, "failed", None),
    ("no agents", "stop", False, None, "failed", None),
    ("each", "start", False, ALICE, "completed", 200),
    ("each", "start", False, IDLE, "failed", 404),
    ("short name", "stop", False, BOB, "completed", 200),
]


def test_every_agent_of_every_recording_task_is_one_line_holding_its_result(story):
    run, path, ansible = story.run, story.path, story.ansible
    lines = read_lines(path)
    assert [(line["task"], line["module"], line["check_mode"], line["user_id"], line["outcome"], line["http_status"])
            for line in lines] == [(task, RECORDING[module], check, user, outcome, status)
                                   for task, module, check, user, outcome, status in EXPECTED]
    # Each line carries the agent's result as the task returned it.
    by_task = {}
    for line in lines:
        by_task.setdefault(line["task"], []).append(line)
    for task, written in by_task.items():
        returned = registered_entries(run.result(task)) or [{"outcome": "failed", "msg": run.result(task)["msg"]}]
        assert [{key: line[key] for key in ENTRY_FIELDS} for line in written] == \
            [{key: entry.get(key) for key in ENTRY_FIELDS} for entry in returned], task
    assert lines[3]["contact_id"] and lines[4]["msg"] and "404" in lines[5]["msg"]
    assert {line["confirmed"] for line in lines} == {None}
    run_ids = {line["run_id"] for line in lines}
    assert len(run_ids) == 1 and os.path.basename(path).endswith("-%s.jsonl" % run_ids.pop())
    [(playbook, play, host)] = {(line["playbook"], line["play"], line["host"]) for line in lines}
    assert (os.path.dirname(playbook), play, host) == (ansible.workdir, "e2e", "localhost")
    assert lines[0]["prev_sha256"] == ZEROS
    assert [line["prev_sha256"] for line in lines[1:]] == [line["sha256"] for line in lines[:-1]]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600

    verified = run.result("verify")
    assert not verified["failed"] and verified["changed"] is False
    assert (verified["records"], verified["first_bad_line"], verified["last_sha256"]) == (13, None, lines[-1]["sha256"])
    printed = PRINTED.search(run.stdout)
    assert printed and printed.groups() == ("13", path, lines[-1]["sha256"]), run.stdout[-2000:]


def test_no_secret_or_token_in_the_evidence(story):
    with open(story.path, encoding="utf-8") as stream:
        text = stream.read()
    assert story.token_requests["password"] >= 1, "tokens were issued during the run"
    needles = (Needles().plant("the client secret", CLIENT_SECRET, basic_user=CLIENT_ID)
               .plant("the access key secret", ACCESS_KEY_SECRET))
    assert needles.find(text, os.path.basename(story.path)) == []


def tampered(path, name, change):
    with open(path, encoding="utf-8") as stream:
        lines = stream.read().splitlines(keepends=True)
    copy = os.path.join(os.path.dirname(path), name + ".jsonl")
    with open(copy, "w", encoding="utf-8") as stream:
        stream.write("".join(change(lines)))
    return copy


def one_character_changed(lines):
    lines[2] = lines[2].replace('"completed"', '"completes"')
    return lines


def two_swapped(lines):
    lines[4], lines[5] = lines[5], lines[4]
    return lines


def appended_by_hand(lines):
    """A plausible line written afterwards: right prev_sha256, a sha256 not computed by the rule."""
    forged = dict(json.loads(lines[-1]), user_id=IDLE, outcome="completed", http_status=200)
    forged["prev_sha256"], forged["sha256"] = forged["sha256"], "f" * 64
    return lines + [json.dumps(forged, separators=(",", ":")) + "\n"]


TAMPERINGS = {  # name: (change, first bad line, reason)
    "one character changed": (one_character_changed, 3, "wrong sha256"),
    "a line removed": (lambda lines: lines[:1] + lines[2:], 2, "wrong prev_sha256"),
    "two lines swapped": (two_swapped, 5, "wrong prev_sha256"),
    "a line appended by hand": (appended_by_hand, 14, "wrong sha256"),
    "the last line truncated": (lambda lines: lines[:-1] + [lines[-1][:-30]], 13, "incomplete line"),
    "not JSON": (lambda lines: lines[:6] + ["{not json}\n"] + lines[7:], 7, "bad JSON"),
}


def test_verification_fails_on_the_first_tampered_line(story):
    run, path, ansible = story.run, story.path, story.ansible
    last_sha256 = PRINTED.search(run.stdout).group(3)
    tasks = []
    for name, (change, _line, _reason) in TAMPERINGS.items():
        tasks.append({"name": name, "cxone.recording.cxone_evidence_verify": {"path": tampered(path, name, change)},
                      "ignore_errors": True})
    cut_short = tampered(path, "last line removed", lambda lines: lines[:-1])
    tasks += [
        {"name": "cut short, by itself", "cxone.recording.cxone_evidence_verify": {"path": cut_short}},
        {"name": "cut short, against the printed hash", "ignore_errors": True,
         "cxone.recording.cxone_evidence_verify": {"path": cut_short, "expected_last_sha256": last_sha256}},
        {"name": "intact, against the printed hash",
         "cxone.recording.cxone_evidence_verify": {"path": path, "expected_last_sha256": last_sha256}},
    ]
    checks = ansible.run(ansible.play(tasks), check=True)
    assert checks.rc == 0, checks.output[-3000:]
    for name, (_change, line, reason) in TAMPERINGS.items():
        result = checks.result(name)
        assert result["failed"], name
        assert (result["first_bad_line"], result["reason"], result["records"]) == (line, reason, line - 1), name
        assert "line %d: %s" % (line, reason) in result["msg"], result["msg"]
    # Lines removed from the end leave an intact chain: only the hash printed by the run tells.
    assert checks.result("cut short, by itself")["records"] == 12
    short = checks.result("cut short, against the printed hash")
    assert short["failed"] and short["first_bad_line"] is None and last_sha256 in short["msg"]
    assert checks.result("intact, against the printed hash")["records"] == 13


# -- two tenants at once, and the same play in check mode -------------------------------------

def test_two_tenants_in_forks_write_one_file_per_run(ansible, sandbox, tmp_path):
    agents_a, agents_b = agent_ids(12, prefix="ea0a"), agent_ids(12, prefix="eb0b")
    sandbox.add_tenant(make_tenant(TENANT_A, "na1", agents=agents_a, calls=agents_a))
    tenant_b = make_tenant(TENANT_B, "eu1", agents=agents_b, calls=agents_b, key_secret=TENANT_B_KEY_SECRET)
    tenant_b["clients"] = {"e2e-client-b": TENANT_B_CLIENT_SECRET}
    sandbox.add_tenant(tenant_b)
    base = ansible.direct_vars()
    inventory = ansible.inventory({
        "tenant_a": dict(base, agents=agents_a),
        "tenant_b": dict(base, client_id="e2e-client-b", client_secret="{{ e2e_client_secret_b }}",
                         access_key_secret="{{ e2e_key_secret_b }}", agents=agents_b)})
    add_secrets(ansible, e2e_client_secret_b=TENANT_B_CLIENT_SECRET, e2e_key_secret_b=TENANT_B_KEY_SECRET)
    directory = str(tmp_path / "evidence")
    playbook = ansible.play([step("start", "start", user_id="{{ cxone_agents }}", concurrency=4),
                             step("stop", "stop", user_id="{{ cxone_agents[:6] }}")], hosts="cxone")
    playbook.append(dict(ansible.play(verify_own_evidence(directory))[0], name="check"))

    run = ansible.run(playbook, inventory=inventory, env=evidence_env(directory), extra_args=["--forks", "2"])
    assert run.rc == 0, run.output[-3000:]
    assert run.result("verify")["records"] == 36
    [path] = evidence_files(directory)
    lines = read_lines(path)
    for host, agents in (("tenant_a", agents_a), ("tenant_b", agents_b)):
        mine = [(line["task"], line["user_id"], line["outcome"]) for line in lines if line["host"] == host]
        assert mine == [("start", agent, "completed") for agent in agents] + \
            [("stop", agent, "completed") for agent in agents[:6]], host
    # A task's lines for one tenant stay together, whichever tenant finished first.
    hosts_in_order = [line["host"] for line in lines]
    changes = sum(1 for before, after in zip(hosts_in_order, hosts_in_order[1:]) if before != after)
    assert changes <= 3
    needles = (Needles().plant("the client secret", CLIENT_SECRET).plant("the access key secret", ACCESS_KEY_SECRET)
               .plant("tenant B's client secret", TENANT_B_CLIENT_SECRET)
               .plant("tenant B's access key secret", TENANT_B_KEY_SECRET))
    with open(path, encoding="utf-8") as stream:
        assert needles.find(stream.read(), "evidence") == []

    rehearsal = ansible.run(playbook, inventory=inventory, env=evidence_env(directory), check=True,
                            extra_args=["--forks", "2"])
    assert rehearsal.rc == 0, rehearsal.output[-3000:]
    second = [other for other in evidence_files(directory) if other != path]
    assert len(second) == 1, "one more file for the second run"
    planned = read_lines(second[0])
    assert len(planned) == 36 and {(line["check_mode"], line["outcome"]) for line in planned} == {(True, "planned")}
    assert {line["run_id"] for line in planned}.isdisjoint({line["run_id"] for line in lines})


# -- a large batch ------------------------------------------------------------------------------

def test_ten_thousand_agents_are_ten_thousand_lines(tmp_path):
    """One task, 10,000 agents: as many lines, each written as it is made (the file is streamed).

    The tenant is too large for the control API's request body, so this sandbox starts with it.
    """
    agents = agent_ids(10000, prefix="e10k")
    with SandboxServer({"tenants": [make_tenant(agents=agents, calls=agents)]}) as server:
        ansible = Ansible(str(tmp_path), server.url)
        directory = str(tmp_path / "evidence")
        tasks = [step("start", "batch", user_id=agents, concurrency=64)] + verify_own_evidence(directory)
        run = ansible.run(ansible.play(tasks, module_defaults=ansible.direct_vars()), env=evidence_env(directory))
    assert run.rc == 0, run.output[-3000:]
    assert run.result("verify")["records"] == 10000
    [path] = evidence_files(directory)
    count = 0
    with open(path, encoding="utf-8") as stream:
        for count, line in enumerate(stream, start=1):
            record = json.loads(line)
            assert (record["user_id"], record["outcome"]) == (agents[count - 1], "completed")
    assert count == 10000


# -- an AWX job -------------------------------------------------------------------------------

def test_an_awx_job_keeps_its_evidence_and_prints_the_last_hash_in_its_output(sandbox, tmp_path):
    """ansible-runner as AWX runs a job: credentials and the callback's settings in env/envvars."""
    sandbox.add_tenant(make_tenant(agents=[ALICE, BOB], calls=[ALICE, BOB]))
    private_dir = tmp_path / "job"
    directory = str(tmp_path / "kept-evidence")
    scratch = str(private_dir / "scratch")
    envvars = {"CXONE_ISSUER": sandbox.url, "CXONE_CLIENT_ID": CLIENT_ID, "CXONE_CLIENT_SECRET": CLIENT_SECRET,
               "CXONE_ACCESS_KEY_ID": ACCESS_KEY_ID, "CXONE_ACCESS_KEY_SECRET": ACCESS_KEY_SECRET,
               "ANSIBLE_COLLECTIONS_PATH": os.environ.get("ANSIBLE_COLLECTIONS_PATH", ""),
               "ANSIBLE_CALLBACKS_ENABLED": "cxone.recording.evidence", "CXONE_EVIDENCE_PATH": directory,
               "ANSIBLE_LOCAL_TEMP": scratch, "ANSIBLE_LOCALHOST_WARNING": "0", "NO_PROXY": "127.0.0.1,localhost"}
    for name, data in (("env/envvars", envvars), ("env/settings", {"process_isolation": False}),
                       ("project/job.yml", [{"name": "AWX job", "hosts": "localhost", "gather_facts": False, "tasks": [
                           step("dnr", "do not record", user_id=[ALICE, BOB])]}])):
        (private_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (private_dir / name).write_text(yaml.safe_dump(data), encoding="utf-8")

    runner = ansible_runner.run(private_data_dir=str(private_dir), playbook="job.yml", quiet=True, timeout=300)
    output = runner.stdout.read()
    assert runner.status == "successful", output[-3000:]
    [path] = evidence_files(directory)
    lines = read_lines(path)
    assert [(line["user_id"], line["outcome"]) for line in lines] == [(ALICE, "completed"), (BOB, "completed")]
    assert os.path.basename(lines[0]["playbook"]) == "job.yml"
    printed = PRINTED.search(output)
    assert printed and printed.groups() == ("2", path, lines[-1]["sha256"]), "the anchor is in the job's output"
