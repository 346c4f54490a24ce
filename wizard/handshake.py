"""Step 7: prove the listener demands a client certificate, accepts ours and refuses strangers.

Three attempts against one address, each a real TLS connection followed by `HEAD /`
(what `curl -I` sends):

1. with the workspace's client certificate   -> must be accepted (an HTTP answer arrives);
2. without a client certificate               -> must be rejected;
3. with a throwaway certificate from a foreign CA (made in memory) -> must be rejected.

"Rejected" covers every way real servers refuse: a TLS alert during the handshake, a
TLS 1.3 alert that only surfaces when data is read, a reset, EOF before any answer, and the
nginx/ELB style HTTP 400 ("No required SSL certificate was sent") or 495/496.

The standard `ssl` module cannot show the CertificateRequest message, which carries the
names of the CAs a server accepts for client certificates. CPython's SSLContext has a
(private, debugging) `_msg_callback` hook that sees every handshake message after
decryption; we use it when present to read that list and to tell "the server never asked
for a certificate" from "it asked and then let us in". Without the hook those facts are
simply reported as unknown: no new dependency, no second handshake.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress
import json
import os
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wizard.errors import InputError, WizardError
from wizard.workspace import Workspace

if TYPE_CHECKING:  # pragma: no cover - typing only, keeps start-up lean
    from cryptography import x509

WITH_CERT = "with_client_cert"
WITHOUT_CERT = "without_client_cert"
FOREIGN_CERT = "foreign_client_cert"
LABELS = {
    WITH_CERT: "with our client certificate",
    WITHOUT_CERT: "without a client certificate",
    FOREIGN_CERT: "with a foreign CA's certificate",
}
CONNECT_TIMEOUT = 5.0  # the TCP connect alone; the whole attempt is bounded by --timeout
MAX_RESPONSE_BYTES = 16384
USER_AGENT = "mtls-wizard-check"

# The reason texts in the pages nginx (and nginx-based load balancers) send when a client
# certificate is missing or refused; the status line itself only says "400 Bad Request".
# Only these exact phrases: an application page may well mention "SSL certificates".
_REJECTION_TEXTS = ("No required SSL certificate was sent", "The SSL certificate error")

_ALERTS = {
    0: "close notify", 10: "unexpected message", 20: "bad record MAC", 22: "record overflow",
    40: "handshake failure", 42: "bad certificate", 43: "unsupported certificate",
    44: "certificate revoked", 45: "certificate expired", 46: "certificate unknown",
    47: "illegal parameter", 48: "unknown CA", 49: "access denied", 50: "decode error",
    51: "decrypt error", 70: "protocol version", 71: "insufficient security", 80: "internal error",
    86: "inappropriate fallback", 90: "user canceled", 109: "missing extension",
    110: "unsupported extension", 112: "unrecognized name", 116: "certificate required",
    120: "no application protocol",
}
# Alerts that, before the ServerHello, mean "no TLS version or cipher in common" (handshake
# failure, protocol version, insufficient security); 70 and 71 mean it at any time.
_PROTOCOL_ALERTS = {40, 70, 71}
_UNRECOGNIZED_NAME = 112  # SNI-only listeners (nginx `ssl_reject_handshake on`) refuse unknown names
_ALERT_CODES = {name.lower(): code for code, name in _ALERTS.items()}
_NOT_TLS_REASONS = {
    "WRONG_VERSION_NUMBER", "UNKNOWN_PROTOCOL", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG",
    "HTTP_REQUEST", "HTTPS_PROXY_REQUEST", "BAD_PACKET_LENGTH", "RECORD_TOO_LARGE", "UNEXPECTED_RECORD",
}
_LOCAL_PROTOCOL_REASONS = {"UNSUPPORTED_PROTOCOL", "NO_PROTOCOLS_AVAILABLE", "NO_CIPHERS_AVAILABLE", "NO_SHARED_CIPHER"}

_OID_NAMES = {
    "2.5.4.3": "CN", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.10": "O",
    "2.5.4.11": "OU", "2.5.4.5": "serialNumber", "2.5.4.9": "street", "2.5.4.17": "postalCode",
    "0.9.2342.19200300.100.1.25": "DC", "0.9.2342.19200300.100.1.1": "UID",
    "1.2.840.113549.1.9.1": "emailAddress",
}


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------


@dataclass
class Attempt:
    """One of the three tries and how it went."""

    name: str  # WITH_CERT | WITHOUT_CERT | FOREIGN_CERT
    label: str  # human label
    outcome: str  # "accepted" | "rejected" | "timeout" | "error"
    detail: str  # e.g. "HTTP/1.1 200 OK", "TLS alert: certificate required"
    ok: bool  # went as required
    kind: str = ""  # finer cause: http, alert, eof, reset, refused, dns, dns_timeout, connect_timeout, silent, timeout, not_tls, protocol, name, early_alert, closed, ...
    status_code: int | None = None
    tls_version: str = ""
    certificate_requested: bool | None = None  # None: not observable on this Python
    elapsed: float = 0.0


@dataclass
class ServerCertificate:
    """Facts about the certificate the listener presented."""

    subject: str
    sans: list[str]
    issuer: str
    not_before: str
    not_after: str
    fingerprint: str  # SHA-256, colon-separated hex
    is_workspace_cert: bool  # byte-identical to WORKSPACE/server/server.crt
    verifies_against_ca: bool  # signed by WORKSPACE/ca/ca.crt
    matches_sni: bool  # covers the name we asked for
    expired: bool = False
    not_yet_valid: bool = False


@dataclass
class Verdict:
    status: str  # "pass" | "fail" | "inconclusive" | "unreachable"
    passed: bool
    summary: str  # the one verdict line
    diagnosis: list[str]  # plain-language findings, each with the likely fix
    attempts: list[Attempt]
    address: str = ""  # "host:port" / "[v6]:port"
    host: str = ""
    port: int = 0
    sni: str = ""  # the name sent and verified
    trust: str = "workspace"
    insecure: bool = False
    tls_version: str = ""
    cipher: str = ""
    server_certificate: ServerCertificate | None = None
    server_verified: bool | None = None  # None with --insecure
    server_verify_error: str = ""
    accepted_client_cas: list[str] = field(default_factory=list)  # from the CertificateRequest
    client_ca_names_known: bool = False  # False: not observable here (see module docstring)
    our_ca_advertised: bool | None = None
    workspace: str = ""
    checked_at: str = ""
    elapsed: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


# ---------------------------------------------------------------------------
# Addresses
# ---------------------------------------------------------------------------

_ADDRESS_HELP = "write it as host:port, [IPv6]:port or https://host:port, e.g. 192.0.2.10:443"


def _parse_port(text: str, original: str) -> int:
    if not text.isdigit():
        raise InputError(f"{text!r} in {original!r} is not a port number: {_ADDRESS_HELP}")
    port = int(text)
    if not 1 <= port <= 65535:
        raise InputError(f"port {port} in {original!r} is out of range (1-65535): {_ADDRESS_HELP}")
    return port


def parse_address(text: str) -> tuple[str, int]:
    """'host:port', '[v6]:port' or 'https://host[:port][/path]' -> (host, port). InputError on bad input."""
    original = text
    text = (text or "").strip()
    if not text:
        raise InputError(f"no address given: {_ADDRESS_HELP}")
    if any(ch.isspace() for ch in text):
        raise InputError(f"{original!r} contains spaces: {_ADDRESS_HELP}")
    default_port: int | None = None
    if "://" in text:
        scheme, _, text = text.partition("://")
        if scheme.lower() == "http":
            raise InputError(f"{original!r} is plain HTTP: mutual TLS needs the HTTPS listener, e.g. https://{text.split('/')[0]}")
        if scheme.lower() != "https":
            raise InputError(f"{original!r}: only https:// addresses can be checked")
        text = text.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
        if "@" in text:
            raise InputError(f"{original!r} contains user information: give only host and port")
        default_port = 443
    if not text:
        raise InputError(f"{original!r} has no host: {_ADDRESS_HELP}")
    if text.startswith("["):
        inside, bracket, rest = text[1:].partition("]")
        if not bracket:
            raise InputError(f"{original!r} opens '[' but never closes it: {_ADDRESS_HELP}")
        try:
            host = str(ipaddress.IPv6Address(inside.split("%", 1)[0])) + ("%" + inside.split("%", 1)[1] if "%" in inside else "")
        except ValueError:
            raise InputError(f"{inside!r} in {original!r} is not an IPv6 address") from None
        if rest.startswith(":"):
            return host, _parse_port(rest[1:], original)
        if rest or default_port is None:
            raise InputError(f"{original!r} has no port: {_ADDRESS_HELP}")
        return host, default_port
    if text.count(":") > 1:
        raise InputError(f"{original!r}: write an IPv6 address in brackets, e.g. [2001:db8::1]:443")
    host, colon, port_text = text.partition(":")
    if not host:
        raise InputError(f"{original!r} has no host: {_ADDRESS_HELP}")
    if colon:
        port = _parse_port(port_text, original)
    elif default_port is not None:
        port = default_port
    else:
        raise InputError(f"{original!r} has no port: {_ADDRESS_HELP}")
    try:
        host = str(ipaddress.IPv4Address(host))
    except ValueError:
        if not all(ch.isalnum() or ch in "-._" for ch in host) or host.startswith((".", "-")):
            raise InputError(f"{host!r} in {original!r} is not a host name or IP address: {_ADDRESS_HELP}") from None
        host = host.lower()
    return host, port


def _check_name(name: str, given: bool) -> str:
    from wizard import pki

    problem = pki.name_problem(name) or ("a wildcard cannot be sent as a server name" if "*" in name else None)
    if problem:
        if given:
            raise InputError(f"--sni: {problem}")
        raise InputError(f"the workspace's server CN cannot be sent as a server name ({problem}): give --sni NAME")
    return pki.normalise_name(name)


def format_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


# ---------------------------------------------------------------------------
# What the handshake shows us (via the private message hook, when present)
# ---------------------------------------------------------------------------


class _Recorder:
    """Collects the few handshake facts the ssl module does not expose. Never raises."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.server_hello = False
        self.certificate_request: bytes | None = None
        self.alert_received: int | None = None

    def __call__(self, conn: object, direction: str, version: object, content_type: object, msg_type: object, data: bytes) -> None:
        try:
            if direction != "read":
                return
            if content_type == 21 and len(data) >= 2:  # alert
                self.alert_received = data[1]
            elif content_type == 22 and data:  # handshake message, type in the first byte
                if data[0] == 2:
                    self.server_hello = True
                elif data[0] == 13 and self.certificate_request is None:
                    self.certificate_request = bytes(data)
        except Exception:  # noqa: BLE001 - an exception here would abort the handshake
            pass


def _hook_available() -> bool:
    return hasattr(ssl.SSLContext, "_msg_callback")


def _u16(buf: bytes, pos: int) -> int:
    if pos + 2 > len(buf):
        raise ValueError("truncated")
    return int.from_bytes(buf[pos:pos + 2], "big")


def _distinguished_names(block: bytes) -> list[bytes]:
    names, pos = [], 0
    while pos < len(block):
        size = _u16(block, pos)
        pos += 2
        if pos + size > len(block):
            raise ValueError("truncated name")
        names.append(block[pos:pos + size])
        pos += size
    return names


def certificate_request_ca_names(message: bytes) -> list[bytes]:
    """The DER-encoded CA names in a CertificateRequest (TLS 1.2 or 1.3 layout), or []."""
    body = message[4:]  # skip the handshake header (type + 3-byte length)
    for parse in (_ca_names_tls12, _ca_names_tls13):
        try:
            return parse(body)
        except (ValueError, IndexError):
            continue
    return []


def _ca_names_tls12(body: bytes) -> list[bytes]:
    pos = 1 + body[0]  # certificate_types
    pos += 2 + _u16(body, pos)  # supported_signature_algorithms
    size = _u16(body, pos)
    if pos + 2 + size != len(body):
        raise ValueError("not a TLS 1.2 CertificateRequest")
    return _distinguished_names(body[pos + 2:pos + 2 + size])


def _ca_names_tls13(body: bytes) -> list[bytes]:
    pos = 1 + body[0]  # certificate_request_context
    end = pos + 2 + _u16(body, pos)
    if end != len(body):
        raise ValueError("not a TLS 1.3 CertificateRequest")
    pos += 2
    while pos < end:
        ext_type, ext_size = _u16(body, pos), _u16(body, pos + 2)
        data = body[pos + 4:pos + 4 + ext_size]
        pos += 4 + ext_size
        if ext_type == 47:  # certificate_authorities
            return _distinguished_names(data[2:2 + _u16(data, 0)])
    return []


def _der_item(buf: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, content start, content end) of the DER element at pos."""
    tag, length = buf[pos], buf[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(buf[pos:pos + count], "big")
        pos += count
    if pos + length > len(buf):
        raise ValueError("truncated DER")
    return tag, pos, pos + length


def _oid_text(data: bytes) -> str:
    parts, value = [], 0
    for byte in data:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(value)
            value = 0
    first = min(parts[0] // 40, 2)
    return ".".join(str(p) for p in [first, parts[0] - 40 * first, *parts[1:]])


def _der_string(tag: int, data: bytes) -> str:
    if tag == 0x1E:
        return data.decode("utf-16-be", "replace")
    if tag == 0x1C:
        return data.decode("utf-32-be", "replace")
    if tag == 0x14:
        return data.decode("latin-1")
    if tag in (0x0C, 0x13, 0x16, 0x1A):
        return data.decode("utf-8", "replace")
    return "#" + data.hex()


def _escape_rdn_value(value: str) -> str:
    out = "".join("\\" + ch if ch in ',+"\\<>;=' else ch for ch in value)
    if out.startswith(("#", " ")):
        out = "\\" + out
    return out[:-1] + "\\ " if out.endswith(" ") else out


def der_name_to_text(der: bytes) -> str:
    """A DER X.509 Name as an RFC 4514 string (most specific first, like `cryptography`)."""
    rdns: list[str] = []
    tag, pos, end = _der_item(der, 0)
    if tag != 0x30:
        raise ValueError("not a Name")
    while pos < end:
        _, set_pos, set_end = _der_item(der, pos)
        pos = set_end
        parts = []
        while set_pos < set_end:
            _, seq_pos, seq_end = _der_item(der, set_pos)
            set_pos = seq_end
            _, oid_pos, oid_end = _der_item(der, seq_pos)
            value_tag, value_pos, value_end = _der_item(der, oid_end)
            oid = _oid_text(der[oid_pos:oid_end])
            parts.append(f"{_OID_NAMES.get(oid, oid)}={_escape_rdn_value(_der_string(value_tag, der[value_pos:value_end]))}")
        rdns.append("+".join(parts))
    return ",".join(reversed(rdns))


# ---------------------------------------------------------------------------
# The throwaway foreign identity (EC P-256, made once per process)
# ---------------------------------------------------------------------------

_foreign_lock = threading.Lock()
_foreign_pem: bytes | None = None


def foreign_identity_pem() -> bytes:
    """PEM of a client certificate (plus its key) from a CA nobody trusts; cached per process."""
    global _foreign_pem
    with _foreign_lock:
        if _foreign_pem is None:
            from wizard import pki

            ca_key, client_key = pki.generate_key("ec-p256"), pki.generate_key("ec-p256")
            ca = pki.create_ca(ca_key, org="mtls-wizard foreign test", cn="Untrusted Throwaway CA", days=1)
            client = pki.issue_client(ca_key, ca.cert, client_key, cn="stranger", org="mtls-wizard foreign test", days=1)
            _foreign_pem = pki.cert_to_pem(client.cert) + pki.key_to_pem(client_key)
        return _foreign_pem


def _load_pem_identity(context: ssl.SSLContext, pem: bytes) -> None:
    """load_cert_chain wants a path: use an anonymous in-memory file where the OS has one."""
    if hasattr(os, "memfd_create") and os.path.isdir("/proc/self/fd"):
        fd = os.memfd_create("mtls-wizard-foreign")
        try:
            os.write(fd, pem)
            context.load_cert_chain(f"/proc/self/fd/{fd}")
            return
        except OSError:
            pass
        finally:
            os.close(fd)
    import tempfile

    with tempfile.TemporaryDirectory(prefix="mtls-wizard-") as folder:
        path = Path(folder) / "foreign.pem"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        context.load_cert_chain(str(path))


# ---------------------------------------------------------------------------
# The workspace material
# ---------------------------------------------------------------------------


@dataclass
class _Material:
    ca_file: Path
    client_cert_file: Path
    client_key_file: Path
    ca_der: bytes
    ca_subject_der: bytes
    ca_subject: str
    server_der: bytes | None
    server_cn: str | None
    client_not_after: dt.datetime
    client_not_before: dt.datetime


def _load_material(ws: Workspace) -> _Material:
    from cryptography.hazmat.primitives import serialization

    from wizard import pki

    needed = {"CA certificate": ws.cert("ca"), "client certificate": ws.cert("client"), "client key": ws.key("client")}
    for what, path in needed.items():
        if not path.is_file():
            raise WizardError(f"no {what} at {path}: run mtls-wizard generate (steps 1-3) for this workspace first, or pass --workspace")
    try:
        ca = pki.load_cert_pem(ws.cert("ca").read_bytes(), "the CA certificate")
        client = pki.load_cert_pem(ws.cert("client").read_bytes(), "the client certificate")
        server_der, server_cn = None, None
        if ws.cert("server").is_file():
            server = pki.load_cert_pem(ws.cert("server").read_bytes(), "the server certificate")
            server_der = server.public_bytes(serialization.Encoding.DER)
            server_cn = pki.cn_of(server.subject)
    except OSError as error:
        raise WizardError(f"cannot read the workspace {ws.root}: {error.strerror or error}") from None
    return _Material(
        ca_file=ws.cert("ca"), client_cert_file=ws.cert("client"), client_key_file=ws.key("client"),
        ca_der=ca.public_bytes(serialization.Encoding.DER), ca_subject_der=ca.subject.public_bytes(),
        ca_subject=ca.subject.rfc4514_string(), server_der=server_der, server_cn=server_cn,
        client_not_after=client.not_valid_after_utc, client_not_before=client.not_valid_before_utc,
    )


# ---------------------------------------------------------------------------
# One attempt
# ---------------------------------------------------------------------------


@dataclass
class _Raw:
    """What happened on the wire, before we judge it."""

    kind: str  # http, alert, eof, reset, timeout, silent, not_tls, protocol, verify, refused, connect_timeout, unreachable, error
    detail: str = ""
    phase: str = ""  # connect | handshake | response
    status_code: int | None = None
    status_line: str = ""
    body: bytes = b""
    tls_version: str = ""
    cipher: str = ""
    peer_der: bytes | None = None
    server_hello: bool | None = None
    certificate_request: bytes | None = None
    alert: int | None = None
    verify_error: str = ""
    elapsed: float = 0.0


@dataclass
class _Target:
    host: str
    port: int
    server_hostname: str | None  # SNI + name verified (an IP: no SNI is sent, the IP is verified)
    host_header: str
    timeout: float
    connect_timeout: float
    sockaddrs: list[tuple[int, tuple[Any, ...]]]


def _ssl_reason(error: ssl.SSLError) -> str:
    return str(getattr(error, "reason", "") or "")


def _alert_from_reason(reason: str) -> str | None:
    for prefix in ("SSLV3_ALERT_", "TLSV13_ALERT_", "TLSV1_ALERT_"):
        if reason.startswith(prefix):
            return reason[len(prefix):].replace("_", " ").lower().replace(" ca", " CA").replace("mac", "MAC")
    return None


def _alert_name(code: int | None, reason: str) -> str:
    if code is not None and code in _ALERTS:
        return _ALERTS[code]
    return _alert_from_reason(reason) or reason.replace("_", " ").lower() or "unknown"


def _alert_code(reason: str) -> int | None:
    """The alert number behind an OpenSSL reason such as TLSV1_UNRECOGNIZED_NAME (when the hook did not see it)."""
    for prefix in ("SSLV3_ALERT_", "TLSV13_ALERT_", "TLSV1_ALERT_", "TLSV1_"):
        if reason.startswith(prefix):
            return _ALERT_CODES.get(reason[len(prefix):].replace("_", " ").lower())
    return None


def _closed_detail(phase: str, how: str = "closed") -> str:
    return f"connection {how} " + ("during the TLS handshake" if phase == "handshake" else "before any HTTP response")


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    return left


def _connect(target: _Target, deadline: float) -> tuple[socket.socket | None, _Raw | None]:
    last: _Raw | None = None
    for family, sockaddr in list(target.sockaddrs):
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(min(target.connect_timeout, _remaining(deadline)))
            sock.connect(sockaddr)
            if target.sockaddrs[0] != (family, sockaddr):  # later attempts start with what worked
                target.sockaddrs.remove((family, sockaddr))
                target.sockaddrs.insert(0, (family, sockaddr))
            return sock, None
        except ConnectionRefusedError:
            last = _Raw("refused", "connection refused", "connect")
        except (TimeoutError, socket.timeout):
            last = _Raw("connect_timeout", f"no TCP answer within {target.connect_timeout:g} s", "connect")
        except OSError as error:
            last = _Raw("unreachable", (error.strerror or str(error)).lower(), "connect")
        sock.close()
    return None, last or _Raw("unreachable", "no usable address", "connect")


def _read_http(sock: ssl.SSLSocket, deadline: float, want_body: bool) -> bytes:
    data = b""
    while len(data) < MAX_RESPONSE_BYTES:
        sock.settimeout(_remaining(deadline))
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
        head_end = data.find(b"\r\n\r\n")
        if head_end >= 0 and (not want_body or _body_complete(data, head_end)):
            break
    return data


def _body_complete(data: bytes, head_end: int) -> bool:
    for line in data[:head_end].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and value.strip().isdigit():
            return len(data) - head_end - 4 >= int(value.strip())
    return len(data) - head_end - 4 >= 2048  # enough to find a reason text


def _run_once(context: ssl.SSLContext, recorder: _Recorder, target: _Target, method: str = "HEAD") -> _Raw:
    started = time.monotonic()
    deadline = started + target.timeout
    recorder.reset()
    raw = _exchange(context, recorder, target, deadline, method)
    hooked = _hook_available()
    raw.server_hello = recorder.server_hello if hooked else None
    raw.certificate_request = recorder.certificate_request
    if raw.alert is None:
        raw.alert = recorder.alert_received
    if raw.kind in ("eof", "reset") and raw.alert not in (None, 0):
        # The alert arrived before the close: name it rather than the close.
        raw.kind, raw.detail = "alert", f"TLS alert: {_alert_name(raw.alert, '')}"
    elif raw.kind in ("eof", "reset") and raw.phase == "handshake" and raw.server_hello is False:
        # Hung up before even choosing a version: that is not about client certificates.
        raw.kind, raw.detail = "closed", "closed the connection before the TLS handshake began"
    raw.elapsed = time.monotonic() - started
    return raw


def _exchange(context: ssl.SSLContext, recorder: _Recorder, target: _Target, deadline: float, method: str) -> _Raw:
    sock, failure = _connect(target, deadline)
    if sock is None:
        assert failure is not None
        return failure
    raw = _Raw("error", phase="handshake")
    tls: ssl.SSLSocket | None = None
    try:
        try:
            sock.settimeout(_remaining(deadline))
            tls = context.wrap_socket(sock, server_hostname=target.server_hostname, do_handshake_on_connect=False)
            tls.do_handshake()
        except ssl.SSLCertVerificationError as error:
            raw.kind, raw.verify_error = "verify", str(error.verify_message or error.reason or error)
            return raw
        raw.tls_version = tls.version() or ""
        cipher = tls.cipher()
        raw.cipher = cipher[0] if cipher else ""
        raw.peer_der = tls.getpeercert(binary_form=True)
        raw.phase = "response"
        request = f"{method} / HTTP/1.1\r\nHost: {target.host_header}\r\nUser-Agent: {USER_AGENT}\r\nAccept: */*\r\nConnection: close\r\n\r\n"
        tls.settimeout(_remaining(deadline))
        tls.sendall(request.encode("ascii"))
        data = _read_http(tls, deadline, want_body=method != "HEAD")
        return _judge_http(raw, data)
    except (TimeoutError, socket.timeout):
        raw.kind = "silent" if raw.phase == "handshake" and not recorder.server_hello else "timeout"
        raw.detail = f"no answer within {target.timeout:g} s ({'during the TLS handshake' if raw.phase == 'handshake' else 'waiting for the HTTP response'})"
        return raw
    except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
        raw.kind, raw.detail = "eof", _closed_detail(raw.phase)
        return raw
    except ssl.SSLError as error:
        return _judge_ssl_error(raw, error, recorder)
    except (ConnectionResetError, BrokenPipeError, ConnectionAbortedError):
        raw.kind, raw.detail = "reset", _closed_detail(raw.phase, "reset")
        return raw
    except OSError as error:
        raw.kind, raw.detail = "error", (error.strerror or str(error) or type(error).__name__).lower()
        return raw
    except (ValueError, UnicodeError) as error:  # odd bytes from the server: report, never crash
        raw.kind, raw.detail = "error", f"unexpected answer ({error})"
        return raw
    finally:
        (tls or sock).close()


def _judge_ssl_error(raw: _Raw, error: ssl.SSLError, recorder: _Recorder) -> _Raw:
    reason = _ssl_reason(error)
    alert = recorder.alert_received
    code = alert if alert is not None else _alert_code(reason)
    if code is not None or _alert_from_reason(reason):
        raw.alert = code
        raw.detail = f"TLS alert: {_alert_name(code, reason)}"
        # Before the ServerHello no certificate has been exchanged: such an alert is about
        # the name, the versions or the ciphers, never about who we are.
        before_hello = raw.phase == "handshake" and _hook_available() and not recorder.server_hello
        if code == _UNRECOGNIZED_NAME:
            raw.kind = "name"
        elif code in (70, 71) or (before_hello and code in _PROTOCOL_ALERTS):
            raw.kind = "protocol"
            raw.detail += " (no TLS version or cipher in common)"
        elif before_hello:
            raw.kind = "early_alert"
        else:
            raw.kind = "alert"
        return raw
    if reason in _NOT_TLS_REASONS or (raw.phase == "handshake" and _hook_available() and not recorder.server_hello and reason not in _LOCAL_PROTOCOL_REASONS):
        raw.kind, raw.detail = "not_tls", "the port does not answer in TLS"
        return raw
    if reason in _LOCAL_PROTOCOL_REASONS:
        raw.kind, raw.detail = "protocol", f"no TLS version or cipher in common ({reason.replace('_', ' ').lower()})"
        return raw
    if reason == "UNEXPECTED_EOF_WHILE_READING" or "EOF" in reason:
        raw.kind, raw.detail = "eof", _closed_detail(raw.phase)
        return raw
    raw.kind, raw.detail = "error", f"TLS error: {reason.replace('_', ' ').lower() or error}"
    return raw


def _judge_http(raw: _Raw, data: bytes) -> _Raw:
    if not data:
        raw.kind, raw.detail = "eof", _closed_detail(raw.phase)
        return raw
    first_line = data.split(b"\r\n", 1)[0].decode("latin-1", "replace").strip()
    parts = first_line.split(" ", 2)
    if not first_line.startswith("HTTP/") or len(parts) < 2 or not (parts[1].isascii() and parts[1].isdigit()):
        raw.kind, raw.status_line = "http", first_line[:80]
        raw.detail = "answered after the handshake, but not in HTTP"
        return raw
    head_end = data.find(b"\r\n\r\n")
    raw.kind, raw.status_line, raw.status_code = "http", first_line, int(parts[1])
    raw.body = data[head_end + 4:] if head_end >= 0 else b""
    raw.detail = first_line
    return raw


def _rejection_text(raw: _Raw) -> str | None:
    """The reason text of an nginx-style refusal page, if the body carries one."""
    lowered = raw.body.lower()
    return next((text for text in _REJECTION_TEXTS if text.lower().encode() in lowered), None)


# ---------------------------------------------------------------------------
# The probe
# ---------------------------------------------------------------------------


class _Contexts:
    """The three client contexts, rebuilt unverified once the server certificate is known to fail."""

    def __init__(self, material: _Material, verify: bool, trust: str, recorder: _Recorder) -> None:
        self.material, self.verify, self.trust, self.recorder = material, verify, trust, recorder
        self._cache: dict[tuple[str, bool], ssl.SSLContext] = {}

    def get(self, name: str) -> ssl.SSLContext:
        key = (name, self.verify)
        if key not in self._cache:
            self._cache[key] = self._build(name)
        return self._cache[key]

    def _build(self, name: str) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        if self.verify:
            if self.trust == "system":
                context.load_default_certs()
            else:
                context.load_verify_locations(cadata=self.material.ca_der)
        else:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        try:
            if name == WITH_CERT:
                context.load_cert_chain(str(self.material.client_cert_file), str(self.material.client_key_file))
            elif name == FOREIGN_CERT:
                _load_pem_identity(context, foreign_identity_pem())
        except ssl.SSLError as error:
            raise WizardError(f"the client certificate and key in the workspace cannot be used together ({_ssl_reason(error).replace('_', ' ').lower()}): re-issue the client certificate") from None
        except OSError as error:
            raise WizardError(f"cannot read the client certificate or key: {error.strerror or error}") from None
        if _hook_available():
            context._msg_callback = self.recorder  # type: ignore[attr-defined]
        return context


@dataclass
class _Plan:
    """Everything a check needs, validated before any connection is made."""

    host: str
    port: int
    ws: Workspace
    material: _Material
    name: str  # SNI and the name verified
    timeout: float
    insecure: bool
    trust: str
    connect_timeout: float


def prepare(host: str, port: int, ws: Workspace, sni: str | None, timeout: float, insecure: bool, trust: str,
             connect_timeout: float | None) -> _Plan:
    if trust not in ("workspace", "system"):
        raise InputError(f"unknown trust {trust!r}: use workspace or system")
    if sni is not None:  # a bad --sni is a usage error, reported before the workspace is read
        if not sni.strip():
            raise InputError("--sni is empty: give the server name the certificate was issued for")
        sni = _check_name(_unbracket(sni.strip()), given=True)
    material = _load_material(ws)
    name = sni or _check_name(_unbracket((material.server_cn or host).strip()), given=False)
    return _Plan(host, port, ws, material, name, timeout, insecure, trust, min(timeout, connect_timeout or CONNECT_TIMEOUT))


def _unbracket(name: str) -> str:
    return name[1:-1] if name.startswith("[") and name.endswith("]") else name


def probe(
    host: str,
    port: int,
    ws: Workspace,
    *,
    sni: str | None = None,
    timeout: float = 10.0,
    insecure: bool = False,
    trust: str = "workspace",
    progress: Callable[[Attempt], None] | None = None,
    connect_timeout: float | None = None,
) -> Verdict:
    """Run the three attempts against host:port and judge them. Blocking; safe in a worker thread.

    SNI and the name verified default to the workspace's server CN (also for an IP address).
    Raises WizardError when the workspace lacks what the check needs and InputError for an
    unusable name; whatever the server does becomes part of the verdict, never an exception.
    The name lookup and every attempt are each bounded by `timeout`.
    """
    return execute(prepare(host, port, ws, sni, timeout, insecure, trust, connect_timeout), progress)


def _resolve(host: str, port: int, timeout: float) -> tuple[list[tuple[int, tuple[Any, ...]]], _Raw | None]:
    """getaddrinfo in a daemon thread: a hanging resolver costs at most `timeout`, never the whole run."""
    found: list[tuple[int, tuple[Any, ...]]] = []
    problem: list[str] = []
    done = threading.Event()

    def look_up() -> None:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            found.extend((family, sockaddr) for family, _, _, _, sockaddr in infos)
        except Exception as error:  # noqa: BLE001 - reported as the lookup's result, never raised in a thread
            problem.append(str(getattr(error, "strerror", "") or error or type(error).__name__))
        finally:
            done.set()

    threading.Thread(target=look_up, name=f"resolve-{host}", daemon=True).start()
    if not done.wait(timeout):
        return [], _Raw("dns_timeout", f"cannot resolve {host} within {timeout:g} s", "connect")
    if problem or not found:
        return [], _Raw("dns", f"cannot resolve {host} ({problem[0] if problem else 'no address'})", "connect")
    return list(found), None


def execute(plan: _Plan, progress: Callable[[Attempt], None] | None = None) -> Verdict:
    started = time.monotonic()
    host, port, name = plan.host, plan.port, plan.name
    verdict = Verdict(
        status="unreachable", passed=False, summary="", diagnosis=[], attempts=[],
        address=format_address(host, port), host=host, port=port, sni=name, trust=plan.trust, insecure=plan.insecure,
        workspace=str(plan.ws.root), checked_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        client_ca_names_known=_hook_available(),
    )
    host_name = f"[{name}]" if ":" in name else name
    target = _Target(
        host=host, port=port, server_hostname=name or None,
        host_header=host_name if port == 443 else f"{host_name}:{port}",
        timeout=plan.timeout, connect_timeout=plan.connect_timeout, sockaddrs=[],
    )
    raws: dict[str, _Raw] = {}
    target.sockaddrs, failure = _resolve(host, port, plan.timeout)
    if failure is not None:
        raws[WITH_CERT] = failure
        verdict.attempts.append(_judge_attempt(WITH_CERT, failure, None))
        if progress:
            progress(verdict.attempts[-1])
        return _finish(verdict, plan.material, raws, started)

    recorder = _Recorder()
    contexts = _Contexts(plan.material, verify=not plan.insecure, trust=plan.trust, recorder=recorder)
    for attempt_name in (WITH_CERT, WITHOUT_CERT, FOREIGN_CERT):
        raw = _run_once(contexts.get(attempt_name), recorder, target)
        if raw.kind == "verify":
            # The server certificate failed our check: note why, then still test mutual TLS.
            verdict.server_verified, verdict.server_verify_error = False, raw.verify_error
            contexts.verify = False
            raw = _run_once(contexts.get(attempt_name), recorder, target)
        elif contexts.verify and raw.peer_der is not None and verdict.server_verified is None:
            verdict.server_verified = True
        first_status = raws[WITH_CERT].status_code if WITH_CERT in raws else None
        if raw.kind == "http" and raw.status_code == 400 and not raw.body and (attempt_name == WITH_CERT or first_status == 400):
            # HEAD answers carry no body: fetch the page once to read why the server said 400.
            page = _run_once(contexts.get(attempt_name), recorder, target, method="GET")
            if page.kind == "http" and page.status_code == 400:
                raw.body = page.body
        raws[attempt_name] = raw
        attempt = _judge_attempt(attempt_name, raw, first_status)
        verdict.attempts.append(attempt)
        if progress:
            progress(attempt)
        if attempt_name == WITH_CERT and raw.kind in _FIRST_ATTEMPT_ENDINGS:
            # Nothing more to learn; and a silent or stalling server must not cost three timeouts.
            break
    return _finish(verdict, plan.material, raws, started)


def _judge_attempt(name: str, raw: _Raw, first_status: int | None) -> Attempt:
    attempt = Attempt(name, LABELS[name], "error", raw.detail, False, kind=raw.kind, status_code=raw.status_code,
                      tls_version=raw.tls_version, elapsed=round(raw.elapsed, 4))
    if raw.server_hello:
        attempt.certificate_requested = raw.certificate_request is not None
    if raw.kind == "http":
        refused = _is_certificate_refusal(name, raw, first_status)
        attempt.outcome = "rejected" if refused else "accepted"
        if refused and raw.status_code == 400:
            reason = _rejection_text(raw)
            attempt.detail = f"{raw.status_line} ({reason})" if reason else f"{raw.status_line} (nginx-style refusal)"
        elif not refused and raw.status_code is not None and raw.status_code >= 500:
            attempt.detail = f"{raw.status_line} (from behind the listener: the TLS part passed)"
    elif raw.kind in ("eof", "reset") and attempt.certificate_requested is False:
        # The server never asked for a certificate, so hanging up cannot be a refusal of one.
        attempt.detail = f"{raw.detail}, although no client certificate was asked for"
    elif raw.kind in ("alert", "eof", "reset"):
        attempt.outcome = "rejected"
    elif raw.kind in ("timeout", "silent", "connect_timeout", "dns_timeout"):
        attempt.outcome = "timeout"
    attempt.ok = (attempt.outcome == "accepted") if name == WITH_CERT else (attempt.outcome == "rejected")
    return attempt


def _is_certificate_refusal(name: str, raw: _Raw, first_status: int | None) -> bool:
    if raw.status_code in (495, 496):
        return True
    if raw.status_code != 400:
        return False
    if _rejection_text(raw):
        return True
    # A bodiless 400 to a client without (or with a foreign) certificate, where our
    # certificate got something else, is the nginx-style refusal.
    return name != WITH_CERT and first_status is not None and first_status != 400


def _server_facts(der: bytes, material: _Material, name: str) -> ServerCertificate:
    from cryptography import x509

    from wizard import pki

    cert = x509.load_der_x509_certificate(der)
    ca = x509.load_der_x509_certificate(material.ca_der)
    now = dt.datetime.now(dt.timezone.utc)
    return ServerCertificate(
        subject=cert.subject.rfc4514_string(), sans=pki.san_strings(cert), issuer=cert.issuer.rfc4514_string(),
        not_before=cert.not_valid_before_utc.isoformat(), not_after=cert.not_valid_after_utc.isoformat(),
        fingerprint=pki.fingerprint(cert), is_workspace_cert=der == material.server_der,
        verifies_against_ca=pki.verify_issued_by(cert, ca), matches_sni=_covers_name(cert, name),
        expired=cert.not_valid_after_utc < now, not_yet_valid=cert.not_valid_before_utc > now,
    )


def _covers_name(cert: x509.Certificate, name: str) -> bool:
    from cryptography import x509

    from wizard import pki

    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return (pki.cn_of(cert.subject) or "").lower() == name.lower()
    try:
        address = ipaddress.ip_address(name)
        return address in san.get_values_for_type(x509.IPAddress)
    except ValueError:
        pass
    wanted = name.lower().rstrip(".")
    for pattern in san.get_values_for_type(x509.DNSName):
        pattern = pattern.lower().rstrip(".")
        if pattern == wanted:
            return True
        if pattern.startswith("*.") and "." in wanted and wanted.split(".", 1)[1] == pattern[2:]:
            return True
    return False


# ---------------------------------------------------------------------------
# Judging the whole
# ---------------------------------------------------------------------------


# How the check ends when the first attempt (with our certificate) already settles it:
# kind -> (status, summary, diagnosis). The texts are formatted with where, host, detail
# and name (how the server name was sent).
_FIRST_ATTEMPT_ENDINGS: dict[str, tuple[str, str, str]] = {
    "dns": (
        "unreachable", "UNREACHABLE: {detail}",
        "The host name could not be turned into an address ({detail}): check its spelling, or give the load balancer's IP address instead.",
    ),
    "dns_timeout": (
        "unreachable", "UNREACHABLE: {detail}",
        "The name lookup did not finish in time ({detail}): check this machine's DNS settings (/etc/resolv.conf), or give the load balancer's IP address instead.",
    ),
    "refused": (
        "unreachable", "UNREACHABLE: {where} ({detail})",
        "Nothing accepts connections on {where} (connection refused): check the IP and port, that the HTTPS listener exists on that port and that the load balancer is running.",
    ),
    "connect_timeout": (
        "unreachable", "UNREACHABLE: {where} ({detail})",
        "{where} did not answer the TCP connection: check the address, that the load balancer has a public IP (EIP) if you are outside its network, and that security groups / network ACLs allow the port.",
    ),
    "unreachable": (
        "unreachable", "UNREACHABLE: {where} ({detail})",
        "{where} cannot be reached ({detail}): check the address and your network route.",
    ),
    "silent": (
        "unreachable", "UNREACHABLE: {where} accepted TCP but never answered the TLS handshake",
        "{where} took the connection but sent nothing back ({detail}): it is probably not an HTTPS listener (a TCP listener with no healthy backend?), or something in between swallows the traffic. Check the port and the listener's protocol.",
    ),
    "timeout": (
        "inconclusive", "INCONCLUSIVE: no answer from {where} with our client certificate; the other attempts were skipped",
        "With our client certificate the listener did not answer in time: {detail}. The other two attempts were skipped: they would only wait as long again, and without an answer to our own certificate nothing can be proven. "
        "If the TLS handshake completed, the delay is behind the listener (slow or unhealthy backend servers): check them, or run the check again with a larger --timeout.",
    ),
    "not_tls": (
        "fail", "FAIL: {where} does not speak TLS",
        "{where} answered, but not with TLS (a plain HTTP or other service): use the port of the HTTPS listener, or set the listener's protocol to HTTPS.",
    ),
    "closed": (
        "fail", "FAIL: {where} hung up before the TLS handshake",
        "{where} accepted the TCP connection and closed it without starting TLS: check that this is the HTTPS listener's port, and that its TLS policy and certificate cover {name} (try --sni).",
    ),
    "protocol": (
        "fail", "FAIL: no TLS version or cipher in common with {where}",
        "The handshake failed before any certificate was exchanged ({detail}). This client speaks TLS 1.2 and 1.3 with current ciphers: choose a listener TLS policy that includes them (e.g. tls-1-2 or tls-1-2-fs-with-1-3).",
    ),
    "name": (
        "fail", "FAIL: {where} does not answer for {name}",
        "The listener refused the handshake with 'unrecognized name' before showing any certificate: it only answers for the domain names it is configured for (SNI), and {name} is not one of them. "
        "Run the check with --sni NAME, using the domain name of the listener's certificate.",
    ),
    "early_alert": (
        "fail", "FAIL: {where} refused the TLS handshake before any certificate was exchanged",
        "The listener ended the handshake at once ({detail}), before it chose a TLS version or showed its certificate: this is not about client certificates. Check the listener's TLS policy and certificate, and its logs.",
    ),
}


def _finish(verdict: Verdict, material: _Material, raws: dict[str, _Raw], started: float) -> Verdict:
    verdict.elapsed = round(time.monotonic() - started, 4)
    where = verdict.address
    first = raws[WITH_CERT]
    handshaken = next((r for r in raws.values() if r.peer_der), None)
    if handshaken is not None:
        verdict.tls_version, verdict.cipher = handshaken.tls_version, handshaken.cipher
        verdict.server_certificate = _server_facts(handshaken.peer_der or b"", material, verdict.sni)
    if verdict.insecure:
        verdict.server_verified = None
    request = next((r.certificate_request for r in raws.values() if r.certificate_request), None)
    if request is not None:
        names = certificate_request_ca_names(request)
        verdict.accepted_client_cas = [_safe_name(n) for n in names]
        verdict.our_ca_advertised = material.ca_subject_der in names if names else None

    ending = _FIRST_ATTEMPT_ENDINGS.get(first.kind)
    if ending is not None:
        status, summary, diagnosis = ending
        name = f"the IP address {verdict.sni} (sent without SNI)" if _is_ip(verdict.sni) else f"the name {verdict.sni!r}"
        facts = {"where": where, "host": verdict.host, "detail": first.detail, "name": name}
        verdict.status, verdict.summary = status, summary.format(**facts)
        verdict.diagnosis.append(diagnosis.format(**facts))
        return verdict

    attempts = {a.name: a for a in verdict.attempts}
    with_cert, without, foreign = attempts[WITH_CERT], attempts.get(WITHOUT_CERT), attempts.get(FOREIGN_CERT)
    failures: list[str] = []
    notes: list[str] = []
    if without and without.outcome == "accepted":
        failures.append("mutual authentication is not enforced")
        if without.certificate_requested is False:
            notes.append("The listener answered without a client certificate and never asked for one: mutual authentication is off. Turn it on for the HTTPS listener (SSL authentication: mutual) and choose the CA certificate made from ca/ca.crt.")
        elif without.certificate_requested:
            notes.append("The listener asks for a client certificate but lets clients in without one (optional verification). Make the client certificate mandatory on the listener.")
        else:
            notes.append("The listener answered without a client certificate: mutual authentication is not enforced. Enable mutual authentication on the HTTPS listener and choose the CA certificate made from ca/ca.crt.")
    if foreign and foreign.outcome == "accepted":
        failures.append("a certificate from a foreign CA is accepted")
        notes.append("The listener accepted a client certificate issued by a CA it should not trust: it does not check who issued client certificates. Require verification against ca/ca.crt only.")
    if with_cert.outcome == "rejected":
        failures.append("our client certificate is refused")
        notes.append(_our_cert_refused(verdict, material, with_cert))
    server_problem = _server_problems(verdict, material, notes)
    if server_problem and not verdict.insecure:
        failures.append(server_problem)
    if with_cert.outcome == "accepted" and with_cert.status_code is not None and with_cert.status_code >= 500:
        notes.append(f"With our certificate the answer was {with_cert.status_code}: that comes from behind the listener (often no healthy backend server), after TLS and the client certificate were accepted. Mutual authentication itself works.")
    if failures:
        verdict.status = "fail"
        verdict.summary = f"FAIL: {'; '.join(failures)} at {where}"
    else:
        pending = [a for a in (with_cert, without, foreign) if a is not None and not a.ok]
        if pending:
            verdict.status = "inconclusive"
            parts = []
            cut_off = []  # hung up although no certificate was asked for: explained once below
            for attempt in pending:
                parts.append(f"{attempt.label}: {attempt.outcome}")
                if attempt.outcome == "timeout":
                    notes.append(f"The attempt {attempt.label} got no answer in time ({attempt.detail}). Neither accepted nor refused proves nothing: run the check again with a larger --timeout and look for something slowing the listener down.")
                elif attempt.kind in ("eof", "reset") and attempt.certificate_requested is False:
                    cut_off.append(attempt.label)
                else:
                    notes.append(f"The attempt {attempt.label} ended with an error ({attempt.detail}), so it proves nothing: run the check again; if it repeats, check the listener's logs.")
            if cut_off:
                notes.append(f"The listener hung up on the attempt{'s' if len(cut_off) > 1 else ''} {' and '.join(cut_off)} without ever asking for a client certificate, so this is no refusal of one and proves nothing. "
                             "Something else closes connections (a connection limit, an overloaded listener, a proxy in front): run the check again and look at the listener's logs; "
                             "if mutual authentication is meant to be on, check that the listener's SSL authentication is set to mutual.")
            verdict.summary = f"INCONCLUSIVE: {'; '.join(parts)} at {where}"
        else:
            verdict.status = "pass"
            verdict.passed = True
            verdict.summary = f"PASS: {where} demands a client certificate, accepts ours and refuses strangers"
    verdict.diagnosis.extend(notes)
    return verdict


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _safe_name(der: bytes) -> str:
    try:
        return der_name_to_text(der)
    except (ValueError, IndexError):
        return "#" + der.hex()


def _our_cert_refused(verdict: Verdict, material: _Material, attempt: Attempt) -> str:
    now = dt.datetime.now(dt.timezone.utc)
    if material.client_not_after < now:
        return f"The listener refused our client certificate ({attempt.detail}), which expired on {material.client_not_after:%Y-%m-%d}: issue a new one (mtls-wizard generate --force)."
    if material.client_not_before > now:
        return f"The listener refused our client certificate ({attempt.detail}), which is not valid before {material.client_not_before:%Y-%m-%d %H:%M} UTC: check this machine's clock."
    if verdict.accepted_client_cas and verdict.our_ca_advertised is False:
        return (f"The listener refused our client certificate ({attempt.detail}). It accepts client certificates from: "
                f"{'; '.join(verdict.accepted_client_cas)}, not from our CA ({material.ca_subject}). Upload ca/ca.crt of this workspace as the listener's CA certificate.")
    return (f"The listener refused our client certificate ({attempt.detail}). Most likely it trusts a different CA: "
            "check that the listener's CA certificate is ca/ca.crt from this workspace (and that the client certificate was issued after that CA).")


def _server_problems(verdict: Verdict, material: _Material, notes: list[str]) -> str:
    """Add findings about the server certificate; return a short failure phrase or ''."""
    facts = verdict.server_certificate
    suffix = " (ignored with --insecure)" if verdict.insecure else ""
    if facts is None:
        return ""
    problem = ""
    if facts.expired:
        notes.append(f"The server certificate expired on {facts.not_after[:10]}: issue a new one and replace it on the listener{suffix}.")
        problem = "the server certificate has expired"
    elif facts.not_yet_valid:
        notes.append(f"The server certificate is not valid before {facts.not_before[:16]} UTC: check the clocks{suffix}.")
        problem = "the server certificate is not yet valid"
    if verdict.trust == "workspace" and not facts.verifies_against_ca:
        notes.append(f"The listener serves a different server certificate ({facts.subject}, issued by {facts.issuer}), not one from this workspace's CA. "
                     f"Choose the server certificate uploaded from server/server.crt on the listener; for a certificate bought from a public CA, check with --trust system{suffix}.")
        problem = problem or "a different server certificate is served"
    elif verdict.trust == "workspace" and not facts.is_workspace_cert and material.server_der is not None:
        notes.append("The server certificate is signed by our CA but is not the current server/server.crt (an older or re-issued one): fine for trust, but upload the current one if you meant to replace it.")
    if not facts.matches_sni:
        names = ", ".join(s.split(":", 1)[1] for s in facts.sans) or facts.subject
        notes.append(f"The server certificate does not cover the name {verdict.sni!r} (it covers {names}). Check with --sni NAME using one of those names, or issue the server certificate for {verdict.sni!r}{suffix}.")
        problem = problem or f"the server certificate does not match {verdict.sni!r}"
    if verdict.server_verified is False and not problem:
        notes.append(f"The server certificate did not verify ({verdict.server_verify_error}){suffix}.")
        problem = "the server certificate does not verify"
    return problem
