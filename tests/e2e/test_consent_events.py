# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""End to end: the sandbox plays the IVR and posts refusals as Studio would, ansible-rulebook with the
installed consent_refused rulebook, and do-not-record in the sandbox.

One ansible-rulebook run serves every test of this file (it takes about ten seconds to start);
each test uses agents of its own. Every refusal a caller makes goes through the sandbox's control
call ``/_sandbox/calls/<contact id>/consent``; the raw posts of ``RawPoster`` are what the IVR never
sends (no or wrong credentials, malformed bodies) and Studio's late retries for calls that have
ended. ``make e2e-eda`` runs this file with .venv-eda on PATH; without ansible-rulebook the file is
skipped.
"""

from __future__ import annotations

import json
import shutil

import pytest

from conftest import (  # pylint: disable=no-name-in-module
    ACCESS_KEY_ID,
    ACCESS_KEY_SECRET,
    CLIENT_ID,
    CLIENT_SECRET,
    agent_ids,
    make_tenant,
    operation_requests,
)
from consent_harness import Ivr, RawPoster, Rulebook, free_port, wait_for

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("ansible-rulebook") is None,
                       reason="ansible-rulebook is not on PATH: run `make e2e-eda` (it uses .venv-eda)"),
]

LISTENER_TOKEN = "LISTENER-TOKEN-v8Rq=&+"
LISTENER_HMAC_SECRET = "LISTENER-HMAC-pX2w%=&+"
AGENTS = agent_ids(40, prefix="cafe")
BURST, BYSTANDERS, STALE, REFUSED_BAD, SENTINEL = AGENTS[:12], AGENTS[12:14], AGENTS[14:17], AGENTS[17:20], AGENTS[20]
RETRIED = AGENTS[21]


@pytest.fixture(scope="module")
def consent(sandbox_server, tmp_path_factory):
    """(the IVR, a raw poster, the rulebook, the sandbox's control client) with every agent known and on no call."""
    control = sandbox_server.client()
    control.reset({"tenants": [make_tenant(agents=AGENTS, recording_policy="voice")]})
    port = free_port()
    rulebook = Rulebook(
        str(tmp_path_factory.mktemp("consent")),
        {"cxone_consent_host": "127.0.0.1", "cxone_consent_port": port,
         "cxone_consent_token": LISTENER_TOKEN, "cxone_consent_hmac_secret": LISTENER_HMAC_SECRET},
        {"CXONE_ISSUER": sandbox_server.url,
         "CXONE_CLIENT_ID": CLIENT_ID, "CXONE_CLIENT_SECRET": CLIENT_SECRET,
         "CXONE_ACCESS_KEY_ID": ACCESS_KEY_ID, "CXONE_ACCESS_KEY_SECRET": ACCESS_KEY_SECRET},
        # Debug output: the leak test below searches the most the rulebook writes.
        verbosity="-vv")
    rulebook.start()
    try:
        listener_url = "http://127.0.0.1:%d/consent" % port
        yield (Ivr(control, listener_url, LISTENER_TOKEN, LISTENER_HMAC_SECRET),
               RawPoster(listener_url, LISTENER_TOKEN, LISTENER_HMAC_SECRET), rulebook, control)
    finally:
        rulebook.stop()


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
    answers = [ivr.refuse(contacts[user]) for user in BURST]
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


def test_no_secret_in_the_rulebook_debug_output(consent):
    rulebook = consent[2]
    output = rulebook.output()
    assert "consent_events: refusal handed over" in output
    assert "Posting data to ruleset" in output  # ansible-rulebook's debug output is there
    for secret in (LISTENER_TOKEN, LISTENER_HMAC_SECRET, CLIENT_SECRET, ACCESS_KEY_SECRET):
        assert secret not in output
