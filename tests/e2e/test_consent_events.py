# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""End to end: the sandbox plays the IVR and posts refusals as Studio would, ansible-rulebook with the
installed consent_refused rulebook, and do-not-record in the sandbox.

One ansible-rulebook run serves most tests of this file (it takes about ten seconds to start);
the persistent rulebook's tests share two more (one with its JVM started with -Xrs), and the
SIGTERM tests start their own. Each test uses agents of its own. Every refusal a caller makes
goes through the sandbox's control call ``/_sandbox/calls/<contact id>/consent``; the raw posts
of ``RawPoster`` are what the IVR never sends (no or wrong credentials, malformed bodies) and
Studio's late retries for calls that have ended. ``make e2e-eda`` runs this file with .venv-eda
on PATH; without ansible-rulebook the file is skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from e2e_helpers import (  # pylint: disable=import-error
    ACCESS_KEY_ID,
    ACCESS_KEY_SECRET,
    CLIENT_ID,
    CLIENT_SECRET,
    agent_ids,
    make_tenant,
    operation_requests,
)
from consent_harness import PERSISTENT_RULEBOOK, Ivr, RawPoster, Rulebook, free_port, stalled_connections, wait_for

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("ansible-rulebook") is None,
                       reason="ansible-rulebook is not on PATH: run `make e2e-eda` (it uses .venv-eda)"),
]

LISTENER_TOKEN = "LISTENER-TOKEN-v8Rq=&+"
LISTENER_HMAC_SECRET = "LISTENER-HMAC-pX2w%=&+"
AGENTS = agent_ids(60, prefix="cafe")
BURST, BYSTANDERS, STALE, REFUSED_BAD, SENTINEL = AGENTS[:12], AGENTS[12:14], AGENTS[14:17], AGENTS[17:20], AGENTS[20]
RETRIED = AGENTS[21]
TRANSFERRED_FROM, TRANSFERRED_TO, PAST_STALLED, ODD = AGENTS[22], AGENTS[23], AGENTS[24], AGENTS[25]
CROWDED = AGENTS[26:29]
RESTARTED = {"default": AGENTS[30:40], "xrs": AGENTS[44:54]}
# (busy, waiting) of the SIGTERM test, by how the JVM is started.
SIGNALLED = {"default": (AGENTS[40], AGENTS[41]), "xrs": (AGENTS[42], AGENTS[43])}
CXONE_ENVIRONMENT_NAMES = ("CXONE_CLIENT_ID", "CXONE_CLIENT_SECRET", "CXONE_ACCESS_KEY_ID", "CXONE_ACCESS_KEY_SECRET")


@pytest.fixture(scope="module")
def consent_tenant(sandbox_server):
    """The sandbox's control client, with every agent of this file known and on no call."""
    control = sandbox_server.client()
    control.reset({"tenants": [make_tenant(agents=AGENTS, recording_policy="voice")]})
    return control


@pytest.fixture(scope="module")
def consent(sandbox_server, consent_tenant, tmp_path_factory):
    """(the IVR, a raw poster, the rulebook, the sandbox's control client)."""
    control = consent_tenant
    port = free_port()
    rulebook = Rulebook(
        str(tmp_path_factory.mktemp("consent")),
        {"cxone_consent_host": "127.0.0.1", "cxone_consent_port": port,
         "cxone_consent_token": LISTENER_TOKEN, "cxone_consent_hmac_secret": LISTENER_HMAC_SECRET},
        cxone_environment(sandbox_server),
        # Debug output: the leak test below searches the most the rulebook writes.
        verbosity="-vv")
    rulebook.start()
    try:
        listener_url = "http://127.0.0.1:%d/consent" % port
        yield (Ivr(control, listener_url, LISTENER_TOKEN, LISTENER_HMAC_SECRET),
               RawPoster(listener_url, LISTENER_TOKEN, LISTENER_HMAC_SECRET), rulebook, control)
    finally:
        rulebook.stop()


def cxone_environment(sandbox_server):
    return dict(zip(("CXONE_ISSUER",) + CXONE_ENVIRONMENT_NAMES,
                    (sandbox_server.url, CLIENT_ID, CLIENT_SECRET, ACCESS_KEY_ID, ACCESS_KEY_SECRET)))


def do_not_record_requests(control, user_id):
    return [entry for entry in operation_requests(control, "do_not_record") if entry["user_id"] == user_id]


def refusal(user_id, contact_id):
    """The body Studio posts for a refusal."""
    return {"userId": user_id, "contactId": contact_id, "consent": "refused"}


def contact(control, contact_id):
    found = [item for item in control.state()["tenants"][0]["contacts"] if item["contact_id"] == contact_id]
    assert len(found) == 1, contact_id
    return found[0]


def test_a_burst_marks_each_refused_contact_do_not_record_once(consent):
    ivr, _raw, rulebook, control = consent
    contacts = {user: control.start_call(user)["contact_id"] for user in BURST + BYSTANDERS}
    # Callers on many lines refuse at once: each post is answered once its batch was handed over.
    with ThreadPoolExecutor(len(BURST)) as pool:
        answers = list(pool.map(lambda user: ivr.refuse(contacts[user]), BURST))
    # Studio's retries and callers who refuse twice: the same contacts again.
    answers += [ivr.refuse(contacts[user]) for user in BURST[:6]]
    assert [(answer["user_id"], answer["listener_status"]) for answer in answers] == [(user, 202) for user in BURST + BURST[:6]]
    assert [json.loads(answer["listener_body"])["status"] for answer in answers[12:]] == ["already queued"] * 6

    rulebook.wait_until_done(BURST)

    for user in BURST:
        refused = contact(control, contacts[user])
        assert (refused["consent"], refused["do_not_record"]) == ("refused", True), user
        assert refused["recording"] == "off"
        assert refused["segments"][-1]["ended_by"] == "do_not_record"
        assert len(do_not_record_requests(control, user)) == 1, user
    for user in BYSTANDERS:
        untouched = contact(control, contacts[user])
        assert (untouched["consent"], untouched["do_not_record"], untouched["recording"]) == (None, False, "voice")
        assert do_not_record_requests(control, user) == []


def test_a_refusal_never_lands_on_the_agent_next_contact(consent):
    ivr, raw, rulebook, control = consent
    moved, racing, two_calls = STALE
    # The agent had left the refused call before Studio's post arrived: the IVR's post found no
    # listener, and Studio's retry reached it once the agent was on the next call.
    first = control.start_call(moved)["contact_id"]
    unreachable = Ivr(control, "http://127.0.0.1:%d/consent" % free_port(), LISTENER_TOKEN, LISTENER_HMAC_SECRET)
    assert unreachable.refuse(first)["listener_error"] is not None
    control.end_call(first)
    next_contact = control.start_call(moved)["contact_id"]
    assert raw.post(refusal(moved, first)).status_code == 202
    # The agent moves on right after the post, before or after the batch runs.
    racing_first = control.start_call(racing)["contact_id"]
    assert ivr.refuse(racing_first)["listener_status"] == 202
    control.end_call(racing_first)
    racing_next = control.start_call(racing)["contact_id"]
    # Two refusals of one agent in one window: a late retry for the ended call, the IVR's for the ongoing one.
    ended = control.start_call(two_calls)["contact_id"]
    control.end_call(ended)
    ongoing = control.start_call(two_calls)["contact_id"]
    assert raw.post(refusal(two_calls, ended)).status_code == 202
    assert ivr.refuse(ongoing)["listener_status"] == 202

    rulebook.wait_until_done(STALE)

    assert contact(control, first)["consent"] == "refused"
    assert (contact(control, next_contact)["consent"], contact(control, next_contact)["do_not_record"]) == (None, False)
    assert contact(control, next_contact)["recording"] == "voice"
    assert do_not_record_requests(control, moved) == []
    assert contact(control, racing_next)["do_not_record"] is False
    assert contact(control, ongoing)["do_not_record"] is True
    assert contact(control, ended)["do_not_record"] is False
    assert len(do_not_record_requests(control, two_calls)) == 1


def test_unauthenticated_or_malformed_posts_change_nothing(consent):
    ivr, raw, rulebook, control = consent
    contacts = {user: control.start_call(user)["contact_id"] for user in REFUSED_BAD + [SENTINEL]}
    first, second, third = REFUSED_BAD
    answers = {
        "no token": raw.post(refusal(first, contacts[first]), token=False),
        "wrong token": raw.post(refusal(first, contacts[first]), token="guessed"),
        "no signature": raw.post(refusal(first, contacts[first]), signature=False),
        "wrong signature": raw.post(refusal(first, contacts[first]), signature="sha256=" + "0" * 64),
        "not JSON": raw.post(body=b"userId=" + second.encode()),
        "template in userId": raw.post(dict(refusal(first, contacts[first]), userId="{{ lookup('env', 'HOME') }}")),
        "too large": raw.post(dict(refusal(third, contacts[third]), padding="x" * 70000)),
    }
    # The IVR says the caller agreed: the listener takes refusals only.
    given = ivr.refuse(contacts[second], consent="given")
    assert {name: answer.status_code for name, answer in answers.items()} == {
        "no token": 401, "wrong token": 401, "no signature": 401, "wrong signature": 401,
        "not JSON": 400, "template in userId": 400, "too large": 413}
    assert given["listener_status"] == 400
    assert ivr.refuse(contacts[SENTINEL])["listener_status"] == 202

    rulebook.wait_until_done([SENTINEL])

    assert contact(control, contacts[SENTINEL])["do_not_record"] is True
    assert contact(control, contacts[second])["consent"] == "given"
    for user in REFUSED_BAD:
        assert contact(control, contacts[user])["do_not_record"] is False, user
        assert do_not_record_requests(control, user) == [], user


def test_a_failed_run_is_run_once_more(consent):
    ivr, _raw, rulebook, control = consent
    contact_id = control.start_call(RETRIED)["contact_id"]
    # CXone refuses the first do-not-record (not a retryable answer): the module's run fails.
    control.add_fault(kind="status", status=403, operation="do_not_record", user_id=RETRIED, count=1)
    assert ivr.refuse(contact_id)["listener_status"] == 202

    wait_for(lambda: contact(control, contact_id)["do_not_record"], 120, "the second run's do-not-record")

    assert [entry["status"] for entry in do_not_record_requests(control, RETRIED)] == [403, 200]
    assert "Retry 1 of 1" in rulebook.output()


def test_two_agents_on_one_contact_are_both_acted_on(consent):
    ivr, _raw, _rulebook, control = consent
    contact_id = control.start_call(TRANSFERRED_FROM)["contact_id"]
    first = ivr.refuse(contact_id)
    # The call is transferred before the first agent's run: the IVR posts again, now for the second agent.
    control.transfer(contact_id, TRANSFERRED_TO)
    second = ivr.refuse(contact_id)
    assert [(answer["user_id"], answer["listener_status"], json.loads(answer["listener_body"])["status"])
            for answer in (first, second)] == [(TRANSFERRED_FROM, 202, "queued"), (TRANSFERRED_TO, 202, "queued")]

    wait_for(lambda: do_not_record_requests(control, TRANSFERRED_TO), 120, "the second agent's do-not-record")

    transferred = contact(control, contact_id)
    assert (transferred["do_not_record"], transferred["recording"]) == (True, "off")
    assert len(do_not_record_requests(control, TRANSFERRED_TO)) == 1


def test_a_refusal_gets_through_200_stalled_connections(consent):
    ivr, raw, _rulebook, control = consent
    port = int(raw.listener_url.split(":")[2].split("/")[0])
    contact_id = control.start_call(PAST_STALLED)["contact_id"]
    stalled = stalled_connections(port, 200)
    try:
        assert ivr.refuse(contact_id)["listener_status"] == 202
        wait_for(lambda: contact(control, contact_id)["do_not_record"], 120, "do-not-record past the stalled connections")
        # The listener closes each of them once request_timeout has passed, without an answer.
        for connection in stalled:
            assert connection.recv(1024) == b""
    finally:
        for connection in stalled:
            connection.close()


def raw_status(port, request):
    """The status code of the listener's answer to these raw bytes."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(request)
        return int(connection.makefile("rb").readline().split(b" ")[1])


def test_odd_requests_are_400_or_401_never_500(consent):
    ivr, raw, rulebook, control = consent
    port = int(raw.listener_url.split(":")[2].split("/")[0])
    contact_id = control.start_call(ODD)["contact_id"]
    body = json.dumps(refusal(ODD, contact_id)).encode("utf-8")

    def post(headers, data=body):
        head = b"".join(name + b": " + value + b"\r\n" for name, value in headers)
        return raw_status(port, b"POST /consent HTTP/1.1\r\nHost: x\r\n" + head
                          + b"Content-Length: %d\r\n\r\n" % len(data) + data)

    signature = ivr_signature(body)
    answers = {
        "Authorization not UTF-8": post([(b"Authorization", b"Bearer \xff\xfe" + LISTENER_TOKEN.encode())]),
        "signature not UTF-8": post([(b"Authorization", b"Bearer " + LISTENER_TOKEN.encode()),
                                     (b"X-CXone-Signature", b"sha256=\xc3" + signature[8:].encode())]),
        "JSON nested 60,000 deep": raw.post(body=b"[" * 60000).status_code,
        "JSON nested in userId": raw.post(body=b'{"consent": "refused", "userId": ' + b"[" * 30000 + b"]" * 30000
                                          + b"}").status_code,
    }
    assert answers == {"Authorization not UTF-8": 401, "signature not UTF-8": 401, "JSON nested 60,000 deep": 400,
                       "JSON nested in userId": 400}
    # The listener goes on: the genuine refusal after them is acted on.
    assert ivr.refuse(contact_id)["listener_status"] == 202
    wait_for(lambda: contact(control, contact_id)["do_not_record"], 120, "do-not-record after the odd requests")
    assert "Traceback" not in rulebook.output()


def ivr_signature(body):
    from cxone_sandbox import ivr as sandbox_ivr  # pylint: disable=import-outside-toplevel
    return sandbox_ivr.signature(LISTENER_HMAC_SECRET, body)


def test_no_secret_in_the_rulebook_debug_output(consent):
    rulebook = consent[2]
    output = rulebook.output()
    assert "consent_events: refusal handed over" in output
    assert "Posting data to ruleset" in output  # ansible-rulebook's debug output is there
    for secret in (LISTENER_TOKEN, LISTENER_HMAC_SECRET, CLIENT_SECRET, ACCESS_KEY_SECRET):
        assert secret not in output


# -- with persistence: the rule engine's feedback, restarts ----------------------------------------

def _persistent(sandbox_server, control, workdir, java_tool_options=None):
    """(the IVR, the rulebook, the control client): consent_refused_persistent with an H2 store, max_pending 2."""
    port = free_port()
    environment = cxone_environment(sandbox_server)
    if java_tool_options:
        environment["JAVA_TOOL_OPTIONS"] = java_tool_options
    rulebook = Rulebook(
        workdir,
        {"cxone_consent_host": "127.0.0.1", "cxone_consent_port": port, "cxone_consent_token": LISTENER_TOKEN,
         "cxone_consent_max_pending": 2, "cxone_consent_batch_window": 1.0,
         "drools_db_file_path": os.path.join(workdir, "consent-h2")},
        environment, rulebook=PERSISTENT_RULEBOOK, persistence_id="consent-e2e")
    rulebook.start()
    try:
        yield Ivr(control, "http://127.0.0.1:%d/consent" % port, LISTENER_TOKEN), rulebook, control
    finally:
        rulebook.stop()


@pytest.fixture(scope="module")
def persistent(sandbox_server, consent_tenant, tmp_path_factory):
    yield from _persistent(sandbox_server, consent_tenant, str(tmp_path_factory.mktemp("consent-persistent")))


@pytest.fixture(scope="module")
def persistent_xrs(sandbox_server, consent_tenant, tmp_path_factory):
    """The same, its JVM started with -Xrs: SIGTERM goes to ansible-rulebook, which cancels the source."""
    yield from _persistent(sandbox_server, consent_tenant, str(tmp_path_factory.mktemp("consent-persistent-xrs")),
                           java_tool_options="-Xrs")


def test_beyond_max_pending_a_refusal_is_503_then_accepted_on_retry(persistent):
    ivr, _rulebook, control = persistent
    contacts = {user: control.start_call(user)["contact_id"] for user in CROWDED}
    # Three refusals within one batch window, two of them may wait: one is answered 503 and posted again.
    with ThreadPoolExecutor(len(CROWDED)) as pool:
        answers = list(pool.map(lambda user: ivr.refuse_until_accepted(contacts[user]), CROWDED))
    answers.sort(key=len)
    assert [len(attempts) for attempts in answers[:2]] == [1, 1]
    retried = answers[2]
    assert [answer["listener_status"] for answer in retried] == [503] * (len(retried) - 1) + [202]
    assert "max_pending" in json.loads(retried[0]["listener_body"])["error"]

    wait_for(lambda: all(contact(control, contacts[user])["do_not_record"] for user in CROWDED), 120,
             "do-not-record on every crowded contact")


@pytest.mark.parametrize("jvm", ["default", "xrs"])
def test_a_restart_during_a_stream_loses_no_refusal(jvm, request):
    ivr, rulebook, control = request.getfixturevalue("persistent" if jvm == "default" else "persistent_xrs")
    restarted = RESTARTED[jvm]
    contacts = {user: control.start_call(user)["contact_id"] for user in restarted}
    answers = {}

    def caller(user, delay):
        threading.Event().wait(delay)
        answers[user] = ivr.refuse_until_accepted(contacts[user])

    handed_over_before = rulebook.output().count("refusal handed over")
    # The callers refuse one after the other, 0.4 s apart; the IVR posts again until it gets a 2xx.
    threads = [threading.Thread(target=caller, args=(user, 0.4 * number)) for number, user in enumerate(restarted)]
    for thread in threads:
        thread.start()
    # SIGTERM once the first refusals were handed over, while the others are waiting or not yet posted.
    wait_for(lambda: rulebook.output().count("refusal handed over") >= handed_over_before + 2, 60,
             "the first refusals to be handed over")
    rulebook.restart()
    for thread in threads:
        thread.join()

    assert {user: attempts[-1]["listener_status"] for user, attempts in answers.items()} == dict.fromkeys(restarted, 202)
    assert any(len(attempts) > 1 for attempts in answers.values())
    # Every refusal answered 202, before the restart or after, ends as do-not-record on its contact.
    wait_for(lambda: all(contact(control, contacts[user])["do_not_record"] for user in restarted), 120,
             "do-not-record on every contact refused around the restart")
    # And once each: a run cut off by the restart and run again after it (the engine's recovered
    # match), or a refusal posted again by the IVR, finds the contact do-not-record already
    # (only_when_needed) and sends nothing more.
    wait_for(lambda: not rulebook.runs_in_flight(), 120, "the module runs to end")
    assert {user: len(do_not_record_requests(control, user)) for user in restarted} == dict.fromkeys(restarted, 1)


@pytest.mark.parametrize("jvm", ["default", "xrs"])
def test_at_a_sigterm_a_post_waiting_for_its_hand_over_is_cut_off_or_answered_503(jvm, sandbox_server, consent_tenant, tmp_path):
    """What a post waiting for its hand-over sees when ansible-rulebook gets SIGTERM.

    By default the JVM of the rule engine takes the signal and ends the process at once: the
    connection is closed without an answer. With ``JAVA_TOOL_OPTIONS=-Xrs`` the JVM leaves the
    signal to ansible-rulebook, which cancels the source: the post is answered 503 with
    Retry-After. Studio posts again either way.
    """
    control = consent_tenant
    busy, waiting = SIGNALLED[jvm]
    contacts = {user: control.start_call(user)["contact_id"] for user in (busy, waiting)}
    # The only action slot stays taken by the first refusal's run: CXone is slow to answer its status read.
    slow = control.add_fault("slow", delay_ms=20000, operation="status", user_id=busy, count=1)
    port = free_port()
    environment = dict(cxone_environment(sandbox_server), **({"JAVA_TOOL_OPTIONS": "-Xrs"} if jvm == "xrs" else {}))
    rulebook = Rulebook(str(tmp_path), {"cxone_consent_host": "127.0.0.1", "cxone_consent_port": port,
                                        "cxone_consent_token": LISTENER_TOKEN}, environment, max_concurrent_actions=1)
    rulebook.start()
    try:
        poster = RawPoster("http://127.0.0.1:%d/consent" % port, LISTENER_TOKEN)
        assert poster.post(refusal(busy, contacts[busy])).status_code == 202
        wait_for(lambda: any(rule["id"] == slow["id"] and rule["fired"] for rule in control.faults()), 60,
                 "the first run to read its agent's status")
        answers = []
        post = threading.Thread(target=lambda: answers.append(_answer_or_error(poster, refusal(waiting, contacts[waiting]))))
        post.start()
        # Longer than a batch window: the refusal waits for the slot, its post for the hand-over.
        time.sleep(1.5)
        assert post.is_alive()
        signalled = time.monotonic()
        exit_status = rulebook.terminate()
        post.join(30)
        ended_after = time.monotonic() - signalled
    finally:
        rulebook.stop()

    assert ended_after < 10
    if jvm == "default":
        assert isinstance(answers[0], requests.ConnectionError), answers
        assert "consent_events: stopped" not in rulebook.output()
    else:
        assert exit_status == 0
        answer = answers[0]
        assert (answer.status_code, answer.headers.get("Retry-After")) == (503, "1"), answer.text
        assert "stopping" in answer.json()["error"]
        assert "consent_events: stopped" in rulebook.output()
    # Nothing of the waiting refusal reached CXone: its poster is the one to post it again.
    assert do_not_record_requests(control, waiting) == []


def _answer_or_error(poster, payload):
    try:
        return poster.post(payload)
    except requests.RequestException as exc:
        return exc


def test_a_token_with_a_trailing_newline_is_refused_at_start_up(sandbox_server, tmp_path):
    rulebook = Rulebook(str(tmp_path), {"cxone_consent_host": "127.0.0.1", "cxone_consent_port": free_port(),
                                        "cxone_consent_token": LISTENER_TOKEN + "\n"},
                        cxone_environment(sandbox_server))
    try:
        try:
            rulebook.start()
        except AssertionError:
            pass  # it ended before its rule engine took events
        assert wait_for(rulebook.exited, 60, "ansible-rulebook to end") == 1
        assert "consent_events: token: starts or ends with white space" in rulebook.output()
        assert LISTENER_TOKEN not in rulebook.output()
    finally:
        rulebook.stop()
