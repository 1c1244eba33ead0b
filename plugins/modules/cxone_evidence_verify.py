#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cxone_evidence_verify
short_description: Check that an evidence file of cxone.recording is whole and was not edited
version_added: 1.0.0
description:
  - Reads an evidence file written by the callback plugin P(cxone.recording.evidence#callback)
    line by line and checks its records, its SHA-256 chain and, with O(key), every line's HMAC.
    The task fails naming the first bad line and why (RV(reason)).
  - The file is streamed, never read whole, so any size can be checked.
  - >-
    B(The rule, for checking a file with other tools.) Each line is one JSON object followed by
    a line feed. Its values are strings, integers, booleans or null (never a floating-point
    number). Its canonical form is the object B(without its C(sha256) and C(hmac) keys),
    serialized with keys sorted by Unicode code point, no whitespace between tokens (separators
    C(,) and C(:)), non-ASCII characters written as themselves (not C(\\uXXXX) escapes) and the
    whole encoded as UTF-8, which is Python's
    C(json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")).
    C(sha256) is the lowercase hexadecimal SHA-256 of that canonical form (C(prev_sha256) is
    part of it), and C(hmac), on every line of a file written with a key, the lowercase
    hexadecimal HMAC-SHA256 of the same bytes under the key (as UTF-8). C(prev_sha256) is the
    previous line's C(sha256), and 64 zeros on the first line. The order of the keys in a line
    does not matter; a key given twice is an error.
  - >-
    B(The records.) Each line's C(record) says what it is. The first line is C(run_started), whose
    C(keyed) says whether the lines carry C(hmac); then come the C(agent) lines; the last is
    C(run_ended), whose C(records) is the number of C(agent) lines. Every line has the same
    C(run_id), and the file's name (C(cxone-evidence-<UTC time>-<run id>.jsonl)) ends with it.
  - >-
    B(What fails, and why) (RV(reason)): V(bad JSON) - the line is not one JSON object of that
    kind (C(NaN), an escape such as C(\\ud800) that names no character, a float, a key given
    twice, no C(sha256)); V(incomplete line) - the last line has no line feed (cut while being
    written, or afterwards); V(wrong sha256) - the line was changed; V(wrong prev_sha256) - a
    line before it was removed, added or moved; V(wrong run_id) - a line of another run, or the
    whole file is another run's under this name; V(wrong record) - the first line is not
    C(run_started) (lines removed from the start) or a line follows C(run_ended); V(wrong count)
    - C(run_ended) counts another number of C(agent) lines; V(wrong hmac) - with O(key), the
    line was rewritten by someone without the key, or the key is not the run's (also a keyed
    file's line without C(hmac), with or without O(key)); V(no run_ended) - the file stops
    before its end (RV(first_bad_line) is then the line where C(run_ended) should be);
    V(empty file).
  - >-
    B(What each check proves.) The chain alone shows that no line was changed, removed, inserted
    or moved, and C(run_ended) that none was removed from the end. Whoever can write the file
    can still write a whole new one with a new chain. Without the key that new file fails with
    O(key); with the key, or against a file written without one, only the last C(sha256)
    printed at the end of the run (O(expected_last_sha256)) tells.
author:
  - cxone.recording contributors (@cxone-recording)
options:
  path:
    description:
      - The evidence file to check, on the host the task runs on. Keep the name the callback
        gave it (C(cxone-evidence-<UTC time>-<run id>.jsonl)), whose run id is checked.
    type: path
    required: true
  key:
    description:
      - The key the run was written with (the callback's C(key), E(CXONE_EVIDENCE_KEY)). When
        given, every line must carry the right C(hmac).
      - Without it a keyed file is checked on its hashes alone and RV(keyed) says it is keyed.
    type: str
  expected_last_sha256:
    description:
      - The last C(sha256) as printed at the end of the run that wrote the file.
      - When given, the task also fails if the file ends with another one (lines removed from
        its end, or the file written anew), with RV(reason) V(wrong last sha256).
    type: str
  allow_incomplete:
    description:
      - Accept a file without C(run_ended), from a run that stopped before its end (killed, or
        a write error). It excuses nothing else.
      - Use it only for a run known to have stopped early; a run that printed its last
        C(sha256) reached its end, so check its file with O(expected_last_sha256) instead.
    type: bool
    default: false
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: The module only reads; in check mode it reads and checks the file all the same.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: none
notes:
  - The evidence guide gives an auditor's whole procedure, and a check of the rule in a few lines
    of Python that need nothing of this collection.
seealso:
  - plugin: cxone.recording.evidence
    plugin_type: callback
"""

EXAMPLES = r"""
- name: Check the evidence of last night's run against the line its job printed
  cxone.recording.cxone_evidence_verify:
    path: /var/lib/cxone-evidence/cxone-evidence-20261127T021500Z-4f9c0e2a7b1d4e8f9a0b1c2d3e4f5a6b.jsonl
    key: "{{ lookup('ansible.builtin.env', 'CXONE_EVIDENCE_KEY') }}"
    expected_last_sha256: b7e1c0e8d2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c
  register: evidence
  delegate_to: localhost

- name: Say what was checked
  ansible.builtin.debug:
    msg: "{{ evidence.records }} agent records of run {{ evidence.run_id }}, keyed: {{ evidence.keyed }}"

- name: Check the file of a run that was killed (no run_ended, no printed line)
  cxone.recording.cxone_evidence_verify:
    path: /var/lib/cxone-evidence/cxone-evidence-20261128T021500Z-0b3c9d1e2f3a4b5c6d7e8f9a0b1c2d3e.jsonl
    key: "{{ lookup('ansible.builtin.env', 'CXONE_EVIDENCE_KEY') }}"
    allow_incomplete: true
  delegate_to: localhost
"""

RETURN = r"""
records:
  description: The number of C(agent) lines that verified (when the file is bad, those before the first bad line).
  returned: always
  type: int
  sample: 42
complete:
  description: Whether the file ends with a C(run_ended) that verified.
  returned: always
  type: bool
  sample: true
keyed:
  description: Whether the file's lines carry C(hmac) (its C(run_started) says so), whether or not O(key) was given.
  returned: always
  type: bool
  sample: true
run_id:
  description: The run id of the file's first line, or null when it has none.
  returned: always
  type: str
  sample: 4f9c0e2a7b1d4e8f9a0b1c2d3e4f5a6b
last_sha256:
  description: The C(sha256) of the last line that verified (64 zeros for none).
  returned: always
  type: str
  sample: b7e1c0e8d2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c
first_bad_line:
  description: The number (from 1) of the first line that does not verify, or null when none does not.
  returned: always
  type: int
  sample: null
reason:
  description: >-
    Why the file does not verify (the values are listed in the description above, plus
    V(wrong last sha256) for O(expected_last_sha256)), or null when it does.
  returned: always
  type: str
  sample: null
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.cxone.recording.plugins.module_utils._errors import counted
from ansible_collections.cxone.recording.plugins.module_utils._evidence import GENESIS_SHA256, verify_lines

WRONG_LAST = "wrong last sha256"


def verify_file(path, key=None, expected_last_sha256=None, allow_incomplete=False):
    """The module's result for the file at ``path``."""
    with open(path, "rb") as stream:
        verdict = verify_lines(stream, os.path.basename(path), key=key, allow_incomplete=allow_incomplete)
    checked = {"records": verdict.records, "complete": verdict.complete, "keyed": verdict.keyed,
               "run_id": verdict.run_id, "last_sha256": verdict.last_sha256, "first_bad_line": None, "reason": None}
    if verdict.bad is not None:
        checked.update(first_bad_line=verdict.bad.line_number, reason=verdict.bad.reason, failed=True,
                       msg="%s: %s" % (path, verdict.bad))
    elif expected_last_sha256 is not None and verdict.last_sha256 != expected_last_sha256.strip().lower():
        checked.update(reason=WRONG_LAST, failed=True,
                       msg="%s: the file ends with sha256 %s, not the expected %s: lines were removed from its end "
                       "or the file was written anew" % (path, verdict.last_sha256, expected_last_sha256))
    else:
        checked["msg"] = "%s: %s of run %s, %s, %s" % (
            path, counted(verdict.records, "agent record"), verdict.run_id, "complete" if verdict.complete else "without run_ended",
            ("keyed, HMAC checked" if key is not None else "keyed, HMAC not checked (no key)") if verdict.keyed
            else "not keyed")
    return checked


def main():
    module = AnsibleModule(
        argument_spec={"path": {"type": "path", "required": True},
                       "key": {"type": "str", "no_log": True},
                       "expected_last_sha256": {"type": "str"},
                       "allow_incomplete": {"type": "bool", "default": False}},
        supports_check_mode=True,
    )
    path = module.params["path"]
    try:
        result = verify_file(path, module.params["key"] or None, module.params["expected_last_sha256"],
                             module.params["allow_incomplete"])
    except OSError as exc:
        module.fail_json(msg="path: cannot read %s: %s" % (path, exc.strerror or exc), records=0, complete=False,
                         keyed=False, run_id=None, last_sha256=GENESIS_SHA256, first_bad_line=None, reason=None)
    if result.get("failed"):
        module.fail_json(**result)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
