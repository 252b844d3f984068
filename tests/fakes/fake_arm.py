"""A fake Azure Resource Manager on loopback HTTPS, so tests drive the real Azure SDK clients.

`FakeArm` (TLS server, route registry, fault injection, request log) and `StaticTokenCredential`. It is
https because azure-core's bearer-token policy refuses to send a token over http://; the certificate is
minted at start and trusted with `connection_verify=fake.ca_file`.

Resource providers add their routes the same way: `fake.route("POST", r"/subscriptions/.../generalize",
handler)`, handler(req, match) -> Reply. Image Builder's are in tests/fakes/fake_image_builder.py,
Compute's in tests/fakes/fake_compute.py.

Fixtures: `fake_arm` (bare server) and `fake` (the same server, by a shorter name).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
import shutil
import socket
import ssl
import struct
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Optional
from urllib.parse import parse_qsl, urlsplit

import pytest
from azure.core.credentials import AccessToken
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from components.providers.arm import ArmRetry


@dataclass
class FakeRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    at: float  # time.monotonic() when it arrived

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict/list -> JSON
    headers: dict[str, str] = field(default_factory=dict)


def arm_error(status: int, code: str, message: str, headers: Optional[dict] = None) -> Reply:
    return Reply(status, {"error": {"code": code, "message": message}}, headers or {})


FAST_RETRY = ArmRetry(attempts=4, backoff_seconds=0.01, max_backoff_seconds=0.05, max_retry_after_seconds=2.0)
RESET = object()  # drop the connection (TCP RST) without processing the request
LOST_RESPONSE = object()  # process the request (side effects happen), then RST instead of answering

Handler = Callable[[FakeRequest, "re.Match[str]"], Reply]


def rotate_token(fake: "FakeArm") -> Callable[[FakeRequest, Any], None]:
    """An injected action: from this request on, ARM accepts only a new token (the old one was revoked), which a
    client gets only by asking its credential again: a renewed session does (ArmSession.renew)."""
    def act(_req: FakeRequest, _m: Any) -> None:
        fake.credential.token = "rotated-token"
    return act


class StaticTokenCredential:
    """A TokenCredential that never talks to Entra ID."""

    def __init__(self, token: str = "fake-arm-token") -> None:
        self.token = token
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **_kwargs: Any) -> AccessToken:
        self.scopes.append(scopes)
        return AccessToken(self.token, int(time.time()) + 3600)


class FakeArm:
    def __init__(self) -> None:
        self.credential = StaticTokenCredential()
        self.log: list[FakeRequest] = []
        self.errors: list[str] = []  # handler crashes: a fixture fails the test on any
        self._routes: list[tuple[str, re.Pattern, Handler, Optional[frozenset]]] = []
        self._injected: list[list] = []  # [method, pattern, remaining actions]
        self._lock = threading.Lock()
        self._dir = tempfile.mkdtemp(prefix="fake-arm-")
        self.ca_file, key_file = _mint_certificate(self._dir)
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(self.ca_file, key_file)
        self._server = _Server(self, tls)
        self.base_url = f"https://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-arm", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        shutil.rmtree(self._dir, ignore_errors=True)

    @property
    def client_kwargs(self) -> dict[str, Any]:
        """What an SDK client needs to talk to this server: trust its CA, retry without long sleeps."""
        return {"connection_verify": self.ca_file, "retry_backoff_factor": 0.01, "retry_backoff_max": 0.05}

    def provider_kwargs(self, retry: Optional[ArmRetry] = None) -> dict[str, Any]:
        """Constructor arguments that point one of our dynamic providers at this server."""
        return {"credential": self.credential, "client_kwargs": self.client_kwargs, "retry": retry or FAST_RETRY}

    def route(self, method: str, path_regex: str, handler: Handler, api_versions: Optional[set] = None) -> None:
        """Serve `method` on paths fully matching `path_regex` (case-insensitive, like ARM). With
        `api_versions`, any other api-version is answered the way ARM does (400)."""
        pattern = re.compile(path_regex, re.IGNORECASE)
        self._routes.append((method.upper(), pattern, handler, frozenset(api_versions) if api_versions else None))

    def inject(self, method: str, path_regex: str, *actions: Any) -> None:
        """The next matching requests get these actions in order, then the routes answer again.
        An action is a Reply, RESET, LOST_RESPONSE, or a callable(req, match) returning one of them
        (or None to let the route answer)."""
        with self._lock:
            self._injected.append([method.upper(), re.compile(path_regex, re.IGNORECASE), list(actions)])

    def requests(self, method: Optional[str] = None, path_regex: Optional[str] = None) -> list[FakeRequest]:
        with self._lock:
            log = list(self.log)
        return [r for r in log if (method is None or r.method == method.upper())
                and (path_regex is None or re.search(path_regex, r.path, re.IGNORECASE))]

    def _dispatch(self, req: FakeRequest) -> Any:
        with self._lock:
            self.log.append(req)
            queue = next((q for method, pattern, q in self._injected
                          if q and method == req.method and pattern.fullmatch(req.path)), None)
            action = queue.pop(0) if queue else None
        route = next(((h, m, v) for method, pattern, h, v in self._routes
                      if method == req.method and (m := pattern.fullmatch(req.path))), None)
        if callable(action):
            action = action(req, route and route[1])
        if action is RESET or isinstance(action, Reply):
            return action
        if req.headers.get("authorization") != f"Bearer {self.credential.token}":
            reply = arm_error(401, "AuthenticationFailed", "missing or wrong bearer token")
        elif route is None:
            self.errors.append(f"no route for {req.method} {req.path}")
            reply = arm_error(404, "NoRoute", f"fake ARM has no route for {req.method} {req.path}")
        elif route[2] is not None and req.query.get("api-version") not in route[2]:
            reply = arm_error(400, "NoRegisteredProviderFound", "No registered resource provider found for API "
                              f"version '{req.query.get('api-version')}'. The supported api-versions are "
                              f"'{', '.join(sorted(route[2]))}'.")
        else:
            try:
                reply = route[0](req, route[1])
            except Exception:  # a harness bug must fail the test, not look like an Azure outage
                self.errors.append(traceback.format_exc())
                reply = arm_error(500, "FakeArmHandlerCrashed", "see fake.errors")
        return LOST_RESPONSE if action is LOST_RESPONSE else reply


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeArm, tls: ssl.SSLContext) -> None:
        super().__init__(("127.0.0.1", 0), _RequestHandler)
        self.fake, self.tls = fake, tls

    def finish_request(self, request, client_address) -> None:
        # TLS handshake here, in the per-connection thread, so one slow client cannot stall accept().
        try:
            conn = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        handler = self.RequestHandlerClass(conn, client_address, self)
        if getattr(handler, "reset", False):
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()


class _RequestHandler(BaseHTTPRequestHandler):
    server: _Server

    def _handle(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        req = FakeRequest(self.command, url.path, dict(parse_qsl(url.query)),
                          {k.lower(): v for k, v in self.headers.items()},
                          self.rfile.read(length) if length else b"", time.monotonic())
        reply = self.server.fake._dispatch(req)
        if reply is RESET or reply is LOST_RESPONSE:
            self.reset = True
            self.close_connection = True
            return
        body = b"" if reply.body is None else json.dumps(reply.body).encode()
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    def log_message(self, *_args: Any) -> None:
        pass


def _mint_certificate(directory: str) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1 that is its own CA: the file clients trust is the cert."""
    now, key = dt.datetime.now(dt.timezone.utc), ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake-arm 127.0.0.1")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                        x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = f"{directory}/cert.pem", f"{directory}/key.pem"
    with open(cert_file, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_file, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return cert_file, key_file


# A subscription id for fake resource ids, shared by the resource-provider fakes.
SUBSCRIPTION = "11111111-2222-3333-4444-555555555555"


@pytest.fixture
def fake_arm():
    fake = FakeArm()
    try:
        yield fake
    finally:
        fake.stop()
    assert not fake.errors, "fake ARM handler errors:\n" + "\n".join(fake.errors)


@pytest.fixture
def fake(fake_arm: FakeArm) -> FakeArm:
    return fake_arm
