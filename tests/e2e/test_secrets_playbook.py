# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Secrets never reach what a user can see: one ``ansible-playbook -vvvv`` story per mode.

One run per mode (``connection: local`` and the ``cxone_api`` connection) goes through
success, a retried login, retried 503s, 409 after do-not-record, 404, 403 (an access key
without permission), a refused login (wrong secret), token revocation between tasks (over the
connection: a refused refresh, then a new login), a ``validate_certs: false`` warning, and a
given ``access_token`` that works and then is rejected after revocation. Searched: stdout and
stderr, every registered result (also for ``********``, Ansible's mask of a no_log value that
reached a result), the ``ANSIBLE_LOG_PATH`` log and every file left in the run's folder (local
and remote temp, connection sockets). The secret module options must show as
``VALUE_SPECIFIED_IN_NO_LOG_PARAMETER`` in ``invocation.module_args``.

The playbook runs happen once per mode (a fixture of module scope); the tests then check what
they left. The scenario is asserted too, so that a leak search never passes on a run that did
not go where the secrets could leak.
"""

from __future__ import annotations

import json
import os

import pytest
import requests

from _helpers_secrets import (  # pylint: disable=import-error
    ALICE,
    BOB,
    CAROL,
    DAVE,
    IDLE,
    NO_LOG_MARK,
    ON_CALL,
    SECRET_OPTIONS,
    Needles,
    add_faults,
    file_texts,
    play,
    step,
)
from e2e_helpers import (  # pylint: disable=import-error
    ACCESS_KEY_ID,
    ACCESS_KEY_SECRET,
    CLIENT_ID,
    CLIENT_SECRET,
    TENANT_A,
    Ansible,
    make_tenant,
)

pytestmark = pytest.mark.e2e

# An access key of the same tenant without the Record on Demand permission (403 on operations).
NOPERM_KEY_ID = "E2ENOPERM"
NOPERM_KEY_SECRET = "NOPERM-KEY-SECRET-j3K=&+%z"
NOPERM_USER = "99999999-0000-4000-8000-0000000000e3"
# A wrong access key secret: CXone refuses the login, and this value must not be echoed either.
WRONG_KEY_SECRET = "WRONG-KEY-SECRET-u8L=&+%x"


def login_directly(base_url):
    """What a user's own script would do to get an access token (the password grant)."""
    session = requests.Session()
    session.trust_env = False
    answer = session.post(base_url + "/auth/token", auth=(CLIENT_ID, CLIENT_SECRET), timeout=10,
                          data={"grant_type": "password", "username": ACCESS_KEY_ID, "password": ACCESS_KEY_SECRET})
    assert answer.status_code == 200, answer.text
    return answer.json()


def revoke(base_url, name):
    """Revoke every token between two tasks, as an administrator might (a control call)."""
    return {"name": name, "ansible.builtin.uri": {
        "url": base_url + "/_sandbox/tokens/revoke", "method": "POST", "body_format": "json",
        "body": {}, "status_code": 200},
        "delegate_to": "localhost",
        "vars": {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}}


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
    ansible = Ansible(workdir, sandbox_server.url, sandbox_server.api_url)
    if mode == "direct":
        playbook, inventory = direct_playbook(ansible), None
    else:
        playbook, inventory = plugin_playbook(ansible)
    # The other planted values join the secrets file (passed with -e @), so that no secret is
    # written into a playbook or an inventory.
    ansible.secrets(e2e_noperm_secret=NOPERM_KEY_SECRET, e2e_wrong_secret=WRONG_KEY_SECRET,
                    e2e_access_token=given["access_token"])

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
