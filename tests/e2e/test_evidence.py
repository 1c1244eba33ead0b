# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Evidence an auditor can check: the ``cxone.recording.evidence`` callback and ``cxone_evidence_verify``.

Each run enables the callback next to the tests' ``task_results`` callback. The evidence is
compared with what the tasks returned (as ``register`` sees it), checked by the verify module
run by ``ansible-playbook``, tampered with as someone covering their tracks would, and searched
for every planted secret, the evidence key and every token the sandbox issued. Background
(``async``) tasks and a disk that fills up during the run are run for real.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import re
import stat
import subprocess

import ansible_runner  # pylint: disable=import-error
import jinja2.sandbox
import pytest
import yaml

from e2e_helpers import (  # pylint: disable=import-error
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
PRINTED = re.compile(r"cxone\.recording\.evidence: (\d+) records? in (\S+), last sha256 ([0-9a-f]{64})")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EVIDENCE_KEY_TYPE = os.path.join(ROOT, "extensions", "awx", "evidence_key_credential_type.yml")
EVIDENCE_KEY = "EVIDENCE-KEY-of-the-auditors-7q%=&"


def evidence_env(directory):
    return {"ANSIBLE_CALLBACKS_ENABLED": "task_results,cxone.recording.evidence", "CXONE_EVIDENCE_PATH": directory}


def read_lines(path):
    with open(path, encoding="utf-8") as stream:
        return [json.loads(line) for line in stream]


def read_text(path):
    with open(path, encoding="utf-8", errors="replace") as stream:
        return stream.read()


def agent_lines(path):
    return [line for line in read_lines(path) if line["record"] == "agent"]


def evidence_files(directory):
    return sorted(glob.glob(os.path.join(directory, "cxone-evidence-*.jsonl")))


def step(module, name, ignore_errors=False, **options):
    task = {"name": name, RECORDING[module]: options}
    if ignore_errors:
        task["ignore_errors"] = True
    return task


def verify_own_evidence(directory, name="verify", **options):
    """Tasks a runbook ends with: find the run's evidence file and check it (the run not ended yet)."""
    return [
        {"name": "find the evidence", "ansible.builtin.find": {"paths": directory, "patterns": "cxone-evidence-*.jsonl"},
         "register": "evidence_files"},
        {"name": name, "cxone.recording.cxone_evidence_verify": dict(
            {"path": "{{ evidence_files.files[0].path }}", "allow_incomplete": True}, **options)},
    ]


def verify(name, path, ignore_errors=True, **options):
    task = {"name": name, "cxone.recording.cxone_evidence_verify": dict(options, path=path)}
    if ignore_errors:
        task["ignore_errors"] = True
    return task


def printed_anchor(run):
    """(records, file, last sha256) from the line the run printed at its end; None without one."""
    found = PRINTED.findall(run.stdout)
    assert len(found) <= 1, run.stdout[-3000:]
    return (int(found[0][0]), found[0][1], found[0][2]) if found else None


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
    assert [line["record"] for line in lines] == ["run_started"] + ["agent"] * len(EXPECTED) + ["run_ended"]
    started, agents, ended = lines[0], lines[1:-1], lines[-1]
    assert [(line["task"], line["module"], line["check_mode"], line["user_id"], line["outcome"], line["http_status"])
            for line in agents] == [(task, RECORDING[module], check, user, outcome, status)
                                    for task, module, check, user, outcome, status in EXPECTED]
    # Each line carries the agent's result as the task returned it.
    by_task = {}
    for line in agents:
        by_task.setdefault(line["task"], []).append(line)
    for task, written in by_task.items():
        returned = registered_entries(run.result(task)) or [{"outcome": "failed", "msg": run.result(task)["msg"]}]
        assert [{key: line[key] for key in ENTRY_FIELDS} for line in written] == \
            [{key: entry.get(key) for key in ENTRY_FIELDS} for entry in returned], task
    assert agents[3]["contact_id"] and agents[4]["msg"] and "404" in agents[5]["msg"]
    assert {line["confirmed"] for line in agents} == {None}
    run_ids = {line["run_id"] for line in lines}
    assert len(run_ids) == 1 and os.path.basename(path).endswith("-%s.jsonl" % run_ids.pop())
    [(playbook, play, host)] = {(line["playbook"], line["play"], line["host"]) for line in agents}
    assert (os.path.dirname(playbook), play, host) == (ansible.workdir, "e2e", "localhost")
    assert (started["playbook"], started["keyed"], ended["records"]) == (playbook, False, len(EXPECTED))
    with open(os.path.join(os.environ["ANSIBLE_COLLECTIONS_PATH"].split(os.pathsep)[0], "ansible_collections",
                           "cxone", "recording", "MANIFEST.json"), encoding="utf-8") as stream:
        assert started["collection_version"] == json.load(stream)["collection_info"]["version"]
    assert lines[0]["prev_sha256"] == ZEROS
    assert [line["prev_sha256"] for line in lines[1:]] == [line["sha256"] for line in lines[:-1]]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600

    # Checked by the run itself, before its end: every agent so far, no run_ended yet.
    verified = run.result("verify")
    assert not verified["failed"] and verified["changed"] is False
    assert (verified["records"], verified["complete"], verified["first_bad_line"], verified["last_sha256"]) == (
        13, False, None, agents[-1]["sha256"])
    assert printed_anchor(run) == (13, path, ended["sha256"]), run.stdout[-2000:]


def test_no_secret_or_token_in_the_evidence(story):
    with open(story.path, encoding="utf-8") as stream:
        text = stream.read()
    assert story.token_requests["password"] >= 1, "tokens were issued during the run"
    needles = (Needles().plant("the client secret", CLIENT_SECRET, basic_user=CLIENT_ID)
               .plant("the access key secret", ACCESS_KEY_SECRET))
    assert needles.find(text, os.path.basename(story.path)) == []


def tampered(path, name, change):
    """A copy of the file, under the same name in a folder of its own, after ``change(lines)``."""
    with open(path, encoding="utf-8") as stream:
        lines = stream.read().splitlines(keepends=True)
    copy = os.path.join(os.path.dirname(path), name.replace(" ", "-"), os.path.basename(path))
    os.makedirs(os.path.dirname(copy))
    with open(copy, "w", encoding="utf-8") as stream:
        stream.write("".join(change(lines)))
    return copy


def one_character_changed(lines):
    lines[2] = lines[2].replace('"completed"', '"completes"')
    return lines


def two_swapped(lines):
    lines[4], lines[5] = lines[5], lines[4]
    return lines


def forged_agent(lines):
    """A plausible agent line written by hand after the last agent: right prev_sha256, a made-up sha256."""
    forged = dict(json.loads(lines[-2]), user_id=IDLE, outcome="completed", http_status=200)
    forged["prev_sha256"], forged["sha256"] = forged["sha256"], "f" * 64
    return json.dumps(forged, separators=(",", ":")) + "\n"


def with_nan(lines):
    lines[3] = lines[3].replace('"attempts":1', '"attempts":NaN')
    return lines


TAMPERINGS = {  # name: (change, first bad line, reason, agent records before it)
    "one character changed": (one_character_changed, 3, "wrong sha256", 1),
    "the first agent removed": (lambda lines: lines[:1] + lines[2:], 2, "wrong prev_sha256", 0),
    "run_started removed": (lambda lines: lines[1:], 1, "wrong record", 0),
    "two lines swapped": (two_swapped, 5, "wrong prev_sha256", 3),
    "a line inserted by hand": (lambda lines: lines[:-1] + [forged_agent(lines)] + lines[-1:], 15, "wrong sha256", 13),
    "a line appended after run_ended": (lambda lines: lines + [forged_agent(lines)], 16, "wrong record", 13),
    "the last line truncated": (lambda lines: lines[:-1] + [lines[-1][:-30]], 15, "incomplete line", 13),
    "not JSON": (lambda lines: lines[:6] + ["{not json}\n"] + lines[7:], 7, "bad JSON", 5),
    "NaN": (with_nan, 4, "bad JSON", 2),
    "emptied": (lambda lines: [], 1, "empty file", 0),
    "cut short": (lambda lines: lines[:-3], 13, "no run_ended", 11),
}


def test_verification_fails_on_the_first_tampered_line(story):
    run, path, ansible = story.run, story.path, story.ansible
    last_sha256 = printed_anchor(run)[2]
    tasks = [verify(name, tampered(path, name, change)) for name, (change, _line, _reason, _records)
             in TAMPERINGS.items()]
    cut_short = tampered(path, "cut short, as if the run had crashed", lambda lines: lines[:-3])
    tasks += [
        verify("cut short, excused as a crash", cut_short, allow_incomplete=True),
        verify("cut short, against the printed hash", cut_short, allow_incomplete=True,
               expected_last_sha256=last_sha256),
        verify("intact, against the printed hash", path, ignore_errors=False, expected_last_sha256=last_sha256),
    ]
    checks = ansible.run(ansible.play(tasks), check=True)
    assert checks.rc == 0, checks.output[-3000:]
    for name, (_change, line, reason, records) in TAMPERINGS.items():
        result = checks.result(name)
        assert result["failed"], name
        assert (result["first_bad_line"], result["reason"], result["records"]) == (line, reason, records), name
        assert "line %d: %s" % (line, reason) in result["msg"], result["msg"]
    # Lines removed from the end pass as a crashed run: only the hash printed by the run tells.
    assert checks.result("cut short, excused as a crash")["records"] == 11
    short = checks.result("cut short, against the printed hash")
    assert short["failed"] and short["reason"] == "wrong last sha256" and last_sha256 in short["msg"]
    intact = checks.result("intact, against the printed hash")
    assert (intact["records"], intact["complete"], intact["keyed"]) == (13, True, False)


# -- tasks in the background ---------------------------------------------------------------------

def test_background_tasks_are_recorded_once_from_the_finished_job(ansible, sandbox, tmp_path):
    sandbox.add_tenant(make_tenant(agents=[ALICE, BOB, CAROL], calls=[ALICE, BOB, CAROL]))
    directory = str(tmp_path / "evidence")
    status = {"jid": "{{ dnr_job.ansible_job_id }}"}
    tasks = [
        dict(step("dnr", "dnr in the background", user_id=[ALICE, BOB]), register="dnr_job",
             **{"async": 60, "poll": 0}),
        {"name": "wait for it", "ansible.builtin.async_status": status, "register": "dnr_status",
         "until": "dnr_status.finished", "retries": 60, "delay": 1},
        {"name": "ask again", "ansible.builtin.async_status": status},
        dict(step("start", "start, waited for by Ansible", user_id=CAROL), **{"async": 60, "poll": 1}),
        {"name": "clean up", "ansible.builtin.async_status": dict(status, mode="cleanup")},
    ]
    run = ansible.run(ansible.play(tasks, module_defaults=ansible.direct_vars()), env=evidence_env(directory))
    assert run.rc == 0, run.output[-3000:]
    [path] = evidence_files(directory)
    lines = read_lines(path)
    assert [(line["record"], line.get("task"), line.get("module"), line.get("user_id")) for line in lines] == [
        ("run_started", None, None, None),
        ("agent", "dnr in the background", RECORDING["dnr"], ALICE),
        ("agent", "dnr in the background", RECORDING["dnr"], BOB),
        ("agent", "start, waited for by Ansible", RECORDING["start"], CAROL),
        ("run_ended", None, None, None)]
    assert [{key: line[key] for key in ENTRY_FIELDS} for line in lines[1:3]] == \
        [{key: entry.get(key) for key in ENTRY_FIELDS} for entry in run.result("wait for it")["results"]]
    assert lines[-1]["records"] == 3 and printed_anchor(run) == (3, path, lines[-1]["sha256"])
    assert "background job" not in run.output


# -- a disk that fills up -------------------------------------------------------------------------

@contextlib.contextmanager
def small_disk(tmp_path):
    """``(directory, full)``: a directory on an 8 KiB tmpfs (root), else one the callback cannot create its file in."""
    directory = tmp_path / "small-disk"
    directory.mkdir()
    mounted = os.geteuid() == 0 and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8k,mode=0700", "tmpfs", str(directory)],
        capture_output=True, check=False).returncode == 0
    try:
        if mounted:
            yield str(directory), True
        elif os.geteuid() == 0:
            # Permissions do not bind root: a directory below a regular file cannot be made.
            (tmp_path / "a-file").write_text("", encoding="utf-8")
            yield str(tmp_path / "a-file" / "evidence"), False
        else:
            directory.chmod(0o500)
            yield str(directory), False
    finally:
        if mounted:
            subprocess.run(["umount", str(directory)], check=True)
        directory.chmod(0o700)


def test_a_write_error_warns_naming_the_file_and_the_printed_count_is_what_the_file_holds(ansible, sandbox, tmp_path):
    agents = agent_ids(20, prefix="d15c")
    sandbox.add_tenant(make_tenant(agents=agents, calls=agents))
    with small_disk(tmp_path) as (directory, full):
        tasks = [step("start", "start, more than the disk holds", user_id=agents),
                 {"name": "the run goes on", "ansible.builtin.debug": {"msg": "still running"}},
                 step("stop", "stop, after the error", user_id=agents[:2])]
        tasks += [dict(task, ignore_errors=True) for task in verify_own_evidence(directory)]
        run = ansible.run(ansible.play(tasks, module_defaults=ansible.direct_vars()), env=evidence_env(directory))
        assert run.rc == 0, run.output[-3000:]
        assert run.result("the run goes on")["msg"] == "still running"
        assert [entry["outcome"] for entry in run.result("stop, after the error")["results"]] == ["completed"] * 2
        files = evidence_files(directory) if full else []
        lines = read_lines(files[0]) if files else []
    warned = re.search(r"cxone\.recording\.evidence: cannot write (\S+): ([^;]+);", run.output)
    assert warned, run.output[-3000:]
    assert "2 recording tasks of this run are missing from the evidence" in run.output
    if not full:
        assert os.path.basename(warned.group(1)).startswith("cxone-evidence-") and printed_anchor(run) is None
        return
    assert (warned.groups(), len(files)) == ((files[0], "No space left on device"), 1)
    # Whole lines only, as many as were written before the disk was full, and the count says so.
    assert [line["record"] for line in lines] == ["run_started"] + ["agent"] * (len(lines) - 1)
    assert 0 < len(lines) - 1 < 20 and [line["user_id"] for line in lines[1:]] == agents[:len(lines) - 1]
    assert printed_anchor(run) == (len(lines) - 1, files[0], lines[-1]["sha256"])
    verified = run.result("verify")
    assert (verified["records"], verified["last_sha256"], verified["complete"]) == (
        len(lines) - 1, lines[-1]["sha256"], False)


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
    lines = agent_lines(path)
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
    planned = agent_lines(second[0])
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
    lines = agent_lines(path)
    assert [(line["user_id"], line["outcome"]) for line in lines] == [(agent, "completed") for agent in agents]


# -- an AWX job, keyed ----------------------------------------------------------------------------

def injected_evidence_key(key):
    """The environment AWX injects for a credential of the evidence key type (its injectors, rendered)."""
    with open(EVIDENCE_KEY_TYPE, encoding="utf-8") as stream:
        credential_type = yaml.safe_load(stream)
    assert [field["id"] for field in credential_type["inputs"]["fields"] if field.get("secret")] == ["evidence_key"]
    renderer = jinja2.sandbox.ImmutableSandboxedEnvironment()
    return {name: renderer.from_string(template).render(evidence_key=key)
            for name, template in credential_type["injectors"]["env"].items()}


def test_an_awx_job_keeps_keyed_evidence_shows_the_key_nowhere_and_prints_the_last_hash(ansible, sandbox, tmp_path):
    """ansible-runner as AWX runs a job (-vvvv): CXone and evidence key credentials injected in env/envvars."""
    sandbox.add_tenant(make_tenant(agents=[ALICE, BOB], calls=[ALICE, BOB]))
    private_dir = tmp_path / "job"
    directory = str(tmp_path / "kept-evidence")
    scratch = str(private_dir / "scratch")
    envvars = dict(injected_evidence_key(EVIDENCE_KEY),
                   CXONE_ISSUER=sandbox.url, CXONE_CLIENT_ID=CLIENT_ID, CXONE_CLIENT_SECRET=CLIENT_SECRET,
                   CXONE_ACCESS_KEY_ID=ACCESS_KEY_ID, CXONE_ACCESS_KEY_SECRET=ACCESS_KEY_SECRET,
                   ANSIBLE_COLLECTIONS_PATH=os.environ.get("ANSIBLE_COLLECTIONS_PATH", ""),
                   ANSIBLE_CALLBACKS_ENABLED="cxone.recording.evidence", CXONE_EVIDENCE_PATH=directory,
                   ANSIBLE_LOCAL_TEMP=scratch, ANSIBLE_LOCALHOST_WARNING="0", NO_PROXY="127.0.0.1,localhost")
    tasks = [step("dnr", "do not record", user_id=[ALICE, BOB])] + verify_own_evidence(
        directory, key="{{ lookup('ansible.builtin.env', 'CXONE_EVIDENCE_KEY') }}")
    for name, data in (("env/envvars", envvars), ("env/settings", {"process_isolation": False}),
                       ("project/job.yml", [{"name": "AWX job", "hosts": "localhost", "gather_facts": False,
                                             "tasks": tasks}])):
        (private_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (private_dir / name).write_text(yaml.safe_dump(data), encoding="utf-8")

    runner = ansible_runner.run(private_data_dir=str(private_dir), playbook="job.yml", quiet=True, timeout=300,
                                verbosity=4)
    output = runner.stdout.read()
    assert runner.status == "successful", output[-3000:]
    [path] = evidence_files(directory)
    lines = read_lines(path)
    assert [(line["record"], line.get("user_id"), line.get("outcome")) for line in lines] == [
        ("run_started", None, None), ("agent", ALICE, "completed"), ("agent", BOB, "completed"),
        ("run_ended", None, None)]
    assert lines[0]["keyed"] is True and all(re.fullmatch("[0-9a-f]{64}", line["hmac"]) for line in lines)
    assert os.path.basename(lines[0]["playbook"]) == "job.yml"
    printed = PRINTED.search(output)
    assert printed and printed.groups() == ("2", path, lines[-1]["sha256"]), "the anchor is in the job's output"
    [verified] = [event["event_data"]["res"] for event in runner.events
                  if event["event"] == "runner_on_ok" and event["event_data"].get("task") == "verify"]
    assert (verified["records"], verified["keyed"], verified["complete"]) == (2, True, False)

    # The auditor's check, later, of the whole file: with the key and the printed hash, and what else tells.
    ansible.secrets(evidence_key=EVIDENCE_KEY)
    checks = ansible.run(ansible.play([
        verify("with the key and the printed hash", path, ignore_errors=False, key="{{ evidence_key }}",
               expected_last_sha256=printed.group(3)),
        verify("without the key", path, ignore_errors=False),
        verify("with another key", path, key="not-the-evidence-key"),
    ]), verbosity=4)
    assert checks.rc == 0, checks.output[-3000:]
    intact = checks.result("with the key and the printed hash")
    assert (intact["records"], intact["complete"], intact["keyed"], intact["first_bad_line"]) == (2, True, True, None)
    unkeyed = checks.result("without the key")
    assert not unkeyed["failed"] and unkeyed["keyed"] is True and "HMAC not checked" in unkeyed["msg"]
    other = checks.result("with another key")
    assert other["failed"] and (other["first_bad_line"], other["reason"]) == (1, "wrong hmac")

    texts = {"the job's stdout": output, "the job's events": json.dumps(list(runner.events)),
             "the check's output": checks.output, "the check's results": json.dumps(checks.records),
             "the evidence": read_text(path)}
    for artifact in glob.glob(os.path.join(str(private_dir), "artifacts", "**", "*"), recursive=True):
        # artifacts/<ident>/command is ansible-runner's record of the job's environment, the
        # injected credential included: the job's input, written by the runner.
        if os.path.isfile(artifact) and os.path.basename(artifact) != "command":
            texts[os.path.relpath(artifact, str(private_dir))] = read_text(artifact)
    needles = Needles().plant("the evidence key", EVIDENCE_KEY)
    assert [hit for where, text in texts.items() for hit in needles.find(text, where)] == []
