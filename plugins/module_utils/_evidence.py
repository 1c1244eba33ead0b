# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The evidence file: a run's records, chained by SHA-256 and optionally authenticated by HMAC.

For internal use by the cxone.recording collection only; not a public API.

The ``cxone.recording.evidence`` callback makes the lines with ``EvidenceChain`` and the
``cxone_evidence_verify`` module checks a file with ``verify_lines``: both follow the one rule
below, which the module's documentation states for auditors who check a file with their own
tools.

- A record is a JSON object whose values are strings, integers, booleans or null (never a
  floating-point number, whose text form differs between languages).
- Its canonical form is ``json.dumps(fields, sort_keys=True, separators=(",", ":"),
  ensure_ascii=False)`` encoded as UTF-8, where ``fields`` is the record without its ``sha256``
  and ``hmac`` keys (``prev_sha256`` included).
- ``sha256`` is the lowercase hex SHA-256 of the canonical form; ``hmac``, present when the run
  had a key, is the lowercase hex HMAC-SHA256 of the same bytes under the key (UTF-8).
  ``prev_sha256`` is the previous line's ``sha256``, or 64 zeros on the first line.
- The first record is ``run_started``, the last ``run_ended`` (with the number of ``agent``
  records between them); every record has the run's ``run_id``, which the file name ends with.
- A line is the record as JSON (keys in the order of its kind's fields, for people who read
  it) followed by ``\\n``; verification parses the line and never depends on its key order.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re

from ansible_collections.cxone.recording.plugins.module_utils._results import RESULT_FIELDS

GENESIS_SHA256 = "0" * 64

# The kinds of record, in the order a file holds them.
RUN_STARTED = "run_started"
AGENT = "agent"
RUN_ENDED = "run_ended"

# What the task was: set by the callback for every agent line of a task.
CONTEXT_FIELDS = ("run_id", "recorded_at", "playbook", "play", "task", "host", "module", "check_mode")
# CXone's free-text description adds nothing an auditor can check beyond outcome, http_status
# and msg, and its wording is CXone's to change.
NOT_EVIDENCE = ("description",)
# Copied from the agent's result entry; a field the entry lacks is null.
ENTRY_FIELDS = tuple(field for field in RESULT_FIELDS if field not in NOT_EVIDENCE)
CHAIN_FIELDS = ("prev_sha256", "sha256")
HMAC_FIELD = "hmac"

RUN_STARTED_FIELDS = ("record", "run_id", "started_at", "playbook", "collection_version", "keyed")
AGENT_FIELDS = ("record",) + CONTEXT_FIELDS + ENTRY_FIELDS
RUN_ENDED_FIELDS = ("record", "run_id", "ended_at", "records")

# Why a file does not verify (the reasons verify_lines gives).
BAD_JSON = "bad JSON"
INCOMPLETE = "incomplete line"
WRONG_PREV = "wrong prev_sha256"
WRONG_SHA = "wrong sha256"
WRONG_HMAC = "wrong hmac"
WRONG_RUN_ID = "wrong run_id"
WRONG_RECORD = "wrong record"
WRONG_COUNT = "wrong count"
NO_RUN_ENDED = "no run_ended"
EMPTY = "empty file"
REASONS = (BAD_JSON, INCOMPLETE, WRONG_PREV, WRONG_SHA, WRONG_HMAC, WRONG_RUN_ID, WRONG_RECORD, WRONG_COUNT,
           NO_RUN_ENDED, EMPTY)

# The callback's file names: cxone-evidence-<UTC start time>-<run id>.jsonl.
FILE_NAME = "cxone-evidence-%s-%s.jsonl"
FILE_NAME_RUN_ID = re.compile(r"^cxone-evidence-\d{8}T\d{6}Z-([0-9a-f]{32})\.jsonl$")

# No line the callback writes comes near this; a longer one is refused before it is read whole.
MAX_LINE_BYTES = 16 * 1024 * 1024


def canonical_json(record):
    """The canonical form of a record (bytes): sorted keys, no spaces, UTF-8, no ASCII escaping."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def _sealed_fields(record):
    return canonical_json({key: value for key, value in record.items() if key not in ("sha256", HMAC_FIELD)})


def record_sha256(record):
    """The SHA-256 (hex) of a record without its ``sha256`` and ``hmac`` keys."""
    return hashlib.sha256(_sealed_fields(record)).hexdigest()


def key_bytes(key):
    """The key as the HMAC uses it; ``surrogatepass`` so that any text is a usable key."""
    return key.encode("utf-8", "surrogatepass")


def record_hmac(record, key):
    """The HMAC-SHA256 (hex) under ``key`` (text) of what ``sha256`` covers."""
    return hmac.new(key_bytes(key), _sealed_fields(record), hashlib.sha256).hexdigest()


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


def run_id_of_file_name(name):
    """The run id that a file name of the callback ends with, or None."""
    match = FILE_NAME_RUN_ID.match(name)
    return match.group(1) if match else None


def run_started_record(run_id, started_at, playbook, collection_version, keyed):
    return {"record": RUN_STARTED, "run_id": run_id, "started_at": started_at, "playbook": plain_value(playbook),
            "collection_version": plain_value(collection_version), "keyed": keyed}


def agent_record(context, entry):
    """The line of one agent's result ``entry`` (a dict; empty for a task without agents)."""
    record = {"record": AGENT}
    record.update((key, plain_value(context.get(key))) for key in CONTEXT_FIELDS)
    record.update((key, plain_value(entry.get(key))) for key in ENTRY_FIELDS)
    return record


def run_ended_record(run_id, ended_at, records):
    return {"record": RUN_ENDED, "run_id": run_id, "ended_at": ended_at, "records": records}


class EvidenceChain:
    """Seals records into lines; remembers, for what was committed, the last ``sha256`` and the counts.

    ``lines`` makes the text of records that follow the committed ones; ``commit`` moves the
    chain past those that reached the file. Lines made but never committed (a write error)
    leave the chain where it was.
    """

    def __init__(self, key=None):
        self._key = key
        self.last_sha256 = GENESIS_SHA256
        self.agents = 0
        self.written = 0

    @property
    def keyed(self):
        return self._key is not None

    def lines(self, records):
        """``[(line bytes, sealed record)]`` for ``records``, chained after the last committed one."""
        made = []
        prev = self.last_sha256
        for record in records:
            sealed = dict(record, prev_sha256=prev)
            sealed["sha256"] = record_sha256(sealed)
            if self._key is not None:
                sealed[HMAC_FIELD] = record_hmac(sealed, self._key)
            text = json.dumps(sealed, separators=(",", ":"), ensure_ascii=False, allow_nan=False) + "\n"
            made.append((text.encode("utf-8"), sealed))
            prev = sealed["sha256"]
        return made

    def commit(self, sealed_records):
        """These records, the first ones ``lines`` made, are in the file."""
        for sealed in sealed_records:
            self.last_sha256 = sealed["sha256"]
            self.written += 1
            if sealed["record"] == AGENT:
                self.agents += 1


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


def _no_constant(name):
    raise ValueError("%s is not JSON" % name)


def _parse(raw_line, line_number):
    try:
        record = json.loads(raw_line.decode("utf-8"), object_pairs_hook=_no_duplicate_keys,
                            parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise BadLine(line_number, BAD_JSON, str(exc)) from None
    if not isinstance(record, dict):
        raise BadLine(line_number, BAD_JSON, "not a JSON object")
    for key, value in record.items():
        if not (value is None or isinstance(value, (str, int, bool))):
            if isinstance(value, float) and not math.isfinite(value):
                raise BadLine(line_number, BAD_JSON, "the number of %r is out of range" % key)
            raise BadLine(line_number, BAD_JSON, "the value of %r is not a string, integer, boolean or null" % key)
    try:
        # A \\ud800 escape parses into a string that has no UTF-8 form, hence no canonical form.
        canonical_json(record)
    except UnicodeEncodeError:
        raise BadLine(line_number, BAD_JSON, "an escape names no character (a lone surrogate)") from None
    for key in CHAIN_FIELDS + ("record", "run_id"):
        if not isinstance(record.get(key), str):
            raise BadLine(line_number, BAD_JSON, "no %s" % key)
    return record


def _read_lines(stream):
    """Raw lines of a binary stream, none read past ``MAX_LINE_BYTES``."""
    line_number = 0
    while True:
        raw_line = stream.readline(MAX_LINE_BYTES + 1)
        if not raw_line:
            return
        line_number += 1
        if len(raw_line) > MAX_LINE_BYTES:
            raise BadLine(line_number, BAD_JSON, "longer than %d bytes" % MAX_LINE_BYTES)
        yield line_number, raw_line


class Verdict:  # pylint: disable=too-few-public-methods
    """What a check found: counts and the last hash of what verified, and the first bad line."""

    def __init__(self):
        self.records = 0
        self.lines = 0
        self.complete = False
        self.keyed = False
        self.run_id = None
        self.last_sha256 = GENESIS_SHA256
        self.bad = None


def _check_record(record, line_number, state, file_run_id, key):
    """Raise ``BadLine`` unless the record fits where it is; ``state`` is the ``Verdict`` so far."""
    kind = record["record"]
    if line_number == 1:
        if file_run_id is None:
            raise BadLine(1, WRONG_RUN_ID, "the file name does not end with -<run id>.jsonl as the callback names "
                          "its files, so the file cannot be matched to its run")
        if record["run_id"] != file_run_id:
            raise BadLine(1, WRONG_RUN_ID, "run %s, but the file name is run %s's: the file of another run"
                          % (record["run_id"], file_run_id))
        if kind != RUN_STARTED:
            raise BadLine(1, WRONG_RECORD, "%s where run_started must be: lines were removed from the start"
                          % kind)
        state.run_id = record["run_id"]
        state.keyed = record.get("keyed") is True
    elif record["run_id"] != state.run_id:
        raise BadLine(line_number, WRONG_RUN_ID, "run %s in the file of run %s: a line of another run"
                      % (record["run_id"], state.run_id))
    elif state.complete:
        raise BadLine(line_number, WRONG_RECORD, "a line after run_ended")
    elif kind not in (AGENT, RUN_ENDED):
        raise BadLine(line_number, WRONG_RECORD, "%s is not a record that can follow run_started" % kind)
    if record["prev_sha256"] != state.last_sha256:
        raise BadLine(line_number, WRONG_PREV, "expected %s, found %s: a line before it was removed, added or "
                      "changed" % (state.last_sha256, record["prev_sha256"]))
    computed = record_sha256(record)
    if record["sha256"] != computed:
        raise BadLine(line_number, WRONG_SHA, "computed %s, found %s: the line was changed"
                      % (computed, record["sha256"]))
    given = record.get(HMAC_FIELD)
    if state.keyed and not isinstance(given, str):
        raise BadLine(line_number, WRONG_HMAC, "no hmac in a keyed file: the line was rewritten")
    if not state.keyed and given is not None:
        raise BadLine(line_number, WRONG_HMAC, "an hmac in a file whose run_started says it is not keyed")
    if key is not None:
        if not state.keyed:
            raise BadLine(line_number, WRONG_HMAC, "the file is not keyed: it was written without a key, or "
                          "rewritten by someone without it")
        # Bytes: compare_digest refuses text with non-ASCII characters, which a forged line may hold.
        if not hmac.compare_digest(given.encode("utf-8"), record_hmac(record, key).encode("ascii")):
            raise BadLine(line_number, WRONG_HMAC, "not the HMAC under the key given: the line was rewritten "
                          "without the key, or the key is not the run's")
    if kind == RUN_ENDED:
        counted = record.get("records")
        if isinstance(counted, bool) or counted != state.records:
            raise BadLine(line_number, WRONG_COUNT, "run_ended counts %r agent lines, the file has %d: agent lines "
                          "were removed or added" % (counted, state.records))
        state.complete = True
    elif kind == AGENT:
        state.records += 1


def verify_lines(stream, file_name, key=None, allow_incomplete=False):
    """Check an evidence file, read as a binary ``stream`` named ``file_name`` (its base name).

    ``key`` (text) also checks every line's ``hmac``; ``allow_incomplete`` accepts a file
    without ``run_ended`` (a run that stopped before its end). Returns a ``Verdict``; its
    ``bad`` is the ``BadLine`` of the first line that does not verify, or None.
    """
    state = Verdict()
    file_run_id = run_id_of_file_name(file_name)
    try:
        for line_number, raw_line in _read_lines(stream):
            if not raw_line.endswith(b"\n"):
                # The writer ends every line; a line without its end was cut while being written
                # or afterwards.
                raise BadLine(line_number, INCOMPLETE, "the line does not end with a line break")
            record = _parse(raw_line, line_number)
            _check_record(record, line_number, state, file_run_id, key)
            state.last_sha256 = record["sha256"]
            state.lines = line_number
        if state.lines == 0:
            raise BadLine(1, EMPTY, "no run_started: the file is empty")
        if not state.complete and not allow_incomplete:
            raise BadLine(state.lines + 1, NO_RUN_ENDED, "the file ends after line %d without run_ended: lines were "
                          "removed from its end, or the run stopped before its end" % state.lines)
    except BadLine as bad:
        state.bad = bad
    return state
