# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Command line: ``python -m cxone_sandbox --config demo.json --port 0 --url-file /tmp/x/url [--tls --cert-dir DIR]``.

The URL file is written (atomically) only once the server accepts connections, so a
script can wait for the file to appear and then use it.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import threading

from .model import ModelError
from .server import SandboxServer


def _parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m cxone_sandbox", description="A NICE CXone Record on Demand sandbox for tests.")
    parser.add_argument("--config", help="JSON configuration file (default: an empty model)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port of the issuer origin (default 0: any free port)")
    parser.add_argument("--api-port", type=int, default=0, help="port of the API origin (default 0: any free port)")
    parser.add_argument("--url-file", help="write the base URL here once listening")
    parser.add_argument("--tls", action="store_true", help="serve HTTPS with a fresh self-signed certificate")
    parser.add_argument("--cert-dir", help="where --tls writes cert.pem and key.pem (default: a new temporary directory)")
    parser.add_argument("--log-file", help="append one line per HTTP request to this file")
    parser.add_argument("--verbose", action="store_true", help="one line per HTTP request on stderr")
    return parser.parse_args(argv)


def write_atomically(path, text):
    """Write to a temporary file beside ``path`` and rename it, so readers never see half a file."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def main(argv=None):
    args = _parse_args(argv)
    config = None
    if args.config:
        try:
            with open(args.config, encoding="utf-8") as stream:
                config = json.load(stream)
        except (OSError, ValueError) as error:
            sys.stderr.write("cxone_sandbox: cannot read %s: %s\n" % (args.config, error))
            return 2
    log_stream = None
    if args.log_file:
        log_stream = open(args.log_file, "a", encoding="utf-8")  # pylint: disable=consider-using-with  # open for the server's life
    elif args.verbose:
        log_stream = sys.stderr
    cert_dir = args.cert_dir
    if args.tls and cert_dir is None:
        cert_dir = tempfile.mkdtemp(prefix="cxone-sandbox-tls-")
    server = SandboxServer(config, host=args.host, port=args.port, tls_dir=cert_dir if args.tls else None, log_stream=log_stream,
                           api_port=args.api_port)
    stopping = threading.Event()

    def _stop(_signum, _frame):
        stopping.set()

    # Installed before starting, so that a SIGTERM arriving during start-up still stops cleanly.
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        server.start()
    except (ModelError, OSError) as error:
        if log_stream is not None and log_stream is not sys.stderr:
            log_stream.close()
        if isinstance(error, ModelError):
            sys.stderr.write("cxone_sandbox: bad configuration: %s\n" % error.message)
            return 2
        sys.stderr.write("cxone_sandbox: cannot listen on %s:%s: %s\n" % (args.host, args.port, error))
        return 1

    try:
        if args.url_file:
            write_atomically(args.url_file, server.url)
        if server.cert_file:
            print("CXone sandbox certificate (also the CA bundle): %s" % server.cert_file, flush=True)
        print("CXone sandbox API origin on %s" % server.api_url, flush=True)
        print("CXone sandbox listening on %s" % server.url, flush=True)
        while not stopping.wait(1):
            pass
    finally:
        server.stop()
        if log_stream is not None and log_stream is not sys.stderr:
            log_stream.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
