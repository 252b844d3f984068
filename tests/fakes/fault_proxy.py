"""A loopback HTTP proxy in front of Azurite that breaks chosen requests the way a network or Azure Storage does:
a connection reset before the request reaches the service (RESET), one after the service took it (LOST: the page
landed, the answer did not), or a 503 ServerBusy with Azure Storage's XML error body. It also counts the Put Page
bytes that Azurite took, which is what "bytes sent" means in the tests.

    proxy = FaultProxy(azurite.blob_endpoint); proxy.inject(after=3, action=RESET, count=1)
"""

from __future__ import annotations

import http.client
import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

RESET, LOST, BUSY = "reset", "lost", "busy"
_BUSY_BODY = (b'<?xml version="1.0" encoding="utf-8"?><Error><Code>ServerBusy</Code><Message>The server is busy.'
              b'</Message></Error>')


class FaultProxy:
    def __init__(self, upstream_endpoint: str) -> None:
        up = urlsplit(upstream_endpoint)
        self.upstream = (up.hostname, up.port)
        self.page_puts = 0  # Put Page requests seen (forwarded or not)
        self.page_bytes = 0  # Put Page body bytes that Azurite took (2xx): written twice, counted twice
        self.page_bytes_failed = 0  # Put Page body bytes that never reached it, or that it refused
        self._faults: list[dict] = []
        self._lock = threading.Lock()
        self._server = _Server(self)
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}{up.path}"
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def inject(self, *, action: str, after: int = 0, count: int = 1) -> None:
        """After `after` more Put Page requests, the next `count` get `action`."""
        with self._lock:
            self._faults.append({"at": self.page_puts + after, "left": count, "action": action})

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _decide(self, is_page_put: bool) -> Any:
        if not is_page_put:
            return None
        with self._lock:
            n = self.page_puts
            self.page_puts += 1
            for fault in self._faults:
                if fault["left"] and n >= fault["at"]:
                    fault["left"] -= 1
                    return fault["action"]
        return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, proxy: FaultProxy) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.proxy = proxy


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def _reset(self) -> None:
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True

    def _handle(self) -> None:
        proxy = self.server.proxy
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        is_page_put = self.command == "PUT" and "comp=page" in self.path
        action = proxy._decide(is_page_put)
        if action in (RESET, BUSY):
            with proxy._lock:
                proxy.page_bytes_failed += len(body)
            if action == RESET:
                return self._reset()
            self.send_response(503, "The server is busy.")
            for name, value in (("Content-Type", "application/xml"), ("x-ms-error-code", "ServerBusy"),
                                ("Content-Length", str(len(_BUSY_BODY)))):
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(_BUSY_BODY)
            return
        upstream = http.client.HTTPConnection(*proxy.upstream, timeout=30)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "proxy-connection")}
            upstream.request(self.command, self.path, body=body or None, headers=headers)
            reply = upstream.getresponse()
            data = reply.read()
        finally:
            upstream.close()
        if is_page_put:
            with proxy._lock:
                if reply.status < 300:
                    proxy.page_bytes += len(body)
                else:  # refused (an expired SAS's 403): nothing landed
                    proxy.page_bytes_failed += len(body)
        if action == LOST:
            return self._reset()
        self.send_response(reply.status, reply.reason)
        for name, value in reply.getheaders():
            if name.lower() not in ("transfer-encoding", "connection", "content-length", "keep-alive"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _handle

    def log_message(self, *_args: Any) -> None:
        pass
