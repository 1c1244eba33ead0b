# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Check that the claimed, the documented and the tested ansible-core range say the same.

Three places state the supported range: ``requires_ansible`` in meta/runtime.yml (what
ansible-galaxy and Galaxy enforce), the "Support matrix" table of README.md (what users read) and
the requirement files of the test venvs with the controller Python each one is built with (what
`make test` runs). This script fails when the oldest tested ansible-core is not the minimum that
``requires_ansible`` claims, or when a tested ansible-core and Python are not a row of the table.

Usage: ``python tests/utils/check_support_matrix.py --oldest FILE:PYTHON --tested FILE:PYTHON ...``
(FILE a pip requirements file pinning ansible-core, PYTHON the venv's major.minor version).
"""

from __future__ import annotations

import argparse
import re
import sys

import yaml

PIN = re.compile(r"^ansible-core==(?P<major_minor>\d+\.\d+)\.", re.MULTILINE)
MINIMUM = re.compile(r">=\s*(?P<major_minor>\d+\.\d+)")


def pinned_core(requirements: str) -> str:
    """Return the major.minor of the ansible-core that a requirements file pins."""
    with open(requirements, encoding="utf-8") as handle:
        match = PIN.search(handle.read())
    if not match:
        raise SystemExit(f"ERROR: {requirements} pins no ansible-core==X.Y.Z")
    return match["major_minor"]


def support_matrix_rows(readme: str) -> list[list[str]]:
    """Return the cells of each row of the table under README.md's "Support matrix" heading."""
    with open(readme, encoding="utf-8") as handle:
        text = handle.read()
    section = text.split("## Support matrix", 1)[1].split("\n## ", 1)[0] if "## Support matrix" in text else ""
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")]
            for line in section.splitlines() if line.lstrip().startswith("|")]
    return rows[2:]  # after the header and the --- line


def main() -> int:
    """Compare the three statements of the range; print each disagreement and return 1 on any."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runtime", default="meta/runtime.yml")
    parser.add_argument("--readme", default="README.md")
    parser.add_argument("--oldest", required=True, metavar="FILE:PYTHON", help="the oldest tested core's venv")
    parser.add_argument("--tested", action="append", default=[], metavar="FILE:PYTHON",
                        help="another tested core's venv")
    options = parser.parse_args()

    with open(options.runtime, encoding="utf-8") as handle:
        requires_ansible = yaml.safe_load(handle).get("requires_ansible", "")
    minimum = MINIMUM.search(requires_ansible)
    rows = support_matrix_rows(options.readme)
    problems = []

    tested = []
    for spec in [options.oldest] + options.tested:
        requirements, python = spec.rsplit(":", 1)
        tested.append((requirements, pinned_core(requirements), python))
    oldest_core = tested[0][1]
    if not minimum or minimum["major_minor"] != oldest_core:
        problems.append(f"{options.runtime} requires_ansible {requires_ansible!r}, but the oldest tested "
                        f"ansible-core is {oldest_core} ({tested[0][0]})")
    for requirements, core, python in tested:
        documented = [row for row in rows if len(row) > 1 and row[0].split()[0] == core]
        if not any(python in row[1].replace(",", " ").split() for row in documented):
            problems.append(f"README.md's support matrix has no row for ansible-core {core} with Python {python} "
                            f"(tested through {requirements})")
    tested_cores = {core for requirements, core, python in tested}
    for row in rows:
        if row and row[0].split()[0] not in tested_cores:
            problems.append(f"README.md's support matrix lists ansible-core {row[0]!r}, which no test venv runs")

    for problem in problems:
        print(f"ERROR: {problem}")
    print(f"supported range: requires_ansible {requires_ansible!r}; tested "
          + ", ".join(f"ansible-core {core} on Python {python}" for requirements, core, python in tested)
          + f"; README.md's support matrix has {len(rows)} rows")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
