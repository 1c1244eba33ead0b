# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Fixtures of the unit tests: a scripted HTTP server that answers what a test queues.

The code under test talks to it over real HTTP, as it would to CXone; the server records
every request so that tests can check what was sent (path, query, headers, form body).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest


class ScriptedAnswer:
    def __init__(self, status=200, body=None, headers=None, text=None, content_type="application/json", drop=False):
        self.status = status
        self.text = text if text is not None else ("" if body is None else json.dumps(body))
        self.headers = dict(headers or {})
        self.content_type = content_type
        self.drop = drop


class ScriptedServer:
    """Answers each request with the next queued answer for its path (or a default)."""

    answer = ScriptedAnswer

    def __init__(self):
        self.requests = []
        self._queues = {}
        self._defaults = {}
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # pylint: disable=arguments-differ
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8") if length else ""
                parts = urlsplit(self.path)
                server.requests.append({
                    "method": self.command, "path": parts.path, "query": parse_qs(parts.query),
                    "raw_query": parts.query, "headers": dict(self.headers), "form": parse_qs(body), "body": body,
                })
                answer = server.next_answer(parts.path)
                if answer.drop:
                    self.close_connection = True
                    self.connection.close()
                    return
                data = answer.text.encode("utf-8")
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(data)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def queue(self, path, *answers):
        with self._lock:
            self._queues.setdefault(path, []).extend(answers)

    def default(self, path, answer):
        self._defaults[path] = answer

    def next_answer(self, path):
        with self._lock:
            queue = self._queues.get(path)
            if queue:
                return queue.pop(0)
        return self._defaults.get(path, ScriptedAnswer(404, {"description": "no script for %s" % path}))

    def to(self, path):
        return [request for request in self.requests if request["path"] == path]

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    scripted = ScriptedServer().start()
    yield scripted
    scripted.stop()


@pytest.fixture
def sleeps():
    """A recording stand-in for time.sleep, so that backoff is checked without waiting."""
    return []
