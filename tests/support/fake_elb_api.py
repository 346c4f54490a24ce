"""A small stand-in for the ELB v3 API on 127.0.0.1, for the official SDK to talk to in tests.

It is the only stand-in in the test suite (the cloud cannot be reached from CI): the SDK, its
request signing and its error handling run for real against it. It checks the SDK-HMAC-SHA256
signature with the secret key it was given (a bad one gets the gateway's 401, as the real
cloud does), keeps what was created, answers like the v3 API and records every request with
its headers. Failures and stalls can be configured per route. Optionally it speaks HTTPS.

What it knows of real ELB behaviour (huaweicloudsdkelb v3 models and the API reference):
- certificates: `expire_time` as yyyy-MM-ddTHH:mm:ssZ; a key sent with a CA ("client")
  certificate is ignored; the key is echoed back (the real API does unless switched off);
  list with type/common_name/fingerprint/name/id filters and marker/limit pages; update; delete;
  an optional quota (400 ELB.9807).
- load balancers: `guaranteed` (False = shared) and `l7_flavor_id` (None = no HTTPS listener).
- listeners: a shared load balancer stores HTTPS as TERMINATED_HTTPS, takes only the shared
  TLS policies and no custom security policy, and answers a port clash with 400 ELB.6200 (a
  dedicated one with 409 ELB.8907); UDP and QUIC listeners count their ports apart from the
  TCP-based ones (a QUIC listener may share 443 with HTTPS); list filtered by load balancer,
  port and protocol; update (`insert_headers` and `sni_container_refs` are replaced whole, as
  the safe reading of an undocumented case); delete. Through v3 a shared load balancer's
  listener keeps its own TLS policy (UpdateListenerOption.tls_ciphers_policy "only for
  dedicated load balancers"): it answers with tls-1-0, the shared listeners' default.
- certificates in use (a listener's server, CA or SNI certificate) are not deleted: 409 ELB.8907.
- the region's system TLS policies (ListSystemSecurityPolicies): `system_policies`, or None for
  a region whose endpoint does not offer the call (404 APIGW.0101).
- pages: `page_info.next_marker` is the last id of every non-empty page, as the v3 PageInfo
  says; the end is an empty page.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import ssl
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

ROUTES = (
    "create_certificate", "show_certificate", "list_certificates", "update_certificate", "delete_certificate",
    "create_listener", "show_listener", "list_listeners", "update_listener", "delete_listener", "show_loadbalancer",
    "list_system_security_policies",
)
_PATH = re.compile(r"^/v3/(?P<project>[^/]+)/elb/(?P<kind>certificates|listeners|loadbalancers|system-security-policies)(?:/(?P<id>[^/]+))?$")
_AUTH = re.compile(r"^SDK-HMAC-SHA256 Access=(?P<ak>[^,]+), SignedHeaders=(?P<signed>[^,]+), Signature=(?P<sig>[0-9a-f]+)$")
_ROUTE_OF = {
    ("POST", "certificates", False): "create_certificate",
    ("GET", "certificates", True): "show_certificate",
    ("GET", "certificates", False): "list_certificates",
    ("PUT", "certificates", True): "update_certificate",
    ("DELETE", "certificates", True): "delete_certificate",
    ("POST", "listeners", False): "create_listener",
    ("GET", "listeners", True): "show_listener",
    ("GET", "listeners", False): "list_listeners",
    ("PUT", "listeners", True): "update_listener",
    ("DELETE", "listeners", True): "delete_listener",
    ("GET", "loadbalancers", True): "show_loadbalancer",
    ("GET", "system-security-policies", False): "list_system_security_policies",
}
SHARED_POLICIES = ("tls-1-0-inherit", "tls-1-0", "tls-1-1", "tls-1-2", "tls-1-2-strict")
ALL_POLICIES = (*SHARED_POLICIES, "tls-1-2-fs", "tls-1-0-with-1-3", "tls-1-2-fs-with-1-3", "hybrid-policy-1-0", "tls-1-2-strict-no-cbc")
SHARED_LISTENER_POLICY = "tls-1-0"  # what a shared load balancer's listener holds (v2 CreateListenerReq's default)
# Protocols that count their ports together (UDP and QUIC count theirs apart).
TCP_FAMILY = ("TCP", "HTTP", "HTTPS", "TERMINATED_HTTPS", "TLS")
EXPIRE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # CertificateInfo.expire_time: yyyy-MM-dd'T'HH:mm:ss'Z', UTC


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes
    query: dict[str, list[str]] = field(default_factory=dict)
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
    tls_context: ssl.SSLContext | None = None  # serve HTTPS with it
    certificate_quota: int | None = None  # certificates a project may hold
    system_policies: tuple[str, ...] | None = ALL_POLICIES  # the region's; None: the call is not offered
    after_write: Callable[[str, dict], None] | None = None  # called (route, record) after each change, under the lock
    requests: list[RecordedRequest] = field(default_factory=list)
    certificates: dict[str, dict] = field(default_factory=dict)
    listeners: dict[str, dict] = field(default_factory=dict)
    load_balancers: dict[str, dict] = field(default_factory=dict)
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

    def add_load_balancer(self, lb_id: str, *, shared: bool = False, l7_flavor_id: str | None = "l7-flavor-small", name: str = "") -> dict:
        """A load balancer the API knows: dedicated with an application flavour by default."""
        record = {
            "id": lb_id, "name": name or f"elb-{lb_id}", "guaranteed": not shared, "provider": "vlb",
            "l7_flavor_id": None if shared else l7_flavor_id, "provisioning_status": "ACTIVE", "listeners": [], "pools": [],
        }
        self.load_balancers[lb_id] = record
        return record

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
                data = json.dumps(payload).encode() if payload is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json;charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("X-Request-Id", (payload or {}).get("request_id", ""))
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the SDK gave up first (the deadline tests stall answers on purpose)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        if self.tls_context is not None:
            self._server.socket = self.tls_context.wrap_socket(self._server.socket, server_side=True)
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
        scheme = "https" if self.tls_context is not None else "http"
        return f"{scheme}://127.0.0.1:{self._server.server_address[1]}"

    def calls(self, route: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.route == route]

    def writes(self) -> list[RecordedRequest]:
        """Every request that changed something (POST, PUT, DELETE)."""
        return [r for r in self.requests if r.method in ("POST", "PUT", "DELETE")]

    # -- the API ----------------------------------------------------------------------
    def _dispatch(self, method: str, raw_path: str, headers: list[tuple[str, str]], body: bytes) -> tuple[int, dict | None]:
        request_id = uuid.uuid4().hex
        parts = urlsplit(raw_path)
        recorded = RecordedRequest(method, parts.path, headers, body, parse_qs(parts.query))
        with self._lock:
            self.requests.append(recorded)
        match = _PATH.match(parts.path)
        if not match:
            return 404, _error("APIGW.0101", "The API does not exist or has not been published in the environment", request_id)
        kind, item = match["kind"], match["id"]
        route = _ROUTE_OF.get((method, kind, item is not None), "")
        recorded.route = route
        if self.secret_key is not None:
            recorded.signature_ok = self._signature_ok(recorded, raw_path)
            if not recorded.signature_ok:
                return 401, _error("APIGW.0301", "Incorrect IAM authentication information: verify aksk signature fail", request_id)
        if not route:
            return 405, _error("ELB.0405", "method not allowed", request_id)
        refusal = self._configured_failure(route, request_id)
        if refusal is not None:
            return refusal
        try:
            payload = json.loads(body) if body else {}
        except ValueError:
            return 400, _error("ELB.8902", "request body is not JSON", request_id)
        handler = getattr(self, f"_{route}")
        with self._lock:
            status, answer = handler(match["project"], item, payload, recorded.query, request_id)
            if self.after_write is not None and status < 300 and recorded.method != "GET":
                self.after_write(route, answer or {})
            return status, answer

    def _configured_failure(self, route: str, request_id: str) -> tuple[int, dict] | None:
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
        return None

    @staticmethod
    def _own(store: dict[str, dict], project: str, item: str | None) -> dict | None:
        """A resource of this project (another project's is not found, as in the cloud)."""
        record = store.get(item or "")
        return record if record is not None and record.get("project_id") == project else None

    # -- certificates -----------------------------------------------------------------
    def _create_certificate(self, project: str, _item: str | None, payload: dict, _query: dict, request_id: str) -> tuple[int, dict]:
        option = payload.get("certificate") or {}
        kind = option.get("type", "server")
        if kind not in ("server", "client"):
            return 400, _error("ELB.8902", f"invalid certificate type {kind!r}", request_id)
        try:
            cert = x509.load_pem_x509_certificates(option.get("certificate", "").encode())[0]
        except (ValueError, IndexError):
            return 400, _error("ELB.1011", "Invalid private key or certificate content.", request_id)
        if kind == "server":
            try:
                serialization.load_pem_private_key(option.get("private_key", "").encode(), password=None)
            except (ValueError, TypeError):
                return 400, _error("ELB.1011", "Invalid private key or certificate content.", request_id)
        if self.certificate_quota is not None and len(self.certificates) >= self.certificate_quota:
            return 400, _error("ELB.9807", "Quota exceeded for resources: [certificate]", request_id)
        now = _now()
        cn = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        record = {
            "id": uuid.uuid4().hex, "name": option.get("name", ""), "type": kind,
            "description": option.get("description", ""), "domain": option.get("domain", ""),
            "certificate": option.get("certificate", ""),
            # A CA certificate's key is ignored (CreateCertificateOption.private_key); a server
            # certificate's is echoed back unless the project switched that off.
            "private_key": option.get("private_key", "") if kind == "server" else "",
            "admin_state_up": True, "project_id": project, "created_at": now, "updated_at": now,
            "expire_time": cert.not_valid_after_utc.strftime(EXPIRE_FORMAT),
            "common_name": str(cn[0].value) if cn else "",
            "fingerprint": cert.fingerprint(hashes.SHA1()).hex(),
            "subject_alternative_names": [], "source": "",
            "enterprise_project_id": option.get("enterprise_project_id") or "0",  # "0": the default project
        }
        self.certificates[record["id"]] = record
        return 201, {"request_id": request_id, "certificate": record}

    def _show_certificate(self, project: str, item: str | None, _payload: dict, _query: dict, request_id: str) -> tuple[int, dict]:
        record = self._own(self.certificates, project, item)
        if record is None:
            return 404, _error("ELB.8904", f"certificate {item} could not be found", request_id)
        return 200, {"request_id": request_id, "certificate": record}

    def _list_certificates(self, project: str, _item: str | None, _payload: dict, query: dict, request_id: str) -> tuple[int, dict]:
        found = [c for c in self.certificates.values() if c["project_id"] == project and all(
            c.get(name) in query[name] for name in ("type", "common_name", "fingerprint", "name", "id") if name in query)]
        page, page_info = _page(found, query)
        return 200, {"request_id": request_id, "certificates": page, "page_info": page_info}

    def _update_certificate(self, project: str, item: str | None, payload: dict, _query: dict, request_id: str) -> tuple[int, dict]:
        record = self._own(self.certificates, project, item)
        if record is None:
            return 404, _error("ELB.8904", f"certificate {item} could not be found", request_id)
        changes = {k: v for k, v in (payload.get("certificate") or {}).items() if v is not None}
        if "certificate" in changes:
            cert = x509.load_pem_x509_certificates(changes["certificate"].encode())[0]
            changes["expire_time"] = cert.not_valid_after_utc.strftime(EXPIRE_FORMAT)
            changes["fingerprint"] = cert.fingerprint(hashes.SHA1()).hex()
        record.update(changes, updated_at=_now())
        return 200, {"request_id": request_id, "certificate": record}

    def _delete_certificate(self, project: str, item: str | None, _payload: dict, _query: dict, request_id: str) -> tuple[int, dict | None]:
        if self._own(self.certificates, project, item) is None:
            return 404, _error("ELB.8904", f"certificate {item} could not be found", request_id)
        users = [listener["id"] for listener in self.listeners.values()
                 if item in (listener.get("default_tls_container_ref"), listener.get("client_ca_tls_container_ref"))
                 or item in (listener.get("sni_container_refs") or [])]
        if users:  # ELB refuses to delete a certificate a listener uses
            return 409, _error("ELB.8907", f"certificate {item} is used by listener {users[0]}", request_id)
        self.certificates.pop(item or "", None)
        return 204, None

    # -- load balancers and listeners ---------------------------------------------------
    def _show_loadbalancer(self, _project: str, item: str | None, _payload: dict, _query: dict, request_id: str) -> tuple[int, dict]:
        record = self.load_balancers.get(item or "")
        if record is None:
            return 404, _error("ELB.8904", f"loadbalancer {item} could not be found", request_id)
        return 200, {"request_id": request_id, "loadbalancer": record}

    def _create_listener(self, project: str, _item: str | None, payload: dict, _query: dict, request_id: str) -> tuple[int, dict]:
        option = payload.get("listener") or {}
        lb = self.load_balancers.get(option.get("loadbalancer_id", ""))
        if lb is None:
            return 404, _error("ELB.8904", f"loadbalancer {option.get('loadbalancer_id')} could not be found", request_id)
        refusal = self._listener_refusal(lb, option, request_id)
        if refusal is not None:
            return refusal
        protocol = "TERMINATED_HTTPS" if not lb["guaranteed"] and option.get("protocol") == "HTTPS" else option.get("protocol")
        record = {
            "id": uuid.uuid4().hex, "name": option.get("name", ""), "protocol": protocol,
            "protocol_port": option.get("protocol_port"),
            "default_tls_container_ref": option.get("default_tls_container_ref"),
            "client_ca_tls_container_ref": option.get("client_ca_tls_container_ref"),
            "sni_container_refs": option.get("sni_container_refs") or [],
            "tls_ciphers_policy": SHARED_LISTENER_POLICY if not lb["guaranteed"] else option.get("tls_ciphers_policy", "tls-1-2"),
            "security_policy_id": option.get("security_policy_id"),
            "default_pool_id": option.get("default_pool_id"),
            "insert_headers": option.get("insert_headers") or {},
            "loadbalancers": [{"id": lb["id"]}], "project_id": project, "admin_state_up": True,
        }
        self.listeners[record["id"]] = record
        return 201, {"request_id": request_id, "listener": record}

    def _listener_refusal(self, lb: dict, option: dict, request_id: str) -> tuple[int, dict] | None:
        shared = not lb["guaranteed"]
        if not shared and not lb.get("l7_flavor_id"):
            return 400, _error("ELB.8902", "the loadbalancer has no l7 flavor and cannot create HTTPS listener", request_id)
        policy = option.get("tls_ciphers_policy")
        if shared and (option.get("security_policy_id") or (policy and policy not in SHARED_POLICIES)):
            return 400, _error("ELB.8902", f"Invalid tls_ciphers_policy {policy} for a shared loadbalancer", request_id)
        for ref, kind in (("default_tls_container_ref", "server"), ("client_ca_tls_container_ref", "client")):
            if option.get("protocol") != "HTTPS":
                break
            cert = self.certificates.get(option.get(ref, ""))
            if cert is None or cert["type"] != kind:
                return 400, _error("ELB.8902", f"{ref} {option.get(ref)!r} is not a {kind} certificate of this project", request_id)
        for other in self.listeners.values():
            if other["loadbalancers"][0]["id"] == lb["id"] and other["protocol_port"] == option.get("protocol_port") \
                    and (other["protocol"] in TCP_FAMILY) == (option.get("protocol") in TCP_FAMILY):
                if shared:
                    return 400, _error("ELB.6200", f"The port {other['protocol_port']} is already used", request_id)
                return 409, _error("ELB.8907", f"port {other['protocol_port']} is already used by listener {other['id']}", request_id)
        return None

    def _show_listener(self, project: str, item: str | None, _payload: dict, _query: dict, request_id: str) -> tuple[int, dict]:
        record = self._own(self.listeners, project, item)
        if record is None:
            return 404, _error("ELB.8904", f"listener {item} could not be found", request_id)
        return 200, {"request_id": request_id, "listener": record}

    def _list_listeners(self, project: str, _item: str | None, _payload: dict, query: dict, request_id: str) -> tuple[int, dict]:
        found = [listener for listener in self.listeners.values() if listener["project_id"] == project
                 and ("loadbalancer_id" not in query or listener["loadbalancers"][0]["id"] in query["loadbalancer_id"])
                 and ("protocol_port" not in query or str(listener["protocol_port"]) in query["protocol_port"])
                 and ("protocol" not in query or listener["protocol"] in query["protocol"])
                 and all(field not in query or listener.get(field) in query[field]
                         for field in ("default_tls_container_ref", "client_ca_tls_container_ref"))]
        page, page_info = _page(found, query)
        return 200, {"request_id": request_id, "listeners": page, "page_info": page_info}

    def _update_listener(self, project: str, item: str | None, payload: dict, _query: dict, request_id: str) -> tuple[int, dict]:
        record = self._own(self.listeners, project, item)
        if record is None:
            return 404, _error("ELB.8904", f"listener {item} could not be found", request_id)
        changes = {k: v for k, v in (payload.get("listener") or {}).items() if v is not None}
        wanted = [(changes.get(ref), kind) for ref, kind in (("default_tls_container_ref", "server"), ("client_ca_tls_container_ref", "client"))]
        for cert_id, kind in [*wanted, *((ref, "server") for ref in changes.get("sni_container_refs") or [])]:
            if cert_id is not None and (self._own(self.certificates, project, cert_id) or {}).get("type") != kind:
                return 400, _error("ELB.8902", f"{cert_id!r} is not a {kind} certificate of this project", request_id)
        lb = self.load_balancers.get(record["loadbalancers"][0]["id"]) or {}
        if not lb.get("guaranteed", True):
            changes.pop("tls_ciphers_policy", None)  # v3: a TLS policy applies on dedicated load balancers only
        record.update(changes)  # insert_headers and sni_container_refs: the object or list sent replaces the one held
        return 200, {"request_id": request_id, "listener": record}

    def _delete_listener(self, project: str, item: str | None, _payload: dict, _query: dict, request_id: str) -> tuple[int, dict | None]:
        if self._own(self.listeners, project, item) is None or self.listeners.pop(item or "", None) is None:
            return 404, _error("ELB.8904", f"listener {item} could not be found", request_id)
        return 204, None

    def _list_system_security_policies(self, project: str, _item: str | None, _payload: dict, _query: dict, request_id: str) -> tuple[int, dict]:
        if self.system_policies is None:
            return 404, _error("APIGW.0101", "The API does not exist or has not been published in the environment", request_id)
        policies = [{"name": name, "protocols": "TLSv1.2", "ciphers": "", "project_id": project} for name in self.system_policies]
        return 200, {"request_id": request_id, "system_security_policies": policies}

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


def _page(items: list[dict], query: dict) -> tuple[list[dict], dict]:
    """One page: after the `marker` id, at most `limit` items (the v3 paging rules)."""
    start = 0
    if "marker" in query:
        ids = [item["id"] for item in items]
        start = ids.index(query["marker"][0]) + 1 if query["marker"][0] in ids else len(items)
    limit = int(query.get("limit", ["2000"])[0])
    page = items[start:start + limit]
    return page, {"previous_marker": page[0]["id"] if page else None, "next_marker": page[-1]["id"] if page else None,
                  "current_count": len(page)}


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime(EXPIRE_FORMAT)


def _error(code: str, message: str, request_id: str) -> dict:
    return {"error_code": code, "error_msg": message, "request_id": request_id}
