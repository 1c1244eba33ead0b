# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Check the documentation: every guide is listed, and the built site has a page for all content.

Two checks, each printing what is missing:

* ``--extra-docs``: every ``docs/docsite/rst/*.rst`` is listed in ``docs/docsite/extra-docs.yml``
  (antsibull-docs publishes only the guides listed there) and every listed guide exists.
* ``--site``: the built HTML site holds a page for every plugin, module and role that
  ``ansible-doc --list cxone.recording --json`` reports per type, and for every Event-Driven
  Ansible plugin under ``extensions/eda/plugins`` (pages named as antsibull-docs names them), and
  for every guide that extra-docs.yml lists.

Usage: ``python tests/utils/docs_check.py --extra-docs docs/docsite``;
``python tests/utils/docs_check.py --site .build/docs/html --collection-root DIR`` (ansible-doc
from PATH, the collection found through ANSIBLE_COLLECTIONS_PATH).
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import json
import os
import subprocess
import sys

import yaml

COLLECTION = "cxone.recording"
SITE_PAGES = os.path.join("collections", "cxone", "recording")


def listed_guides(docsite: str) -> list[str]:
    """Return the guide names that extra-docs.yml lists (toctree entries without .rst)."""
    with open(os.path.join(docsite, "extra-docs.yml"), encoding="utf-8") as handle:
        extra_docs = yaml.safe_load(handle) or {}
    names = []
    for section in extra_docs.get("sections") or []:
        for entry in section.get("toctree") or []:
            names.append(entry["ref"] if isinstance(entry, dict) else entry)
    return names


def check_extra_docs(docsite: str) -> list[str]:
    """Return one problem per guide that is not listed or listed without a file."""
    rst_dir = os.path.join(docsite, "rst")
    files = os.listdir(rst_dir) if os.path.isdir(rst_dir) else []
    present = sorted(name[:-4] for name in files if name.endswith(".rst"))
    listed = listed_guides(docsite)
    problems = [f"{rst_dir}/{name}.rst is not listed in {docsite}/extra-docs.yml: add '- {name}' to a section's toctree"
                for name in present if name not in listed]
    problems += [f"{docsite}/extra-docs.yml lists {name!r}, but {rst_dir}/{name}.rst does not exist"
                 for name in listed if name not in present]
    print(f"extra-docs.yml lists {len(listed)} guides; docs/docsite/rst holds {len(present)}")
    return problems


def documentable_types() -> list[str]:
    """Return the content types ansible-doc documents (plugin types and roles, not playbook keywords)."""
    output = subprocess.run(["ansible-doc", "--help"], check=True, stdout=subprocess.PIPE, text=True).stdout
    # The help text lists the choices of -t as {become,cache,...}.
    start = output.index("{", output.index("-t {"))
    return [name for name in output[start + 1:output.index("}", start)].split(",") if name != "keyword"]


def ansible_doc_list(plugin_type: str) -> list[str]:
    """Return the short names of the collection's content of one type, as ansible-doc lists them."""
    completed = subprocess.run(["ansible-doc", "-t", plugin_type, "--list", COLLECTION, "--json"],
                               check=False, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if completed.returncode != 0:
        raise RuntimeError(f"ansible-doc -t {plugin_type} --list failed: {completed.stderr.strip()}")
    listing = json.loads(completed.stdout or "{}")
    return sorted(name.split(".")[-1] for name in listing if name.startswith(COLLECTION + "."))


def check_site(html_dir: str, collection_root: str, docsite: str) -> list[str]:
    """Return one problem per piece of content or guide that has no page in the built site."""
    types = documentable_types()
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        listings = dict(zip(types, pool.map(ansible_doc_list, types)))
    expected = [(plugin_type, name) for plugin_type, names in listings.items() for name in names]
    for kind in ("event_source", "event_filter"):
        folder = os.path.join(collection_root, "extensions", "eda", "plugins", kind)
        if os.path.isdir(folder):
            expected += [(kind, name[:-3]) for name in sorted(os.listdir(folder))
                         if name.endswith(".py") and not name.startswith("_")]
    problems = []
    for plugin_type, name in expected:
        page = os.path.join(html_dir, SITE_PAGES, f"{name}_{plugin_type}.html")
        if not os.path.isfile(page):
            problems.append(f"no page for {plugin_type} {COLLECTION}.{name}: {page} is missing")
    for guide in listed_guides(docsite):
        page = os.path.join(html_dir, SITE_PAGES, "docsite", f"{guide}.html")
        if not os.path.isfile(page):
            problems.append(f"no page for the guide {guide}: {page} is missing")
    per_type = collections.Counter(plugin_type for plugin_type, name in expected)
    counts = ", ".join(f"{plugin_type} {count}" for plugin_type, count in sorted(per_type.items()))
    html_pages = sum(1 for folder, subfolders, files in os.walk(html_dir) for name in files if name.endswith(".html"))
    print(f"documentation site {html_dir}: {html_pages} HTML pages; content with a page "
          f"expected: {len(expected)} ({counts}) and {len(listed_guides(docsite))} guides, missing: {len(problems)}")
    return problems


def main() -> int:
    """Run the requested checks and return 1 when any problem was found."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extra-docs", metavar="DOCSITE", help="the docs/docsite folder to check")
    parser.add_argument("--site", metavar="HTML_DIR", help="the built HTML site to check")
    parser.add_argument("--collection-root", default=".", help="the collection's root (for EDA plugins)")
    parser.add_argument("--docsite", default="docs/docsite", help="the docs/docsite folder (for --site's guides)")
    options = parser.parse_args()
    if not options.extra_docs and not options.site:
        parser.error("give --extra-docs, --site or both")

    problems = []
    if options.extra_docs:
        problems += check_extra_docs(options.extra_docs)
    if options.site:
        problems += check_site(options.site, options.collection_root, options.docsite)
    for problem in problems:
        print(f"ERROR: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
