# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The consent_events event source, in-process: HTTP answers, what reaches the rulebook's queue, arguments.

Requests go over real HTTP (aiohttp's test server, or the source's own port for ``main``). The
source needs aiohttp, which comes with ansible-rulebook: ``make unit-eda`` runs these tests in
.venv-eda; elsewhere they are skipped.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import importlib.util
import json
import logging
import os
import socket
import ssl
import sys

import pytest
import yaml

aiohttp = pytest.importorskip("aiohttp", reason="the event source needs aiohttp (make unit-eda installs it)")

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
SOURCE_PATH = os.path.join(ROOT, "extensions", "eda", "plugins", "event_source", "consent_events.py")


def _load_source():
    # An event source is a file ansible-rulebook runs by path, not a package module.
    spec = importlib.util.spec_from_file_location("consent_events", SOURCE_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


consent_events = _load_source()

TOKEN = "TOKEN-c0nsent-Zq9=&+"
HMAC_SECRET = "HMAC-SECRET-k3y%=&+"
USER_A = "11111111-0000-4000-8000-00000000000a"
USER_B = "11111111-0000-4000-8000-00000000000b"
USER_C = "11111111-0000-4000-8000-00000000000c"


def refusal(user_id=USER_A, contact_id="700000000001", consent="refused"):
    return {"userId": user_id, "contactId": contact_id, "consent": consent}


def signature(body, secret=HMAC_SECRET):
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class FakeClock:
    """A monotonic clock the test moves (the dedupe period without waiting for it)."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Listener:
    """The source serving on a port of its own (``serve``, as ``main`` runs it), and the queue it feeds.

    The default queue takes every event at once; an ``asyncio.Queue(1)`` nobody reads stands for
    a rule engine that takes no event.
    """

    def __init__(self, clock=None, queue=None, actions_busy=None, feedback=None, **args):
        arguments = {"host": "127.0.0.1", "port": _free_port(), "token": TOKEN}
        arguments.update(args)
        self.settings = consent_events.parse_args(arguments)
        self.url = "http://127.0.0.1:%d" % self.settings.port
        self.queue = asyncio.Queue() if queue is None else queue
        self.feedback = feedback
        self._options = {}
        if clock:
            self._options["clock"] = clock
        if actions_busy:
            self._options["actions_busy"] = actions_busy
        self.source = None
        self.session = None

    async def __aenter__(self):
        ready = asyncio.get_running_loop().create_future()
        self.source = asyncio.ensure_future(consent_events.serve(self.queue, self.settings, self.feedback, ready,
                                                                 **self._options))
        await asyncio.wait([ready, self.source], timeout=10, return_when=asyncio.FIRST_COMPLETED)
        if self.source.done():
            self.source.result()
        self.session = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc_info):
        await self.stop()
        await self.session.close()

    async def stop(self):
        """Cancel the source as ansible-rulebook does at its end, and wait until it has stopped."""
        self.source.cancel()
        await asyncio.gather(self.source, return_exceptions=True)

    async def answer(self, payload=None, body=None, token=TOKEN, headers=None):
        """``(status, JSON answer, headers)`` of a POST /consent."""
        data = body if body is not None else json.dumps(payload).encode("utf-8")
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = "Bearer " + token
        async with self.session.post(self.url + "/consent", data=data, headers=sent) as response:
            return response.status, await response.json(), response.headers

    async def post(self, payload=None, body=None, token=TOKEN, headers=None):
        return (await self.answer(payload, body, token, headers))[:2]

    async def post_all(self, *payloads):
        """Post these at once (as concurrent IVRs do): the answers in the same order."""
        return await asyncio.gather(*(self.post(payload) for payload in payloads))

    async def next_event(self, timeout=10):
        return without_meta(await asyncio.wait_for(self.queue.get(), timeout))

    async def events_after_quiet(self):
        """Every event emitted once the batch window has surely passed (nothing more is pending)."""
        await asyncio.sleep(self.settings.batch_window + 0.3)
        events = []
        while not self.queue.empty():
            events.append(without_meta(self.queue.get_nowait()))
        return events


def without_meta(event):
    """The event as the rule sees its data (``meta`` is ansible-rulebook's, and the source's uuid there)."""
    assert set(event["meta"]) == {"uuid"}
    return dict((key, value) for key, value in event.items() if key != "meta")


def run(scenario):
    return asyncio.run(scenario())


# -- authentication ---------------------------------------------------------------------------

@pytest.mark.parametrize("token", [None, "wrong-token", TOKEN + "x", ""])
def test_missing_or_wrong_token_is_401_and_queues_nothing(token):
    async def scenario():
        async with Listener(batch_window=0.05) as listener:
            status, answer = await listener.post(refusal(), token=token)
            assert status == 401
            assert "token" in answer["error"]
            assert await listener.events_after_quiet() == []
    run(scenario)


def test_a_token_with_another_scheme_is_401():
    async def scenario():
        async with Listener(batch_window=0.05) as listener:
            answer = await listener.post(refusal(), token=None, headers={"Authorization": "Basic " + TOKEN})
            assert answer[0] == 401
            assert await listener.events_after_quiet() == []
    run(scenario)


def test_the_right_token_is_202_and_the_refusal_becomes_an_event():
    async def scenario():
        async with Listener(batch_window=0.05) as listener:
            status, answer = await listener.post(refusal())
            assert (status, answer["status"]) == (202, "queued")
            event = await listener.next_event()
            assert event == {"cxone_consent": {"user_ids": [USER_A], "contacts": {USER_A: "700000000001"},
                                               "received": 1}}
    run(scenario)


@pytest.mark.parametrize("prefix,case", [("", str), ("sha256=", str), ("SHA256=", str.upper)])
def test_a_valid_signature_is_accepted_with_or_without_prefix(prefix, case):
    async def scenario():
        async with Listener(batch_window=0.05, token=None, hmac_secret=HMAC_SECRET) as listener:
            body = json.dumps(refusal()).encode("utf-8")
            answer = await listener.post(body=body, token=None,
                                         headers={"X-CXone-Signature": prefix + case(signature(body))})
            assert answer[0] == 202
            assert (await listener.next_event())["cxone_consent"]["user_ids"] == [USER_A]
    run(scenario)


def test_the_signature_header_can_be_renamed():
    async def scenario():
        async with Listener(batch_window=0.05, token=None, hmac_secret=HMAC_SECRET, hmac_header="X-Sig") as listener:
            body = json.dumps(refusal()).encode("utf-8")
            assert (await listener.post(body=body, token=None, headers={"X-Sig": signature(body)}))[0] == 202
            wrong_header = {"X-CXone-Signature": signature(body)}
            assert (await listener.post(body=body, token=None, headers=wrong_header))[0] == 401
    run(scenario)


@pytest.mark.parametrize("make_signature", [
    lambda body: None,                                            # no header
    lambda body: "",                                              # empty
    lambda body: signature(body, "another-secret"),               # wrong secret
    lambda body: signature(body + b" "),                          # another body
    lambda body: "sha256=" + signature(body)[:-2],                # truncated
    lambda body: "not hex at all \u00e9",                         # garbage
])
def test_a_missing_or_wrong_signature_is_401_and_queues_nothing(make_signature):
    async def scenario():
        async with Listener(batch_window=0.05, token=None, hmac_secret=HMAC_SECRET) as listener:
            body = json.dumps(refusal()).encode("utf-8")
            value = make_signature(body)
            headers = {} if value is None else {"X-CXone-Signature": value}
            status, answer = await listener.post(body=body, token=None, headers=headers)
            assert status == 401
            assert "signature" in answer["error"]
            assert await listener.events_after_quiet() == []
    run(scenario)


def test_with_token_and_secret_both_are_needed():
    async def scenario():
        async with Listener(batch_window=0.05, hmac_secret=HMAC_SECRET) as listener:
            body = json.dumps(refusal()).encode("utf-8")
            assert (await listener.post(body=body))[0] == 401
            assert (await listener.post(body=body, token=None, headers={"X-CXone-Signature": signature(body)}))[0] == 401
            assert (await listener.post(body=body, headers={"X-CXone-Signature": signature(body)}))[0] == 202
    run(scenario)


def test_no_token_secret_or_signature_reaches_the_log(caplog):
    async def scenario():
        async with Listener(batch_window=0.05, hmac_secret=HMAC_SECRET) as listener:
            body = json.dumps(refusal()).encode("utf-8")
            await listener.post(body=body, token=TOKEN + "-almost", headers={"X-CXone-Signature": "sha256=abc123"})
            await listener.post(body=body, headers={"X-CXone-Signature": "sha256=" + signature(body)})
            await listener.next_event()
    with caplog.at_level(logging.DEBUG):
        run(scenario)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "answered 401" in logged and "refusal handed over" in logged
    body = json.dumps(refusal()).encode("utf-8")
    for secret in (TOKEN, HMAC_SECRET, "abc123", signature(body)):
        assert secret not in logged


# -- payload ----------------------------------------------------------------------------------

@pytest.mark.parametrize("body,reason", [
    (b"not json", "JSON object"),
    (b"\xff\xfe{}", "JSON object"),
    (b"[1, 2]", "JSON object"),
    (json.dumps(refusal(consent="given")).encode(), "consent"),
    (json.dumps({"userId": USER_A, "contactId": "7001"}).encode(), "consent"),
    (json.dumps(refusal(user_id=None)).encode(), "userId"),
    (json.dumps(refusal(user_id="")).encode(), "userId"),
    (json.dumps(refusal(user_id=42)).encode(), "userId"),
    (json.dumps(refusal(user_id="{{ lookup('pipe', 'id') }}")).encode(), "userId"),
    (json.dumps(refusal(user_id="a" * 129)).encode(), "userId"),
    (json.dumps(refusal(contact_id=None)).encode(), "contactId"),
    (json.dumps(refusal(contact_id="70 01")).encode(), "contactId"),
    (json.dumps(refusal(contact_id=True)).encode(), "contactId"),
    (json.dumps(refusal(contact_id=-5)).encode(), "contactId"),
])
def test_a_malformed_payload_is_400_with_a_reason_and_queues_nothing(body, reason):
    async def scenario():
        async with Listener(batch_window=0.05) as listener:
            status, answer = await listener.post(body=body)
            assert status == 400
            assert reason in answer["error"]
            assert await listener.events_after_quiet() == []
    run(scenario)


def test_a_numeric_contact_id_and_extra_keys_are_accepted():
    async def scenario():
        async with Listener(batch_window=0.05) as listener:
            payload = dict(refusal(contact_id=700000000009), skill="Sales", ani="+15550100")
            assert (await listener.post(payload))[0] == 202
            assert (await listener.next_event())["cxone_consent"]["contacts"] == {USER_A: "700000000009"}
    run(scenario)


def test_a_body_above_64_kib_is_413_and_queues_nothing():
    async def scenario():
        async with Listener(batch_window=0.05) as listener:
            payload = dict(refusal(), padding="x" * (64 * 1024))
            status, answer = await listener.post(payload)
            assert status == 413
            assert "larger" in answer["error"]
            assert await listener.events_after_quiet() == []
            # Just under the limit is fine.
            small = dict(refusal(), padding="")
            small["padding"] = "x" * (64 * 1024 - len(json.dumps(small)))
            assert (await listener.post(small))[0] == 202
    run(scenario)


def test_an_unauthenticated_oversized_body_is_401():
    async def scenario():
        async with Listener(batch_window=0.05) as listener:
            assert (await listener.post(dict(refusal(), padding="x" * 70000), token="wrong"))[0] == 401
    run(scenario)


def test_health_answers_200_without_authentication_and_other_paths_404():
    async def scenario():
        async with Listener() as listener:
            async with listener.session.get(listener.url + "/health") as response:
                assert response.status == 200
            async with listener.session.get(listener.url + "/consent") as response:
                assert response.status == 405
            async with listener.session.post(listener.url + "/other", json=refusal()) as response:
                assert response.status == 404
    run(scenario)


# -- dedupe and batches -------------------------------------------------------------------------

def test_a_contact_queued_again_within_the_dedupe_period_is_202_and_not_queued_twice():
    async def scenario():
        clock = FakeClock()
        async with Listener(batch_window=0, batch_interval=0, dedupe_seconds=600, clock=clock) as listener:
            first = await listener.post(refusal())
            again = await listener.post(refusal())
            assert (first[0], first[1]["status"]) == (202, "queued")
            assert (again[0], again[1]["status"]) == (202, "already queued")
            clock.now += 599
            assert (await listener.post(refusal()))[1]["status"] == "already queued"
            events = await listener.events_after_quiet()
            assert [event["cxone_consent"]["received"] for event in events] == [1]
            clock.now += 1.25
            assert (await listener.post(refusal()))[1]["status"] == "queued"
    run(scenario)


def test_refusals_within_a_window_make_one_batch_in_arrival_order():
    async def scenario():
        async with Listener(batch_window=0.5) as listener:
            answers = await listener.post_all(refusal(USER_B, "7002"), refusal(USER_A, "7001"), refusal(USER_C, "7003"))
            assert [status for status, _answer in answers] == [202] * 3
            event = await listener.next_event()
            assert event["cxone_consent"] == {"user_ids": [USER_B, USER_A, USER_C],
                                              "contacts": {USER_B: "7002", USER_A: "7001", USER_C: "7003"},
                                              "received": 3}
            assert await listener.events_after_quiet() == []
    run(scenario)


def test_a_full_batch_is_emitted_at_once_and_the_rest_follows():
    async def scenario():
        # A window far longer than the test: only batch_max can emit the first batch.
        async with Listener(batch_window=30, batch_max=2, request_timeout=1) as listener:
            answers = await listener.post_all(refusal(USER_A, "7001"), refusal(USER_B, "7002"), refusal(USER_C, "7003"))
            first = await listener.next_event()
            assert first["cxone_consent"]["user_ids"] == [USER_A, USER_B]
            assert listener.queue.empty()
            # The third waited for a batch of its own longer than request_timeout: a retry is due.
            assert [status for status, _answer in answers] == [202, 202, 503]
    run(scenario)


def test_two_contacts_of_one_agent_go_into_consecutive_batches():
    async def scenario():
        async with Listener(batch_window=0.2) as listener:
            await listener.post_all(refusal(USER_A, "7001"), refusal(USER_B, "7002"), refusal(USER_A, "7005"))
            first = await listener.next_event()
            second = await listener.next_event()
            assert first["cxone_consent"]["contacts"] == {USER_A: "7001", USER_B: "7002"}
            assert second["cxone_consent"] == {"user_ids": [USER_A], "contacts": {USER_A: "7005"}, "received": 1}
    run(scenario)


def test_a_batch_follows_the_previous_one_only_after_the_interval():
    async def scenario():
        clock = FakeClock()
        async with Listener(batch_window=0, batch_interval=5, clock=clock) as listener:
            await listener.post(refusal(USER_A, "7001"))
            assert (await listener.next_event())["cxone_consent"]["user_ids"] == [USER_A]
            later = asyncio.ensure_future(listener.post_all(refusal(USER_B, "7002"), refusal(USER_C, "7003")))
            clock.now += 4.9
            assert await listener.events_after_quiet() == []
            clock.now += 0.1
            assert (await listener.next_event())["cxone_consent"]["user_ids"] == [USER_B, USER_C]
            assert [status for status, _answer in await later] == [202, 202]
    run(scenario)


def test_a_full_batch_does_not_wait_for_the_interval():
    async def scenario():
        clock = FakeClock()
        async with Listener(batch_window=0, batch_interval=30, batch_max=2, clock=clock) as listener:
            await listener.post(refusal(USER_A, "7001"))
            await listener.next_event()
            await listener.post_all(refusal(USER_B, "7002"), refusal(USER_C, "7003"))
            assert (await listener.next_event())["cxone_consent"]["user_ids"] == [USER_B, USER_C]
    run(scenario)


class EngineQueue:
    """Like the wrapper ansible-rulebook gives a source: ``queue`` is the bounded queue the engine drains."""

    def __init__(self):
        self.queue = asyncio.Queue(1)

    async def put(self, event):
        await self.queue.put(event)

    async def take(self, timeout=10):
        """The engine takes the next event."""
        return without_meta(await asyncio.wait_for(self.queue.get(), timeout))


def test_while_the_rulebook_takes_no_events_refusals_gather_into_the_next_batch():
    async def scenario():
        engine = EngineQueue()
        async with Listener(batch_window=0, batch_interval=0, queue=engine) as listener:
            # The first event fills the engine's queue (the engine is busy): a 202 all the same.
            assert (await listener.post(refusal(USER_A, "7001")))[0] == 202
            others = asyncio.ensure_future(listener.post_all(refusal(USER_B, "7002"), refusal(USER_C, "7003")))
            await asyncio.sleep(0.3)
            assert (await engine.take())["cxone_consent"]["user_ids"] == [USER_A]
            assert (await engine.take())["cxone_consent"]["user_ids"] == [USER_B, USER_C]
            assert [status for status, _answer in await others] == [202, 202]
    run(scenario)


def test_while_every_action_slot_is_busy_refusals_gather_into_the_next_batch():
    async def scenario():
        busy = [True]
        async with Listener(batch_window=0, batch_interval=0, actions_busy=lambda: busy[0]) as listener:
            posts = asyncio.ensure_future(listener.post_all(refusal(USER_A, "7001"), refusal(USER_B, "7002")))
            assert await listener.events_after_quiet() == []
            busy[0] = False
            assert (await listener.next_event())["cxone_consent"]["user_ids"] == [USER_A, USER_B]
            assert [status for status, _answer in await posts] == [202, 202]
    run(scenario)


def test_outside_ansible_rulebook_no_action_slot_is_busy():
    assert consent_events.rulebook_actions_busy() is False


# -- what a 202 promises ----------------------------------------------------------------------

def full_engine():
    """A rule engine that takes no event: its one-event queue is already full."""
    engine = EngineQueue()
    engine.queue.put_nowait({"meta": {"uuid": "an earlier event"}})
    return engine


def test_a_202_comes_only_once_the_event_is_on_the_engine_queue():
    async def scenario():
        engine = full_engine()
        async with Listener(batch_window=0, queue=engine, request_timeout=0.5) as listener:
            status, answer, headers = await listener.answer(refusal())
            assert (status, headers["Retry-After"]) == (503, "1")
            assert "did not take" in answer["error"]
            engine.queue.get_nowait()
            # The refusal answered 503 was withdrawn: only Studio's retry reaches the engine.
            assert engine.queue.empty()
            assert await listener.post(refusal()) == (202, {"status": "queued", "contactId": "700000000001"})
            assert (await engine.take())["cxone_consent"]["contacts"] == {USER_A: "700000000001"}
            assert engine.queue.empty()
    run(scenario)


class FeedbackEngine(EngineQueue):
    """A rule engine that acknowledges each event it takes on the feedback queue, when the test says so."""

    def __init__(self):
        super().__init__()
        self.feedback = asyncio.Queue(1)

    async def take_and_acknowledge(self):
        event = await asyncio.wait_for(self.queue.get(), 10)
        await self.feedback.put(event)
        return without_meta(event)


def test_with_feedback_a_202_comes_only_once_the_engine_acknowledged_the_event():
    async def scenario():
        engine = FeedbackEngine()
        async with Listener(batch_window=0, queue=engine, feedback=engine.feedback, request_timeout=1) as listener:
            # The event is on the engine's queue, but never acknowledged: no 202.
            status, answer = await listener.post(refusal(USER_A, "7001"))
            assert status == 503
            assert (await engine.take())["cxone_consent"]["contacts"] == {USER_A: "7001"}
            posted = asyncio.ensure_future(listener.post(refusal(USER_B, "7002")))
            assert (await engine.take_and_acknowledge())["cxone_consent"]["contacts"] == {USER_B: "7002"}
            assert await posted == (202, {"status": "queued", "contactId": "7002"})
    run(scenario)


def test_feedback_that_comes_after_the_503_settles_the_retry():
    async def scenario():
        engine = FeedbackEngine()
        async with Listener(batch_window=0, queue=engine, feedback=engine.feedback, request_timeout=0.5) as listener:
            assert (await listener.post(refusal()))[0] == 503
            event = await asyncio.wait_for(engine.queue.get(), 10)
            await engine.feedback.put(event)
            await asyncio.sleep(0.1)
            assert await listener.post(refusal()) == (202, {"status": "already queued", "contactId": "700000000001"})
            assert engine.queue.empty()
    run(scenario)


def test_posts_of_one_pair_wait_for_the_same_hand_over():
    async def scenario():
        async with Listener(batch_window=0.2) as listener:
            answers = await listener.post_all(refusal(), refusal(), refusal())
            statuses = sorted(answer["status"] for _status, answer in answers)
            assert statuses == ["already queued", "already queued", "queued"]
            assert [event["cxone_consent"]["received"] for event in await listener.events_after_quiet()] == [1]
    run(scenario)


async def _cancel_the_source(listener, _waiting):
    await listener.stop()


async def _cancel_every_task(listener, waiting):
    """What ansible-rulebook's end does (asyncio.run after a KeyboardInterrupt): the posts' tasks are cancelled too."""
    for task in asyncio.all_tasks():
        if task not in (asyncio.current_task(), waiting):
            task.cancel()
    await asyncio.gather(listener.source, return_exceptions=True)


@pytest.mark.parametrize("stop", [_cancel_the_source, _cancel_every_task], ids=["the source", "every task"])
def test_stopping_answers_waiting_posts_503_and_hands_over_nothing_more(stop):
    async def scenario():
        engine = full_engine()
        async with Listener(batch_window=0, queue=engine) as listener:
            waiting = asyncio.ensure_future(listener.answer(refusal(USER_B, "7002")))
            await asyncio.sleep(0.3)
            await stop(listener, waiting)
            status, answer, headers = await waiting
            assert (status, headers["Retry-After"]) == (503, "1")
            assert "stopping" in answer["error"]
            with pytest.raises(aiohttp.ClientConnectionError):
                await listener.post(refusal(USER_C, "7003"))
            assert engine.queue.get_nowait() == {"meta": {"uuid": "an earlier event"}}
            assert engine.queue.empty()
    run(scenario)


def test_a_post_answered_202_before_stopping_is_on_the_engine_queue():
    async def scenario():
        engine = EngineQueue()
        async with Listener(batch_window=0, queue=engine) as listener:
            assert (await listener.post(refusal(USER_A, "7001")))[0] == 202
            await listener.stop()
            assert (await engine.take())["cxone_consent"]["user_ids"] == [USER_A]
    run(scenario)


# -- dedupe per pair, limits and fairness ------------------------------------------------------

def test_two_agents_on_one_contact_are_two_refusals():
    async def scenario():
        async with Listener(batch_window=0, batch_interval=0) as listener:
            first = await listener.post(refusal(USER_A, "7001"))
            transferred = await listener.post(refusal(USER_B, "7001"))
            assert [answer["status"] for _status, answer in (first, transferred)] == ["queued", "queued"]
            contacts = {}
            for event in await listener.events_after_quiet():
                contacts.update(event["cxone_consent"]["contacts"])
            assert contacts == {USER_A: "7001", USER_B: "7001"}
    run(scenario)


def test_a_user_id_in_other_letters_case_is_the_same_agent():
    async def scenario():
        async with Listener(batch_window=0) as listener:
            assert (await listener.post(refusal(USER_A, "7001")))[1]["status"] == "queued"
            assert (await listener.post(refusal(USER_A.upper(), "7001")))[1]["status"] == "already queued"
            assert len(await listener.events_after_quiet()) == 1
    run(scenario)


def test_beyond_max_pending_a_post_is_503_and_its_retry_succeeds():
    async def scenario():
        engine = full_engine()
        async with Listener(batch_window=0, queue=engine, max_pending=2) as listener:
            waiting = asyncio.ensure_future(listener.post_all(refusal(USER_A, "7001"), refusal(USER_B, "7002")))
            await asyncio.sleep(0.3)
            status, answer, headers = await listener.answer(refusal(USER_C, "7003"))
            assert (status, headers["Retry-After"]) == (503, "1")
            assert "max_pending" in answer["error"]
            engine.queue.get_nowait()
            assert (await engine.take())["cxone_consent"]["user_ids"] == [USER_A, USER_B]
            assert [status for status, _answer in await waiting] == [202, 202]
            retried = asyncio.ensure_future(listener.post(refusal(USER_C, "7003")))
            assert (await engine.take())["cxone_consent"]["user_ids"] == [USER_C]
            assert (await retried)[0] == 202
    run(scenario)


def test_a_noisy_agent_cannot_keep_another_agent_out():
    async def scenario():
        engine = full_engine()
        async with Listener(batch_window=0, batch_interval=0, batch_max=5, queue=engine) as listener:
            noisy = [refusal(USER_A, "70%02d" % number) for number in range(12)]
            flood = asyncio.ensure_future(listener.post_all(*noisy))
            await asyncio.sleep(0.3)
            genuine = asyncio.ensure_future(listener.post(refusal(USER_B, "7999")))
            await asyncio.sleep(0.1)
            engine.queue.get_nowait()
            # One refusal per agent and batch, agents in turn: the other agent is in the first batch.
            assert (await engine.take())["cxone_consent"]["contacts"] == {USER_A: "7000", USER_B: "7999"}
            assert (await genuine)[0] == 202
            for number in range(1, 10):
                assert (await engine.take())["cxone_consent"]["contacts"] == {USER_A: "70%02d" % number}
            # Beyond 10 waiting refusals of one agent: 503.
            assert sorted(status for status, _answer in await flood) == [202] * 10 + [503] * 2
    run(scenario)


def _raw_request(port, data):
    """Send raw bytes over a new connection; the status line of the answer (or b"" when closed unanswered)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(data)
        return connection.makefile("rb").readline()


def test_stalled_connections_are_closed_and_a_genuine_refusal_gets_through():
    async def scenario():
        async with Listener(batch_window=0, request_timeout=1) as listener:
            stalled = []
            for number in range(200):
                reader, writer = await asyncio.open_connection("127.0.0.1", listener.settings.port)
                # Half a request line, or headers without their end, or a body never sent.
                writer.write([b"POST /cons", b"POST /consent HTTP/1.1\r\nHost: x\r\n",
                              b"POST /consent HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                              b"Content-Length: 80\r\n\r\n{" % TOKEN.encode()][number % 3])
                stalled.append((reader, writer))
            try:
                assert (await listener.post(refusal(USER_B, "7002")))[0] == 202
                for reader, _writer in stalled:
                    # Closed by the listener after request_timeout, unanswered.
                    assert await asyncio.wait_for(reader.read(), 10) == b""
            finally:
                for _reader, writer in stalled:
                    writer.close()
    run(scenario)


def test_beyond_max_connections_a_connection_is_answered_503():
    async def scenario():
        async with Listener(batch_window=0, max_connections=3) as listener:
            held = [await asyncio.open_connection("127.0.0.1", listener.settings.port) for _number in range(3)]
            try:
                await asyncio.sleep(0.2)
                line = await asyncio.get_running_loop().run_in_executor(
                    None, _raw_request, listener.settings.port, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                assert line.startswith(b"HTTP/1.1 503")
            finally:
                for _reader, writer in held:
                    writer.close()
            await asyncio.sleep(0.2)
            assert (await listener.post(refusal()))[0] == 202
    run(scenario)


# -- odd requests: never a 500 ------------------------------------------------------------------

def _post_with_header(port, name, value, body=b'{}'):
    return _raw_request(port, b"POST /consent HTTP/1.1\r\nHost: x\r\n" + name + b": " + value
                        + b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body)


@pytest.mark.parametrize("name,value", [
    (b"Authorization", b"Bearer \xff\xfe\xc3"),
    (b"Authorization", b"Bearer " + TOKEN.encode() + b"\xe9"),
    (b"Authorization", b"\x80\x81 \x82"),
    (b"X-CXone-Signature", b"sha256=\xff" + b"0" * 63),
])
def test_bytes_that_are_not_utf8_in_a_header_are_401(name, value):
    async def scenario():
        async with Listener(batch_window=0, hmac_secret=HMAC_SECRET) as listener:
            body = json.dumps(refusal()).encode("utf-8")
            line = await asyncio.get_running_loop().run_in_executor(
                None, _post_with_header, listener.settings.port, name, value, body)
            assert line.split(b" ")[1] in (b"400", b"401"), line
            assert await listener.events_after_quiet() == []
    run(scenario)


@pytest.mark.parametrize("body", [b"[" * 60000, b'{"a":' * 10000 + b"1" + b"}" * 10000,
                                  b'{"userId": ' + b"[" * 5000 + b"]" * 5000 + b"}"])
def test_json_nested_beyond_reason_is_400(body):
    async def scenario():
        async with Listener(batch_window=0) as listener:
            status, answer = await listener.post(body=body)
            assert status == 400
            assert "JSON object" in answer["error"]
            assert await listener.events_after_quiet() == []
    run(scenario)


# -- arguments --------------------------------------------------------------------------------

def test_the_documentation_is_yaml_whose_options_are_the_arguments():
    """ansible-doc and the documentation site read DOCUMENTATION and EXAMPLES as YAML."""
    documentation = yaml.safe_load(consent_events.DOCUMENTATION)
    assert set(documentation["options"]) == set(consent_events._KNOWN_ARGS)  # pylint: disable=protected-access
    assert yaml.safe_load(consent_events.EXAMPLES)[0]["sources"][0]["cxone.recording.consent_events"]["port"] == 8443


@pytest.mark.parametrize("args,message", [
    ({"token": TOKEN}, "port: is required"),
    ({"port": 0, "token": TOKEN}, "port: must be from 1 to 65535"),
    ({"port": "http", "token": TOKEN}, "port: must be a number"),
    ({"port": True, "token": TOKEN}, "port: must be a number"),
    ({"port": 8080.5, "token": TOKEN}, "port: must be a whole number"),
    ({"port": 8080}, "token, hmac_secret: at least one is required"),
    ({"port": 8080, "token": "", "hmac_secret": ""}, "token, hmac_secret: at least one is required"),
    ({"port": 8080, "token": 1234}, "token: must be a string"),
    ({"port": 8080, "token": TOKEN, "tokn": "x"}, "unknown argument: tokn"),
    ({"port": 8080, "token": TOKEN, "hmac_header": "X Bad:"}, "hmac_header: must be an HTTP header name"),
    ({"port": 8080, "token": TOKEN, "batch_window": -1}, "batch_window: must be from 0 to 60"),
    ({"port": 8080, "token": TOKEN, "batch_max": 0}, "batch_max: must be from 1 to 1000"),
    ({"port": 8080, "token": TOKEN, "batch_interval": 61}, "batch_interval: must be from 0 to 60"),
    ({"port": 8080, "token": TOKEN, "dedupe_seconds": "soon"}, "dedupe_seconds: must be a number"),
    ({"port": 8080, "token": TOKEN + "\n"}, "token: starts or ends with white space"),
    ({"port": 8080, "token": " " + TOKEN}, "token: starts or ends with white space"),
    ({"port": 8080, "hmac_secret": HMAC_SECRET + "\r\n"}, "hmac_secret: starts or ends with white space"),
    ({"port": 8080, "token": TOKEN + "\u00e9"}, "token: must be printable ASCII"),
    ({"port": 8080, "token": TOKEN, "max_pending": 0}, "max_pending: must be from 1 to 1000000"),
    ({"port": 8080, "token": TOKEN, "request_timeout": 0}, "request_timeout: must be from 0.1 to 300"),
    ({"port": 8080, "token": TOKEN, "max_connections": "many"}, "max_connections: must be a number"),
    ({"port": 8080, "token": TOKEN, "keyfile": "/tmp/key.pem"}, "keyfile: needs certfile"),
    ({"port": 8080, "token": TOKEN, "certfile": "/nonexistent/cert.pem"}, "certfile/keyfile: cannot load"),
])
def test_bad_arguments_are_refused_with_the_argument_named(args, message):
    with pytest.raises(ValueError) as raised:
        consent_events.parse_args(args)
    assert message in str(raised.value)
    assert TOKEN not in str(raised.value) and HMAC_SECRET not in str(raised.value)


def test_arguments_from_rulebook_variables_are_accepted_as_strings():
    settings = consent_events.parse_args({"port": "8443", "token": "", "hmac_secret": HMAC_SECRET,
                                          "batch_window": "0.5", "batch_max": "20", "batch_interval": "2", "certfile": "", "keyfile": "",
                                          "feedback": True, "eda_feedback_queue": object()})
    assert (settings.port, settings.token, settings.batch_window, settings.batch_max, settings.batch_interval) == \
        (8443, None, 0.5, 20, 2.0)
    assert (settings.host, settings.hmac_header, settings.dedupe_seconds, settings.ssl_context) == \
        ("0.0.0.0", "X-CXone-Signature", 600.0, None)
    assert (settings.max_pending, settings.request_timeout, settings.max_connections) == (10000, 10.0, 1000)


# -- main: the source as ansible-rulebook runs it -----------------------------------------------

async def _until_healthy(session, url, ssl_context):
    while True:
        try:
            async with session.get(url + "/health", ssl=ssl_context) as response:
                if response.status == 200:
                    return
        except aiohttp.ClientConnectionError:
            await asyncio.sleep(0.05)


async def _run_main_and_post(args, url, ssl_context=None):
    queue = asyncio.Queue()
    source = asyncio.ensure_future(consent_events.main(queue, args))
    try:
        async with aiohttp.ClientSession() as session:
            await asyncio.wait_for(_until_healthy(session, url, ssl_context), 10)
            async with session.post(url + "/consent", json=refusal(), ssl=ssl_context,
                                    headers={"Authorization": "Bearer " + TOKEN}) as response:
                assert response.status == 202
        return await asyncio.wait_for(queue.get(), 10)
    finally:
        source.cancel()
        await asyncio.gather(source, return_exceptions=True)


def test_main_serves_http_and_feeds_the_queue():
    port = _free_port()
    event = asyncio.run(_run_main_and_post({"host": "127.0.0.1", "port": port, "token": TOKEN, "batch_window": 0},
                                           "http://127.0.0.1:%d" % port))
    assert event["cxone_consent"]["contacts"] == {USER_A: "700000000001"}


def test_main_serves_https_with_certfile_and_keyfile(tmp_path):
    sys.path.insert(0, os.path.join(ROOT, "tests", "sandbox"))
    from cxone_sandbox.tls import generate_certificate  # pylint: disable=import-outside-toplevel
    cert_path, key_path = generate_certificate(str(tmp_path))
    port = _free_port()
    client_context = ssl.create_default_context(cafile=cert_path)
    args = {"host": "127.0.0.1", "port": port, "token": TOKEN, "certfile": cert_path, "keyfile": key_path}
    event = asyncio.run(_run_main_and_post(args, "https://127.0.0.1:%d" % port, client_context))
    assert event["cxone_consent"]["user_ids"] == [USER_A]
