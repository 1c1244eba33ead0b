# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The evidence file: one JSON line per agent and recording task, chained by SHA-256.

For internal use by the cxone.recording collection only; not a public API.

The ``cxone.recording.evidence`` callback writes the chain with ``EvidenceChain`` and the
``cxone_evidence_verify`` module checks it with ``verify_lines``: both follow the one rule
below, which the module's documentation states for auditors who check a file with their own
tools.

- A record is a JSON object whose values are strings, integers, booleans or null (never a
  floating-point number, whose text form differs between languages).
- Its canonical form is ``json.dumps(record, sort_keys=True, separators=(",", ":"),
  ensure_ascii=False)`` encoded as UTF-8: keys sorted by code point, no whitespace between
  tokens, characters other than ``"``, ``\\`` and controls below U+0020 written as themselves.
- ``sha256`` is the lowercase hex SHA-256 of the canonical form of the record without its
  ``sha256`` key (``prev_sha256`` included); ``prev_sha256`` is the previous line's
  ``sha256``, or 64 zeros on the first line.
- A line is the record as JSON (keys in ``RECORD_FIELDS`` order, for people who read it)
  followed by ``\\n``; verification parses the line and never depends on its key order.
"""

from __future__ import annotations

import hashlib
import json

GENESIS_SHA256 = "0" * 64

# What the task was: set by the callback for every line of a task.
CONTEXT_FIELDS = ("run_id", "recorded_at", "playbook", "play", "task", "host", "module", "check_mode")
# Copied from the agent's result entry; a field the entry lacks is null.
ENTRY_FIELDS = ("user_id", "outcome", "http_status", "contact_id", "attempts", "unanswered_attempts", "confirmed",
                "msg", "requested_at", "answered_at")
CHAIN_FIELDS = ("prev_sha256", "sha256")
RECORD_FIELDS = CONTEXT_FIELDS + ENTRY_FIELDS + CHAIN_FIELDS

# Why a line does not verify (the reasons verify_lines gives).
BAD_JSON = "bad JSON"
WRONG_PREV = "wrong prev_sha256"
WRONG_SHA = "wrong sha256"
INCOMPLETE = "incomplete line"


def canonical_json(record):
    """The canonical form of a record (bytes): sorted keys, no spaces, UTF-8, no ASCII escaping."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def record_sha256(record):
    """The SHA-256 (hex) of a record without its ``sha256`` key."""
    hashed = {key: value for key, value in record.items() if key != "sha256"}
    return hashlib.sha256(canonical_json(hashed)).hexdigest()


def plain_value(value):
    """A value fit for a record: floats would break the canonical form in other languages."""
    if isinstance(value, str):
        # A lone surrogate cannot be written as UTF-8: it is replaced (by "?") rather than stop the chain.
        return value.encode("utf-8", "replace").decode("utf-8")
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return str(value)


class EvidenceChain:
    """Appends chained records to a text stream; remembers the last ``sha256`` and the count."""

    def __init__(self, stream):
        self._stream = stream
        self.last_sha256 = GENESIS_SHA256
        self.records = 0

    def append(self, context, entry):
        """Write one line for an agent's result ``entry`` (a dict; None for a task without agents)."""
        entry = entry or {}
        record = {key: plain_value(context.get(key)) for key in CONTEXT_FIELDS}
        record.update((key, plain_value(entry.get(key))) for key in ENTRY_FIELDS)
        record["prev_sha256"] = self.last_sha256
        record["sha256"] = record_sha256(record)
        self._stream.write(json.dumps(record, separators=(",", ":"), ensure_ascii=False) + "\n")
        self.last_sha256 = record["sha256"]
        self.records += 1
        return record


class BadLine(Exception):
    """The first line that does not verify: its number (from 1) and why."""

    def __init__(self, line_number, reason, detail):
        self.line_number = line_number
        self.reason = reason
        self.detail = detail
        super().__init__("line %d: %s (%s)" % (line_number, reason, detail))


def _no_duplicate_keys(pairs):
    """A key given twice would let two readers see two different records in one line."""
    record = {}
    for key, value in pairs:
        if key in record:
            raise ValueError("key %r appears twice" % key)
        record[key] = value
    return record


def _parse(raw_line, line_number):
    try:
        record = json.loads(raw_line.decode("utf-8"), object_pairs_hook=_no_duplicate_keys)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadLine(line_number, BAD_JSON, str(exc)) from None
    if not isinstance(record, dict):
        raise BadLine(line_number, BAD_JSON, "not a JSON object")
    for key in CHAIN_FIELDS:
        if not isinstance(record.get(key), str):
            raise BadLine(line_number, BAD_JSON, "no %s" % key)
    return record


def verify_lines(lines):
    """Check a chain given as raw lines (bytes, each ending with its ``\\n``), one at a time.

    Returns ``(records, last_sha256)`` for an intact chain; raises ``BadLine`` for the first
    line that does not verify. An empty chain is intact (0 records, the genesis value).
    """
    expected_prev = GENESIS_SHA256
    line_number = 0
    for line_number, raw_line in enumerate(lines, start=1):
        if not raw_line.endswith(b"\n"):
            # The writer ends every line; a line without its end was cut while being written
            # or afterwards.
            raise BadLine(line_number, INCOMPLETE, "the line does not end with a line break")
        record = _parse(raw_line, line_number)
        if record["prev_sha256"] != expected_prev:
            raise BadLine(line_number, WRONG_PREV, "expected %s, found %s: a line before it was removed, "
                          "added or changed" % (expected_prev, record["prev_sha256"]))
        computed = record_sha256(record)
        if record["sha256"] != computed:
            raise BadLine(line_number, WRONG_SHA, "computed %s, found %s: the line was changed"
                          % (computed, record["sha256"]))
        expected_prev = computed
    return line_number, expected_prev
