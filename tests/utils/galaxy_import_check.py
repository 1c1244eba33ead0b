# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Run galaxy-importer on a built collection tarball and fail on any error or warning it reports.

galaxy-importer is what Galaxy and Automation Hub run on an upload (metadata, ansible-doc of every
plugin, flake8, ansible-lint, README and changelog checks). It exits 0 after many findings that
the servers would show as warnings, and it writes ``importer_result.json`` into its working
directory; so this script runs it in ``--output-dir``, keeps its log there and reads both.

Run with the Python of the venv holding galaxy-importer (its bin/ goes first on PATH, for the
ansible-doc and ansible-lint it calls); GALAXY_IMPORTER_CONFIG names the settings file.

Usage: ``python tests/utils/galaxy_import_check.py --output-dir .build/importer TARBALL``
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys

# galaxy-importer's log formatter prints INFO lines bare and the other levels as "LEVEL: message".
FINDING = re.compile(r"^(?P<level>WARNING|ERROR|CRITICAL): (?P<message>.*)$")
SUCCESS_LINE = "Importer processing completed successfully"


def run_importer(tarball: str, output_dir: str) -> tuple[int, list[str]]:
    """Run galaxy-importer in ``output_dir``, save its log there and return (exit code, log lines)."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])
    completed = subprocess.run(
        [sys.executable, "-m", "galaxy_importer.main", os.path.abspath(tarball)],
        cwd=output_dir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False,
    )
    with open(os.path.join(output_dir, "importer.log"), "w", encoding="utf-8") as log:
        log.write(completed.stdout)
    return completed.returncode, completed.stdout.splitlines()


def main() -> int:
    """Import the tarball, print a summary and return 1 on any error, warning or missing result."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tarball", help="collection tarball built by ansible-galaxy collection build")
    parser.add_argument("--output-dir", required=True, help="where importer_result.json and importer.log go")
    options = parser.parse_args()

    if not os.environ.get("GALAXY_IMPORTER_CONFIG"):
        print("ERROR: GALAXY_IMPORTER_CONFIG is not set: galaxy-importer would use its defaults")
        return 1
    os.makedirs(options.output_dir, exist_ok=True)
    result_path = os.path.join(options.output_dir, "importer_result.json")
    if os.path.exists(result_path):
        os.remove(result_path)

    returncode, lines = run_importer(options.tarball, options.output_dir)
    findings = [match for match in map(FINDING.match, lines) if match]
    errors = [match["message"] for match in findings if match["level"] != "WARNING"]
    warnings = [match["message"] for match in findings if match["level"] == "WARNING"]
    problems = []
    if returncode != 0:
        problems.append(f"galaxy-importer exited {returncode}")
    if SUCCESS_LINE not in lines:
        problems.append(f"galaxy-importer did not report {SUCCESS_LINE!r}")

    contents = []
    if os.path.exists(result_path):
        with open(result_path, encoding="utf-8") as handle:
            result = json.load(handle)
        contents = [f"{item['content_type']} {item['name']}" for item in result.get("contents", [])]
        print(f"galaxy-importer: {result['metadata']['namespace']}.{result['metadata']['name']} "
              f"{result['metadata']['version']}, requires_ansible {result.get('requires_ansible')}, "
              f"{len(contents)} content items: {', '.join(contents)}")
    else:
        problems.append(f"galaxy-importer wrote no {result_path}")

    for message in errors:
        print(f"galaxy-importer ERROR: {message}")
    for message in warnings:
        print(f"galaxy-importer WARNING: {message}")
    print(f"galaxy-importer summary: {len(errors)} errors, {len(warnings)} warnings "
          f"(log: {os.path.join(options.output_dir, 'importer.log')})")
    for problem in problems:
        print(f"ERROR: {problem}")
    return 1 if errors or warnings or problems else 0


if __name__ == "__main__":
    sys.exit(main())
