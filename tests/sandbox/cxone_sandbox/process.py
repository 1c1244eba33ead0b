# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""``SandboxProcess``: the command line (``python -m cxone_sandbox``) in a process of its own.

For callers that must not share a process with the sandbox, as none shares one with CXone: the
benchmark (its own threads would slow the sandbox's answers) and the command line's tests.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from .client import SandboxClient

# The folder that holds the cxone_sandbox package: the child process imports it from there.
_PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class SandboxProcess:
    """``start()`` returns once the sandbox listens (its URL file written); ``stop()`` sends SIGTERM.

    ``url_file`` is where the command line writes the issuer URL (its folder need not exist);
    ``args`` are further options (``--config``, ``--tls``, ...). A context manager too.
    """

    def __init__(self, url_file, args=(), start_timeout=60):
        self.url_file = str(url_file)
        self.args = list(args)
        self.start_timeout = start_timeout
        self.process = None
        self.url = None

    def start(self):
        if os.path.exists(self.url_file):
            os.remove(self.url_file)    # written anew once the sandbox listens
        environment = dict(os.environ, PYTHONPATH=_PACKAGE_PARENT)
        self.process = subprocess.Popen(  # pylint: disable=consider-using-with  # ended by stop()
            [sys.executable, "-m", "cxone_sandbox", "--port", "0", "--url-file", self.url_file] + self.args,
            env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + self.start_timeout
        while not os.path.exists(self.url_file):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                raise RuntimeError("the sandbox did not start: %s" % (self.process.communicate(),))
            time.sleep(0.02)
        with open(self.url_file, encoding="utf-8") as stream:
            self.url = stream.read()
        return self

    def client(self, **kwargs):
        """A ``SandboxClient`` for its control API."""
        return SandboxClient(self.url, **kwargs)

    def stop(self, timeout=10):
        """SIGTERM, then ``(exit status, stdout, stderr)``."""
        self.process.send_signal(signal.SIGTERM)
        out, err = self.process.communicate(timeout=timeout)
        return self.process.returncode, out, err

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
