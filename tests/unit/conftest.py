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
            # Small answers go out at once instead of waiting for a delayed ACK.
            disable_nagle_algorithm = True

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
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.01,), daemon=True)

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


# -- a CXone tenant, a connection process and a module, in this process -------------------------

TENANT_ID = "11111111-2222-4333-8444-555555555555"
RECORDING_API_PATH = "/interaction-recording-management-service/v1/interactions"


def token_answer(access_token, expires_in=3600, refresh_token=None):
    """The token endpoint's answer to a successful grant."""
    body = {"access_token": access_token, "token_type": "Bearer", "expires_in": expires_in}
    if refresh_token:
        body["refresh_token"] = refresh_token
    return ScriptedAnswer(200, body)


@pytest.fixture
def cxone_tenant(server):
    """The scripted server dressed as a CXone tenant: OIDC and API discovery, the token endpoint.

    Every login is answered with the token ``tok-default`` unless a test queues others on
    ``/auth/token`` (``server.token_answer(...)`` makes one); API discovery names
    ``<server>/api``. ``server.settings(**overrides)`` gives settings values that log in to it,
    with ``retries`` 0.
    """
    # The handler writes an answer's headers and body separately: without TCP_NODELAY, Nagle's
    # algorithm holds the body until the client's delayed ACK, some 40 ms per request.
    server.httpd.RequestHandlerClass.disable_nagle_algorithm = True
    server.default("/.well-known/openid-configuration",
                   ScriptedAnswer(200, {"issuer": server.url, "token_endpoint": server.url + "/auth/token"}))
    server.default("/.well-known/cxone-configuration", ScriptedAnswer(200, {"api_endpoint": server.url + "/api"}))
    server.default("/auth/token", token_answer("tok-default"))

    def settings(**overrides):
        values = {"issuer": server.url, "client_id": "app-id", "client_secret": "app=secret&+/",
                  "access_key_id": "KEY-ID", "access_key_secret": "key secret=&+%/", "tenant_id": TENANT_ID,
                  "timeout": 5, "retries": 0}
        values.update(overrides)
        return values

    server.settings = settings
    server.token_answer = token_answer
    return server


@pytest.fixture
def no_cxone_environment(monkeypatch):
    """No CXONE_* or persistent connection variable from the shell leaks into a test."""
    import os

    for name in list(os.environ):
        if name.startswith(("CXONE_", "ANSIBLE_PERSISTENT_")):
            monkeypatch.delenv(name)


class BrokerSocket:
    """Stands in for the socket of ansible-core's persistent connection process, in this process.

    The module's side is ansible-core's own ``Connection`` (JSON-RPC encoding, error handling),
    the connection's side ansible-core's own ``JsonRpcServer`` dispatching to ``host`` (the
    ``cxone_api`` plugin, or any object with the broker's methods); only the Unix socket between
    them is left out. ``calls`` records each call's method and arguments; ``die()`` makes the
    next calls find a connection process that died mid-call.
    """

    def __init__(self, host, path):
        from ansible.utils.jsonrpc import JsonRpcServer

        self.host = host
        self.path = str(path)
        path.touch()  # ansible-core's Connection checks that the socket file exists
        self.calls = []
        self._dead = False
        self._rpc = JsonRpcServer()
        # JsonRpcServer keeps its objects in a class attribute shared by every instance.
        self._rpc._objects = {host}

    def die(self):
        self._dead = True

    def answer(self, data):
        request = json.loads(data)
        args, kwargs = request["params"]
        self.calls.append((request["method"], tuple(args), kwargs))
        if self._dead:
            return ""
        return self._rpc.handle_request(data)


@pytest.fixture
def broker_socket(monkeypatch, tmp_path):
    """``open_socket(host)``: a ``BrokerSocket`` that ``BrokerClient`` connects to by its path."""
    from ansible.module_utils.connection import Connection

    from ansible_collections.cxone.recording.plugins.module_utils import _broker

    sockets = {}

    class InProcessConnection(Connection):
        def send(self, data):
            return sockets[self.socket_path].answer(data)

    monkeypatch.setattr(_broker, "Connection", InProcessConnection)

    def open_socket(host):
        socket = BrokerSocket(host, tmp_path / ("socket-%d" % len(sockets)))
        sockets[socket.path] = socket
        return socket

    return open_socket


@pytest.fixture
def cxone_api_connection(no_cxone_environment):
    """``new_connection(**options)``: the ``cxone_api`` connection plugin as ansible-core builds it.

    ansible-core's plugin loader reads a plugin's DOCUMENTATION, merges its doc fragments and
    registers the options with the configuration manager before ``set_options`` can use them;
    the collection is imported here through the Python path rather than that loader, so this
    does the same steps with ansible-core's own functions.
    """
    import types

    import yaml
    from ansible import constants
    from ansible.playbook.play_context import PlayContext
    from ansible.utils.plugin_docs import add_fragments

    from ansible_collections.cxone.recording.plugins.connection import cxone_api
    from ansible_collections.cxone.recording.plugins.doc_fragments.connection import (
        ModuleDocFragment,
    )

    name = "cxone.recording.cxone_api"

    class Fragments:
        @staticmethod
        def get(fragment_name):
            if fragment_name != "cxone.recording.connection":
                return None
            return types.SimpleNamespace(DOCUMENTATION=ModuleDocFragment.DOCUMENTATION,
                                         PLUGIN=ModuleDocFragment.PLUGIN, ansible_name=fragment_name)

    documentation = yaml.safe_load(cxone_api.DOCUMENTATION)
    add_fragments(documentation, cxone_api.__file__, fragment_loader=Fragments)
    constants.config.initialize_plugin_configuration_definitions("connection", name, documentation["options"])
    connections = []

    def new_connection(**options):
        connection = cxone_api.Connection(PlayContext(), None)
        connection._load_name = name
        connection.set_options(direct=options)
        connections.append(connection)
        return connection

    yield new_connection
    for connection in connections:
        connection.close()


@pytest.fixture
def api_session(cxone_tenant):
    """A direct-mode ``Session`` logged in to the scripted tenant, whose API is under ``<server>/api``."""
    from ansible_collections.cxone.recording.plugins.module_utils._api_client import ApiClient
    from ansible_collections.cxone.recording.plugins.module_utils._auth import Authenticator
    from ansible_collections.cxone.recording.plugins.module_utils._session import Session
    from ansible_collections.cxone.recording.plugins.module_utils._settings import (
        DEFAULT_RECORDING_API_PATH,
        validate_settings,
    )
    from ansible_collections.cxone.recording.plugins.module_utils._transport import Transport

    settings = validate_settings(cxone_tenant.settings(retries=1))
    transport = Transport.for_settings(settings, sleep=lambda seconds: None)
    authenticator = Authenticator(settings, transport)
    yield Session(ApiClient(authenticator, transport, authenticator.api_base_url()), DEFAULT_RECORDING_API_PATH)
    transport.close()
