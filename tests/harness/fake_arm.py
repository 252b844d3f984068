"""A fake Azure Resource Manager on loopback HTTPS, so tests drive the real Azure SDK clients.

Generic part: `FakeArm` (TLS server, route registry, fault injection, request log) and
`StaticTokenCredential`. It is https because azure-core's bearer-token policy refuses to send a token
over http://; the certificate is minted at start and trusted with `connection_verify=fake.ca_file`.

Image Builder part: `ImageBuilderFake` (templates, runs, run outputs, async operations). Another
module can add Compute routes the same way: `fake.route("POST", r"/subscriptions/.../generalize",
handler)`, handler(req, match) -> Reply.

Fixtures: `fake_arm` (bare server) and `fake_image_builder` (server + Image Builder routes).
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
import uuid
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

from components.arm import ArmRetry


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


# -- Image Builder (Microsoft.VirtualMachineImages), API 2024-02-01 ---------------------------------

SUBSCRIPTION = "11111111-2222-3333-4444-555555555555"
_TEMPLATE = (r"/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)"
             r"/providers/Microsoft\.VirtualMachineImages/imageTemplates/(?P<name>[^/]+)")
_OPERATION = (r"/subscriptions/[^/]+/providers/Microsoft\.VirtualMachineImages/locations/[^/]+"
              r"/(?P<kind>operations|operationresults)/(?P<op>[^/]+)")
_SUB_STATES = ["Queued", "Building", "Customizing", "Distributing"]


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat().replace("+00:00", "Z")


@dataclass
class RunPlan:
    """How a run goes: it ends with `outcome` after `polls` observations (operation polls or template
    GETs); polls=None never ends. `sub_state`/`message` are what lastRunStatus shows at the end."""
    outcome: str = "Succeeded"  # Succeeded | Failed | Canceled | PartiallySucceeded
    polls: Optional[int] = 2
    sub_state: Optional[str] = None
    message: str = ""


@dataclass
class FakeRun:
    plan: RunPlan
    number: int
    start: str = field(default_factory=_now)
    end: Optional[str] = None
    state: str = "Running"
    ticks: int = 0

    def status(self) -> dict:
        running = self.state == "Running"
        sub = _SUB_STATES[min(self.ticks, 3)] if running else (self.plan.sub_state or "Distributing")
        return {"startTime": self.start, "runState": self.state, "runSubState": sub,
                "message": "" if running else self.plan.message} | ({"endTime": self.end} if self.end else {})


@dataclass
class FakeTemplate:
    name: str
    resource_group: str
    run_output_name: str
    gallery_image_id: str
    staging_resource_group: str
    next_run: RunPlan = field(default_factory=RunPlan)
    run: Optional[FakeRun] = None  # the latest run: what lastRunStatus shows
    runs_started: int = 0
    run_outputs: dict[str, str] = field(default_factory=dict)

    def artifact_id(self, number: int) -> str:
        return f"{self.gallery_image_id}/versions/1.0.{number}"

    def start_run(self, plan: Optional[RunPlan] = None) -> FakeRun:
        """Start a run as POST /run does, or as autoRun does right after the template is created."""
        self.run = FakeRun(plan or self.next_run, self.runs_started)
        self.runs_started += 1
        return self.run

    def observe(self) -> Optional[FakeRun]:
        run = self.run
        if run and run.state == "Running":
            run.ticks += 1
            if run.plan.polls is not None and run.ticks >= run.plan.polls:
                run.state, run.end = run.plan.outcome, _now()
                if run.state in ("Succeeded", "PartiallySucceeded"):
                    self.run_outputs[self.run_output_name] = self.artifact_id(run.number)
        return run


class ImageBuilderFake:
    RUN_PATH, TEMPLATE_PATH, OPERATION_PATH = _TEMPLATE + "/run", _TEMPLATE, _OPERATION

    def __init__(self, fake: FakeArm, location: str = "westeurope") -> None:
        self.fake, self.location = fake, location
        self.templates: dict[str, FakeTemplate] = {}
        self.operations: dict[str, FakeTemplate] = {}
        self.async_headers = ("Azure-AsyncOperation", "Location")  # which ones the 202 carries
        self._lock = threading.Lock()
        for method, path, handler in (("GET", _TEMPLATE, self._get_template), ("POST", _TEMPLATE + "/run", self._run),
                                      ("GET", _TEMPLATE + "/runOutputs", self._list_run_outputs),
                                      ("GET", _TEMPLATE + "/runOutputs/(?P<output>[^/]+)", self._get_run_output),
                                      ("GET", _OPERATION, self._get_operation)):
            fake.route(method, path, self._locked(handler), api_versions={"2024-02-01"})

    def add_template(self, name: str, resource_group: str = "rg-images", run_output_name: str = "win2022-gallery",
                     next_run: Optional[RunPlan] = None) -> FakeTemplate:
        gallery_image = (f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{resource_group}/providers"
                         f"/Microsoft.Compute/galleries/galimages/images/win2022")
        t = FakeTemplate(name, resource_group, run_output_name, gallery_image,
                         f"IT_{resource_group}_{name}_{uuid.uuid4().hex[:8]}", next_run or RunPlan())
        self.templates[name.lower()] = t
        return t

    def _locked(self, handler: Callable) -> Handler:
        def locked(req: FakeRequest, m) -> Reply:
            with self._lock:
                if "name" not in m.groupdict():
                    return handler(req, m, None)
                t = self.templates.get(m["name"].lower())
                if t is None or t.resource_group.lower() != m["rg"].lower():
                    return arm_error(404, "ResourceNotFound", f"The Resource 'Microsoft.VirtualMachineImages/"
                                     f"imageTemplates/{m['name']}' under resource group '{m['rg']}' was not found.")
                return handler(req, m, t)
        return locked

    def _get_template(self, req: FakeRequest, m, t: FakeTemplate) -> Reply:
        run = t.observe()
        props = {"provisioningState": "Succeeded", "buildTimeoutInMinutes": 120, "autoRun": {"state": "Disabled"},
                 "exactStagingResourceGroup": f"/subscriptions/{m['sub']}/resourceGroups/{t.staging_resource_group}",
                 "distribute": [{"type": "SharedImage", "galleryImageId": t.gallery_image_id,
                                 "runOutputName": t.run_output_name}]}
        if run:
            props["lastRunStatus"] = run.status()
        return Reply(200, {"id": req.path, "name": t.name, "location": self.location,
                           "type": "Microsoft.VirtualMachineImages/imageTemplates", "properties": props})

    def _run(self, req: FakeRequest, m, t: FakeTemplate) -> Reply:
        if t.run and t.run.state == "Running":
            return arm_error(409, "Conflict", f"Image template '{t.name}' already has a run in progress.")
        t.start_run()
        op = uuid.uuid4().hex
        self.operations[op] = t
        base = (f"{self.fake.base_url}/subscriptions/{m['sub']}/providers/Microsoft.VirtualMachineImages"
                f"/locations/{self.location}")
        api = req.query["api-version"]
        urls = {"Azure-AsyncOperation": f"{base}/operations/{op}?api-version={api}",
                "Location": f"{base}/operationresults/{op}?api-version={api}"}
        return Reply(202, None, {h: urls[h] for h in self.async_headers})

    def _get_operation(self, req: FakeRequest, m, _t: None) -> Reply:
        if m["op"] not in self.operations:
            return arm_error(404, "OperationNotFound", m["op"])
        run = self.operations[m["op"]].observe()
        assert run is not None
        if m["kind"] == "operationresults":
            return Reply(202 if run.state == "Running" else 200)
        # PartiallySucceeded shows as a succeeded operation, and a failed one carries no useful error:
        # only the template's lastRunStatus tells the real story.
        status = {"Running": "InProgress", "PartiallySucceeded": "Succeeded"}.get(run.state, run.state)
        return Reply(200, {"name": m["op"], "status": status, "startTime": run.start}
                     | ({"endTime": run.end} if run.end else {}))

    @staticmethod
    def _output_body(t: FakeTemplate, template_path: str, name: str) -> dict:
        return {"id": f"{template_path}/runOutputs/{name}", "name": name,
                "type": "Microsoft.VirtualMachineImages/imageTemplates/runOutputs",
                "properties": {"artifactId": t.run_outputs[name], "provisioningState": "Succeeded"}}

    def _get_run_output(self, req: FakeRequest, m, t: FakeTemplate) -> Reply:
        if m["output"] not in t.run_outputs:
            return arm_error(404, "ResourceNotFound", f"Run output '{m['output']}' was not found.")
        return Reply(200, self._output_body(t, req.path.rsplit("/runOutputs/", 1)[0], m["output"]))

    def _list_run_outputs(self, req: FakeRequest, m, t: FakeTemplate) -> Reply:
        base = req.path.rsplit("/runOutputs", 1)[0]
        return Reply(200, {"value": [self._output_body(t, base, n) for n in t.run_outputs]})


@pytest.fixture
def fake_arm():
    fake = FakeArm()
    try:
        yield fake
    finally:
        fake.stop()
    assert not fake.errors, "fake ARM handler errors:\n" + "\n".join(fake.errors)


@pytest.fixture
def fake_image_builder(fake_arm: FakeArm) -> ImageBuilderFake:
    return ImageBuilderFake(fake_arm)


@pytest.fixture
def fake(fake_arm: FakeArm) -> FakeArm:
    return fake_arm
