#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cxone_evidence_verify
short_description: Check that an evidence file of cxone.recording was not edited
version_added: 1.0.0
description:
  - Reads an evidence file written by the callback plugin P(cxone.recording.evidence#callback)
    line by line and recomputes its SHA-256 chain. The task fails naming the first line that
    does not match and why - V(bad JSON), V(wrong prev_sha256), V(wrong sha256) or
    V(incomplete line) (a last line cut while being written).
  - The file is streamed, never read whole, so any size can be checked.
  - >-
    B(The rule, for checking a file with other tools.) Each line is one JSON object followed by
    a line feed. Its values are strings, integers, booleans or null (never a floating-point
    number). Its canonical form is the object B(without its C(sha256) key), serialized with
    keys sorted by Unicode code point, no whitespace between tokens (separators C(,) and C(:)),
    non-ASCII characters written as themselves (not C(\\uXXXX) escapes) and the whole encoded
    as UTF-8, which is Python's
    C(json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")).
    C(sha256) is the lowercase hexadecimal SHA-256 of that canonical form (C(prev_sha256) is
    part of it). C(prev_sha256) is the previous line's C(sha256), and 64 zeros on the first line.
    The order of the keys in the file does not matter.
  - The chain shows that no line was changed, removed, inserted or reordered B(before) the last
    one. Whoever can write the file can also recompute a whole new chain, or drop lines from its
    end; at the end of each run the callback prints the file's last C(sha256) and its number of
    records in the job's output; keep that elsewhere (for example in the AWX job's output) and
    give it as O(expected_last_sha256).
author:
  - cxone.recording contributors (@cxone-recording)
options:
  path:
    description: The evidence file (C(cxone-evidence-*.jsonl)) to check, on the host the task runs on.
    type: path
    required: true
  expected_last_sha256:
    description:
      - The C(sha256) of the file's last line as printed at the end of the run that wrote it.
      - When given, the task also fails if the intact chain ends with another value (lines
        removed from its end, lines added after it, or a chain rewritten as a whole).
    type: str
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: The module only reads; in check mode it reads and checks the file all the same.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: none
notes:
  - An empty file is an intact chain of 0 records. The callback never leaves one.
seealso:
  - plugin: cxone.recording.evidence
    plugin_type: callback
"""

EXAMPLES = r"""
- name: Check the evidence of last night's run
  cxone.recording.cxone_evidence_verify:
    path: /var/lib/cxone-evidence/cxone-evidence-20261127T021500Z-4f9c0e2a7b1d4e8f9a0b1c2d3e4f5a6b.jsonl
    expected_last_sha256: "{{ anchored_sha256 }}"
  register: evidence
  delegate_to: localhost

- name: Say how many records were checked
  ansible.builtin.debug:
    msg: "{{ evidence.records }} records, intact"

# The same check by hand, in Python 3 (no collection needed):
#
#   import hashlib, json, sys
#   prev = "0" * 64
#   for number, line in enumerate(open(sys.argv[1], "rb"), 1):
#       record = json.loads(line)
#       given = record.pop("sha256")
#       canonical = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
#       assert line.endswith(b"\n") and record["prev_sha256"] == prev, "line %d: wrong prev_sha256" % number
#       assert hashlib.sha256(canonical).hexdigest() == given, "line %d: wrong sha256" % number
#       prev = given
#   print("intact, last sha256", prev)
#
# Or with jq and sha256sum, line by line (jq -S sorts keys, -c drops spaces, -j ends without a
# line feed; jq writes the character DEL (U+007F) as an escape where Python does not, so an
# intact line holding it fails this shortcut):
#
#   prev=$(printf '0%.0s' $(seq 64)); n=0
#   while IFS= read -r line; do n=$((n+1))
#     [ "$(jq -r .prev_sha256 <<<"$line")" = "$prev" ] || { echo "line $n: wrong prev_sha256"; break; }
#     sum=$(jq -cjS 'del(.sha256)' <<<"$line" | sha256sum | cut -d' ' -f1)
#     [ "$(jq -r .sha256 <<<"$line")" = "$sum" ] || { echo "line $n: wrong sha256"; break; }
#     prev=$sum
#   done < cxone-evidence.jsonl
"""

RETURN = r"""
records:
  description: How many lines verified; when the chain is broken, the lines before the first bad one.
  returned: always
  type: int
  sample: 42
first_bad_line:
  description: The number (from 1) of the first line that does not verify, or null when the chain is intact.
  returned: always
  type: int
  sample: null
reason:
  description: >-
    Why that line does not verify - V(bad JSON), V(wrong prev_sha256), V(wrong sha256) or
    V(incomplete line) - or null when the chain is intact.
  returned: always
  type: str
  sample: null
last_sha256:
  description: The C(sha256) of the last line that verified (64 zeros for none).
  returned: always
  type: str
  sample: 9b1c0e8d2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.cxone.recording.plugins.module_utils._evidence import (
    GENESIS_SHA256,
    BadLine,
    verify_lines,
)


def verify_file(path, expected_last_sha256=None):
    """The module's result for the file at ``path``: intact or the first bad line."""
    checked = {"records": 0, "first_bad_line": None, "reason": None, "last_sha256": GENESIS_SHA256}
    with open(path, "rb") as stream:
        try:
            checked["records"], checked["last_sha256"] = verify_lines(stream)
        except BadLine as bad:
            checked.update(records=bad.line_number - 1, first_bad_line=bad.line_number, reason=bad.reason,
                           failed=True, msg="%s: %s" % (path, bad))
            return checked
    if expected_last_sha256 is not None and checked["last_sha256"] != expected_last_sha256.strip().lower():
        checked.update(failed=True, msg="%s: the chain of %d records ends with sha256 %s, not the expected %s: lines "
                       "were removed from its end or added after it, or the file was rewritten"
                       % (path, checked["records"], checked["last_sha256"], expected_last_sha256))
    else:
        checked["msg"] = "%s: %d records, chain intact" % (path, checked["records"])
    return checked


def main():
    module = AnsibleModule(
        argument_spec={"path": {"type": "path", "required": True},
                       "expected_last_sha256": {"type": "str"}},
        supports_check_mode=True,
    )
    path = module.params["path"]
    try:
        result = verify_file(path, module.params["expected_last_sha256"])
    except OSError as exc:
        module.fail_json(msg="path: cannot read %s: %s" % (path, exc.strerror or exc), records=0,
                         first_bad_line=None, reason=None, last_sha256=GENESIS_SHA256)
    if result.get("failed"):
        module.fail_json(**result)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
