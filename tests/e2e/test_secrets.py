# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Secrets never reach what a user can see.

Distinctive secrets are planted (client secrets, access key secrets, a wrong access key secret,
an access token obtained from the sandbox with its refresh and id tokens), and every token the
sandbox issues starts with ``sbxAT`` (access) or ``sbxRT`` (refresh), so that a search finds any
of them. Each search also looks for the spellings a leak could take: URL-encoded (a form body),
JSON-escaped (a result, a job event), ``repr`` and the HTTP Basic header of the client secret.

- ``story``: one ``ansible-playbook -vvvv`` run per mode (``connection: local`` and the
  ``cxone_api`` connection) that goes through success, a retried login, retried 503s, 409 after
  do-not-record, 404, 403 (an access key without permission), a refused login (wrong secret),
  token revocation between tasks (over the connection: a refused refresh, then a new login),
  a ``validate_certs: false`` warning, and a given ``access_token`` that works and then is
  rejected after revocation. Searched: stdout and stderr, every registered result (also for
  ``********``, Ansible's mask of a no_log value that reached a result), the ``ANSIBLE_LOG_PATH``
  log and every file left in the run's folder (local and remote temp, connection sockets).
  The secret module options must show as ``VALUE_SPECIFIED_IN_NO_LOG_PARAMETER`` in
  ``invocation.module_args``.
- ``awx_job``: ansible-runner as AWX runs a job (credentials injected as ``CXONE_*`` in
  ``env/envvars``, ``process_isolation: false``, ``-vvvv``), in direct mode and over the
  connection; every file the run leaves (``artifacts/``: job events, stdout, ...) is searched.
- ``misbehaving_cxone``: CXone or a gateway answers oddly (echoes the login form, issues a
  token that cannot go into a header); nothing of it may reach the task.

The playbook runs happen once per module (fixtures of module scope); the tests then check
what they left. The scenarios are asserted too, so that a leak search never passes on a run
that did not go where the secrets could leak.
"""

from __future__ import annotations

import base64
import json
import os
import urllib.parse

import ansible_runner  # pylint: disable=import-error
import pytest
import requests
import yaml

from conftest import (  # pylint: disable=import-error
    ACCESS_KEY_ID,
    ACCESS_KEY_SECRET,
    CLIENT_ID,
    CLIENT_SECRET,
    TENANT_A,
    Ansible,
    agent_ids,
    make_tenant,
    operation_requests,
)

pytestmark = pytest.mark.e2e

ALICE, BOB, CAROL, DAVE, IDLE = agent_ids(5, prefix="5ec7")
ON_CALL = [ALICE, BOB, CAROL, DAVE]

# An access key of the same tenant without the Record on Demand permission (403 on operations).
NOPERM_KEY_ID = "E2ENOPERM"
NOPERM_KEY_SECRET = "NOPERM-KEY-SECRET-j3K=&+%z"
NOPERM_USER = "99999999-0000-4000-8000-0000000000e3"
# A wrong access key secret: CXone refuses the login, and this value must not be echoed either.
WRONG_KEY_SECRET = "WRONG-KEY-SECRET-u8L=&+%x"
# The AWX job's credentials (their own tenant secrets; the key secret is not ASCII and has a space).
AWX_CLIENT_SECRET = "AWX-CLIENT-SECRET-t6W=&+%c"
AWX_KEY_SECRET = "AWX-KEY-SECRET-\u00df\u00e9 4=&+%d"

NO_LOG_MARK = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
# Every token the sandbox issues, whoever asked for it.
TOKEN_MARKERS = {
    "sbxAT": "an access token issued by the sandbox",
    "sbxRT": "a refresh token issued by the sandbox",
    # base64url of the sandbox's id_token header {"alg":"RS256","typ":"JWT"}
    "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9": "an id_token issued by the sandbox",
}
SECRET_OPTIONS = ("client_secret", "access_key_secret", "access_token")


# -- searching -------------------------------------------------------------------------------

def spellings(value):
    """The forms a secret takes in a URL-encoded form, a JSON document or a Python repr."""
    forms = {
        value,
        urllib.parse.quote_plus(value),
        urllib.parse.quote(value, safe=""),
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        repr(value)[1:-1],
        value.encode("unicode_escape").decode("ascii"),
    }
    return sorted(forms)


class Needles:
    """What must appear nowhere: planted secrets (in every spelling) and token markers."""

    def __init__(self):
        self.labels = dict(TOKEN_MARKERS)

    def plant(self, label, value, basic_user=None):
        for form in spellings(value):
            self.labels.setdefault(form, label)
        if basic_user is not None:
            basic = base64.b64encode(("%s:%s" % (basic_user, value)).encode("latin-1")).decode("ascii")
            self.labels.setdefault(basic, label + " (as an HTTP Basic header)")
        return self

    def find(self, text, where):
        """One line per hit: what leaked, where, and the text around it."""
        hits = []
        for needle, label in self.labels.items():
            start = text.find(needle)
            while start != -1:
                context = text[max(0, start - 120):start + len(needle) + 60].replace("\n", "\\n")
                hits.append("%s: %s (%r) in ...%s..." % (where, label, needle, context))
                start = text.find(needle, start + 1)
        return hits


def file_texts(root, skip=lambda path: False):
    """(relative path, text) of every regular file under root."""
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            relative = os.path.relpath(path, root)
            if not os.path.isfile(path) or skip(relative):
                continue
            with open(path, "rb") as stream:
                yield relative, stream.read().decode("utf-8", errors="replace")


def login_directly(base_url):
    """What a user's own script would do to get an access token (the password grant)."""
    session = requests.Session()
    session.trust_env = False
    answer = session.post(base_url + "/auth/token", auth=(CLIENT_ID, CLIENT_SECRET), timeout=10,
                          data={"grant_type": "password", "username": ACCESS_KEY_ID, "password": ACCESS_KEY_SECRET})
    assert answer.status_code == 200, answer.text
    return answer.json()


def add_faults(control):
    """The first login and Carol's first two operations answer 503; Retry-After 0 keeps it fast."""
    control.add_fault("status", status=503, count=1, applies_to="token", retry_after="0")
    control.add_fault("status", status=503, count=2, user_id=CAROL, retry_after="0")


# -- the playbook story ----------------------------------------------------------------------

def step(module, name, ignore_errors=False, **options):
    task = {"name": name, "cxone.recording." + module: options}
    if ignore_errors:
        task["ignore_errors"] = True
    return task


def revoke(base_url, name):
    """Revoke every token between two tasks, as an administrator might (a control call)."""
    return {"name": name, "ansible.builtin.uri": {
        "url": base_url + "/_sandbox/tokens/revoke", "method": "POST", "body_format": "json",
        "body": {}, "status_code": 200},
        "delegate_to": "localhost",
        "vars": {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}}


def play(name, hosts, tasks, module_defaults=None):
    document = {"name": name, "hosts": hosts, "gather_facts": False}
    if module_defaults is not None:
        document["module_defaults"] = {"group/cxone.recording.cxone": module_defaults}
    document["tasks"] = tasks
    return document


def token_tasks(base_url, **options):
    return [step("cxone_recording_start", "token start", user_id=ALICE, **options),
            revoke(base_url, "revoke the given token"),
            step("cxone_recording_stop", "token rejected", ignore_errors=True, user_id=ALICE, **options)]


def main_tasks(base_url, **after_revoke_options):
    """Success, retried login and 503s, 409 and 404 in one batch, a revocation, and a warning."""
    return [
        step("cxone_recording_start", "start", user_id=[ALICE, CAROL], media_type="voiceAndScreen"),
        step("cxone_do_not_record", "do not record", user_id=BOB),
        step("cxone_recording_start", "refused", ignore_errors=True, user_id=[BOB, IDLE]),
        revoke(base_url, "revoke everything"),
        step("cxone_recording_stop", "after revoke", user_id=ALICE, **after_revoke_options),
    ]


def direct_playbook(ansible):
    base_url = ansible.sandbox_url
    login = ansible.direct_vars()
    given = {"issuer": base_url, "tenant_id": TENANT_A, "access_token": "{{ e2e_access_token }}"}
    denied = [
        step("cxone_recording_stop", "denied (no permission)", ignore_errors=True, user_id=DAVE,
             access_key_id=NOPERM_KEY_ID, access_key_secret="{{ e2e_noperm_secret }}"),
        step("cxone_recording_stop", "denied (wrong secret)", ignore_errors=True, user_id=DAVE,
             access_key_secret="{{ e2e_wrong_secret }}"),
    ]
    return [play("given token", "localhost", token_tasks(base_url), given),
            play("log in", "localhost", main_tasks(base_url, validate_certs=False) + denied, login)]


def plugin_playbook(ansible):
    """Four tenants-as-hosts: a given token, good credentials, no permission, a wrong secret."""
    base_url = ansible.sandbox_url
    login = ansible.direct_vars()
    logged = {"ansible_persistent_log_messages": True}
    inventory = ansible.inventory({
        "cx_token": dict(logged, issuer=base_url, tenant_id=TENANT_A, access_token="{{ e2e_access_token }}"),
        "cx_main": dict(login, validate_certs=False, **logged),
        "cx_noperm": dict(login, access_key_id=NOPERM_KEY_ID, access_key_secret="{{ e2e_noperm_secret }}", **logged),
        "cx_wrong": dict(login, access_key_secret="{{ e2e_wrong_secret }}", **logged),
    })
    # Module options over the connection are not used, but they are module options all the same.
    as_options = {"client_secret": "{{ e2e_client_secret }}", "access_key_secret": "{{ e2e_access_key_secret }}",
                  "access_token": "{{ e2e_access_token }}"}
    playbook = [play("given token", "cx_token", token_tasks(base_url)),
                play("log in", "cx_main", main_tasks(base_url, **as_options)),
                play("denied", "cx_noperm:cx_wrong",
                     [step("cxone_recording_stop", "denied", ignore_errors=True, user_id=DAVE)])]
    return playbook, inventory


class Story:  # pylint: disable=too-few-public-methods
    """One ansible-playbook run and what it left: output, results, log, files, the sandbox's view."""

    def __init__(self, mode, ansible, run, log, stats, needles):
        self.mode = mode
        self.ansible = ansible
        self.run = run
        self.log = log
        self.stats = stats
        self.needles = needles

    def result(self, task, host=None):
        return self.run.result(task, host)

    def denied(self):
        """(no permission, wrong secret) results."""
        if self.mode == "direct":
            return self.result("denied (no permission)"), self.result("denied (wrong secret)")
        return self.result("denied", "cx_noperm"), self.result("denied", "cx_wrong")


@pytest.fixture(scope="module", params=["direct", "plugin"])
def story(request, sandbox_server, tmp_path_factory):
    mode = request.param
    control = sandbox_server.client()
    control.reset()
    control.add_tenant(make_tenant(agents=ON_CALL + [IDLE], calls=ON_CALL))
    control.set_access_key(NOPERM_KEY_ID, NOPERM_KEY_SECRET, NOPERM_USER, permissions=[])
    given = login_directly(sandbox_server.url)
    add_faults(control)

    workdir = str(tmp_path_factory.mktemp("secrets-" + mode))
    ansible = Ansible(workdir, sandbox_server.url)
    if mode == "direct":
        playbook, inventory = direct_playbook(ansible), None
    else:
        playbook, inventory = plugin_playbook(ansible)
    # direct_vars() wrote secrets.yml (passed with -e @); the other planted values join it,
    # so that no secret is written into a playbook or an inventory.
    secrets_file = os.path.join(workdir, "secrets.yml")
    with open(secrets_file, encoding="utf-8") as stream:
        secrets = yaml.safe_load(stream)
    secrets.update(e2e_noperm_secret=NOPERM_KEY_SECRET, e2e_wrong_secret=WRONG_KEY_SECRET,
                   e2e_access_token=given["access_token"])
    with open(secrets_file, "w", encoding="utf-8") as stream:
        yaml.safe_dump(secrets, stream)

    log_path = os.path.join(workdir, "ansible.log")
    env = {"ANSIBLE_LOG_PATH": log_path, "ANSIBLE_REMOTE_TEMP": os.path.join(workdir, "remote-tmp")}
    run = ansible.run(playbook, inventory=inventory, verbosity=4, env=env)
    log = ""
    if os.path.exists(log_path):
        with open(log_path, encoding="utf-8", errors="replace") as stream:
            log = stream.read()

    needles = (Needles().plant("the client secret", CLIENT_SECRET, basic_user=CLIENT_ID)
               .plant("the access key secret", ACCESS_KEY_SECRET)
               .plant("the secret of the key without permission", NOPERM_KEY_SECRET)
               .plant("the wrong access key secret", WRONG_KEY_SECRET)
               .plant("the given access token", given["access_token"])
               .plant("the refresh token of the given token", given["refresh_token"])
               .plant("the id_token of the given token", given["id_token"]))
    return Story(mode, ansible, run, log, control.stats(), needles)


def test_the_story_went_where_secrets_could_leak(story):
    run = story.run
    assert run.rc == 0, run.output[-3000:]
    main = "cx_main" if story.mode == "plugin" else None

    assert story.result("token start")["outcome"] == "completed"
    rejected = story.result("token rejected")
    assert rejected["failed"] and "rejected the access_token given" in rejected["msg"], rejected["msg"]

    started = story.result("start", main)
    assert started["summary"]["completed"] == 2
    assert [entry["attempts"] for entry in started["results"]] == [1, 3], "Carol's request was answered 503 twice"
    refused = story.result("refused", main)
    assert refused["failed"] and [entry["http_status"] for entry in refused["results"]] == [409, 404]
    after = story.result("after revoke", main)
    assert after["outcome"] == "completed"
    assert any("validate_certs is false" in warning for warning in after.get("warnings", [])), after

    forbidden, wrong = story.denied()
    assert forbidden["failed"] and forbidden["http_status"] == 403, forbidden
    assert wrong["failed"] and "login with access key %s failed: HTTP 400" % ACCESS_KEY_ID in wrong["msg"], wrong

    stats = story.stats
    assert stats["faults_fired"] == 3, "the first login and two of Carol's requests were answered 503"
    if story.mode == "plugin":
        assert stats["token_requests"]["refresh_token"] == 1, "after the revocation, the refresh grant was tried first"


def test_no_secret_or_token_in_the_output(story):
    assert story.needles.find(story.run.output, "stdout/stderr") == []


def test_no_secret_or_token_in_any_registered_result(story):
    assert story.run.records, "the results were recorded"
    hits = []
    for record in story.run.records:
        hits += story.needles.find(json.dumps(record), "result of %r on %s" % (record["task"], record["host"]))
    assert hits == []


def test_no_masked_secret_in_the_modules_results(story):
    """Ansible masks a no_log value it finds in a result as ********: a secret that reached it."""
    for record in story.run.records:
        if record["task"].startswith("revoke"):
            continue
        text = json.dumps({key: value for key, value in record["result"].items() if key != "invocation"})
        assert "********" not in text, record


def test_no_secret_or_token_in_the_ansible_log(story):
    assert "cxone" in story.log, "ANSIBLE_LOG_PATH was written"
    if story.mode == "plugin":
        assert "cxone_api: POST %s/auth/token -> 200 in" % story.ansible.sandbox_url in story.log
        assert "cxone_api: POST %s/auth/token -> 503 in" % story.ansible.sandbox_url in story.log
    assert story.needles.find(story.log, "ANSIBLE_LOG_PATH") == []


def test_no_secret_or_token_in_any_file_the_run_left(story):
    """Results, log, local and remote temp folders, connection sockets: all but the vars file we gave."""
    hits = []
    for relative, text in file_texts(story.ansible.workdir, skip=lambda path: path == "secrets.yml"):
        hits += story.needles.find(text, relative)
    assert hits == []


def test_secret_module_options_are_no_log(story):
    checked = 0
    for record in story.run.records:
        args = record["result"].get("invocation", {}).get("module_args", {})
        if "user_id" not in args:
            continue  # not one of the collection's modules
        for option in SECRET_OPTIONS:
            assert option in args, (record["task"], sorted(args))
            if args[option] is not None:
                assert args[option] == NO_LOG_MARK, (record["task"], option)
                checked += 1
    if story.mode == "direct":
        # client_secret and access_key_secret in the 6 logging-in tasks, access_token in the 2 token tasks
        assert checked == 2 * 6 + 2
    else:
        assert checked == 3, "the three secret options given to one task"


# -- AWX: ansible-runner with injected credentials --------------------------------------------

AWX_TASKS = [
    step("cxone_recording_start", "start", user_id=["{{ alice }}", "{{ carol }}"], media_type="voiceAndScreen"),
    step("cxone_do_not_record", "do not record", user_id="{{ bob }}"),
    step("cxone_recording_start", "conflict", ignore_errors=True, user_id="{{ bob }}"),
    dict(step("cxone_recording_stop", "stop", user_id=["{{ alice }}", "{{ carol }}"]), register="stopped"),
    {"name": "report", "ansible.builtin.debug": {"msg": "{{ stopped.summary }}"}},
]


def write_yaml(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as stream:
        yaml.safe_dump(data, stream, sort_keys=False, allow_unicode=True)


class AwxJob:  # pylint: disable=too-few-public-methods
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
    scratch = os.path.join(private_dir, "scratch")
    injected = {"CXONE_ISSUER": sandbox_server.url, "CXONE_CLIENT_ID": CLIENT_ID, "CXONE_CLIENT_SECRET": AWX_CLIENT_SECRET,
                "CXONE_ACCESS_KEY_ID": ACCESS_KEY_ID, "CXONE_ACCESS_KEY_SECRET": AWX_KEY_SECRET}
    envvars = dict(injected, ANSIBLE_COLLECTIONS_PATH=os.environ.get("ANSIBLE_COLLECTIONS_PATH", ""),
                   ANSIBLE_LOCAL_TEMP=os.path.join(scratch, "local"), ANSIBLE_REMOTE_TEMP=os.path.join(scratch, "remote"),
                   ANSIBLE_PERSISTENT_CONTROL_PATH_DIR=os.path.join(scratch, "pc"), ANSIBLE_LOCALHOST_WARNING="0",
                   ANSIBLE_INVENTORY_UNPARSED_WARNING="0", ANSIBLE_NOCOLOR="1", NO_PROXY="127.0.0.1,localhost")
    write_yaml(os.path.join(private_dir, "env", "envvars"), envvars)
    write_yaml(os.path.join(private_dir, "env", "extravars"), {"alice": ALICE, "bob": BOB, "carol": CAROL})
    write_yaml(os.path.join(private_dir, "env", "settings"), {"process_isolation": False})
    tasks = list(AWX_TASKS)
    hosts = "localhost"
    if mode == "plugin":
        # A tenant host without credentials: the connection takes them from the CXONE_* environment.
        write_yaml(os.path.join(private_dir, "inventory", "hosts"),
                   {"all": {"hosts": {"tenant": {"ansible_connection": "cxone.recording.cxone_api"}}}})
        hosts = "tenant"
    write_yaml(os.path.join(private_dir, "project", "job.yml"), [play("AWX job", hosts, tasks)])

    runner = ansible_runner.run(private_data_dir=private_dir, playbook="job.yml", verbosity=4, quiet=True, timeout=300)
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


# -- a misbehaving CXone or gateway ------------------------------------------------------------
# The collection quotes the answers it gets in its messages: what CXone, a proxy or a gateway
# puts in an error answer, or in a token, must still not carry a secret to the task.

# What a gateway that echoes a refused request would answer: the form as the collection sent it.
ECHOED_LOGIN = ("invalid_grant for grant_type=password&username=%s&password=%s"
                % (ACCESS_KEY_ID, urllib.parse.quote_plus(ACCESS_KEY_SECRET)))
# A token that cannot go into a header (a line break from a broken proxy, say).
ODD_TOKEN = "sbxAT-odd-token-from-a-gateway\r\n"


@pytest.fixture(scope="module")
def misbehaving_cxone(sandbox_server, tmp_path_factory):
    control = sandbox_server.client()
    control.reset()
    control.add_tenant(make_tenant(agents=ON_CALL, calls=ON_CALL))
    # Fault rules fire in the order added: the echoing login, then the odd token.
    control.add_fault("status", status=400, count=1, applies_to="token", body=ECHOED_LOGIN, content_type="text/plain")
    control.add_fault("status", status=200, count=1, applies_to="token",
                      body=json.dumps({"access_token": ODD_TOKEN, "token_type": "Bearer", "expires_in": 3600}))
    ansible = Ansible(str(tmp_path_factory.mktemp("misbehaving")), sandbox_server.url)
    login = ansible.direct_vars(tenant_id=TENANT_A)
    tasks = [step("cxone_recording_stop", "echoed", ignore_errors=True, user_id=ALICE),
             step("cxone_recording_stop", "odd token", ignore_errors=True, user_id=ALICE)]
    run = ansible.run(ansible.play(tasks, module_defaults=login), verbosity=4)
    assert control.stats()["faults_fired"] == 2, run.output[-3000:]
    return run


def test_an_echoed_login_form_does_not_reach_the_task(misbehaving_cxone):
    result = misbehaving_cxone.result("echoed")
    assert result["failed"] and "HTTP 400" in result["msg"], result
    needles = Needles().plant("the access key secret", ACCESS_KEY_SECRET)
    assert needles.find(json.dumps(result), "result") == []


def test_a_token_unfit_for_a_header_does_not_reach_the_task(misbehaving_cxone):
    result = misbehaving_cxone.result("odd token")
    assert result["failed"], result
    assert Needles().find(json.dumps(result), "result") == []


def test_the_search_finds_a_planted_leak():
    """The search itself: every spelling of a secret, and a token, is found."""
    needles = Needles().plant("secret", AWX_KEY_SECRET).plant("client", CLIENT_SECRET, basic_user=CLIENT_ID)
    basic = base64.b64encode(("%s:%s" % (CLIENT_ID, CLIENT_SECRET)).encode("ascii")).decode("ascii")
    for text in (json.dumps({"msg": AWX_KEY_SECRET}), "password=" + urllib.parse.quote_plus(AWX_KEY_SECRET),
                 "Authorization: Basic " + basic, "Bearer sbxATxyz", repr({"a": AWX_KEY_SECRET})):
        assert needles.find(text, "text"), text
