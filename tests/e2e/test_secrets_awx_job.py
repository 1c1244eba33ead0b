# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Secrets never reach what a user can see: ansible-runner as AWX runs a job.

Credentials are injected as ``CXONE_*`` in ``env/envvars`` (``process_isolation: false``,
``-vvvv``), in direct mode and over the connection; every file the run leaves
(``artifacts/``: job events, stdout, ...) is searched.
"""

from __future__ import annotations

import json
import os

import pytest

from _helpers_secrets import (  # pylint: disable=import-error
    ALICE,
    BOB,
    CAROL,
    NO_LOG_MARK,
    ON_CALL,
    Needles,
    add_faults,
    file_texts,
    play,
    step,
)
from e2e_helpers import (  # pylint: disable=import-error
    ACCESS_KEY_ID,
    CLIENT_ID,
    make_tenant,
    operation_requests,
    run_runner_job,
)

pytestmark = pytest.mark.e2e

# The AWX job's credentials (their own tenant secrets; the key secret is not ASCII and has a space).
AWX_CLIENT_SECRET = "AWX-CLIENT-SECRET-t6W=&+%c"
AWX_KEY_SECRET = "AWX-KEY-SECRET-\u00df\u00e9 4=&+%d"

AWX_TASKS = [
    step("cxone_recording_start", "start", user_id=["{{ alice }}", "{{ carol }}"], media_type="voiceAndScreen"),
    step("cxone_do_not_record", "do not record", user_id="{{ bob }}"),
    step("cxone_recording_start", "conflict", ignore_errors=True, user_id="{{ bob }}"),
    dict(step("cxone_recording_stop", "stop", user_id=["{{ alice }}", "{{ carol }}"]), register="stopped"),
    {"name": "report", "ansible.builtin.debug": {"msg": "{{ stopped.summary }}"}},
]


class AwxJob:  # pylint: disable=too-few-public-methods
    """One ansible-runner job and what it left: its folder, the runner, the requests CXone received."""

    def __init__(self, mode, private_dir, runner, sent, injected):
        self.mode = mode
        self.private_dir = private_dir
        self.runner = runner
        self.sent = sent
        self.injected = injected


@pytest.fixture(scope="module", params=["direct", "plugin"])
def awx_job(request, sandbox_server, tmp_path_factory):
    mode = request.param
    control = sandbox_server.client()
    control.reset()
    control.add_tenant(make_tenant(agents=ON_CALL, calls=ON_CALL, client_secret=AWX_CLIENT_SECRET, key_secret=AWX_KEY_SECRET))
    add_faults(control)

    private_dir = str(tmp_path_factory.mktemp("awx-" + mode))
    injected = {"CXONE_ISSUER": sandbox_server.url, "CXONE_CLIENT_ID": CLIENT_ID, "CXONE_CLIENT_SECRET": AWX_CLIENT_SECRET,
                "CXONE_ACCESS_KEY_ID": ACCESS_KEY_ID, "CXONE_ACCESS_KEY_SECRET": AWX_KEY_SECRET}
    hosts, inventory = "localhost", None
    if mode == "plugin":
        # A tenant host without credentials: the connection takes them from the CXONE_* environment.
        hosts, inventory = "tenant", {"all": {"hosts": {"tenant": {"ansible_connection": "cxone.recording.cxone_api"}}}}
    runner = run_runner_job(private_dir, [play("AWX job", hosts, list(AWX_TASKS))], injected,
                            extravars={"alice": ALICE, "bob": BOB, "carol": CAROL}, inventory=inventory)
    sent = operation_requests(control)
    return AwxJob(mode, private_dir, runner, sent, injected)


def test_awx_job_succeeds_and_reaches_cxone(awx_job):
    runner = awx_job.runner
    assert runner.rc == 0 and runner.status == "successful", runner.stdout.read()
    answered = {(entry["operation"], entry["user_id"], entry["status"]) for entry in awx_job.sent}
    assert answered >= {("start", ALICE, 200), ("start", CAROL, 503), ("start", CAROL, 200), ("do_not_record", BOB, 200),
                        ("start", BOB, 409), ("stop", ALICE, 200), ("stop", CAROL, 200)}
    events = list(runner.events)
    failed = [event for event in events if event["event"] == "runner_on_failed"]
    assert [event["event_data"]["task"] for event in failed] == ["conflict"]
    assert failed[0]["event_data"]["res"]["http_status"] == 409
    modules = [event for event in events if event["event"] == "runner_on_ok"
               and event["event_data"]["task_action"].startswith("cxone.recording.")]
    assert len(modules) == 3
    if awx_job.mode == "direct":
        # Secrets from the CXONE_* environment (the options' fallback) are masked like options.
        for event in modules + failed:
            args = event["event_data"]["res"]["invocation"]["module_args"]
            assert args["client_secret"] == NO_LOG_MARK and args["access_key_secret"] == NO_LOG_MARK


def test_awx_artifacts_hold_no_secret_or_token(awx_job):
    """Every file of the run but env/ (the job's input, which AWX writes itself)."""
    needles = (Needles().plant("the injected client secret", AWX_CLIENT_SECRET, basic_user=CLIENT_ID)
               .plant("the injected access key secret", AWX_KEY_SECRET))
    hits = []
    searched = []
    for relative, text in file_texts(awx_job.private_dir, skip=lambda path: path.startswith("env" + os.sep)):
        if relative.startswith("artifacts" + os.sep) and os.path.basename(relative) == "command":
            # ansible-runner itself records the job's whole environment here (runner.py,
            # ``artifacts/<ident>/command``), the injected credentials included: the input the
            # job was given, not something the collection wrote. Everything else in it (the
            # command line, and any token) is searched; the injected variables are left out.
            recorded = json.loads(text)
            for name in awx_job.injected:
                recorded["env"].pop(name, None)
            text = json.dumps(recorded)
        searched.append(relative)
        hits += needles.find(text, relative)
    assert any(path.startswith("artifacts" + os.sep) and "job_events" in path for path in searched)
    assert any(path.endswith(os.sep + "stdout") for path in searched)
    assert hits == []
