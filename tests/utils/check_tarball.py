# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Refuse a built collection tarball that carries files a user should not download.

``ansible-galaxy collection build`` packs everything that ``build_ignore`` in galaxy.yml does not
exclude, so a cache, a virtual environment or test output left in the checkout would be published.
Two lists decide: the top-level entries a release may hold, and patterns that are wrong at any depth.

Usage: ``python tests/utils/check_tarball.py .build/dist/cxone-recording-1.0.0.tar.gz``
"""

from __future__ import annotations

import argparse
import fnmatch
import sys
import tarfile

# What a release of this collection consists of (FILES.json and MANIFEST.json are written by the build).
ALLOWED_TOP_LEVEL = frozenset({
    "CHANGELOG.rst",
    "CONTRIBUTING.md",
    "FILES.json",
    "LICENSE",
    "MANIFEST.json",
    "README.md",
    "changelogs",
    "docs",
    "extensions",
    "meta",
    "playbooks",
    "plugins",
    "requirements.txt",
    "roles",
    "tests",
})

# Development leftovers, matched against every path component (or, with a slash, the whole path).
DENIED_PATTERNS = (
    ".ansible",
    ".build",
    ".cache",
    ".coverage",
    ".git",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".tox",
    ".venv*",
    "__pycache__",
    "*.pyc",
    "*.pyo",
    "*.tar.gz",
    "*.log",
    "importer_result.json",
    "bench",
    "benchmark*",
    "tests/output",
    "docs/site",
)


def offending_reason(path: str) -> str | None:
    """Return why ``path`` (relative to the tarball root) must not ship, or None when it may."""
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if not parts:
        return None
    if parts[0] not in ALLOWED_TOP_LEVEL:
        return f"top-level entry {parts[0]!r} is not in the allow-list"
    for pattern in DENIED_PATTERNS:
        if "/" in pattern:
            if "/".join(parts) == pattern or "/".join(parts).startswith(pattern + "/"):
                return f"matches {pattern!r}"
        elif any(fnmatch.fnmatchcase(part, pattern) for part in parts):
            return f"matches {pattern!r}"
    return None


def main() -> int:
    """List the tarball, print each offending member and return 1 when there is any."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tarball", help="collection tarball built by ansible-galaxy collection build")
    options = parser.parse_args()

    with tarfile.open(options.tarball, "r:gz") as archive:
        names = archive.getnames()

    offending = [(name, reason) for name in names if (reason := offending_reason(name))]
    for name, reason in offending:
        print(f"stray file in {options.tarball}: {name} ({reason})")
    if offending:
        print(f"ERROR: {len(offending)} of {len(names)} entries must not ship; extend build_ignore in galaxy.yml")
        return 1
    print(f"tarball contents: {len(names)} entries, none outside the allow-list or matching the deny-list")
    return 0


if __name__ == "__main__":
    sys.exit(main())
