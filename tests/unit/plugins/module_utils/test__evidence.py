# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The evidence chain: its canonical form, its hashes, and what verification catches."""

from __future__ import annotations

import hashlib
import io
import json

import pytest

from ansible_collections.cxone.recording.plugins.module_utils._evidence import (
    BAD_JSON,
    GENESIS_SHA256,
    INCOMPLETE,
    RECORD_FIELDS,
    WRONG_PREV,
    WRONG_SHA,
    BadLine,
    EvidenceChain,
    canonical_json,
    record_sha256,
    verify_lines,
)

CONTEXT = {"run_id": "r1", "recorded_at": "2026-11-27T02:15:03.412Z", "playbook": "consent.yml",
           "play": "Consent refused", "task": "Do not record", "host": "tenant_eu",
           "module": "cxone.recording.cxone_do_not_record", "check_mode": False}


def entry(number, **fields):
    values = {"user_id": "agent-%d" % number, "outcome": "completed", "http_status": 200,
              "contact_id": "6048127345%02d" % number, "attempts": 1, "unanswered_attempts": 0,
              "msg": None, "requested_at": "2026-11-27T02:15:03.118Z", "answered_at": "2026-11-27T02:15:03.397Z",
              "description": "Done", "media_type": "voice"}
    values.update(fields)
    return values


def chain_text(count=5, **fields):
    stream = io.StringIO()
    chain = EvidenceChain(stream)
    for number in range(count):
        chain.append(CONTEXT, entry(number, **fields))
    return stream.getvalue()


def lines_of(text):
    return io.BytesIO(text.encode("utf-8")).readlines()


def first_bad(text):
    with pytest.raises(BadLine) as caught:
        verify_lines(lines_of(text))
    return caught.value.line_number, caught.value.reason


def test_canonical_form_sorts_keys_drops_spaces_and_keeps_non_ascii():
    record = {"b": "Müller \u2028 \"q\"", "a": 1, "c": None, "d": True}
    assert canonical_json(record) == '{"a":1,"b":"Müller \u2028 \\"q\\"","c":null,"d":true}'.encode("utf-8")


def test_sha256_covers_every_key_but_its_own_and_includes_prev():
    record = {"user_id": "u", "prev_sha256": GENESIS_SHA256}
    expected = hashlib.sha256(b'{"prev_sha256":"' + GENESIS_SHA256.encode() + b'","user_id":"u"}').hexdigest()
    assert record_sha256(record) == expected
    assert record_sha256(dict(record, sha256="anything")) == expected
    assert record_sha256(dict(record, prev_sha256="1" * 64)) != expected


def test_a_line_holds_exactly_the_record_fields_in_order_and_chains_to_the_one_before():
    lines = [json.loads(line) for line in chain_text(3).splitlines()]
    assert [list(line) for line in lines] == [list(RECORD_FIELDS)] * 3
    assert lines[0]["prev_sha256"] == GENESIS_SHA256
    assert [line["prev_sha256"] for line in lines[1:]] == [line["sha256"] for line in lines[:-1]]
    # Fields of the entry that are not evidence (CXone's description, other options) stay out;
    # a field the entry lacks (``confirmed`` here) is null.
    assert lines[0]["confirmed"] is None and "description" not in lines[0] and "media_type" not in lines[0]
    assert lines[2]["user_id"] == "agent-2" and lines[2]["task"] == "Do not record"


def test_a_task_without_agents_is_one_line_of_nulls_but_its_outcome_and_message():
    stream = io.StringIO()
    EvidenceChain(stream).append(CONTEXT, {"outcome": "failed", "msg": "user_id: must not be empty"})
    line = json.loads(stream.getvalue())
    assert (line["user_id"], line["outcome"], line["msg"], line["http_status"]) == (
        None, "failed", "user_id: must not be empty", None)


def test_values_are_never_floats():
    stream = io.StringIO()
    EvidenceChain(stream).append(CONTEXT, entry(0, attempts=2.0, http_status=[200]))
    line = json.loads(stream.getvalue())
    assert line["attempts"] == 2 and isinstance(line["attempts"], int)
    assert line["http_status"] == "[200]"


def test_an_intact_chain_verifies_and_gives_its_count_and_last_hash():
    text = chain_text(5)
    last = json.loads(text.splitlines()[-1])["sha256"]
    assert verify_lines(lines_of(text)) == (5, last)


def test_an_empty_file_is_an_intact_chain_of_no_records():
    assert verify_lines([]) == (0, GENESIS_SHA256)


def test_non_ascii_text_verifies():
    text = chain_text(3, msg="Agent Jürgen ✓ \u0007 bell")
    assert verify_lines(lines_of(text))[0] == 3


def test_one_character_changed_is_caught_on_its_line():
    lines = chain_text(5).splitlines(keepends=True)
    lines[2] = lines[2].replace('"http_status":200', '"http_status":201')
    assert first_bad("".join(lines)) == (3, WRONG_SHA)


def test_a_changed_line_with_its_hash_recomputed_breaks_the_next_line():
    lines = chain_text(5).splitlines(keepends=True)
    record = json.loads(lines[1])
    record["outcome"] = "skipped"
    record["sha256"] = record_sha256(record)
    lines[1] = json.dumps(record) + "\n"
    assert first_bad("".join(lines)) == (3, WRONG_PREV)


def test_a_line_removed_is_caught_on_the_line_after():
    lines = chain_text(5).splitlines(keepends=True)
    del lines[1]
    assert first_bad("".join(lines)) == (2, WRONG_PREV)


def test_the_first_line_removed_is_caught_on_the_new_first_line():
    lines = chain_text(3).splitlines(keepends=True)
    assert first_bad("".join(lines[1:])) == (1, WRONG_PREV)


def test_two_lines_swapped_are_caught_on_the_first_of_them():
    lines = chain_text(5).splitlines(keepends=True)
    lines[1], lines[2] = lines[2], lines[1]
    assert first_bad("".join(lines)) == (2, WRONG_PREV)


def test_a_line_appended_by_hand_is_caught():
    text = chain_text(3)
    forged = dict(json.loads(text.splitlines()[-1]), user_id="agent-99", sha256="0" * 64)
    assert first_bad(text + json.dumps(forged) + "\n") == (4, WRONG_PREV)
    # Even with the right prev_sha256, a hash not computed by the rule is caught.
    forged["prev_sha256"] = json.loads(text.splitlines()[-1])["sha256"]
    assert first_bad(text + json.dumps(forged) + "\n") == (4, WRONG_SHA)


def test_a_truncated_last_line_is_caught():
    text = chain_text(4)
    assert first_bad(text[:-40]) == (4, INCOMPLETE)
    # Only its line end lost: the record is whole but the writer always ends its lines.
    assert first_bad(text[:-1]) == (4, INCOMPLETE)


@pytest.mark.parametrize("bad, why", [
    ("not json at all\n", "Expecting value"),
    ("[1, 2]\n", "not a JSON object"),
    ('{"prev_sha256": "%s"}\n' % GENESIS_SHA256, "no sha256"),
    ("\n", "Expecting value"),
    (b"\xff\xfe{}\n", "codec can't decode"),
])
def test_a_line_that_is_not_a_record_is_bad_json(bad, why):
    raw = chain_text(2).encode("utf-8") + (bad if isinstance(bad, bytes) else bad.encode("utf-8"))
    with pytest.raises(BadLine) as caught:
        verify_lines(io.BytesIO(raw).readlines())
    assert (caught.value.line_number, caught.value.reason) == (3, BAD_JSON)
    assert why in str(caught.value)


def test_a_key_given_twice_is_bad_json():
    """Two readers could otherwise see two records in one line (each keeping another value)."""
    line = chain_text(1).splitlines()[0]
    doubled = line[:-1] + ',"outcome":"failed"}\n'
    assert first_bad(doubled) == (1, BAD_JSON)
