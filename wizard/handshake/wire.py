"""One attempt on the wire: TCP connect, TLS handshake, `HEAD /`, the answer; all within a deadline.

pyOpenSSL works on a non-blocking socket here (a socket with a timeout is non-blocking
underneath), so every handshake, read and write goes through `_drive`, which waits with a
selector and gives up at the attempt's deadline. Whatever the server does is recorded in an
`Observation`; nothing is judged here beyond naming what happened.
"""

from __future__ import annotations

import selectors
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from cryptography.hazmat.primitives.serialization import Encoding
from OpenSSL import SSL

from wizard.handshake.client import HandshakeLog, error_reason
from wizard.handshake.model import Observation
from wizard.i18n import N_, Said

MAX_RESPONSE_BYTES = 16384
USER_AGENT = "mtls-wizard-check"

# The alerts by the names OpenSSL and RFC 8446 give them: shown as they are in every language.
ALERTS = {
    0: "close notify", 10: "unexpected message", 20: "bad record MAC", 22: "record overflow",
    40: "handshake failure", 42: "bad certificate", 43: "unsupported certificate",
    44: "certificate revoked", 45: "certificate expired", 46: "certificate unknown",
    47: "illegal parameter", 48: "unknown CA", 49: "access denied", 50: "decode error",
    51: "decrypt error", 70: "protocol version", 71: "insufficient security", 80: "internal error",
    86: "inappropriate fallback", 90: "user canceled", 109: "missing extension",
    110: "unsupported extension", 112: "unrecognized name", 116: "certificate required",
    120: "no application protocol",
}
_ALERT_CODES = {name.upper().replace(" ", "_"): code for code, name in ALERTS.items()}
# Before the ServerHello a handshake_failure means "nothing in common"; protocol_version and
# insufficient_security mean it at any time.
_PROTOCOL_ALERTS = {40, 70, 71}
_UNRECOGNIZED_NAME = 112  # SNI-only listeners (nginx `ssl_reject_handshake on`) refuse unknown names
_NO_APPLICATION_PROTOCOL = 120  # offered only http/1.1: the server speaks HTTP/2 alone
_NOT_TLS_REASONS = {
    "WRONG_VERSION_NUMBER", "UNKNOWN_PROTOCOL", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG",
    "HTTP_REQUEST", "HTTPS_PROXY_REQUEST", "BAD_PACKET_LENGTH", "RECORD_TOO_LARGE", "UNEXPECTED_RECORD",
}
_LOCAL_PROTOCOL_REASONS = {"UNSUPPORTED_PROTOCOL", "NO_PROTOCOLS_AVAILABLE", "NO_CIPHERS_AVAILABLE", "NO_SHARED_CIPHER"}
_RESET_ERRNOS = {104, 32, 103}  # ECONNRESET, EPIPE, ECONNABORTED
# How a connection ended without an answer: (how, phase) -> words; whole phrases for the translators.
_CLOSED_DETAILS = {
    ("closed", "handshake"): N_("connection closed during the TLS handshake"),
    ("closed", "response"): N_("connection closed before any HTTP response"),
    ("reset", "handshake"): N_("connection reset during the TLS handshake"),
    ("reset", "response"): N_("connection reset before any HTTP response"),
}

Result = TypeVar("Result")


@dataclass(frozen=True)
class Request:
    """An HTTP/1.1 request of a check: `method path`, our fixed headers, then `headers` (name, value)."""

    method: str
    host_header: str
    path: str = "/"
    headers: tuple[tuple[str, str], ...] = ()
    whole_body: bool = False  # read the whole answer (up to MAX_RESPONSE_BYTES), not just enough for a reason text

    def encode(self) -> bytes:
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {self.host_header}", f"User-Agent: {USER_AGENT}", "Accept: */*"]
        lines += [f"{name}: {value}" for name, value in self.headers]
        text = "\r\n".join([*lines, "Connection: close", "", ""])
        if any(char in line for line in lines for char in "\r\n\0"):
            raise ValueError("a request line holds a line break")  # our own values only: a bug, never a server's doing
        return text.encode("latin-1")


@dataclass
class Target:
    """Where and how to connect; `sockaddrs` is reordered so later attempts start with what worked."""

    host: str
    port: int
    sni: str | None  # the server name sent; None for an IP address (no SNI is sent for those)
    verify_name: str  # the name the server certificate must cover (checked only when verifying)
    host_header: str
    timeout: float
    connect_timeout: float
    sockaddrs: list[tuple[int, tuple[Any, ...]]]


def alert_name(code: int) -> str:
    return ALERTS.get(code) or Said(N_("alert {code}"), code=code)


def _alert_code(reason: str) -> int | None:
    """The alert behind an OpenSSL reason such as TLSV13_ALERT_CERTIFICATE_REQUIRED."""
    for prefix in ("SSLV3_ALERT_", "TLSV13_ALERT_", "TLSV1_ALERT_", "TLSV1_"):
        if reason.startswith(prefix):
            return _ALERT_CODES.get(reason[len(prefix):])
    return None


def _closed_detail(phase: str, how: str = "closed") -> str:
    return Said(_CLOSED_DETAILS[how, "handshake" if phase == "handshake" else "response"])


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    return left


def connect(target: Target, deadline: float) -> tuple[socket.socket | None, Observation | None]:
    """A TCP connection to the first address that answers, or why none did."""
    last: Observation | None = None
    for family, sockaddr in list(target.sockaddrs):
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(min(target.connect_timeout, _remaining(deadline)))
            sock.connect(sockaddr)
            if target.sockaddrs[0] != (family, sockaddr):
                target.sockaddrs.remove((family, sockaddr))
                target.sockaddrs.insert(0, (family, sockaddr))
            sock.setblocking(False)
            return sock, None
        except ConnectionRefusedError:
            last = Observation("refused", Said(N_("connection refused")), "connect")
        except (TimeoutError, socket.timeout):
            last = Observation("connect_timeout", Said(N_("no TCP answer within {seconds:g} s"), seconds=target.connect_timeout), "connect")
        except OSError as error:
            last = Observation("unreachable", (error.strerror or str(error)).lower(), "connect")
        sock.close()
    return None, last or Observation("unreachable", Said(N_("no usable address")), "connect")


class _Channel:
    """A TLS connection driven to completion of each call, within the attempt's deadline."""

    def __init__(self, connection: SSL.Connection, sock: socket.socket, deadline: float, budget: float) -> None:
        self.connection, self.sock, self.deadline = connection, sock, deadline
        self.budget = budget  # the seconds this attempt was given, for the timeout's message
        self._selector = selectors.DefaultSelector()
        self._events = selectors.EVENT_READ
        self._selector.register(sock, self._events)

    def close(self) -> None:
        self._selector.close()

    def drive(self, operation: Callable[[], Result]) -> Result:
        """Call `operation` until OpenSSL no longer wants the socket; TimeoutError at the deadline."""
        while True:
            try:
                return operation()
            except SSL.WantReadError:
                self._wait(selectors.EVENT_READ)
            except SSL.WantWriteError:
                self._wait(selectors.EVENT_WRITE)

    def _wait(self, events: int) -> None:
        if events != self._events:
            self._selector.modify(self.sock, events)
            self._events = events
        if not self._selector.select(_remaining(self.deadline)):
            raise TimeoutError

    def send_all(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            sent = self.drive(lambda: self.connection.send(view))
            view = view[sent:]

    def read_http(self, want_body: bool, whole: bool = False) -> bytes:
        """The server's answer, up to the end of its head (and a short body, or with `whole` all of it up
        to MAX_RESPONSE_BYTES); whatever came before a close."""
        data = b""
        while len(data) < MAX_RESPONSE_BYTES:
            try:
                chunk = self.drive(lambda: self.connection.recv(4096))
            except (SSL.ZeroReturnError, SSL.SysCallError, SSL.Error, OSError):
                if data:
                    break  # the answer came, then the server closed (with or without a TLS goodbye)
                raise
            if not chunk:
                break
            data += chunk
            head_end = data.find(b"\r\n\r\n")
            if head_end >= 0 and (not want_body or _body_complete(data, head_end, whole)):
                break
        return data


def _body_complete(data: bytes, head_end: int, whole: bool = False) -> bool:
    head, body = data[:head_end], data[head_end + 4:]
    length = _header_value(head, b"content-length")
    if length.isdigit():
        return len(body) >= int(length)
    if not whole:
        return len(body) >= 2048  # enough to find a reason text
    if _header_value(head, b"transfer-encoding").lower() == "chunked":
        return body.endswith(b"0\r\n\r\n")  # the last chunk (trailers are not used by the servers we read)
    return False  # until the server closes (we asked for Connection: close)


def run_attempt(context: SSL.Context, target: Target, method: str | None = "HEAD", deadline: float | None = None,
                alpn: list[bytes] | None = None, request: Request | None = None) -> Observation:
    """One connection: handshake, request, answer, by `deadline` (default: now + the target's timeout).
    `method` None stops after the handshake (kind "handshake"); else `method /` is asked, or `request`
    when given (another path, more headers, the whole body). `alpn` replaces the protocols offered.
    Never raises for anything the server does."""
    if request is None and method is not None:
        request = Request(method, target.host_header)
    started = time.monotonic()
    deadline = deadline if deadline is not None else started + target.timeout
    sock, failure = connect(target, deadline)
    if sock is None:
        assert failure is not None
        failure.elapsed = time.monotonic() - started
        return failure
    log = HandshakeLog(expected_name=target.verify_name)
    observation = Observation("error", phase="handshake", method=request.method if request else "")
    connection = SSL.Connection(context, sock)
    connection.set_app_data(log)
    if alpn:
        connection.set_alpn_protos(alpn)
    if target.sni:
        connection.set_tlsext_host_name(target.sni.encode("ascii"))
    connection.set_connect_state()
    channel = _Channel(connection, sock, deadline, round(deadline - started, 1))
    try:
        _exchange(channel, request, observation, log)
    finally:
        log.read_ca_names(connection)
        channel.close()
        sock.close()
    _add_handshake_facts(observation, log)
    observation.elapsed = time.monotonic() - started
    return observation


def _exchange(channel: _Channel, request: Request | None, observation: Observation, log: HandshakeLog) -> None:
    connection = channel.connection
    try:
        channel.drive(connection.do_handshake)
        observation.tls_version = connection.get_protocol_version_name()
        observation.cipher = connection.get_cipher_name() or ""
        observation.alpn = connection.get_alpn_proto_negotiated().decode("ascii", "replace")
        peer = connection.get_peer_certificate(as_cryptography=True)
        if peer is not None:
            observation.peer_der = peer.public_bytes(Encoding.DER)
        if request is None:
            observation.kind = "handshake"
            return
        observation.phase = "response"
        channel.send_all(request.encode())
        _judge_http(observation, channel.read_http(want_body=request.method != "HEAD", whole=request.whole_body))
    except TimeoutError:
        observation.kind = "silent" if observation.phase == "handshake" and not log.server_hello else "timeout"
        if observation.phase == "handshake":
            observation.detail = Said(N_("no answer within {seconds:g} s (during the TLS handshake)"), seconds=channel.budget)
        else:
            observation.detail = Said(N_("no answer within {seconds:g} s (waiting for the HTTP response)"), seconds=channel.budget)
    except SSL.ZeroReturnError:
        observation.kind, observation.detail = "eof", _closed_detail(observation.phase)
    except SSL.SysCallError as error:
        _judge_syscall_error(observation, error)
    except SSL.Error as error:
        _judge_tls_error(observation, error_reason(error), log)
    except OSError as error:
        observation.kind, observation.detail = "error", (error.strerror or str(error) or type(error).__name__).lower()
    except (ValueError, UnicodeError) as error:  # odd bytes from the server: report, never crash
        observation.kind, observation.detail = "error", Said(N_("unexpected answer ({error})"), error=str(error))


def _judge_syscall_error(observation: Observation, error: SSL.SysCallError) -> None:
    code = error.args[0] if error.args else None
    if code in _RESET_ERRNOS:
        observation.kind, observation.detail = "reset", _closed_detail(observation.phase, "reset")
    elif code in (-1, 0):  # EOF without a TLS goodbye
        observation.kind, observation.detail = "eof", _closed_detail(observation.phase)
    else:
        reason = error.args[1] if len(error.args) > 1 else code
        observation.kind, observation.detail = "error", Said(N_("socket error ({reason})"), reason=str(reason))


def _judge_tls_error(observation: Observation, reason: str, log: HandshakeLog) -> None:
    code = log.alert if log.alert is not None else _alert_code(reason)
    if log.verify_failure:  # we stopped the handshake: the server certificate did not verify
        observation.kind, observation.detail = "server_unverified", Said(N_("the server certificate did not verify: {reason}"), reason=log.verify_error)
    elif code is not None:
        _name_alert(observation, code, log)
    elif "EOF" in reason:
        observation.kind, observation.detail = "eof", _closed_detail(observation.phase)
    elif reason in _LOCAL_PROTOCOL_REASONS:
        observation.kind = "protocol"
        observation.detail = Said(N_("no TLS version or cipher in common ({reason})"), reason=reason.replace("_", " ").lower())
    elif reason in _NOT_TLS_REASONS or (observation.phase == "handshake" and not log.server_hello):
        observation.kind, observation.detail = "not_tls", Said(N_("the port does not answer in TLS"))
    else:
        observation.kind = "error"
        observation.detail = Said(N_("TLS error: {reason}"), reason=reason.replace("_", " ").lower() or Said(N_("unknown")))


def _name_alert(observation: Observation, code: int, log: HandshakeLog) -> None:
    # Before the ServerHello no certificate has been exchanged: such an alert is about the
    # name, the versions or the ciphers, never about who we are.
    before_hello = observation.phase == "handshake" and not log.server_hello
    observation.alert = code
    observation.detail = Said(N_("TLS alert: {alert}"), alert=alert_name(code))
    if code == _UNRECOGNIZED_NAME:
        observation.kind = "name"
    elif code == _NO_APPLICATION_PROTOCOL:
        observation.kind = "alpn"  # the server refused the only protocol offered: HTTP/1.1
        observation.detail = Said(N_("TLS alert: {alert} (when offered HTTP/1.1)"), alert=alert_name(code))
    elif code in (70, 71) or (before_hello and code in _PROTOCOL_ALERTS):
        observation.kind = "protocol"
        observation.detail = Said(N_("TLS alert: {alert} (no TLS version or cipher in common)"), alert=alert_name(code))
    elif before_hello:
        observation.kind = "early_alert"
    else:
        observation.kind = "alert"


def _add_handshake_facts(observation: Observation, log: HandshakeLog) -> None:
    observation.server_hello = log.server_hello
    observation.certificate_request = log.certificate_request
    observation.client_ca_names = list(log.client_ca_names)
    observation.verify_error, observation.verify_failure = log.verify_error, log.verify_failure
    if observation.peer_der is None and log.peer_der is not None:
        observation.peer_der = log.peer_der  # shown even when its verification stopped the handshake
    if observation.kind in ("eof", "reset") and log.alert is not None:
        _name_alert(observation, log.alert, log)  # the alert arrived before the close: name it
    elif observation.kind in ("eof", "reset") and observation.phase == "handshake" and not log.server_hello:
        # Hung up before even choosing a version: that is not about client certificates.
        observation.kind, observation.detail = "closed", Said(N_("closed the connection before the TLS handshake began"))


def _judge_http(observation: Observation, data: bytes) -> None:
    if not data:
        observation.kind, observation.detail = "eof", _closed_detail(observation.phase)
        return
    first_line = data.split(b"\r\n", 1)[0].decode("latin-1", "replace").strip()
    parts = first_line.split(" ", 2)
    observation.kind, observation.status_line = "http", first_line[:200]
    if not first_line.startswith("HTTP/") or len(parts) < 2 or not (parts[1].isascii() and parts[1].isdigit()):
        observation.detail = Said(N_("answered after the handshake, but not in HTTP"))
        return
    head_end = data.find(b"\r\n\r\n")
    observation.status_code = int(parts[1])
    observation.body = data[head_end + 4:] if head_end >= 0 else b""
    if head_end >= 0 and _header_value(data[:head_end], b"transfer-encoding").lower() == "chunked":
        observation.body = dechunk(observation.body)
    observation.detail = observation.status_line
    if 300 <= observation.status_code < 400:
        observation.location = _header_value(data[:head_end if head_end >= 0 else len(data)], b"location")[:200]


def _header_value(head: bytes, wanted: bytes) -> str:
    for line in head.split(b"\r\n")[1:]:
        name, _colon, value = line.partition(b":")
        if name.strip().lower() == wanted:
            return value.strip().decode("latin-1", "replace")
    return ""


def dechunk(body: bytes) -> bytes:
    """A chunked body's data (as much of it as arrived); what does not parse is kept as it came."""
    data, rest = b"", body
    while rest:
        size_line, separator, rest = rest.partition(b"\r\n")
        size_text = size_line.split(b";", 1)[0].strip()
        if not separator or not size_text or not all(c in b"0123456789abcdefABCDEF" for c in size_text):
            return body
        size = int(size_text, 16)
        if size == 0:
            break
        data, rest = data + rest[:size], rest[size + 2:]
    return data
