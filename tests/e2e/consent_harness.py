# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Running the consent_refused rulebook against the CXone sandbox, and posting refusals as Studio would.

Shared by tests/e2e/test_consent_events.py and the benchmark bench/consent/run_bench.py.

``StatusFront`` stands between the modules and the sandbox's tenant API: the sandbox does not
answer ``get-recording-status`` (which ``expected_contacts`` reads), so the front answers it from
the sandbox's state and passes every other request through unchanged. The sandbox still sees and
logs every recording operation.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

import requests
import yaml

from cxone_sandbox import SandboxError

STATUS_SUFFIX = "/get-recording-status"
RULEBOOK = "cxone.recording.consent_refused"
# Logged by ansible-rulebook (-v) once its rule engine takes events.
READY_LINE = "Waiting for events"
BATCH_LINE = "consent_events: batch of"
RUN_DONE_LINE = "PLAY RECAP"


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


class StatusFront:
    """A tenant API origin that answers get-recording-status from the sandbox's state, and proxies the rest."""

    def __init__(self, control, upstream_api_endpoint):
        self._control = control
        upstream = urlsplit(upstream_api_endpoint)
        self._upstream_host = upstream.hostname
        self._upstream_port = upstream.port
        self._prefix = upstream.path.rstrip("/")
        front = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):  # noqa: N802
                front.handle(self)

            def do_POST(self):  # noqa: N802
                front.handle(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def api_endpoint(self):
        return "http://127.0.0.1:%d%s" % (self._server.server_address[1], self._prefix)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._server.shutdown()
        self._server.server_close()

    @staticmethod
    def _answer(handler, status, body):
        data = json.dumps(body).encode("utf-8")
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _status(self, handler, query):
        if not handler.headers.get("Authorization", "").startswith("Bearer "):
            self._answer(handler, 401, {"error": "invalid_token", "error_description": "Access token is missing"})
            return
        user_id = (parse_qs(query).get("userId") or [""])[0]
        try:
            agent = self._control.agent_state(user_id)
        except SandboxError:
            agent = None
        if not agent or not agent.get("contact_id"):
            self._answer(handler, 404, {"description": "No active interaction found for user %s" % user_id,
                                        "httpStatus": "NOT_FOUND"})
            return
        contact = agent["contact"]
        recording = "Recording" if contact["recording"] != "off" else "NoRecording"
        reason = "CustomerDisconsent" if contact["do_not_record"] else (
            "StopOnDemand" if contact["stopped_on_demand"] else "Policy")
        self._answer(handler, 200, {"contactId": agent["contact_id"], "recordingStatusToAgent": recording,
                                    "recordingStatusFromAgent": recording, "statusReason": reason})

    def handle(self, handler):
        target = urlsplit(handler.path)
        if handler.command == "GET" and unquote(target.path).endswith(STATUS_SUFFIX):
            self._status(handler, target.query)
            return
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else None
        headers = {name: value for name, value in handler.headers.items()
                   if name.lower() in ("authorization", "content-type", "accept")}
        connection = http.client.HTTPConnection(self._upstream_host, self._upstream_port, timeout=60)
        try:
            connection.request(handler.command, handler.path, body=body, headers=headers)
            reply = connection.getresponse()
            data = reply.read()
        finally:
            connection.close()
        handler.send_response(reply.status)
        for name, value in reply.getheaders():
            if name.lower() in ("content-type", "retry-after", "www-authenticate"):
                handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)


def upstream_api_endpoint(sandbox_url, tenant_id):
    """The tenant's API endpoint as the sandbox's discovery names it."""
    answer = requests.get(sandbox_url + "/.well-known/cxone-configuration", params={"tenantId": tenant_id},
                          timeout=10)
    answer.raise_for_status()
    return answer.json()["api_endpoint"]


class Studio:
    """Posts refusals to the listener as a Studio REST API action would: bearer token and/or HMAC."""

    def __init__(self, url, token=None, hmac_secret=None, header="X-CXone-Signature"):
        self.url = url
        self.token = token
        self.hmac_secret = hmac_secret
        self.header = header
        self._session = requests.Session()
        self._session.trust_env = False

    def post(self, payload=None, body=None, token=None, signature=None, headers=None):
        """The listener's answer; ``token``/``signature`` default to the right ones, ``False`` leaves one out."""
        data = body if body is not None else json.dumps(payload).encode("utf-8")
        sent = {"Content-Type": "application/json"}
        token = self.token if token is None else token
        if token:
            sent["Authorization"] = "Bearer " + token
        if signature is None and self.hmac_secret:
            signature = "sha256=" + hmac.new(self.hmac_secret.encode("utf-8"), data, hashlib.sha256).hexdigest()
        if signature:
            sent[self.header] = signature
        sent.update(headers or {})
        return self._session.post(self.url + "/consent", data=data, headers=sent, timeout=30)

    def refuse(self, user_id, contact_id):
        return self.post({"userId": user_id, "contactId": contact_id, "consent": "refused"})


class Rulebook:
    """ansible-rulebook running the collection's consent_refused rulebook, its output in a file."""

    def __init__(self, workdir, variables, environment, verbosity="-v", max_concurrent_actions=2):
        self.max_concurrent_actions = max_concurrent_actions
        self.workdir = workdir
        self.output_path = os.path.join(workdir, "rulebook.log")
        self._variables = variables
        self._environment = environment
        self._verbosity = verbosity
        self._process = None
        self._output = None

    def start(self, timeout=180):
        executable = shutil.which("ansible-rulebook")
        if executable is None:
            raise RuntimeError("ansible-rulebook is not on PATH (make eda-venv installs it into .venv-eda)")
        vars_path = os.path.join(self.workdir, "consent-vars.yml")
        inventory_path = os.path.join(self.workdir, "consent-inventory.yml")
        with open(vars_path, "w", encoding="utf-8") as stream:
            yaml.safe_dump(self._variables, stream)
        with open(inventory_path, "w", encoding="utf-8") as stream:
            stream.write("all: {}\n")
        environment = {name: value for name, value in os.environ.items() if not name.startswith("CXONE_")}
        environment.update({"ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0", "NO_PROXY": "127.0.0.1,localhost",
                            "ANSIBLE_LOCALHOST_WARNING": "0", "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0"})
        environment.update(self._environment)
        self._output = open(self.output_path, "w", encoding="utf-8")  # pylint: disable=consider-using-with
        command = [executable, "-r", RULEBOOK, "-i", inventory_path, "--vars", vars_path,
                   "--max-concurrent-actions", str(self.max_concurrent_actions)]
        if self._verbosity:
            command.append(self._verbosity)
        self._process = subprocess.Popen(command, cwd=self.workdir, env=environment,  # pylint: disable=consider-using-with
                                         stdout=self._output, stderr=subprocess.STDOUT, start_new_session=True)

        def ready():
            if self._process.poll() is not None:
                raise AssertionError("ansible-rulebook exited with %s:\n%s" % (self._process.returncode,
                                                                               self.output()[-4000:]))
            return READY_LINE in self.output()
        wait_for(ready, timeout, "ansible-rulebook to take events")
        return self

    def output(self):
        with open(self.output_path, encoding="utf-8", errors="replace") as stream:
            return stream.read()

    def batches_emitted(self):
        return self.output().count(BATCH_LINE)

    def runs_finished(self):
        return self.output().count(RUN_DONE_LINE)

    def batched_users(self):
        """Every user id the source has put in a batch so far."""
        users = set()
        for line in self.output().splitlines():
            if BATCH_LINE in line:
                users.update(user.strip() for user in line.split("for user(s)", 1)[1].split(","))
        return users

    def wait_until_done(self, user_ids, timeout=120):
        """Until these agents were batched and every batch emitted so far has had its module run finish."""
        wanted = set(user_ids)
        wait_for(lambda: wanted <= self.batched_users(), timeout, "the source to batch %s" % sorted(wanted))
        wait_for(lambda: self.runs_finished() >= self.batches_emitted(), timeout,
                 "every batch's module run to finish")

    def stop(self):
        if self._process is None:
            return
        if self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGINT)
            try:
                self._process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait()
        self._output.close()
        self._process = None
