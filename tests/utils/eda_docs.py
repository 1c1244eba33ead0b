# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Write a documentation page for each Event-Driven Ansible plugin of the collection.

antsibull-docs documents what ansible-doc knows (modules, plugins, roles); the event sources and
event filters under ``extensions/eda/plugins/`` are loaded by ansible-rulebook instead, so their
pages are written here, in the same place and with the same file naming as antsibull-docs'
(``<name>_event_source.rst`` beside the other pages, plus ``index_event_source.rst``).

A plugin documents itself the way ansible-rulebook's own plugins do: ``DOCUMENTATION`` and
``EXAMPLES`` strings holding YAML (``short_description``, ``description``, ``options``, with
Ansible's markup such as ``C()`` and ``O()``), read here with ``ast`` so that the plugin is never
imported. Without them the module docstring is the page. Run it with the Python of .venv-release
(antsibull-docs-parser renders the markup).

Usage: ``python tests/utils/eda_docs.py --collection-root DIR --dest-dir DIR --index-dir DIR``
"""

from __future__ import annotations

import argparse
import ast
import os
import sys

import yaml
from antsibull_docs_parser.parser import Context, parse
from antsibull_docs_parser.rst import to_rst_plain

COLLECTION = "cxone.recording"
# Folder under extensions/eda/plugins/ -> (page suffix, title of the kind).
KINDS = {
    "event_source": ("event_source", "Event Source"),
    "event_filter": ("event_filter", "Event Filter"),
}


def eda_plugins(collection_root: str) -> dict[str, list[str]]:
    """Return the plugin names per folder kind found under ``extensions/eda/plugins``."""
    found = {}
    for kind in KINDS:
        folder = os.path.join(collection_root, "extensions", "eda", "plugins", kind)
        if os.path.isdir(folder):
            found[kind] = sorted(
                name[:-3] for name in os.listdir(folder) if name.endswith(".py") and not name.startswith("_")
            )
    return found


def read_documentation(path: str) -> tuple[dict, str, str]:
    """Return (DOCUMENTATION as a dict, EXAMPLES text, module docstring) of the plugin at ``path``."""
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read(), filename=path)
    strings = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    strings[target.id] = node.value.value
    documentation = yaml.safe_load(strings["DOCUMENTATION"]) if "DOCUMENTATION" in strings else {}
    return documentation or {}, strings.get("EXAMPLES", "").strip(), ast.get_docstring(tree) or ""


def as_lines(value) -> list[str]:
    """Return a description (a string or a list of paragraphs) as RST paragraphs, Ansible markup rendered."""
    if value is None:
        return []
    paragraphs = [str(item) for item in value] if isinstance(value, list) else [str(value)]
    return [to_rst_plain(parse(paragraph, Context())) for paragraph in paragraphs]


def heading(text: str, underline: str) -> list[str]:
    """Return an RST section title."""
    return [text, underline * len(text), ""]


def indent(text: str, prefix: str = "   ") -> list[str]:
    """Return ``text`` indented for an RST directive body."""
    return [prefix + line if line.strip() else "" for line in text.splitlines()]


def render_page(kind: str, name: str, path: str) -> str:
    """Return the RST page of one EDA plugin."""
    suffix, kind_title = KINDS[kind]
    documentation, examples, docstring = read_documentation(path)
    short = documentation.get("short_description") or (docstring.splitlines()[0] if docstring else "")
    lines = [f".. _ansible_collections.{COLLECTION}.{name}_{suffix}:", ""]
    lines += heading(f"{COLLECTION}.{name} {kind_title.lower()}" + (f" -- {short}" if short else ""), "=")
    lines += [f"{kind_title} of the ``{COLLECTION}`` collection for ansible-rulebook: "
              f"``source: {COLLECTION}.{name}`` in a rulebook.", ""]
    lines += heading("Synopsis", "-")
    paragraphs = as_lines(documentation.get("description")) or [docstring or short]
    for paragraph in paragraphs:
        lines += [paragraph, ""]
    options = documentation.get("options") or {}
    if options:
        lines += heading("Parameters", "-")
        lines += [".. list-table::", "   :header-rows: 1", "   :widths: 20 15 65", "",
                  "   * - Parameter", "     - Type / default", "     - Comments"]
        for option, spec in sorted(options.items()):
            spec = spec or {}
            kind_line = spec.get("type", "str") + (", required" if spec.get("required") else "")
            if "default" in spec:
                kind_line += f", default ``{spec['default']!r}``"
            comments = " ".join(as_lines(spec.get("description"))) or "-"
            lines += [f"   * - ``{option}``", f"     - {kind_line}", f"     - {comments}"]
        lines.append("")
    if examples:
        lines += heading("Examples", "-")
        lines += [".. code-block:: yaml", ""] + indent(examples) + [""]
    return "\n".join(lines)


def render_index(kind: str, names: list[str]) -> str:
    """Return the RST index page of one EDA plugin kind."""
    suffix, kind_title = KINDS[kind]
    lines = [f".. _list_of_{suffix}_plugins:", ""]
    lines += heading(f"Index of all {kind_title} Plugins", "=")
    lines += heading(COLLECTION, "-")
    lines += [f"* :ref:`{COLLECTION}.{name} <ansible_collections.{COLLECTION}.{name}_{suffix}>`" for name in names]
    lines += ["", ".. toctree::", "   :hidden:", ""]
    lines += [f"   cxone/recording/{name}_{suffix}" for name in names]
    return "\n".join(lines) + "\n"


def main() -> int:
    """Write the pages and indexes; print what was written."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--collection-root", required=True, help="the collection's root folder")
    parser.add_argument("--dest-dir", required=True, help="folder of the collection's plugin pages")
    parser.add_argument("--index-dir", required=True, help="folder of the plugin indexes (index_<type>.rst)")
    options = parser.parse_args()

    written = 0
    for kind, names in eda_plugins(options.collection_root).items():
        if not names:
            continue
        suffix = KINDS[kind][0]
        for name in names:
            path = os.path.join(options.collection_root, "extensions", "eda", "plugins", kind, name + ".py")
            with open(os.path.join(options.dest_dir, f"{name}_{suffix}.rst"), "w", encoding="utf-8") as page:
                page.write(render_page(kind, name, path))
            written += 1
        with open(os.path.join(options.index_dir, f"index_{suffix}.rst"), "w", encoding="utf-8") as index:
            index.write(render_index(kind, names))
    print(f"wrote {written} Event-Driven Ansible plugin pages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
