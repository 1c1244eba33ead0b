# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""``make sandbox``: the CXone sandbox with the demo tenant, in the foreground, for your own playbooks.

Starts the sandbox (``tests/sandbox``) on 127.0.0.1 (issuer port 8765 unless ``--port`` says
otherwise; the API origin on a free port, found by discovery as against CXone) with the demo tenant
of ``tests/sandbox/demo.json``, writes what a playbook needs to reach it into ``--output-dir``
(default ``.build/sandbox``), prints the URL and the credentials environment, and runs until
Ctrl-C (or SIGTERM):

- ``inventory.yml``: one ``cxone.recording.cxone_api`` host, ``sandbox``, in the group ``cxone``,
  with the demo tenant's issuer and credentials written out;
- ``tenants.yml``: the inventory of the guides as they write it (host ``tenant_emea`` in the group
  ``cxone``, credentials from ``vault_cxone_*`` variables), so that their commands
  (``ansible-playbook -i tenants.yml ...``) run as written from that folder;
- ``group_vars/all.yml``: what a vault would hold for those inventories (``vault_cxone_*``,
  ``cxone_issuer``) and the variables the guides' examples expect from an inventory
  (``team_user_ids``, ... from ``_guide_vars`` of demo.json);
- ``env``: ``export CXONE_*=...`` lines for ``connection: local`` plays, the implicit localhost
  and ansible-rulebook (``source .build/sandbox/env``).

The end-to-end test of the documentation's examples writes the same files with
``write_sandbox_files`` for its own sandbox.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# pylint: disable=wrong-import-position
import yaml  # noqa: E402

# The demo's own reading of demo.json (this folder is on the path: the script's, or the importer's);
# importing it makes the sandbox package importable too.
from run_demo import credentials, load_demo_config  # noqa: E402  pylint: disable=import-error

DEFAULT_OUTPUT_DIR = os.path.join(ROOT, ".build", "sandbox")
DEFAULT_PORT = 8765
# The host name of the guides' tenants.yml.
GUIDES_HOST = "tenant_emea"
SANDBOX_HOST = "sandbox"
VAULT_VARS = ("vault_cxone_client_id", "vault_cxone_client_secret", "vault_cxone_access_key_id",
              "vault_cxone_access_key_secret")


def guide_vars(config):
    """The variables the documentation's examples expect from an inventory (demo.json's ``_guide_vars``)."""
    return {name: value for name, value in config.get("_guide_vars", {}).items() if not name.startswith("_")}


def environment(issuer, tenant):
    """The ``CXONE_*`` variables of the demo tenant (what an AWX credential would inject)."""
    values = {"CXONE_ISSUER": issuer}
    values.update(("CXONE_" + name.upper(), value) for name, value in credentials(tenant).items())
    return values


def _write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
        stream.write(text)
    return path


def _yaml(data):
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False)


def write_sandbox_files(output_dir, issuer, config, tenant):
    """Write inventory.yml, tenants.yml, group_vars/all.yml and env for a sandbox at ``issuer``; returns their paths."""
    creds = credentials(tenant)
    header = "# Written by make sandbox for the CXone sandbox at %s (the demo tenant of tests/sandbox/demo.json).\n" % issuer
    host = {"ansible_connection": "cxone.recording.cxone_api", "cxone_issuer": issuer}
    host.update(("cxone_" + name, value) for name, value in creds.items())
    inventory = {"all": {"children": {"cxone": {"hosts": {SANDBOX_HOST: host}}}}}
    guides_host = {"ansible_connection": "cxone.recording.cxone_api"}
    guides_host.update(("cxone_" + name, "{{ vault_cxone_%s }}" % name) for name in creds)
    tenants = {"all": {"children": {"cxone": {"hosts": {GUIDES_HOST: guides_host}}}}}
    group_vars = {"cxone_issuer": issuer}
    group_vars.update(("vault_cxone_" + name, value) for name, value in creds.items())
    group_vars.update(guide_vars(config))
    env_lines = ["export %s=%s" % (name, shlex.quote(value)) for name, value in environment(issuer, tenant).items()]
    return {
        "inventory": _write(os.path.join(output_dir, "inventory.yml"), header + _yaml(inventory)),
        "tenants": _write(os.path.join(output_dir, "tenants.yml"),
                          header + "# The guides' tenants.yml; the vault_cxone_* values are in group_vars/all.yml.\n"
                          + _yaml(tenants)),
        "group_vars": _write(os.path.join(output_dir, "group_vars", "all.yml"),
                             header + "# What a vault would hold, and the variables the guides' examples expect.\n"
                             + _yaml(group_vars)),
        "env": _write(os.path.join(output_dir, "env"), header + "\n".join(env_lines) + "\n"),
    }


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Run the CXone sandbox with the demo tenant until Ctrl-C.")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="issuer port (default %d; 0: a free one)" % DEFAULT_PORT)
    parser.add_argument("--output-dir", default=DEFAULT_OUTPUT_DIR, help="where the inventories go (default .build/sandbox)")
    parser.add_argument("--verbose", action="store_true", help="print every request the sandbox answers")
    return parser.parse_args(argv)


def _shown(path):
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def main(argv=None):
    from cxone_sandbox import SandboxServer  # pylint: disable=import-outside-toplevel,import-error

    args = parse_args(argv)
    config, tenant = load_demo_config()
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda _signum, _frame: stop.set())
    try:
        server = SandboxServer(config, host="127.0.0.1", port=args.port,
                               log_stream=sys.stderr if args.verbose else None)
        server.start()
    except OSError as error:
        print("sandbox: ERROR: cannot listen on 127.0.0.1:%d (%s); try make sandbox SANDBOX_PORT=0 for a free port"
              % (args.port, error.strerror or error), file=sys.stderr)
        return 1
    try:
        files = write_sandbox_files(args.output_dir, server.url, config, tenant)
        output_dir = _shown(args.output_dir)
        print("CXone sandbox listening on %s (API origin %s), demo tenant %s" % (server.url, server.api_url, tenant["tenant_id"]))
        print("\nCredentials environment (for connection: local and the implicit localhost), also in %s:" % _shown(files["env"]))
        for name, value in environment(server.url, tenant).items():
            print("  export %s=%s" % (name, shlex.quote(value)))
        print("\nInventories written to %s/:" % output_dir)
        print("  inventory.yml     host %s (group cxone), cxone_api connection, credentials written out" % SANDBOX_HOST)
        print("  tenants.yml       the guides' tenants.yml (host %s); its vault_cxone_* values and the guides'" % GUIDES_HOST)
        print("                    example variables (team_user_ids, ...) are in group_vars/all.yml")
        print("\nIn another terminal (make shell, or: source .build/env):")
        print("  cd %s" % output_dir)
        print("  ansible-playbook -i tenants.yml cxone.recording.stop_recording -e user_ids=3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d")
        print("  curl -s %s/_sandbox/state     # what CXone would have done" % server.url)
        print("\nThe sandbox runs until Ctrl-C.", flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
    print("\nsandbox: stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
