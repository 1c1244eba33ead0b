# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""HTTP plumbing: the request handler, the threaded (optionally TLS) server, and ``SandboxServer``.

Clients keep connections alive (a ``requests.Session`` with up to 64 requests in flight),
so the handler speaks HTTP/1.1, always sends Content-Length and disables Nagle's
algorithm (headers and body are two writes; with Nagle and delayed ACKs every answer
on a reused connection would wait ~40 ms).
"""

from __future__ import annotations

import socket
import ssl
import sys
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from . import tls
from .client import SandboxClient
from .control import PREFIX, ControlApi
from .replies import DROP, api_reply, json_reply
from .sandbox import API_ORIGIN, ISSUER_ORIGIN, Request, Sandbox

MAX_BODY = 1024 * 1024
_QUIET_ERRORS = (ConnectionError, TimeoutError, ssl.SSLError)


class _BodyError(Exception):
    """A request body that cannot be read (malformed chunks, too large): answered 413."""


class SandboxRequestHandler(BaseHTTPRequestHandler):
    """One connection: reads each request, hands it to the control API or the sandbox core, writes the Reply."""

    protocol_version = "HTTP/1.1"
    server_version = "CXoneSandbox/1.0"
    sys_version = ""
    disable_nagle_algorithm = True
    timeout = 300     # an idle keep-alive connection gives its thread back eventually

    def do_GET(self):  # pylint: disable=invalid-name
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks, size = [], 0
            while True:
                length = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if length == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass        # trailers
                    return b"".join(chunks)
                size += length
                if size > MAX_BODY:
                    raise _BodyError()
                chunks.append(self.rfile.read(length))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0 or length > MAX_BODY:
            raise _BodyError()
        return self.rfile.read(length) if length else b""

    def _dispatch(self):
        try:
            try:
                body = self._read_body()
            except (_BodyError, ValueError):
                self.close_connection = True
                self._write(json_reply(413, {"error": "request body missing, malformed or larger than %d bytes" % MAX_BODY}))
                return
            split = urlsplit(self.path)
            path = split.path
            query = parse_qs(split.query, keep_blank_values=True)
            origin = self.server.origin
            if origin == ISSUER_ORIGIN and (path == PREFIX or path.startswith(PREFIX + "/")):
                reply = self.server.control.handle(self.command, path, query, body)
            else:
                reply = self.server.sandbox.handle(Request(origin, self.command, path, query, self.headers, body))
        except _QUIET_ERRORS:
            raise
        except Exception:  # pylint: disable=broad-except  # a sandbox bug must answer, not hang the client
            traceback.print_exc()
            reply = api_reply(500, "CXone sandbox bug: see its stderr")
        if reply is DROP:
            self._drop()
        else:
            self._write(reply)

    def _drop(self):
        """Close the connection without a byte of answer, as a failing gateway or network would."""
        self.close_connection = True
        self.log_message('"%s" dropped', self.requestline)
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _write(self, reply):
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin  # the base class names it so
        stream = self.server.log_stream
        if stream is not None:
            stream.write("%s - - [%s] %s\n" % (self.address_string(), self.log_date_time_string(), format % args))
            stream.flush()


class SandboxHTTPServer(ThreadingHTTPServer):
    """One listening socket of the sandbox: the issuer origin or the API origin (``origin``)."""

    daemon_threads = True
    request_queue_size = 128
    allow_reuse_address = True

    def __init__(self, address, sandbox, origin, ssl_context=None, log_stream=None):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.sandbox = sandbox
        self.origin = origin
        self.control = ControlApi(sandbox)
        self.ssl_context = ssl_context
        self.log_stream = log_stream
        # Open connections, so that stopping the server also ends idle keep-alive connections
        # (their daemon threads would otherwise go on answering from a stopped sandbox).
        self._connections = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, SandboxRequestHandler)

    def process_request_thread(self, request, client_address):
        with self._connections_lock:
            self._connections.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._connections_lock:
                self._connections.discard(request)

    def close_connections(self):
        """End the open keep-alive connections, so that no thread answers from a stopped sandbox."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def finish_request(self, request, client_address):
        if self.ssl_context is None:
            super().finish_request(request, client_address)
            return
        # The TLS handshake happens here, in the connection's own thread, so a slow or
        # failing handshake never blocks the thread that accepts connections.
        request.settimeout(30)
        try:
            tls_socket = self.ssl_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        with self._connections_lock:
            self._connections.add(tls_socket)      # the plain socket is detached from its fd now
        try:
            self.RequestHandlerClass(tls_socket, client_address, self)
        finally:
            with self._connections_lock:
                self._connections.discard(tls_socket)
            tls_socket.close()

    def handle_error(self, request, client_address):
        # Clients that hang up (timeouts on slow faults, dropped connections) are normal here.
        if isinstance(sys.exc_info()[1], _QUIET_ERRORS):
            return
        super().handle_error(request, client_address)


class SandboxServer:
    """The sandbox on real sockets, served from background threads.

    ``SandboxServer(config)`` then ``start()``; ``url`` is the issuer origin (OpenID and API
    discovery, the token endpoint, the control API) and ``api_url`` the API origin that
    discovery names (``<api_url>/api-<area>``); ``stop()`` ends both. Also a context manager.
    ``tls_dir`` switches both to HTTPS with a fresh self-signed certificate written there
    (``cert_file`` is also the CA bundle). ``api_port`` picks the API origin's port (0: any free one).
    """

    def __init__(self, config=None, host="127.0.0.1", port=0, tls_dir=None, log_stream=None, api_port=0):
        self.config = config
        self.host = host
        self.port = port
        self.api_port = api_port
        self.tls_dir = tls_dir
        self.log_stream = log_stream
        self.url = None
        self.api_url = None
        self.cert_file = None
        self.key_file = None
        self.sandbox = None
        self._servers = []
        self._threads = []

    def _origin_url(self, httpd, context):
        host = "[%s]" % self.host if ":" in self.host else self.host
        return "%s://%s:%d" % ("https" if context else "http", host, httpd.server_address[1])

    def start(self):
        """Bind both origins, start serving in daemon threads and return once connections are accepted."""
        if self._servers:
            return self
        sandbox = Sandbox(self.config)
        context = None
        servers = []
        try:
            if self.tls_dir is not None:
                self.cert_file, self.key_file = tls.generate_certificate(self.tls_dir)
                context = tls.server_context(self.cert_file, self.key_file)
            for origin, port in ((ISSUER_ORIGIN, self.port), (API_ORIGIN, self.api_port)):
                servers.append(SandboxHTTPServer((self.host, port), sandbox, origin, context, self.log_stream))
        except BaseException:
            for httpd in servers:
                httpd.server_close()
            sandbox.close()
            raise
        self.url = self._origin_url(servers[0], context)
        self.api_url = self._origin_url(servers[1], context)
        sandbox.base_url, sandbox.api_url = self.url, self.api_url
        self.sandbox, self._servers = sandbox, servers
        # The sockets listen since the constructors; serve_forever only has to start accepting.
        for httpd in servers:
            thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.2},
                                      name="cxone-sandbox-%s" % httpd.origin, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self):
        """Stop both origins, end their connections and the timer thread; safe to call twice."""
        if not self._servers:
            return
        for httpd in self._servers:
            httpd.shutdown()
            httpd.server_close()
            httpd.close_connections()
        for thread in self._threads:
            thread.join(timeout=5)
        self.sandbox.close()
        self._servers, self._threads = [], []

    def client(self):
        """A SandboxClient for this server (trusting its certificate when on TLS)."""
        return SandboxClient(self.url, verify=self.cert_file or True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
