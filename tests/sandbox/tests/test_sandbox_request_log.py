# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The request log and counters: decoded queries, odd user ids, no secrets, concurrency."""

from __future__ import annotations

import hashlib
import json
import threading

from sandbox_helpers import CLIENT_SECRET, KEY_SECRET, RECORDING_PATH, make_tenant

ODD_IDS = ["a&b=c d", "José-ü", "plus+sign", "100%/x?y#z"]


def test_odd_user_ids_round_trip(control, cxone):
    control.add_tenant(make_tenant(agents=ODD_IDS, calls=ODD_IDS))
    token = cxone.login()
    for user_id in ODD_IDS:
        answer = cxone.operation("start", user_id, token)
        assert answer.status_code == 200, (user_id, answer.text)
        assert control.agent_state(user_id)["recording"] == "voice"
        assert control.agent_state(user_id)["user_id"] == user_id
    entries = [e for e in control.requests()["requests"] if e["operation"] == "start"]
    assert [e["user_id"] for e in entries] == ODD_IDS
    assert [e["query"] for e in entries] == [{"userId": [user_id]} for user_id in ODD_IDS]


def test_hand_encoded_queries_decode_like_cxone(control, cxone):
    control.add_tenant(make_tenant(agents=ODD_IDS[:2], calls=ODD_IDS[:2]))
    token = cxone.login()
    url = cxone.api + "/api-na1" + RECORDING_PATH + "start-recording-on-demand?"
    headers = {"Authorization": "Bearer " + token}
    for query in ("userId=a%26b%3Dc+d", "userId=a%26b%3Dc%20d&mediaType=voiceAndScreen", "userId=Jos%C3%A9-%C3%BC"):
        assert cxone.session.post(url + query, headers=headers).status_code == 200, query
    log = [e for e in control.requests()["requests"] if e["operation"]]
    assert [e["query"] for e in log] == [{"userId": ["a&b=c d"]}, {"userId": ["a&b=c d"], "mediaType": ["voiceAndScreen"]},
                                         {"userId": ["José-ü"]}]
    assert control.agent_state("a&b=c d")["recording"] == "voiceAndScreen"


def test_log_holds_no_secret_and_no_token(control, cxone, token):
    cxone.operation("start", "a1", token)
    renewed = cxone.token_request({"grant_type": "password", "username": "TESTKEY", "password": KEY_SECRET}).json()
    cxone.token_request({"grant_type": "refresh_token", "refresh_token": renewed["refresh_token"]})
    log = control.requests()["requests"]
    text = json.dumps(log)
    for secret in (token, renewed["access_token"], renewed["refresh_token"], KEY_SECRET, CLIENT_SECRET):
        assert secret not in text
    operation = [e for e in log if e["operation"] == "start"][0]
    assert operation["token_sha256"] == hashlib.sha256(token.encode()).hexdigest()[:12]
    assert operation["status"] == 200 and operation["fault"] is None and operation["method"] == "POST"
    assert [e["grant_type"] for e in log if e["path"] == "/auth/token"] == ["password", "password", "refresh_token"]
    assert set(operation) == {"seq", "time", "finished", "origin", "method", "path", "query", "status", "fault", "user_id",
                              "operation", "token_sha256", "grant_type"}


def test_since_returns_only_new_entries_and_control_calls_are_not_logged(control, cxone, token):
    first = control.requests()
    assert [e["path"] for e in first["requests"]] == ["/auth/token"]
    control.state()
    cxone.operation("start", "a1", token)
    cxone.operation("stop", "a1", token)
    newer = control.requests(since=first["next_seq"])
    assert [e["operation"] for e in newer["requests"]] == ["start", "stop"]
    assert [e["seq"] for e in newer["requests"]] == [first["next_seq"], first["next_seq"] + 1]
    assert control.requests(since=newer["next_seq"])["requests"] == []


def test_concurrent_requests_are_served_in_parallel(control, cxone):
    agents = ["agent-%02d" % i for i in range(16)]
    control.add_tenant(make_tenant(agents=agents, calls=agents))
    token = cxone.login()
    control.set_latency(200)
    codes = []
    threads = [threading.Thread(target=lambda u=u: codes.append(cxone.operation("start", u, token).status_code)) for u in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert codes == [200] * 16
    stats = control.stats()
    # Several requests were inside the sandbox at once (each is held 200 ms): served in parallel, not one by one.
    assert stats["max_in_flight"] >= 4 and stats["in_flight"] == 0
    assert stats["operation_requests"]["start"] == 16
