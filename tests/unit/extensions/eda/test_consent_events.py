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

aiohttp = pytest.importorskip("aiohttp", reason="the event source needs aiohttp (make unit-eda installs it)")
from aiohttp.test_utils import TestClient, TestServer  # noqa: E402  pylint: disable=wrong-import-position

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


class Listener:
    """The source's HTTP application on a test server, its batcher and the queue it feeds."""

    def __init__(self, clock=None, queue=None, actions_busy=None, **args):
        arguments = {"port": 5000, "token": TOKEN}
        arguments.update(args)
        self.settings = consent_events.parse_args(arguments)
        self.queue = asyncio.Queue() if queue is None else queue
        extra = {"clock": clock} if clock else {}
        if actions_busy:
            extra["actions_busy"] = actions_busy
        self.batcher = consent_events.Batcher(self.queue, self.settings.batch_window, self.settings.batch_max,
                                              self.settings.dedupe_seconds, self.settings.batch_interval, **extra)
        self.client = TestClient(TestServer(consent_events.ConsentListener(self.settings, self.batcher).application()))
        self._emitter = None

    async def __aenter__(self):
        await self.client.start_server()
        self._emitter = asyncio.ensure_future(self.batcher.run())
        return self

    async def __aexit__(self, *exc_info):
        self._emitter.cancel()
        await asyncio.gather(self._emitter, return_exceptions=True)
        await self.client.close()

    async def post(self, payload=None, body=None, token=TOKEN, headers=None):
        data = body if body is not None else json.dumps(payload).encode("utf-8")
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = "Bearer " + token
        response = await self.client.post("/consent", data=data, headers=sent)
        return response.status, await response.json()

    async def next_event(self, timeout=10):
        return await asyncio.wait_for(self.queue.get(), timeout)

    async def events_after_quiet(self):
        """Every event emitted once the batch window has surely passed (nothing more is pending)."""
        await asyncio.sleep(self.settings.batch_window + 0.3)
        events = []
        while not self.queue.empty():
            events.append(self.queue.get_nowait())
        return events


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
    assert "answered 401" in logged and "refusal queued" in logged
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
            response = await listener.client.get("/health")
            assert response.status == 200
            assert (await listener.client.get("/consent")).status == 405
            assert (await listener.client.post("/other", json=refusal())).status == 404
    run(scenario)


# -- dedupe and batches -------------------------------------------------------------------------

def test_a_contact_queued_again_within_the_dedupe_period_is_202_and_not_queued_twice():
    async def scenario():
        clock = FakeClock()
        async with Listener(batch_window=0.05, dedupe_seconds=600, clock=clock) as listener:
            first = await listener.post(refusal())
            again = await listener.post(refusal())
            assert (first[0], first[1]["status"]) == (202, "queued")
            assert (again[0], again[1]["status"]) == (202, "already queued")
            clock.now += 599
            assert (await listener.post(refusal()))[1]["status"] == "already queued"
            clock.now += 0.25
            # The batcher's window runs on the same fake clock: this batch is due at once.
            events = await listener.events_after_quiet()
            assert [event["cxone_consent"]["received"] for event in events] == [1]
            clock.now += 1
            assert (await listener.post(refusal()))[1]["status"] == "queued"
    run(scenario)


def test_refusals_within_a_window_make_one_batch_in_arrival_order():
    async def scenario():
        async with Listener(batch_window=0.5) as listener:
            for user_id, contact_id in ((USER_B, "7002"), (USER_A, "7001"), (USER_C, "7003")):
                assert (await listener.post(refusal(user_id, contact_id)))[0] == 202
            event = await listener.next_event()
            assert event["cxone_consent"] == {"user_ids": [USER_B, USER_A, USER_C],
                                              "contacts": {USER_B: "7002", USER_A: "7001", USER_C: "7003"},
                                              "received": 3}
            assert await listener.events_after_quiet() == []
    run(scenario)


def test_a_full_batch_is_emitted_at_once_and_the_rest_follows():
    async def scenario():
        # A window far longer than the test: only batch_max can emit the first batch.
        async with Listener(batch_window=30, batch_max=2) as listener:
            for user_id, contact_id in ((USER_A, "7001"), (USER_B, "7002"), (USER_C, "7003")):
                await listener.post(refusal(user_id, contact_id))
            first = await listener.next_event()
            assert first["cxone_consent"]["user_ids"] == [USER_A, USER_B]
            assert listener.queue.empty()
    run(scenario)


def test_two_contacts_of_one_agent_go_into_consecutive_batches():
    async def scenario():
        async with Listener(batch_window=0.2) as listener:
            await listener.post(refusal(USER_A, "7001"))
            await listener.post(refusal(USER_B, "7002"))
            await listener.post(refusal(USER_A, "7005"))
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
            await listener.post(refusal(USER_B, "7002"))
            clock.now += 4.9
            await listener.post(refusal(USER_C, "7003"))
            assert await listener.events_after_quiet() == []
            clock.now += 0.1
            assert (await listener.next_event())["cxone_consent"]["user_ids"] == [USER_B, USER_C]
    run(scenario)


def test_a_full_batch_does_not_wait_for_the_interval():
    async def scenario():
        clock = FakeClock()
        async with Listener(batch_window=0, batch_interval=30, batch_max=2, clock=clock) as listener:
            await listener.post(refusal(USER_A, "7001"))
            await listener.next_event()
            await listener.post(refusal(USER_B, "7002"))
            await listener.post(refusal(USER_C, "7003"))
            assert (await listener.next_event())["cxone_consent"]["user_ids"] == [USER_B, USER_C]
    run(scenario)


class EngineQueue:
    """Like the wrapper ansible-rulebook gives a source: ``queue`` is the bounded queue the engine drains."""

    def __init__(self):
        self.queue = asyncio.Queue(1)

    async def put(self, event):
        await self.queue.put(event)


def test_while_the_rulebook_takes_no_events_refusals_gather_into_the_next_batch():
    async def scenario():
        engine = EngineQueue()
        async with Listener(batch_window=0, batch_interval=0, queue=engine) as listener:
            await listener.post(refusal(USER_A, "7001"))
            await asyncio.sleep(0.3)
            # The engine has not taken the first batch (every action slot busy): the others wait.
            await listener.post(refusal(USER_B, "7002"))
            await listener.post(refusal(USER_C, "7003"))
            await asyncio.sleep(0.3)
            assert engine.queue.get_nowait()["cxone_consent"]["user_ids"] == [USER_A]
            second = await asyncio.wait_for(engine.queue.get(), 10)
            assert second["cxone_consent"]["user_ids"] == [USER_B, USER_C]
    run(scenario)


def test_while_every_action_slot_is_busy_refusals_gather_into_the_next_batch():
    async def scenario():
        busy = [True]
        async with Listener(batch_window=0, batch_interval=0, actions_busy=lambda: busy[0]) as listener:
            await listener.post(refusal(USER_A, "7001"))
            await listener.post(refusal(USER_B, "7002"))
            assert await listener.events_after_quiet() == []
            busy[0] = False
            assert (await listener.next_event())["cxone_consent"]["user_ids"] == [USER_A, USER_B]
    run(scenario)


def test_outside_ansible_rulebook_no_action_slot_is_busy():
    assert consent_events.rulebook_actions_busy() is False


# -- arguments --------------------------------------------------------------------------------

@pytest.mark.parametrize("args,message", [
    ({"token": TOKEN}, "port: is required"),
    ({"port": 0, "token": TOKEN}, "port: must be from 1 to 65535"),
    ({"port": "http", "token": TOKEN}, "port: must be a number"),
    ({"port": True, "token": TOKEN}, "port: must be a number"),
    ({"port": 8080.5, "token": TOKEN}, "port: must be a whole number"),
    ({"port": 8080}, "token, hmac_secret: at least one is required"),
    ({"port": 8080, "token": "", "hmac_secret": ""}, "token, hmac_secret: at least one is required"),
    ({"port": 8080, "token": 1234}, "token: must be a string"),
    ({"port": 8080, "token": TOKEN, "tokn": "x"}, "unknown argument(s): tokn"),
    ({"port": 8080, "token": TOKEN, "hmac_header": "X Bad:"}, "hmac_header: must be an HTTP header name"),
    ({"port": 8080, "token": TOKEN, "batch_window": -1}, "batch_window: must be from 0 to 60"),
    ({"port": 8080, "token": TOKEN, "batch_max": 0}, "batch_max: must be from 1 to 1000"),
    ({"port": 8080, "token": TOKEN, "batch_interval": 61}, "batch_interval: must be from 0 to 60"),
    ({"port": 8080, "token": TOKEN, "dedupe_seconds": "soon"}, "dedupe_seconds: must be a number"),
    ({"port": 8080, "token": TOKEN, "keyfile": "/tmp/key.pem"}, "keyfile: needs certfile"),
    ({"port": 8080, "token": TOKEN, "certfile": "/nonexistent/cert.pem"}, "certfile/keyfile: cannot load"),
])
def test_bad_arguments_are_refused_with_the_argument_named(args, message):
    with pytest.raises(ValueError) as raised:
        consent_events.parse_args(args)
    assert message in str(raised.value)
    assert TOKEN not in str(raised.value)


def test_arguments_from_rulebook_variables_are_accepted_as_strings():
    settings = consent_events.parse_args({"port": "8443", "token": "", "hmac_secret": HMAC_SECRET,
                                          "batch_window": "0.5", "batch_max": "20", "batch_interval": "2", "certfile": "", "keyfile": "",
                                          "eda_feedback_queue": object()})
    assert (settings.port, settings.token, settings.batch_window, settings.batch_max, settings.batch_interval) == \
        (8443, None, 0.5, 20, 2.0)
    assert (settings.host, settings.hmac_header, settings.dedupe_seconds, settings.ssl_context) == \
        ("0.0.0.0", "X-CXone-Signature", 600.0, None)


# -- main: the source as ansible-rulebook runs it -----------------------------------------------

def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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
