# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The YAML examples of README.md and docs/docsite/rst/*.rst, with how each is checked.

``tests/e2e/test_doc_examples.py`` reads them at test time (never copies) and runs each against
the CXone sandbox. An example is a YAML code block (rst ``.. code-block:: yaml``, Markdown
```` ```yaml ````); how it runs is said by a marker just before it, a YAML mapping in an rst
comment or an HTML comment (invisible in the rendered page):

.. code-block:: rst

    .. example:
       run: tasks
       assert:
         - stopped.summary.completed == 4

    .. code-block:: yaml

       - name: ...

``<!-- example: {run: playbook, inventory: inventory.yml} -->`` in Markdown. The keys:

``run``
    ``playbook`` (a list of plays, run as written), ``tasks`` (a task list, run as the tasks of
    one play on ``hosts``, default ``cxone``), ``vars`` (a variables file, passed with
    ``-e @<file>`` to ``playbook``), ``inventory`` (an inventory, written as ``file`` for the
    document's other examples; with ``playbook`` that playbook runs against it, else
    ``ansible-inventory`` reads it), ``requirements`` (``ansible-galaxy collection install -r``
    offline: the installed collection must satisfy it), ``excerpt`` (every key of the block has
    the same value in the file ``of``), ``rulebook_vars`` (every top-level key is a variable the
    rulebook ``of`` reads).
``skip``
    The reason the example cannot run here (it needs AWX, say); the test reports it skipped.
``file``
    The name the block is written as (``example.yml``; for ``vars`` and ``inventory`` the name the
    document gives it).
``inventory``
    The inventory file of the run: one of the document's ``run: inventory`` examples, or
    ``tenants.yml`` (the default), the guides' inventory as ``make sandbox`` writes it, whose
    ``group_vars/all.yml`` holds the ``vault_cxone_*`` values and the variables the guides expect
    from an inventory (``team_user_ids``, ...).
``playbook``, ``hosts``, ``extra_vars``, ``check``
    For ``vars`` and ``inventory``: the playbook (a collection playbook's name); for ``tasks``:
    the play's hosts; extra variables of the run; ``--check``.
``env``
    ``credentials``: the demo tenant's ``CXONE_*`` credentials in the environment, for examples
    that say the credentials come from there (``CXONE_ISSUER`` is always set: the sandbox stands in
    for the default issuer).
``setup``
    ``evidence_run``: a recording run with the ``cxone.recording.evidence`` callback first; its
    file and printed hash are the extra variables ``evidence_file`` and ``printed_last_sha256``,
    its key the environment's ``CXONE_EVIDENCE_KEY``.
``rc``, ``output``, ``assert``, ``state``
    What the run must show: its exit code (0), text in its output, Jinja conditions checked by an
    ``ansible.builtin.assert`` play on the example's hosts after it (registered results and facts
    of the example), and ``{user id: {recording, do_not_record, stopped_on_demand}}`` as the
    sandbox ends.

A YAML block without a marker runs as a playbook when it is a list of plays, as ``tasks`` when
it is a list of tasks, and is an error otherwise, so that a new guide's examples are picked up
without changing the test.
"""

from __future__ import annotations

import glob
import os
import re
import textwrap

import yaml

UTILS_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(UTILS_DIR))
DOCUMENTS = ("README.md", "docs/docsite/rst/*.rst")
YAML_LANGUAGES = ("yaml", "yml", "yaml+jinja")
RUN_KINDS = ("playbook", "tasks", "vars", "inventory", "requirements", "excerpt", "rulebook_vars")
MARKER_KEYS = {"name", "run", "skip", "file", "inventory", "playbook", "hosts", "extra_vars", "check", "env", "setup",
               "rc", "output", "assert", "state", "of"}


class Example:  # pylint: disable=too-few-public-methods
    """One YAML block of a document and its marker."""

    def __init__(self, document, line, text, marker):
        self.document = document          # path relative to the repository root
        self.line = line                  # 1-based line of the block's first line of YAML
        self.text = text
        self.marker = dict(marker or {})
        self.marked = marker is not None
        self.data = yaml.safe_load(text) if text.strip() else None
        if "run" not in self.marker and "skip" not in self.marker:
            self.marker["run"] = self._guess()
        self.name = self.marker.get("name") or "%s:%d" % (os.path.basename(document), line)

    def _guess(self):
        data = self.data
        if isinstance(data, list) and data and all(isinstance(item, dict) for item in data):
            if all("hosts" in item or "import_playbook" in item or "ansible.builtin.import_playbook" in item for item in data):
                return "playbook"
            if not any("hosts" in item for item in data):
                return "tasks"
        return None

    @property
    def run(self):
        return self.marker.get("run")

    def problem(self):
        """Why the marker cannot be used, or None."""
        unknown = sorted(set(self.marker) - MARKER_KEYS)
        if unknown:
            return "%s: unknown marker key %s" % (self.where, ", ".join(unknown))
        if "skip" in self.marker:
            return None if isinstance(self.marker["skip"], str) and self.marker["skip"].strip() else \
                "%s: skip needs a reason" % self.where
        if self.run not in RUN_KINDS:
            return ("%s: no marker says how to run this example, and it is neither a list of plays nor a list of "
                    "tasks; add an '.. example:' rst comment (or '<!-- example: ... -->' in Markdown) before it "
                    "(see tests/utils/doc_examples.py)" % self.where)
        if self.run in ("vars",) and not self.marker.get("playbook"):
            return "%s: run: vars needs playbook" % self.where
        if self.run in ("excerpt", "rulebook_vars") and not self.marker.get("of"):
            return "%s: run: %s needs of" % (self.where, self.run)
        return None

    @property
    def where(self):
        return "%s line %d" % (self.document, self.line)

    def how(self):
        """How the example is checked, in words (for the test's list)."""
        if "skip" in self.marker:
            return "skipped: %s" % self.marker["skip"]
        if self.run in ("requirements", "excerpt", "rulebook_vars"):
            return "validated (%s)" % self.run
        return "run + assert (%s)" % self.run


def _marker(text, where):
    text = textwrap.dedent(text).strip()
    if not text:
        return {}
    try:
        marker = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError("%s: the example marker is not YAML: %s" % (where, exc)) from None
    if not isinstance(marker, dict):
        raise ValueError("%s: the example marker must be a mapping" % where)
    return marker


def _rst_examples(document, lines):
    examples, marker, marker_line = [], None, 0
    index = 0
    while index < len(lines):
        line = lines[index]
        match = re.match(r"^(\s*)\.\. example:(.*)$", line)
        if match:
            if marker is not None:
                raise ValueError("%s line %d: an example marker without a YAML block after it" % (document, marker_line))
            marker_line = index + 1
            indent = len(match.group(1))
            body = [match.group(2)]
            index += 1
            while index < len(lines) and (not lines[index].strip() or len(lines[index]) - len(lines[index].lstrip()) > indent):
                if not lines[index].strip() and index + 1 < len(lines) and lines[index + 1].strip() \
                        and len(lines[index + 1]) - len(lines[index + 1].lstrip()) <= indent:
                    break
                body.append(lines[index])
                index += 1
            marker = _marker(body[0].strip() + "\n" + textwrap.dedent("\n".join(body[1:])),
                             "%s line %d" % (document, marker_line))
            continue
        match = re.match(r"^(\s*)\.\. code-block::\s*(\S+)\s*$", line) or re.match(r"^(\s*)\.\. code::\s*(\S+)\s*$", line)
        if match and match.group(2).lower() in YAML_LANGUAGES:
            indent = len(match.group(1))
            index += 1
            # Options of the directive, then the content, indented deeper than the directive.
            while index < len(lines) and re.match(r"^\s+:\w[\w-]*:", lines[index]):
                index += 1
            start = None
            body = []
            while index < len(lines) and (not lines[index].strip() or len(lines[index]) - len(lines[index].lstrip()) > indent):
                if lines[index].strip() and start is None:
                    start = index + 1
                body.append(lines[index])
                index += 1
            examples.append(Example(document, start or index, textwrap.dedent("\n".join(body)).strip("\n") + "\n", marker))
            marker = None
            continue
        index += 1
    if marker is not None:
        raise ValueError("%s line %d: an example marker without a YAML block after it" % (document, marker_line))
    return examples


def _markdown_examples(document, text):
    examples = []
    pattern = re.compile(r"<!--\s*example:(?P<marker>.*?)-->\s*\n|^```(?P<lang>[\w+-]*)[^\n]*\n(?P<body>.*?)^```\s*$",
                         re.S | re.M)
    marker = None
    for match in pattern.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        if match.group("marker") is not None:
            if marker is not None:
                raise ValueError("%s line %d: an example marker without a YAML block after it" % (document, line))
            marker = _marker(match.group("marker"), "%s line %d" % (document, line))
            continue
        if match.group("lang").lower() in YAML_LANGUAGES:
            examples.append(Example(document, line + 1, match.group("body"), marker))
            marker = None
        elif marker is not None:
            raise ValueError("%s line %d: an example marker is followed by a %s block, not YAML"
                             % (document, line, match.group("lang") or "plain"))
    return examples


def documents(root=ROOT):
    """The documents whose examples are checked, relative to ``root``, in a stable order."""
    found = []
    for pattern in DOCUMENTS:
        found.extend(sorted(glob.glob(os.path.join(root, pattern))))
    return [os.path.relpath(path, root) for path in found]


def examples(root=ROOT):
    """Every YAML example of the documents, in document order."""
    found = []
    for document in documents(root):
        with open(os.path.join(root, document), encoding="utf-8") as stream:
            text = stream.read()
        if document.endswith(".md"):
            found.extend(_markdown_examples(document, text))
        else:
            found.extend(_rst_examples(document, text.splitlines()))
    return found
