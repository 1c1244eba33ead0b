# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Running the consent_refused rulebook against the CXone sandbox, with the sandbox playing the IVR.

Shared by tests/e2e/test_consent_events.py and the benchmark bench/consent/run_bench.py. Refusals
reach the listener as Studio's REST action sends them, from the sandbox's control call
``/_sandbox/calls/<contact id>/consent``; ``RawPoster`` sends what the IVR never would.

The rulebook's modules reach the sandbox as they would CXone: they log in, discover the API and
read each agent's recording status (``expected_contacts``) before the do-not-record.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time

import requests
import yaml
from cxone_sandbox import ivr

RULEBOOK = "cxone.recording.consent_refused"
# The same with the rule engine's feedback, run with --persistence-id and a store.
PERSISTENT_RULEBOOK = "cxone.recording.consent_refused_persistent"
# A Studio script that gets no 2xx posts again after a pause while the call goes on.
STUDIO_RETRY_PAUSE = 0.5
STUDIO_RETRY_SECONDS = 90
# Logged by ansible-rulebook (-v) once its rule engine takes events.
READY_LINE = "Waiting for events"
BATCH_LINE = "consent_events: batch of"
RUN_DONE_LINE = "PLAY RECAP"
# Logged by ansible-rulebook before it runs a failed action again (the rulebook's retries).
RETRY_LINE = "Previous run_playbook failed. Retry"
# The local time at the start of ansible-rulebook's log lines: 2026-12-02 12:57:38,240
LOG_TIME = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) ")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, timeout, what, interval=0.2):
    """Poll ``condition`` until it returns something true; fail naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %s s waiting for %s" % (timeout, what))
        time.sleep(interval)


class Ivr:
    """The sandbox playing the IVR: the caller's answer on a live contact, POSTed to the listener as Studio would."""

    def __init__(self, control, listener_url, token=None, hmac_secret=None):
        self.control = control
        self.listener_url = listener_url
        self.token = token
        self.hmac_secret = hmac_secret

    def refuse(self, contact_id, consent="refused"):
        """The control call's answer: ``listener_status``, ``listener_body``, ``listener_error``, ``posted_at`` ..."""
        return self.control.refuse_consent(contact_id, self.listener_url, token=self.token, hmac_secret=self.hmac_secret,
                                           consent=consent)

    def refuse_until_accepted(self, contact_id, give_up_after=STUDIO_RETRY_SECONDS, pause=STUDIO_RETRY_PAUSE):
        """Post the refusal again after any answer but 2xx (or none), as a Studio script retries: every answer, in order.

        The first answer's ``posted_at`` is when the caller refused.
        """
        answers = []
        deadline = time.monotonic() + give_up_after
        while True:
            answers.append(self.refuse(contact_id))
            status = answers[-1]["listener_status"]
            if (status is not None and 200 <= status < 300) or time.monotonic() > deadline:
                return answers
            time.sleep(pause)


class RawPoster:
    """Posts to the listener what no working IVR would: a missing or wrong token or signature, a malformed body,
    or a refusal of a call that has already ended (a retry of Studio's arriving late).

    The token and the signature default to the right ones; ``False`` leaves one out.
    """

    def __init__(self, listener_url, token=None, hmac_secret=None, header=ivr.DEFAULT_SIGNATURE_HEADER):
        self.listener_url = listener_url
        self.token = token
        self.hmac_secret = hmac_secret
        self.header = header
        self._session = requests.Session()
        self._session.trust_env = False

    def post(self, payload=None, body=None, token=None, signature=None):
        data = body if body is not None else json.dumps(payload).encode("utf-8")
        sent = {"Content-Type": "application/json"}
        token = self.token if token is None else token
        if token:
            sent["Authorization"] = "Bearer " + token
        if signature is None and self.hmac_secret:
            signature = ivr.signature(self.hmac_secret, data)
        if signature:
            sent[self.header] = signature
        return self._session.post(self.listener_url, data=data, headers=sent, timeout=30)


class Rulebook:
    """ansible-rulebook running the collection's consent_refused rulebook, its output in a file."""

    def __init__(self, workdir, variables, environment, verbosity="-v", max_concurrent_actions=2, rulebook=RULEBOOK,
                 persistence_id=None):
        self.max_concurrent_actions = max_concurrent_actions
        self.workdir = workdir
        self.rulebook = rulebook
        self.persistence_id = persistence_id
        self.variables = variables
        self._environment = environment
        self._verbosity = verbosity
        self._process = None
        self._output = None
        # One log per start: a restart keeps the earlier ones.
        self.output_paths = []

    def start(self, timeout=180):
        executable = shutil.which("ansible-rulebook")
        if executable is None:
            raise RuntimeError("ansible-rulebook is not on PATH (make eda-venv installs it into .venv-eda)")
        vars_path = os.path.join(self.workdir, "consent-vars.yml")
        inventory_path = os.path.join(self.workdir, "consent-inventory.yml")
        with open(vars_path, "w", encoding="utf-8") as stream:
            yaml.safe_dump(self.variables, stream)
        with open(inventory_path, "w", encoding="utf-8") as stream:
            stream.write("all: {}\n")
        environment = {name: value for name, value in os.environ.items() if not name.startswith("CXONE_")}
        environment.update({"ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0", "NO_PROXY": "127.0.0.1,localhost",
                            "ANSIBLE_LOCALHOST_WARNING": "0", "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0"})
        environment.update(self._environment)
        self.output_paths.append(os.path.join(self.workdir, "rulebook-%d.log" % (len(self.output_paths) + 1)))
        self._output = open(self.output_paths[-1], "w", encoding="utf-8")  # pylint: disable=consider-using-with
        command = [executable, "-r", self.rulebook, "-i", inventory_path, "--vars", vars_path,
                   "--max-concurrent-actions", str(self.max_concurrent_actions)]
        if self.persistence_id:
            command += ["--persistence-id", self.persistence_id]
        if self._verbosity:
            command.append(self._verbosity)
        self._process = subprocess.Popen(command, cwd=self.workdir, env=environment,  # pylint: disable=consider-using-with
                                         stdout=self._output, stderr=subprocess.STDOUT, start_new_session=True)

        def ready():
            with open(self.output_paths[-1], encoding="utf-8", errors="replace") as stream:
                output = stream.read()
            if self._process.poll() is not None:
                raise AssertionError("ansible-rulebook exited with %s:\n%s" % (self._process.returncode, output[-4000:]))
            return READY_LINE in output
        wait_for(ready, timeout, "ansible-rulebook to take events")
        return self

    def output(self):
        """What every start so far wrote, in order."""
        text = []
        for path in self.output_paths:
            with open(path, encoding="utf-8", errors="replace") as stream:
                text.append(stream.read())
        return "".join(text)

    def ready_at(self):
        """When the latest start's rule engine began taking events (seconds since the epoch, from its log), or None."""
        with open(self.output_paths[-1], encoding="utf-8", errors="replace") as stream:
            output = stream.read()
        for line in output.splitlines():
            found = LOG_TIME.match(line)
            if found and READY_LINE in line:
                moment = datetime.datetime.strptime(found.group(1), "%Y-%m-%d %H:%M:%S")
                return moment.timestamp() + int(found.group(2)) / 1000.0
        return None

    def batches_emitted(self):
        return self.output().count(BATCH_LINE)

    def runs_finished(self):
        """Batches whose run ended: a run that failed and ran again ends twice."""
        output = self.output()
        return output.count(RUN_DONE_LINE) - output.count(RETRY_LINE)

    def batched_users(self):
        """Every user id the source has put in a batch so far."""
        users = set()
        for line in self.output().splitlines():
            if BATCH_LINE in line:
                # "... batch of 2 refusals for users a, b" / "... for user a"
                listed = re.split(r" for users? ", line, maxsplit=1)[1]
                users.update(user.strip() for user in listed.split(","))
        return users

    def wait_until_done(self, user_ids, timeout=120):
        """Until these agents were batched and every batch emitted so far has had its module run finish."""
        wanted = set(user_ids)
        wait_for(lambda: wanted <= self.batched_users(), timeout, "the source to batch %s" % sorted(wanted))
        wait_for(lambda: self.runs_finished() >= self.batches_emitted(), timeout,
                 "every batch's module run to finish")

    def exited(self):
        """The exit status once ansible-rulebook has ended on its own, else None."""
        return self._process.poll()

    def runs_in_flight(self):
        """The processes ansible-rulebook has started and that still run (its module runs), by pid."""
        return _descendants(self._process.pid) if self._process is not None and self._process.poll() is None else []

    def _end(self, signal_number):
        """Send ``signal_number`` to ansible-rulebook's process group; SIGKILL after 30 s. Then SIGKILL what it started.

        ansible-runner starts each ansible-playbook in a session of its own (a pseudo-terminal), out of
        reach of the process group: ended with ansible-rulebook, as when its container stops (the end
        of a container's first process ends every process in it).
        """
        if self._process.poll() is None:
            started = _descendants(self._process.pid)
            os.killpg(self._process.pid, signal_number)
            try:
                self._process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait()
            for pid in started:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self._output.close()

    def terminate(self):
        """SIGTERM to ansible-rulebook and the end of the runs it started (its container stopped); its exit status."""
        self._end(signal.SIGTERM)
        return self._process.returncode

    def restart(self, timeout=180):
        """SIGTERM to ansible-rulebook, the end of the runs it started (its container stopped), then a start again."""
        self.terminate()
        return self.start(timeout)

    def stop(self):
        if self._process is None:
            return
        self._end(signal.SIGINT)
        self._process = None


def _descendants(pid):
    """The pids of every process below ``pid`` (Linux /proc), children first."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry, encoding="ascii", errors="replace") as stream:
                parent = int(stream.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # ended meanwhile
        children.setdefault(parent, []).append(int(entry))
    found, waiting = [], [pid]
    while waiting:
        below = children.get(waiting.pop(0), [])
        found.extend(below)
        waiting.extend(below)
    return found


def stalled_connections(port, count):
    """Connections that send half a request and then nothing (slow or hostile clients)."""
    stalled = []
    for number in range(count):
        connection = socket.create_connection(("127.0.0.1", port), timeout=30)
        connection.sendall([b"POST /consent HTTP/1.1\r\nHost: x\r\nContent-Le", b"POST /cons"][number % 2])
        stalled.append(connection)
    return stalled
