# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""``make demo``: run the collection's demo playbook against a local CXone sandbox and report.

1. Starts the CXone sandbox (``tests/sandbox``) on 127.0.0.1 with a free port and the demo
   tenant of ``tests/sandbox/demo.json``.
2. Writes a temporary inventory: one host, ``demo_tenant``, in group ``cxone``, connected
   through ``cxone.recording.cxone_api`` with the demo credentials (the secrets go in a
   separate vars file passed with ``-e @file``).
3. Runs ``ansible-playbook cxone.recording.demo`` (the collection installed from its tarball;
   ``--playbook playbooks/demo.yml`` runs the checkout's copy) with the demo agents as extra
   variables.
4. Prints, for each agent of the demo tenant, what the playbook got and the recording state
   the sandbox ended with, and how many times the play logged in (once).

The sandbox is always stopped, also on Ctrl-C. The exit code is non-zero when the sandbox
does not start, the playbook fails, or the result does not match the story.

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

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SANDBOX_DIR = os.path.join(ROOT, "tests", "sandbox")
DEMO_CONFIG = os.path.join(SANDBOX_DIR, "demo.json")
CALLBACK_DIR = os.path.join(ROOT, "tests", "utils", "callback_plugins")
# What the report calls each recording module's step.
RECORDING_MODULES = {"cxone.recording.cxone_recording_start": "start", "cxone.recording.cxone_recording_stop": "stop",
                     "cxone.recording.cxone_do_not_record": "do-not-record"}

sys.path.insert(0, SANDBOX_DIR)

from cxone_sandbox import SandboxClient, SandboxError  # noqa: E402  pylint: disable=wrong-import-position

# The story, by the agents' names in demo.json. Dave Delayed's tenant answers asynchronously
# (HTTP 202, "accepted"); the others synchronously (HTTP 200, "completed").
SCREEN_AGENTS = ("Alice Agent", "Dave Delayed")
STOP_AGENT = "Alice Agent"
REFUSING_AGENT = "Carol Caller"

HOST = "demo_tenant"
SANDBOX_START_TIMEOUT = 20.0
PLAYBOOK_TIMEOUT = 300.0
STOP_TIMEOUT = 10.0


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


def load_demo_tenant(path=DEMO_CONFIG):
    """The demo tenant's configuration (the first tenant of demo.json)."""
    with open(path, encoding="utf-8") as stream:
        config = json.load(stream)
    tenants = config.get("tenants") or []
    if not tenants:
        raise DemoError("%s defines no tenant" % path)
    return tenants[0]


def credentials(tenant):
    """(client id, client secret, access key id, access key secret) of the demo tenant."""
    if not tenant.get("clients") or not tenant.get("access_keys"):
        raise DemoError("the demo tenant in %s needs a client and an access key" % DEMO_CONFIG)
    client_id, client_secret = sorted(tenant["clients"].items())[0]
    key = tenant["access_keys"][0]
    return client_id, client_secret, key["id"], key["secret"]


def agent_id(tenant, name):
    """The user id of the demo tenant's agent with this name."""
    for agent in tenant.get("agents", []):
        if agent.get("name") == name:
            return agent["user_id"]
    raise DemoError("the demo tenant in %s has no agent named %r" % (DEMO_CONFIG, name))


class Sandbox:
    """The sandbox as a child process in its own session (Ctrl-C reaches only this script)."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.url_file = os.path.join(workdir, "sandbox.url")
        self.log_file = os.path.join(workdir, "sandbox.out")
        self.process = None
        self.url = None

    def start(self, timeout=SANDBOX_START_TIMEOUT):
        """Start the sandbox and wait until it listens; returns its base URL."""
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [SANDBOX_DIR, os.environ.get("PYTHONPATH")])))
        command = [sys.executable, "-m", "cxone_sandbox", "--config", DEMO_CONFIG, "--host", "127.0.0.1", "--port", "0",
                   "--url-file", self.url_file]
        with open(self.log_file, "wb") as output:
            self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=output,  # pylint: disable=consider-using-with
                                            stderr=subprocess.STDOUT, env=env, cwd=self.workdir, start_new_session=True)
        deadline = time.monotonic() + timeout
        while not os.path.exists(self.url_file):
            if self.process.poll() is not None:
                raise DemoError("the CXone sandbox exited with code %s before listening:\n%s" % (self.process.returncode, self.output()))
            if time.monotonic() > deadline:
                raise DemoError("the CXone sandbox did not write its URL to %s within %.0f s:\n%s" % (self.url_file, timeout, self.output()))
            time.sleep(0.05)
        with open(self.url_file, encoding="utf-8") as stream:
            self.url = stream.read().strip()
        return self.url

    def output(self):
        """What the sandbox printed (for error messages)."""
        try:
            with open(self.log_file, encoding="utf-8", errors="replace") as stream:
                return stream.read().strip() or "(no output)"
        except OSError:
            return "(no output)"

    def stop(self):
        """Stop the sandbox (SIGTERM, then SIGKILL if it does not exit); safe to call twice."""
        if self.process is not None:
            end_process(self.process, signal.SIGTERM)


def end_process(process, first_signal):
    """Send ``first_signal`` to a child that still runs, then SIGKILL if it does not exit in time."""
    if process.poll() is not None:
        return
    process.send_signal(first_signal)
    try:
        process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def write_file(path, text, mode=0o600):
    """Write a file readable only by its owner (it may hold secrets); returns its path."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
        stream.write(text)
    return path


def prepare_ansible(workdir, sandbox_url, tenant):
    """Inventory, secrets file and ansible.cfg for the run; returns their paths and the environment."""
    client_id, client_secret, key_id, key_secret = credentials(tenant)
    inventory = {"all": {"children": {"cxone": {"hosts": {HOST: {
        "ansible_connection": "cxone.recording.cxone_api",
        "cxone_issuer": sandbox_url,
        "cxone_client_id": client_id,
        "cxone_access_key_id": key_id,
    }}}}}}
    inventory_file = write_file(os.path.join(workdir, "inventory.yml"), yaml.safe_dump(inventory, sort_keys=False))
    # As from a vault: the secrets never appear in the inventory, the playbook or the command line.
    secrets_file = write_file(os.path.join(workdir, "secrets.yml"),
                              yaml.safe_dump({"cxone_client_secret": client_secret, "cxone_access_key_secret": key_secret}))
    # An ansible.cfg of its own, so that a user's configuration cannot change the demo; the
    # persistent connection's socket and Ansible's temporary files stay in the work folder.
    config = ("[defaults]\nretry_files_enabled = False\ncallbacks_enabled = task_results\ncallback_plugins = %s\nlocal_tmp = %s\n"
              "[persistent_connection]\ncontrol_path_dir = %s\nconnect_timeout = 60\n"
              % (CALLBACK_DIR, os.path.join(workdir, "tmp"), os.path.join(workdir, "pc")))
    environment = {name: value for name, value in os.environ.items() if not name.startswith("CXONE_")}
    no_proxy = ",".join(filter(None, [environment.get("NO_PROXY"), "127.0.0.1,localhost"]))
    environment.update({
        "ANSIBLE_CONFIG": write_file(os.path.join(workdir, "ansible.cfg"), config),
        "TASK_RESULTS_FILE": os.path.join(workdir, "results.jsonl"),
        "NO_PROXY": no_proxy,
        "no_proxy": no_proxy,
    })
    return {"inventory": inventory_file, "secrets": secrets_file, "environment": environment,
            "results": environment["TASK_RESULTS_FILE"]}


def run_playbook(playbook, setup, agents, verbose=0):
    """Run ansible-playbook with its output on this terminal; returns its exit code."""
    extra_vars = json.dumps({"demo_screen_agents": list(agents["screen"]), "demo_stop_agent": agents["stop"],
                             "demo_refusing_agent": agents["refusing"]})
    command = ["ansible-playbook", "-i", setup["inventory"], playbook, "-e", "@" + setup["secrets"], "-e", extra_vars]
    if verbose:
        command.append("-" + "v" * verbose)
    print("+ ansible-playbook -i inventory.yml %s -e @secrets.yml -e '%s'" % (playbook, extra_vars), flush=True)
    process = subprocess.Popen(command, env=setup["environment"], cwd=ROOT, stdin=subprocess.DEVNULL)  # pylint: disable=consider-using-with
    try:
        return process.wait(PLAYBOOK_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise DemoError("ansible-playbook did not finish within %.0f s" % PLAYBOOK_TIMEOUT) from None
    finally:
        # Interrupted or timed out: ansible-playbook stops on SIGINT as on Ctrl-C (it may have had one already).
        end_process(process, signal.SIGINT)


def read_results(path):
    """What the playbook got: {user_id: [(step, outcome, http_status)]} in task order."""
    got = {}
    if not os.path.exists(path):
        return got
    with open(path, encoding="utf-8") as stream:
        for line in stream:
            record = json.loads(line)
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
        return "%s: expected recording %s, do_not_record %s, %d segment(s); the sandbox has %s, %s, %d" % ((name,) + want + state)
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
    tenant = load_demo_tenant()
    agents = {"screen": [agent_id(tenant, name) for name in SCREEN_AGENTS], "stop": agent_id(tenant, STOP_AGENT),
              "refusing": agent_id(tenant, REFUSING_AGENT)}
    with tempfile.TemporaryDirectory(prefix="cxone-demo-") as workdir:
        sandbox = Sandbox(workdir)
        try:
            url = sandbox.start()
            print("CXone sandbox listening on %s (tenant %s, config %s)" % (url, tenant["tenant_id"], os.path.relpath(DEMO_CONFIG, ROOT)))
            print("Collections from ANSIBLE_COLLECTIONS_PATH=%s" % os.environ.get("ANSIBLE_COLLECTIONS_PATH", "(not set)"), flush=True)
            setup = prepare_ansible(workdir, url, tenant)
            rc = run_playbook(args.playbook, setup, agents, args.verbose)
            problems = report(SandboxClient(url), tenant, agents, read_results(setup["results"]))
        except DemoError as error:
            say_error("demo: ERROR: %s" % error)
            return 1
        except SandboxError as error:
            say_error("demo: ERROR: the sandbox's control API answered %s" % error)
            return 1
        except (KeyboardInterrupt, Terminated):
            say_error("\ndemo: interrupted; stopping the sandbox")
            return 130
        finally:
            sandbox.stop()
    elapsed = time.monotonic() - started
    if rc != 0:
        say_error("\ndemo: FAILED: ansible-playbook exited with code %d (after %.1f s)" % (rc, elapsed))
        return rc
    if problems:
        say_error("\ndemo: FAILED: the result does not match the story:\n  - %s" % "\n  - ".join(problems))
        return 1
    print("\ndemo: passed in %.1f s" % elapsed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
