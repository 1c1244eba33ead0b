# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Every YAML example of README.md and docs/docsite/rst/*.rst, run as written against the sandbox.

The examples are read from the documents at test time (``tests/utils/doc_examples.py`` says how
a marker before an example tells how to run it and what to check). Each runnable example gets a
sandbox reset to the demo tenant (``tests/sandbox/demo.json``), a folder with the inventories
``make sandbox`` writes (the guides' ``tenants.yml`` and its ``group_vars/all.yml``) and the
document's own inventories, and one real ``ansible-playbook`` run; then its assertions. A guide
added later is picked up as it is: its examples run, and one that cannot be run unmarked fails.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "tests", "demo"))

# pylint: disable=wrong-import-position,import-error
from doc_examples import ROOT, examples  # noqa: E402
from e2e_helpers import PLAYBOOK_TIMEOUT, quiet_ansible_environment  # noqa: E402
from run_sandbox import credentials, environment, load_demo_config, write_sandbox_files  # noqa: E402

EXAMPLES = examples()
RUNNABLE = ("playbook", "tasks", "vars", "inventory")
EVIDENCE_KEY = "doc-examples-evidence-key-5c1f"
EVIDENCE_PRINTED = re.compile(r"cxone\.recording\.evidence: (\d+) records? in (\S+), last sha256 ([0-9a-f]{64})")


def test_every_example_says_how_it_is_checked():
    """A YAML example that is neither runnable as it stands nor marked fails here, naming it."""
    problems = [problem for problem in (example.problem() for example in EXAMPLES) if problem]
    names = [example.name for example in EXAMPLES]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    assert not duplicates, "example names used twice: %s" % ", ".join(duplicates)
    assert not problems, "\n".join(problems)
    print("\n%d YAML examples:" % len(EXAMPLES))
    for example in EXAMPLES:
        print("  %-40s %-45s %s" % (example.name, example.where, example.how()))


@pytest.fixture(scope="module")
def demo():
    """The demo configuration (what the examples' ids and names refer to) and its tenant."""
    return load_demo_config()


def _workdir(tmp_path, url, demo, example):
    """The example's folder: make sandbox's files, then the document's own inventories over them."""
    config, tenant = demo
    write_sandbox_files(str(tmp_path), url, config, tenant)
    for other in EXAMPLES:
        if other.document == example.document and other.run == "inventory" and "skip" not in other.marker:
            (tmp_path / other.marker.get("file", "inventory.yml")).write_text(other.text, encoding="utf-8")
    return tmp_path


def _ansible(command, workdir, env):
    environment_ = dict((name, value) for name, value in os.environ.items() if not name.startswith("CXONE_"))
    environment_.update(quiet_ansible_environment(str(workdir)))
    environment_.update(env)
    return subprocess.run(command, cwd=str(workdir), env=environment_, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=PLAYBOOK_TIMEOUT, check=False)


def _evidence_run(workdir, env, demo):
    """A recording run with the evidence callback: (its file, the hash it printed)."""
    evidence_dir = workdir / "evidence"
    play = [{"name": "Consent refused", "hosts": "cxone", "gather_facts": False, "tasks": [
        {"name": "Do not record", "cxone.recording.cxone_do_not_record": {"user_id": demo[1]["agents"][0]["user_id"]}}]}]
    (workdir / "evidence_run.yml").write_text(yaml.safe_dump(play), encoding="utf-8")
    done = _ansible(["ansible-playbook", "-i", "tenants.yml", "evidence_run.yml"], workdir,
                    dict(env, ANSIBLE_CALLBACKS_ENABLED="cxone.recording.evidence", CXONE_EVIDENCE_PATH=str(evidence_dir),
                         CXONE_EVIDENCE_KEY=EVIDENCE_KEY))
    assert done.returncode == 0, done.stdout + done.stderr
    printed = EVIDENCE_PRINTED.search(done.stdout)
    assert printed, done.stdout
    return printed.group(2), printed.group(3)


def _assert_play(hosts, conditions):
    return {"name": "What the documentation says", "hosts": hosts, "gather_facts": False, "tasks": [
        {"name": "The documented outcome", "ansible.builtin.assert": {"that": list(conditions), "quiet": True}}]}


def _run_example(example, workdir, sandbox_url, demo):
    """Run the example as its marker says; returns (completed process, hosts of its plays)."""
    marker = example.marker
    config, tenant = demo
    env = {"CXONE_ISSUER": sandbox_url}
    if marker.get("env") == "credentials":
        env.update(environment(sandbox_url, tenant))
    elif marker.get("env") is not None:
        raise AssertionError("%s: unknown env %r" % (example.where, marker["env"]))
    extra_vars = dict(marker.get("extra_vars") or {})
    if marker.get("setup") == "evidence_run":
        evidence_file, last_sha256 = _evidence_run(workdir, env, demo)
        extra_vars.update(evidence_file=evidence_file, printed_last_sha256=last_sha256)
        env["CXONE_EVIDENCE_KEY"] = EVIDENCE_KEY
    elif marker.get("setup") is not None:
        raise AssertionError("%s: unknown setup %r" % (example.where, marker["setup"]))
    inventory = marker.get("inventory", "tenants.yml")
    file_name = marker.get("file", "inventory.yml" if example.run == "inventory" else "example.yml")
    if example.run != "inventory":
        (workdir / file_name).write_text(example.text, encoding="utf-8")
    if example.run == "inventory" and not marker.get("playbook"):
        return _ansible(["ansible-inventory", "-i", file_name, "--list"], workdir, env), None
    if example.run == "inventory":
        inventory = file_name
    if example.run == "tasks":
        hosts = marker.get("hosts", "cxone")
        playbook = [{"name": "Example of %s" % example.where, "hosts": hosts, "gather_facts": False,
                     "tasks": [{"ansible.builtin.import_tasks": file_name}]}]
    elif example.run == "playbook":
        hosts = marker.get("hosts") or example.data[0].get("hosts", "all")
        playbook = [{"ansible.builtin.import_playbook": file_name}]
    else:
        hosts = marker.get("hosts", "cxone")
        playbook = [{"ansible.builtin.import_playbook": marker["playbook"]}]
    if marker.get("assert") and marker.get("rc", 0) == 0:
        playbook.append(_assert_play(hosts, marker["assert"]))
    (workdir / "run.yml").write_text(yaml.safe_dump(playbook, sort_keys=False), encoding="utf-8")
    command = ["ansible-playbook", "-i", inventory, "run.yml"]
    if example.run == "vars":
        command += ["-e", "@" + file_name]
    if extra_vars:
        command += ["-e", json.dumps(extra_vars)]
    if marker.get("check"):
        command.append("--check")
    return _ansible(command, workdir, env), hosts


def _check_state(example, control):
    for user_id, wanted in (example.marker.get("state") or {}).items():
        agent = control.agent_state(user_id)
        got = {key: agent.get(key) for key in wanted}
        assert got == wanted, "%s: the sandbox shows agent %s (%s) with %s, the example says %s" % (
            example.where, user_id, agent.get("name"), got, wanted)


@pytest.mark.parametrize("example", [example for example in EXAMPLES if example.run in RUNNABLE or "skip" in example.marker],
                         ids=lambda example: example.name)
def test_example_runs_as_documented(example, sandbox_server, demo, tmp_path):
    if "skip" in example.marker:
        pytest.skip("%s: %s" % (example.where, example.marker["skip"]))
    assert example.problem() is None, example.problem()
    control = sandbox_server.client()
    control.reset(demo[0])
    workdir = _workdir(tmp_path, sandbox_server.url, demo, example)
    done, _hosts = _run_example(example, workdir, sandbox_server.url, demo)
    output = done.stdout + done.stderr
    assert done.returncode == example.marker.get("rc", 0), "%s: exit code %d\n%s" % (example.where, done.returncode, output[-6000:])
    for text in example.marker.get("output") or ():
        assert text in output, "%s: %r is not in the output:\n%s" % (example.where, text, output[-6000:])
    _check_state(example, control)


def _requirements(example, tmp_path):
    (tmp_path / "requirements.yml").write_text(example.text, encoding="utf-8")
    collections = os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep)[0]
    done = _ansible(["ansible-galaxy", "collection", "install", "--offline", "-r", "requirements.yml", "-p", collections],
                    tmp_path, {})
    assert done.returncode == 0, done.stdout + done.stderr
    # The installed collection satisfies the requirement: nothing had to be installed.
    assert "Nothing to do" in done.stdout, done.stdout + done.stderr


def _subset(part, whole, where):
    if isinstance(part, dict):
        assert isinstance(whole, dict), "%s: %r is not a mapping in the file" % (where, whole)
        for key, value in part.items():
            assert key in whole, "%s: %s is not in the file" % (where, key)
            _subset(value, whole[key], "%s.%s" % (where, key))
    else:
        assert part == whole, "%s: the example has %r, the file %r" % (where, part, whole)


@pytest.mark.parametrize("example", [example for example in EXAMPLES if example.run in ("requirements", "excerpt", "rulebook_vars")
                                     and "skip" not in example.marker], ids=lambda example: example.name)
def test_example_is_valid(example, tmp_path):
    """Examples that cannot run against the sandbox, checked against what they excerpt or configure."""
    if example.run == "requirements":
        _requirements(example, tmp_path)
        return
    with open(os.path.join(ROOT, example.marker["of"]), encoding="utf-8") as stream:
        text = stream.read()
    if example.run == "excerpt":
        _subset(example.data, yaml.safe_load(text), example.where)
    else:
        unused = [name for name in example.data if not re.search(r"\b%s\b" % re.escape(name), text)]
        assert not unused, "%s: %s: not variables of %s" % (example.where, ", ".join(unused), example.marker["of"])


def test_sandbox_files_use_the_demo_credentials(tmp_path, demo):
    """make sandbox's tenants.yml is the guides' form; its vault values are the demo tenant's."""
    config, tenant = demo
    files = write_sandbox_files(str(tmp_path), "http://127.0.0.1:1", config, tenant)
    group_vars = yaml.safe_load(open(files["group_vars"], encoding="utf-8"))
    assert {name: group_vars["vault_cxone_" + name] for name in credentials(tenant)} == credentials(tenant)
    hosts = yaml.safe_load(open(files["tenants"], encoding="utf-8"))["all"]["children"]["cxone"]["hosts"]
    assert hosts["tenant_emea"]["cxone_client_secret"] == "{{ vault_cxone_client_secret }}"
    assert oct(os.stat(files["env"]).st_mode & 0o777) == "0o600"
