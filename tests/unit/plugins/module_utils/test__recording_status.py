# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Reading an agent's recording status, and waiting for it, against a scripted CXone over HTTP."""

from __future__ import annotations

import pytest

from ansible_collections.cxone.recording.plugins.module_utils._recording_status import (
    STATUS_FIELDS,
    Waiter,
    describe_status,
    read_status,
)

API_PATH = "/interaction-recording-management-service/v1/interactions"
STATUS = "/api" + API_PATH + "/get-recording-status"

RECORDING = {"contactId": "604812734581", "segmentId": "1", "interactionId": "i-1",
             "recordingStatusToAgent": "Recording", "recordingStatusFromAgent": "Recording",
             "statusReason": "RecordOnDemand"}


@pytest.fixture
def session(api_session):
    return api_session


def test_a_status_is_read_with_get_and_the_user_in_the_query(server, session):
    server.queue(STATUS, server.answer(200, RECORDING))
    entry = read_status(session, "a&b")
    request = server.to(STATUS)[0]
    assert request["method"] == "GET" and request["query"] == {"userId": ["a&b"]}
    assert tuple(entry) == STATUS_FIELDS
    assert entry["outcome"] == "found" and entry["http_status"] == 200 and entry["attempts"] == 1
    assert (entry["contact_id"], entry["segment_id"], entry["interaction_id"]) == ("604812734581", "1", "i-1")
    assert entry["recording_status_to_agent"] == entry["recording_status_from_agent"] == "Recording"
    assert entry["status_reason"] == "RecordOnDemand" and entry["msg"] is None


def test_missing_or_odd_fields_are_null_and_numbers_become_text(server, session):
    server.queue(STATUS, server.answer(200, {"contactId": 42, "segmentId": {"x": 1}, "statusReason": True,
                                             "recordingStatusToAgent": ""}))
    entry = read_status(session, "u1")
    assert entry["contact_id"] == "42"
    assert entry["segment_id"] is entry["status_reason"] is entry["recording_status_to_agent"] is None


def test_no_active_call_is_its_own_outcome(server, session):
    server.queue(STATUS, server.answer(404, {"description": "No active interaction"}))
    entry = read_status(session, "u1")
    assert entry["outcome"] == "no_active_call" and entry["http_status"] == 404
    assert entry["msg"] == "user u1 has no active call (HTTP 404: No active interaction)"


def test_a_refusal_fails_naming_the_user_status_and_message(server, session):
    server.queue(STATUS, server.answer(403, {"message": "Interaction Recording is not enabled"}))
    entry = read_status(session, "u1")
    assert entry["outcome"] == "failed" and entry["http_status"] == 403
    assert entry["msg"].startswith("user u1: HTTP 403: Interaction Recording is not enabled (the calling user lacks")


def test_an_html_page_is_not_taken_for_a_status(server, session):
    server.queue(STATUS, server.answer(200, text="<html><title>Portal</title></html>", content_type="text/html"))
    entry = read_status(session, "u1")
    assert entry["outcome"] == "failed" and "HTML page: Portal" in entry["msg"]


def test_no_answer_at_all_fails_with_the_attempts(server, session):
    server.default(STATUS, server.answer(drop=True))
    entry = read_status(session, "u1")
    assert entry["outcome"] == "failed" and entry["http_status"] is None and entry["attempts"] == 2


class FakeTime:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self):
        return self.now


def is_recording(status):
    return status["recording_status_to_agent"] == "Recording"


def test_waiting_reads_until_the_status_shows_the_state(server, session):
    stopped = dict(RECORDING, recordingStatusToAgent="Stopped", statusReason="Policy")
    server.queue(STATUS, server.answer(200, stopped), server.answer(200, stopped), server.answer(200, RECORDING))
    fake = FakeTime()
    confirmed, status, reads, _contact = Waiter(30, fake.sleep, fake.clock).wait(session, "u1", is_recording)
    assert confirmed is True and reads == 3 and status["status_reason"] == "RecordOnDemand"
    assert fake.sleeps == [0.5, 1.0, 2.0]


def test_waiting_gives_up_at_the_timeout_with_the_last_status(server, session):
    server.default(STATUS, server.answer(200, dict(RECORDING, recordingStatusToAgent="Stopped")))
    fake = FakeTime()
    confirmed, status, reads, _contact = Waiter(10, fake.sleep, fake.clock).wait(session, "u1", is_recording)
    assert confirmed is False and status["recording_status_to_agent"] == "Stopped"
    assert fake.now <= 10.0 and max(fake.sleeps) <= 5.0 and reads == len(fake.sleeps)


@pytest.mark.parametrize("status, words", [
    ({"outcome": "no_active_call"}, "no active call"),
    ({"outcome": "failed", "msg": "user u1: HTTP 500"}, "status unknown (user u1: HTTP 500)"),
    ({"outcome": "found", "contact_id": "7", "recording_status_to_agent": "Stopped", "status_reason": None},
     "contact 7, recording status Stopped, reason none"),
])
def test_a_status_in_words(status, words):
    assert describe_status(status) == words


def test_waiting_ends_at_once_when_the_call_has_ended(server, session):
    server.queue(STATUS, server.answer(404, {"description": "No active interaction"}))
    fake = FakeTime()
    confirmed, status, reads, _contact = Waiter(30, fake.sleep, fake.clock).wait(session, "u1", is_recording)
    assert confirmed is False and status["outcome"] == "no_active_call" and reads == 1
