"""A small stand-in for the ELB v3 API on 127.0.0.1, for the official SDK to talk to in tests.

It is the only stand-in in the test suite (the cloud cannot be reached from CI): the SDK, its
request signing and its error handling run for real against it. It checks the SDK-HMAC-SHA256
signature with the secret key it was given (a bad one gets the gateway's 401, as the real
cloud does), keeps what was created, answers like the v3 API (ids, expire_time, fingerprint)
and records every request with its headers. Failures and stalls can be configured per route.
Error codes are in ELB's style, not its real catalogue.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote, unquote, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

ROUTES = ("create_certificate", "show_certificate", "create_listener", "show_listener", "update_listener")
_PATH = re.compile(r"^/v3/(?P<project>[^/]+)/elb/(?P<kind>certificates|listeners)(?:/(?P<id>[^/]+))?$")
_AUTH = re.compile(r"^SDK-HMAC-SHA256 Access=(?P<ak>[^,]+), SignedHeaders=(?P<signed>[^,]+), Signature=(?P<sig>[0-9a-f]+)$")


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes
    route: str = ""
    signature_ok: bool | None = None

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    @property
    def json(self) -> dict:
        return json.loads(self.body) if self.body else {}


@dataclass
class _Failure:
    status: int
    error_code: str
    error_msg: str
    times: int | None  # None: every time
    skip: int = 0  # calls answered normally before the failures start


@dataclass
class FakeElbApi:
    """Start with `with FakeElbApi(...) as api:`; `api.endpoint` is the URL to give the SDK."""

    secret_key: str | None = None
    access_key: str | None = None
    requests: list[RecordedRequest] = field(default_factory=list)
    certificates: dict[str, dict] = field(default_factory=dict)
    listeners: dict[str, dict] = field(default_factory=dict)
    _failures: dict[str, _Failure] = field(default_factory=dict)
    _stalls: dict[str, float] = field(default_factory=dict)
    _release: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    # -- configuration --------------------------------------------------------------
    def fail(self, route: str, status: int, error_code: str, error_msg: str, *, times: int | None = None, skip: int = 0) -> None:
        """Answer `route` with an ELB-style error body (all the time, or the next `times` calls),
        after letting the first `skip` calls through (e.g. skip=1: the second upload fails)."""
        assert route in ROUTES, route
        self._failures[route] = _Failure(status, error_code, error_msg, times, skip)

    def stall(self, route: str, seconds: float) -> None:
        """Wait before answering `route` (released at once when the server stops)."""
        assert route in ROUTES, route
        self._stalls[route] = seconds

    # -- life cycle -----------------------------------------------------------------
    def start(self) -> FakeElbApi:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet test output
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, payload = api._dispatch(self.command, self.path, list(self.headers.items()), body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json;charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("X-Request-Id", payload.get("request_id", ""))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeElbApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def endpoint(self) -> str:
        assert self._server is not None, "start() first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def calls(self, route: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.route == route]

    # -- the API ----------------------------------------------------------------------
    def _dispatch(self, method: str, raw_path: str, headers: list[tuple[str, str]], body: bytes) -> tuple[int, dict]:
        request_id = uuid.uuid4().hex
        path = urlsplit(raw_path).path
        recorded = RecordedRequest(method, path, headers, body)
        with self._lock:
            self.requests.append(recorded)
        match = _PATH.match(path)
        if not match:
            return 404, _error("APIGW.0101", "The API does not exist or has not been published", request_id)
        kind, item = match["kind"], match["id"]
        route = {
            ("POST", "certificates", False): "create_certificate",
            ("GET", "certificates", True): "show_certificate",
            ("POST", "listeners", False): "create_listener",
            ("GET", "listeners", True): "show_listener",
            ("PUT", "listeners", True): "update_listener",
        }.get((method, kind, item is not None), "")
        recorded.route = route
        if self.secret_key is not None:
            recorded.signature_ok = self._signature_ok(recorded, raw_path)
            if not recorded.signature_ok:
                return 401, _error("APIGW.0301", "Incorrect IAM authentication information: verify aksk signature fail", request_id)
        if not route:
            return 405, _error("ELB.0405", "method not allowed", request_id)
        stall = self._stalls.get(route)
        if stall:
            self._release.wait(stall)
        failure = self._failures.get(route)
        if failure is not None and failure.skip:
            failure.skip -= 1
        elif failure is not None and failure.times != 0:
            if failure.times is not None:
                failure.times -= 1
            return failure.status, _error(failure.error_code, failure.error_msg, request_id)
        try:
            payload = json.loads(body) if body else {}
        except ValueError:
            return 400, _error("ELB.0001", "request body is not JSON", request_id)
        handler = getattr(self, f"_{route}")
        with self._lock:
            return handler(match["project"], item, payload, request_id)

    def _create_certificate(self, project: str, _item: str | None, payload: dict, request_id: str) -> tuple[int, dict]:
        option = payload.get("certificate") or {}
        kind = option.get("type", "server")
        try:
            cert = x509.load_pem_x509_certificates(option.get("certificate", "").encode())[0]
        except (ValueError, IndexError):
            return 400, _error("ELB.8902", "Invalid certificate content", request_id)
        if kind == "server":
            try:
                serialization.load_pem_private_key(option.get("private_key", "").encode(), password=None)
            except (ValueError, TypeError):
                return 400, _error("ELB.8903", "Invalid private key content", request_id)
        elif kind != "client" or option.get("private_key"):
            return 400, _error("ELB.8904", "a client (CA) certificate takes no private key", request_id)
        now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        cn = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        record = {
            "id": uuid.uuid4().hex,
            "name": option.get("name", ""),
            "type": kind,
            "description": option.get("description", ""),
            "domain": option.get("domain", ""),
            "certificate": option.get("certificate", ""),
            # The real API echoes the key unless the project switched that off: the client must not keep it.
            "private_key": option.get("private_key", ""),
            "admin_state_up": True,
            "project_id": project,
            "created_at": now,
            "updated_at": now,
            "expire_time": cert.not_valid_after_utc.strftime("%Y-%m-%d %H:%M:%S"),
            "common_name": str(cn[0].value) if cn else "",
            "fingerprint": cert.fingerprint(hashes.SHA1()).hex(),
            "subject_alternative_names": [],
            "source": "",
        }
        self.certificates[record["id"]] = record
        return 201, {"request_id": request_id, "certificate": record}

    def _show_certificate(self, _project: str, item: str | None, _payload: dict, request_id: str) -> tuple[int, dict]:
        record = self.certificates.get(item or "")
        if record is None:
            return 404, _error("ELB.8904", f"certificate {item} could not be found", request_id)
        return 200, {"request_id": request_id, "certificate": record}

    def _create_listener(self, project: str, _item: str | None, payload: dict, request_id: str) -> tuple[int, dict]:
        option = payload.get("listener") or {}
        for ref, kind in (("default_tls_container_ref", "server"), ("client_ca_tls_container_ref", "client")):
            cert = self.certificates.get(option.get(ref, ""))
            if cert is None or cert["type"] != kind:
                return 400, _error("ELB.8905", f"{ref} {option.get(ref)!r} is not a {kind} certificate of this project", request_id)
        for other in self.listeners.values():
            if other["loadbalancers"][0]["id"] == option.get("loadbalancer_id") and other["protocol_port"] == option.get("protocol_port"):
                return 409, _error("ELB.8907", f"port {other['protocol_port']} is already used by listener {other['id']}", request_id)
        record = {
            "id": uuid.uuid4().hex,
            "name": option.get("name", ""),
            "protocol": option.get("protocol"),
            "protocol_port": option.get("protocol_port"),
            "default_tls_container_ref": option.get("default_tls_container_ref"),
            "client_ca_tls_container_ref": option.get("client_ca_tls_container_ref"),
            "tls_ciphers_policy": option.get("tls_ciphers_policy", "tls-1-2"),
            "loadbalancers": [{"id": option.get("loadbalancer_id")}],
            "project_id": project,
            "admin_state_up": True,
        }
        self.listeners[record["id"]] = record
        return 201, {"request_id": request_id, "listener": record}

    def _show_listener(self, _project: str, item: str | None, _payload: dict, request_id: str) -> tuple[int, dict]:
        record = self.listeners.get(item or "")
        if record is None:
            return 404, _error("ELB.8906", f"listener {item} could not be found", request_id)
        return 200, {"request_id": request_id, "listener": record}

    def _update_listener(self, _project: str, item: str | None, payload: dict, request_id: str) -> tuple[int, dict]:
        record = self.listeners.get(item or "")
        if record is None:
            return 404, _error("ELB.8906", f"listener {item} could not be found", request_id)
        record.update({k: v for k, v in (payload.get("listener") or {}).items() if v is not None})
        return 200, {"request_id": request_id, "listener": record}

    # -- signature (our own reading of the documented AK/SK scheme) ---------------------
    def _signature_ok(self, request: RecordedRequest, raw_path: str) -> bool:
        auth = _AUTH.match(request.header("Authorization") or "")
        if not auth or (self.access_key is not None and auth["ak"] != self.access_key):
            return False
        signed = auth["signed"].split(";")
        values = {k.lower(): v.strip() for k, v in request.headers}
        if any(name not in values for name in signed) or "x-sdk-date" not in signed:
            return False
        segments = [quote(unquote(s), safe="~") for s in urlsplit(raw_path).path.split("/")]
        uri = "/".join(segments)
        uri = uri if uri.endswith("/") else uri + "/"
        query = urlsplit(raw_path).query
        canonical = "\n".join([
            request.method, uri, query,
            "".join(f"{name}:{values[name]}\n" for name in signed),
            ";".join(signed),
            hashlib.sha256(request.body).hexdigest(),
        ])
        to_sign = f"SDK-HMAC-SHA256\n{values['x-sdk-date']}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
        expected = hmac.new(self.secret_key.encode(), to_sign.encode(), hashlib.sha256).hexdigest()  # type: ignore[union-attr]
        return hmac.compare_digest(expected, auth["sig"])


def _error(code: str, message: str, request_id: str) -> dict:
    return {"error_code": code, "error_msg": message, "request_id": request_id}
