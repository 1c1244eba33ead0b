# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The evidence chain: its canonical form, its hashes and HMACs, and what verification catches.

Each kind of damage is made as someone covering their tracks would make it, to a file as the
callback writes it (``run_started``, agents, ``run_ended``), and must be caught on its line.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json

import pytest

from ansible_collections.cxone.recording.plugins.module_utils import _evidence
from ansible_collections.cxone.recording.plugins.module_utils._evidence import (
    AGENT_FIELDS,
    BAD_JSON,
    EMPTY,
    ENTRY_FIELDS,
    GENESIS_SHA256,
    INCOMPLETE,
    NO_RUN_ENDED,
    RUN_ENDED_FIELDS,
    RUN_STARTED_FIELDS,
    WRONG_COUNT,
    WRONG_HMAC,
    WRONG_PREV,
    WRONG_RECORD,
    WRONG_RUN_ID,
    WRONG_SHA,
    EvidenceChain,
    agent_record,
    canonical_json,
    record_hmac,
    record_sha256,
    run_ended_record,
    run_started_record,
    verify_lines,
)
from ansible_collections.cxone.recording.plugins.module_utils._results import RESULT_FIELDS

RUN_A = "4f9c0e2a7b1d4e8f9a0b1c2d3e4f5a6b"
RUN_B = "0b3c9d1e2f3a4b5c6d7e8f9a0b1c2d3e"
KEY = "the auditor's key"


def file_name(run_id=RUN_A):
    return "cxone-evidence-20261127T021500Z-%s.jsonl" % run_id


def entry(number, **fields):
    values = {"user_id": "agent-%d" % number, "outcome": "completed", "http_status": 200,
              "contact_id": "6048127345%02d" % number, "attempts": 1, "unanswered_attempts": 0,
              "msg": None, "requested_at": "2026-11-27T02:15:03.118Z", "answered_at": "2026-11-27T02:15:03.397Z",
              "description": "Done", "media_type": "voice"}
    values.update(fields)
    return values


def context(run_id=RUN_A):
    return {"run_id": run_id, "recorded_at": "2026-11-27T02:15:03.412Z", "playbook": "consent.yml",
            "play": "Consent refused", "task": "Do not record", "host": "tenant_eu",
            "module": "cxone.recording.cxone_do_not_record", "check_mode": False}


def run_records(agents=3, run_id=RUN_A, keyed=False, **fields):
    return ([run_started_record(run_id, "2026-11-27T02:15:00.104Z", "consent.yml", "1.0.0", keyed)]
            + [agent_record(context(run_id), entry(number, **fields)) for number in range(agents)]
            + [run_ended_record(run_id, "2026-11-27T02:15:04.001Z", agents)])


def sealed_lines(records, key=None):
    """The lines of these records, chained from the start as the callback chains them."""
    chain = EvidenceChain(key)
    return [data.decode("utf-8") for data, _sealed in chain.lines(records)]


def run_lines(agents=3, run_id=RUN_A, key=None, **fields):
    """A whole run's file: run_started, ``agents`` agent lines, run_ended."""
    return sealed_lines(run_records(agents, run_id, key is not None, **fields), key)


def rewritten(lines, change, key=None):
    """The file written anew after ``change(records)``, every hash (and HMAC, with ``key``) recomputed."""
    records = [json.loads(line) for line in lines]
    for record in records:
        for field in ("prev_sha256", "sha256", "hmac"):
            record.pop(field, None)
        if record["record"] == "run_started":
            record["keyed"] = key is not None
    change(records)
    return sealed_lines(records, key)


def verdict(lines, name=None, **options):
    data = "".join(lines).encode("utf-8") if isinstance(lines, list) else lines
    return verify_lines(io.BytesIO(data), name or file_name(), **options)


def first_bad(lines, name=None, **options):
    found = verdict(lines, name, **options)
    assert found.bad is not None, "the damage went unnoticed"
    return found.bad.line_number, found.bad.reason


# -- the records ------------------------------------------------------------------------------

def test_canonical_form_sorts_keys_drops_spaces_and_keeps_non_ascii():
    record = {"b": "Müller \u2028 \"q\"", "a": 1, "c": None, "d": True}
    assert canonical_json(record) == '{"a":1,"b":"Müller \u2028 \\"q\\"","c":null,"d":true}'.encode("utf-8")


def test_sha256_and_hmac_cover_every_key_but_themselves_and_include_prev():
    record = {"user_id": "u", "prev_sha256": GENESIS_SHA256}
    covered = b'{"prev_sha256":"' + GENESIS_SHA256.encode() + b'","user_id":"u"}'
    assert record_sha256(record) == hashlib.sha256(covered).hexdigest()
    assert record_hmac(record, KEY) == hmac.new(KEY.encode(), covered, hashlib.sha256).hexdigest()
    assert record_sha256(dict(record, sha256="anything", hmac="anything")) == record_sha256(record)
    assert record_hmac(dict(record, sha256="anything", hmac="anything"), KEY) == record_hmac(record, KEY)
    assert record_sha256(dict(record, prev_sha256="1" * 64)) != record_sha256(record)


def test_the_agent_fields_are_the_result_fields_but_cxones_description():
    assert ENTRY_FIELDS == tuple(field for field in RESULT_FIELDS if field != "description")


def test_a_run_is_run_started_agents_run_ended_each_in_its_field_order_and_chained():
    lines = [json.loads(line) for line in run_lines(3)]
    assert [list(line) for line in lines] == (
        [list(RUN_STARTED_FIELDS) + ["prev_sha256", "sha256"]]
        + [list(AGENT_FIELDS) + ["prev_sha256", "sha256"]] * 3
        + [list(RUN_ENDED_FIELDS) + ["prev_sha256", "sha256"]])
    assert [line["record"] for line in lines] == ["run_started", "agent", "agent", "agent", "run_ended"]
    assert {line["run_id"] for line in lines} == {RUN_A}
    assert (lines[0]["keyed"], lines[0]["collection_version"], lines[-1]["records"]) == (False, "1.0.0", 3)
    assert lines[0]["prev_sha256"] == GENESIS_SHA256
    assert [line["prev_sha256"] for line in lines[1:]] == [line["sha256"] for line in lines[:-1]]
    # Fields of the entry that are not evidence (CXone's description, other options) stay out;
    # a field the entry lacks (``confirmed`` here) is null.
    assert lines[1]["confirmed"] is None and "description" not in lines[1] and "media_type" not in lines[1]
    assert lines[3]["user_id"] == "agent-2" and lines[3]["task"] == "Do not record"


def test_with_a_key_every_line_ends_with_its_hmac_and_the_key_is_nowhere():
    lines = [json.loads(line) for line in run_lines(2, key=KEY)]
    assert lines[0]["keyed"] is True
    assert all(list(line)[-3:] == ["prev_sha256", "sha256", "hmac"] for line in lines)
    assert all(line["hmac"] == record_hmac(line, KEY) for line in lines)
    assert KEY not in "".join(run_lines(2, key=KEY))


def test_a_task_without_agents_is_one_line_of_nulls_but_its_outcome_and_message():
    line = agent_record(context(), {"outcome": "failed", "msg": "user_id: must not be empty"})
    assert (line["user_id"], line["outcome"], line["msg"], line["http_status"]) == (
        None, "failed", "user_id: must not be empty", None)


def test_values_are_never_floats():
    line = json.loads(sealed_lines([agent_record(context(), entry(0, attempts=2.0, http_status=[200]))])[0])
    assert line["attempts"] == 2 and isinstance(line["attempts"], int)
    assert line["http_status"] == "[200]"


def test_lines_made_but_not_committed_leave_the_chain_where_it_was():
    chain = EvidenceChain()
    made = chain.lines(run_records(2))
    chain.commit([sealed for _data, sealed in made[:2]])
    assert (chain.written, chain.agents, chain.last_sha256) == (2, 1, made[1][1]["sha256"])
    # The next lines chain after the last committed one, not after the ones dropped.
    assert chain.lines([run_ended_record(RUN_A, "t", 1)])[0][1]["prev_sha256"] == made[1][1]["sha256"]


# -- an intact file -----------------------------------------------------------------------------

def test_an_intact_file_verifies_with_its_counts_and_last_hash():
    lines = run_lines(5)
    found = verdict(lines)
    assert found.bad is None
    assert (found.records, found.complete, found.keyed, found.run_id, found.last_sha256) == (
        5, True, False, RUN_A, json.loads(lines[-1])["sha256"])


def test_a_keyed_file_verifies_with_its_key_and_without_it_on_its_hashes_alone():
    lines = run_lines(3, key=KEY)
    for options in ({"key": KEY}, {}):
        found = verdict(lines, **options)
        assert found.bad is None and found.keyed is True and found.records == 3, options


def test_a_run_without_agents_verifies():
    assert verdict(run_lines(0)).records == 0 and verdict(run_lines(0)).complete is True


def test_non_ascii_text_and_a_bell_verify():
    assert verdict(run_lines(3, msg="Agent Jürgen ✓ \u0007 bell")).bad is None


# -- each kind of damage --------------------------------------------------------------------------

def test_one_character_changed_is_caught_on_its_line():
    lines = run_lines(5)
    lines[2] = lines[2].replace('"http_status":200', '"http_status":201')
    assert first_bad(lines) == (3, WRONG_SHA)


def test_a_changed_line_with_its_hash_recomputed_breaks_the_next_line():
    lines = run_lines(5)
    record = json.loads(lines[2])
    record["outcome"] = "skipped"
    record["sha256"] = record_sha256(record)
    lines[2] = json.dumps(record) + "\n"
    assert first_bad(lines) == (4, WRONG_PREV)


def test_the_first_line_removed_is_caught_on_the_new_first_line():
    assert first_bad(run_lines(3)[1:]) == (1, WRONG_RECORD)
    assert first_bad(run_lines(3)[1:], allow_incomplete=True) == (1, WRONG_RECORD)


def test_a_middle_line_removed_is_caught_on_the_line_after():
    lines = run_lines(5)
    del lines[2]
    assert first_bad(lines) == (3, WRONG_PREV)


def test_the_last_line_removed_is_caught_where_run_ended_should_be():
    lines = run_lines(4)
    assert first_bad(lines[:-1]) == (6, NO_RUN_ENDED)
    # With its last agent line too: what is left is a whole chain, but not a whole run.
    assert first_bad(lines[:-2]) == (5, NO_RUN_ENDED)


def test_the_last_agent_line_removed_before_run_ended_is_caught_on_run_ended():
    lines = run_lines(4)
    del lines[-2]
    assert first_bad(lines) == (5, WRONG_PREV)


def test_allow_incomplete_excuses_only_a_missing_run_ended():
    lines = run_lines(4)
    found = verdict(lines[:-1], allow_incomplete=True)
    assert found.bad is None and (found.records, found.complete) == (4, False)
    assert verdict(lines, allow_incomplete=True).complete is True
    damaged = lines[:-1]
    damaged[2] = damaged[2].replace("agent-1", "agent-7")
    assert first_bad(damaged, allow_incomplete=True) == (3, WRONG_SHA)


def test_an_empty_file_fails():
    assert first_bad([]) == (1, EMPTY)
    assert first_bad([], allow_incomplete=True) == (1, EMPTY)


def test_two_lines_swapped_are_caught_on_the_first_of_them():
    lines = run_lines(5)
    lines[2], lines[3] = lines[3], lines[2]
    assert first_bad(lines) == (3, WRONG_PREV)


def test_a_line_spliced_from_another_run_is_caught_on_its_line():
    lines, other = run_lines(4), run_lines(4, run_id=RUN_B)
    assert first_bad(lines[:3] + [other[3]] + lines[3:]) == (4, WRONG_RUN_ID)
    # Even with its run_id edited to this run's, its hash no longer holds.
    assert first_bad(lines[:3] + [other[3].replace(RUN_B, RUN_A)] + lines[3:]) == (4, WRONG_PREV)


def test_another_runs_whole_file_under_this_runs_name_is_caught_on_line_1():
    other = run_lines(4, run_id=RUN_B)
    assert verdict(other, file_name(RUN_B)).bad is None
    assert first_bad(other, file_name(RUN_A)) == (1, WRONG_RUN_ID)


def test_a_file_not_named_as_the_callback_names_it_cannot_be_matched_to_its_run():
    assert first_bad(run_lines(2), "evidence.jsonl") == (1, WRONG_RUN_ID)


def test_a_line_after_run_ended_is_caught():
    lines = run_lines(2)
    assert first_bad(lines + [lines[1]]) == (5, WRONG_RECORD)


def test_a_run_ended_counting_other_agents_is_caught():
    lines = rewritten(run_lines(3), lambda records: records[-1].update(records=4))
    assert first_bad(lines) == (5, WRONG_COUNT)
    # Agent lines removed and the chain recomputed by someone without the count in mind.
    lines = rewritten(run_lines(3), lambda records: records.pop(2))
    assert first_bad(lines) == (4, WRONG_COUNT)


def test_a_rewrite_without_the_key_is_caught_with_the_key():
    """Recomputed hashes pass the chain; only the HMAC, under a key the forger lacks, tells."""
    original = run_lines(3, key=KEY)

    def forge(records):
        records[2]["outcome"] = "failed"

    for forged in (rewritten(original, forge), rewritten(original, forge, key="a guessed key")):
        assert verdict(forged).bad is None, "on its hashes alone the rewrite holds"
        assert first_bad(forged, key=KEY) == (1, WRONG_HMAC)


def test_a_rewrite_that_keeps_the_old_hmacs_is_caught_on_the_changed_line():
    lines = run_lines(3, key=KEY)
    records = [json.loads(line) for line in lines]
    records[2]["outcome"] = "failed"
    prev = GENESIS_SHA256
    for record in records:
        record["prev_sha256"] = prev
        record["sha256"] = prev = record_sha256(record)
    forged = [json.dumps(record) + "\n" for record in records]
    assert verdict(forged).bad is None and verdict(forged).keyed is True
    assert first_bad(forged, key=KEY) == (3, WRONG_HMAC)


def test_a_rewrite_by_someone_with_the_key_holds_against_the_file_alone():
    """What only the printed last sha256 catches (cxone_evidence_verify's expected_last_sha256)."""
    original = run_lines(3, key=KEY)
    forged = rewritten(original, lambda records: records[2].update(outcome="failed"), key=KEY)
    found = verdict(forged, key=KEY)
    assert found.bad is None and found.last_sha256 != verdict(original, key=KEY).last_sha256


def test_a_wrong_key_fails_on_line_1():
    assert first_bad(run_lines(3, key=KEY), key="not the key") == (1, WRONG_HMAC)


def test_a_key_given_for_a_file_written_without_one_fails():
    assert first_bad(run_lines(3), key=KEY) == (1, WRONG_HMAC)


def test_a_keyed_file_with_a_line_stripped_of_its_hmac_fails_even_without_the_key():
    lines = run_lines(3, key=KEY)
    record = json.loads(lines[2])
    del record["hmac"]
    lines[2] = json.dumps(record) + "\n"
    assert first_bad(lines) == (3, WRONG_HMAC)


@pytest.mark.parametrize("damage", ["NaN", "Infinity", "-Infinity", "1e400", "1.5"])
def test_a_line_with_a_number_outside_the_rule_is_bad_json(damage):
    lines = run_lines(3)
    lines[2] = lines[2].replace('"attempts":1', '"attempts":%s' % damage)
    assert first_bad(lines) == (3, BAD_JSON)


@pytest.mark.parametrize("escape", ["\\ud800", "\\udfff", "\\ud800\\u0041"])
def test_a_line_with_an_escape_that_names_no_character_is_bad_json(escape):
    lines = run_lines(3)
    lines[2] = lines[2].replace('"agent-1"', '"agent-%s"' % escape)
    found = verdict(lines)
    assert (found.bad.line_number, found.bad.reason) == (3, BAD_JSON)
    assert "names no character" in str(found.bad)


def test_a_trailing_partial_line_is_caught():
    lines = run_lines(4)
    assert first_bad(lines + [lines[1][:40]]) == (7, INCOMPLETE)
    # Only its line end lost: the record is whole but the writer always ends its lines.
    assert first_bad(lines[:-1] + [lines[-1][:-1]]) == (6, INCOMPLETE)
    assert first_bad(lines[:-1] + [lines[-1][:-1]], allow_incomplete=True) == (6, INCOMPLETE)


@pytest.mark.parametrize("bad, why", [
    ("not json at all\n", "Expecting value"),
    ("[1, 2]\n", "not a JSON object"),
    ('{"prev_sha256": "%s"}\n' % GENESIS_SHA256, "no sha256"),
    ('{"record": "agent", "a": {"b": 1}}\n', "is not a string, integer, boolean or null"),
    ("\n", "Expecting value"),
    ("[" * 100000 + "\n", "recursion"),
    (b"\xff\xfe{}\n", "codec can't decode"),
])
def test_a_line_that_is_not_a_record_is_bad_json(bad, why):
    raw = "".join(run_lines(2)).encode("utf-8") + (bad if isinstance(bad, bytes) else bad.encode("utf-8"))
    found = verdict(raw)
    assert (found.bad.line_number, found.bad.reason) == (5, BAD_JSON)
    assert why in str(found.bad)


def test_a_key_given_twice_is_bad_json():
    """Two readers could otherwise see two records in one line (each keeping another value)."""
    lines = run_lines(1)
    lines[1] = lines[1][:-2] + ',"outcome":"failed"}\n'
    assert first_bad(lines) == (2, BAD_JSON)


def test_a_line_too_long_to_be_the_callbacks_is_refused_before_it_is_read_whole(monkeypatch):
    monkeypatch.setattr(_evidence, "MAX_LINE_BYTES", 2048)
    lines = run_lines(2)
    lines[2] = lines[2].replace('"msg":null', '"msg":"%s"' % ("x" * 4096))
    found = verdict(lines)
    assert (found.bad.line_number, found.bad.reason) == (3, BAD_JSON) and "longer than 2048 bytes" in str(found.bad)


def test_what_verified_before_the_first_bad_line_is_counted():
    lines = run_lines(5)
    lines[4] = lines[4].replace("agent-3", "agent-9")
    found = verdict(lines)
    assert (found.records, found.last_sha256, found.complete) == (3, json.loads(lines[3])["sha256"], False)
