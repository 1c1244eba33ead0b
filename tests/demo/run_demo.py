# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""``make demo``: run the collection's demo playbook against a local CXone sandbox and report.

1. Starts the CXone sandbox (``tests/sandbox``) in this process, on 127.0.0.1 with free ports,
   with the demo tenant of ``tests/sandbox/demo.json``.
2. Writes a temporary inventory: one host, ``demo_tenant``, in group ``cxone``, connected
   through ``cxone.recording.cxone_api`` with the demo credentials (the secrets go in a
   separate vars file passed with ``-e @file``). Only the issuer is given: the tenant's API
   origin is found by discovery, as against CXone.
3. Runs ``ansible-playbook cxone.recording.demo`` (the collection installed from its tarball;
   ``--playbook playbooks/demo.yml`` runs the checkout's copy) with the demo agents as extra
   variables.
4. Prints, for each agent of the demo tenant, what the playbook got and the recording state
   the sandbox ended with, and how many times the play logged in (once).

Inventory, secrets file and the run itself go through the end-to-end tests' helpers
(``tests/utils/e2e_helpers.py``), so the demo runs Ansible exactly as the tests do. The sandbox
is always stopped, also on Ctrl-C. The exit code is non-zero when the sandbox does not start,
the playbook fails, or the result does not match the story.

Run it through ``make demo``, which sets PATH, ANSIBLE_COLLECTIONS_PATH and PYTHONPATH.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "utils"))

# pylint: disable=wrong-import-position,import-error
from e2e_helpers import SANDBOX_DIR, Ansible  # noqa: E402
from cxone_sandbox import SandboxError, SandboxServer  # noqa: E402  (importable once e2e_helpers is)

DEMO_CONFIG = os.path.join(SANDBOX_DIR, "demo.json")
# What the report calls each recording module's step.
RECORDING_MODULES = {"cxone.recording.cxone_recording_start": "start", "cxone.recording.cxone_recording_stop": "stop",
                     "cxone.recording.cxone_do_not_record": "do-not-record"}

# The story, by the agents' names in demo.json. Dave Delayed's tenant answers asynchronously
# (HTTP 202, "accepted"); the others synchronously (HTTP 200, "completed").
SCREEN_AGENTS = ("Alice Agent", "Dave Delayed")
STOP_AGENT = "Alice Agent"
REFUSING_AGENT = "Carol Caller"

HOST = "demo_tenant"

# What to do after the demo: the tools are in .venv and the collection in .build/collections.
NEXT_STEPS = """
Next, to run ansible-playbook and ansible-doc yourself:
  make shell                 a shell with .venv active and ANSIBLE_COLLECTIONS_PATH=.build/collections (or: source .build/env)
  ansible-doc cxone.recording.cxone_recording_start
  make sandbox               (another terminal) this sandbox for your own playbooks, until Ctrl-C; writes
                             .build/sandbox/inventory.yml and the guides' tenants.yml, prints the CXONE_* environment
  cd .build/sandbox && ansible-playbook -i tenants.yml cxone.recording.stop_recording -e user_ids=3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d
                             (the guides' commands and examples run there as written; see the sandbox guide)"""


class DemoError(Exception):
    """The demo could not run as planned; the message says why."""


class Terminated(Exception):
    """SIGTERM: stop like on Ctrl-C, cleaning up first."""


def parse_args(argv):
    """The command line: which playbook to run, how verbosely."""
    parser = argparse.ArgumentParser(description="Run the cxone.recording demo playbook against a local CXone sandbox.")
    parser.add_argument("--playbook", default="cxone.recording.demo",
                        help="playbook to run (default: cxone.recording.demo, the installed collection's copy)")
    parser.add_argument("--verbose", "-v", action="count", default=0, help="pass -v to ansible-playbook (repeatable)")
    return parser.parse_args(argv)


def load_demo_config(path=DEMO_CONFIG):
    """The sandbox configuration of the demo, and its (first) tenant."""
    with open(path, encoding="utf-8") as stream:
        config = json.load(stream)
    tenants = config.get("tenants") or []
    if not tenants:
        raise DemoError("%s defines no tenant" % path)
    return config, tenants[0]


def credentials(tenant):
    """``{client_id, client_secret, access_key_id, access_key_secret}`` of the demo tenant."""
    if not tenant.get("clients") or not tenant.get("access_keys"):
        raise DemoError("the demo tenant in %s needs a client and an access key" % DEMO_CONFIG)
    client_id, client_secret = sorted(tenant["clients"].items())[0]
    key = tenant["access_keys"][0]
    return {"client_id": client_id, "client_secret": client_secret, "access_key_id": key["id"],
            "access_key_secret": key["secret"]}


def agent_id(tenant, name):
    """The user id of the demo tenant's agent with this name."""
    for agent in tenant.get("agents", []):
        if agent.get("name") == name:
            return agent["user_id"]
    raise DemoError("the demo tenant in %s has no agent named %r" % (DEMO_CONFIG, name))


def run_playbook(ansible, playbook, tenant, agents, verbose=0):
    """Run the demo playbook for the demo tenant's host, its output on this terminal; returns the PlaybookRun."""
    creds = credentials(tenant)
    # As from a vault: the secrets never appear in the inventory, the playbook or the command line.
    ansible.secrets(cxone_client_secret=creds["client_secret"], cxone_access_key_secret=creds["access_key_secret"])
    inventory = ansible.inventory({HOST: {"issuer": ansible.sandbox_url, "client_id": creds["client_id"],
                                          "access_key_id": creds["access_key_id"]}})
    # An ansible.cfg of its own, so that a user's configuration cannot change the demo.
    config = os.path.join(ansible.workdir, "ansible.cfg")
    with open(config, "w", encoding="utf-8") as stream:
        stream.write("[persistent_connection]\nconnect_timeout = 60\n")
    extra_vars = json.dumps({"demo_screen_agents": list(agents["screen"]), "demo_stop_agent": agents["stop"],
                             "demo_refusing_agent": agents["refusing"]})
    if os.path.exists(playbook):
        playbook = os.path.abspath(playbook)      # the run happens in the work folder
    print("+ ansible-playbook -i inventory.yml %s -e @secrets.yml -e '%s'" % (playbook, extra_vars), flush=True)
    return ansible.run(playbook, inventory, extra_args=["-e", extra_vars], env={"ANSIBLE_CONFIG": config},
                       verbosity=verbose, stream=True)


def read_results(records):
    """What the playbook got: {user_id: [(step, outcome, http_status)]} in task order."""
    got = {}
    for record in records:
        operation = RECORDING_MODULES.get(record["action"])
        if operation is None:
            continue
        module_args = record["result"].get("invocation", {}).get("module_args", {})
        step = " ".join(filter(None, [operation, module_args.get("media_type")]))
        for entry in record["result"].get("results", []):
            got.setdefault(entry["user_id"], []).append((step, entry["outcome"], entry["http_status"]))
    return got


def expected_state(user_id, agents):
    """The state an agent of the demo tenant should end with: (recording, do_not_record, segments)."""
    if user_id == agents["stop"]:
        return ("off", False, 1)
    if user_id in agents["screen"]:
        return ("voiceAndScreen", False, 1)
    if user_id == agents["refusing"]:
        return ("off", True, 0)
    return ("off", False, 0)


def describe_got(steps):
    """One line for what the playbook got for an agent, step by step."""
    if not steps:
        return "not part of the demo"
    return "; ".join("%s: %s (HTTP %s)" % (step, outcome, status if status is not None else "-") for step, outcome, status in steps)


def report_agent(control, agent, steps, want):
    """Print one agent's lines; returns a problem (str) when its state does not match the story."""
    user_id, name = agent["user_id"], agent.get("name") or agent["user_id"]
    contact = control.agent_state(user_id).get("contact")
    print("%s (%s)" % (name, user_id))
    print("  playbook: %s" % describe_got(steps))
    if contact is None:
        print("  sandbox:  not on a call")
        return None
    state = (contact.get("recording"), bool(contact.get("do_not_record")), len(contact.get("segments") or []))
    print("  sandbox:  recording %s, do_not_record %s, %d recorded segment%s"
          % (state[0], "yes" if state[1] else "no", state[2], "" if state[2] == 1 else "s"))
    if state != want:
        return "%s: expected recording %s, do_not_record %s, %d %s; the sandbox has %s, %s, %d" % (
            (name,) + want[:3] + ("segment" if want[2] == 1 else "segments",) + state)
    return None


def report(control, tenant, agents, got):
    """Print the report; returns the list of things that did not match the story."""
    print("\n== Demo report: what the playbook got, and the recording state the sandbox ended with")
    problems = []
    for agent in tenant.get("agents", []):
        problem = report_agent(control, agent, got.get(agent["user_id"]), expected_state(agent["user_id"], agents))
        if problem:
            problems.append(problem)
    stats = control.stats()
    tokens, operations = stats["token_requests"], stats["operation_requests"]
    logins = tokens["password"] + tokens["refresh_token"]
    print("\nToken requests seen by the sandbox: %d (password %d, refresh %d)%s"
          % (logins, tokens["password"], tokens["refresh_token"], ": one login for the whole play" if logins == 1 else ""))
    print("Recording requests seen by the sandbox: start %d, stop %d, do-not-record %d"
          % (operations["start"], operations["stop"], operations["do_not_record"]))
    if logins != 1:
        problems.append("expected 1 token request (one login for the whole play), the sandbox saw %d" % logins)
    refused = [(outcome, status) for step, outcome, status in got.get(agents["refusing"], []) if step.startswith("start")]
    if ("failed", 409) not in refused:
        problems.append("expected the start after do-not-record to fail with HTTP 409, the playbook got: %s"
                        % describe_got(got.get(agents["refusing"])))
    return problems


def say_error(text):
    """An error line on stderr, after everything printed so far on stdout."""
    sys.stdout.flush()
    print(text, file=sys.stderr, flush=True)


def _on_sigterm(_signum, _frame):
    """SIGTERM (e.g. make being stopped) cleans up like Ctrl-C."""
    raise Terminated()


def main(argv=None):
    """Run the demo; returns the exit code."""
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _on_sigterm)
    started = time.monotonic()
    try:
        config, tenant = load_demo_config()
        agents = {"screen": [agent_id(tenant, name) for name in SCREEN_AGENTS], "stop": agent_id(tenant, STOP_AGENT),
                  "refusing": agent_id(tenant, REFUSING_AGENT)}
        with tempfile.TemporaryDirectory(prefix="cxone-demo-") as workdir, SandboxServer(config) as server:
            print("CXone sandbox listening on %s, API origin %s (tenant %s, config %s)"
                  % (server.url, server.api_url, tenant["tenant_id"], os.path.relpath(DEMO_CONFIG, ROOT)))
            print("Collections from ANSIBLE_COLLECTIONS_PATH=%s" % os.environ.get("ANSIBLE_COLLECTIONS_PATH", "(not set)"), flush=True)
            run = run_playbook(Ansible(workdir, server.url, server.api_url), args.playbook, tenant, agents, args.verbose)
            problems = report(server.client(), tenant, agents, read_results(run.records))
    except DemoError as error:
        say_error("demo: ERROR: %s" % error)
        return 1
    except SandboxError as error:
        say_error("demo: ERROR: the sandbox's control API answered %s" % error)
        return 1
    except OSError as error:
        say_error("demo: ERROR: %s" % error)
        return 1
    except subprocess.TimeoutExpired as error:
        say_error("demo: ERROR: ansible-playbook did not finish within %.0f s" % error.timeout)
        return 1
    except (KeyboardInterrupt, Terminated):
        say_error("\ndemo: interrupted; the sandbox is stopped")
        return 130
    elapsed = time.monotonic() - started
    if run.rc != 0:
        say_error("\ndemo: FAILED: ansible-playbook exited with code %d (after %.1f s)" % (run.rc, elapsed))
        return run.rc
    if problems:
        say_error("\ndemo: FAILED: the result does not match the story:\n  - %s" % "\n  - ".join(problems))
        return 1
    print("\ndemo: passed in %.1f s" % elapsed)
    print(NEXT_STEPS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
