"""The practice load balancer's HTTP side: the client's request, as read; the request its
backend receives (with the client-certificate headers the listener forwards, and none of a
client's own); and the trip to an external backend on this machine.

Like ELB, the load balancer owns the client-certificate header names: whatever a client sends
under any of them (ELB's names, and the aliases the listener uses) is dropped before the
listener's own values are added, so a client cannot smuggle a serial number of its choosing
to the backend. It adds X-Forwarded-For and X-Forwarded-Proto as ELB does, and speaks
HTTP/1.1 with `Connection: close` to the backend (one request per connection).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from wizard.elb.headers import FORWARDABLE_FIELDS, header_names
from wizard.errors import InputError
from wizard.i18n import _
import wizard.practice.pages as pages

MAX_HEAD_BYTES = 16384
MAX_BODY_BYTES = 1024 * 1024  # a request body larger than this is refused with 413
MAX_ANSWER_BYTES = 4 * 1024 * 1024  # what is read of an external backend's answer
_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"}


@dataclass
class Request:
    """One HTTP request as the load balancer read it (header names as sent)."""

    method: str = "GET"
    target: str = "/"
    version: str = "HTTP/1.1"
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)

    def encode(self) -> bytes:
        head = f"{self.method} {self.target} {self.version}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in self.headers) + "\r\n"
        return head.encode("latin-1", "replace") + self.body


def parse_head(raw: bytes) -> Request | None:
    """The request line and headers of `raw` (up to the blank line); None when it is not HTTP."""
    head = raw.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    lines = head.split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        return None
    headers = []
    for line in lines[1:]:
        name, separator, value = line.partition(":")
        if not separator or not name or name != name.strip():
            return None
        headers.append((name, value.strip()))
    return Request(parts[0].upper(), parts[1], parts[2], headers)


def body_length(request: Request) -> int | None:
    """The body's length from Content-Length (0 without one); None when it cannot be read (a
    chunked body or a bad length: the load balancer answers 411)."""
    if request.header("Transfer-Encoding") is not None:
        return None
    length = request.header("Content-Length")
    if length is None:
        return 0
    return int(length) if length.isdigit() else None


def client_certificate_names(fields: Iterable[str]) -> set[str]:
    """Every header name a client may not set itself (lower case): ELB's names and the aliases in use."""
    return {header.lower() for header, _label in FORWARDABLE_FIELDS.values()} | {name.lower() for name in header_names(fields)}


def upstream(request: Request, forwarded: list[tuple[str, str]], owned: set[str], client_ip: str) -> Request:
    """The request the backend receives: the client's own client-certificate headers and hop-by-hop
    headers removed, the listener's forwarded ones and X-Forwarded-For/-Proto added."""
    kept = [(k, v) for k, v in request.headers if k.lower() not in owned and k.lower() not in _HOP_BY_HOP
            and k.lower() not in ("x-forwarded-for", "x-forwarded-proto", "content-length")]
    chain = request.header("X-Forwarded-For")
    extra = [("X-Forwarded-For", f"{chain}, {client_ip}" if chain else client_ip), ("X-Forwarded-Proto", "https")]
    length = [("Content-Length", str(len(request.body)))] if request.body or request.header("Content-Length") else []
    return replace(request, version="HTTP/1.1", headers=[*kept, *forwarded, *extra, *length, ("Connection", "close")])


def received(request: Request, owned: set[str]) -> list[tuple[str, str]]:
    """The client-certificate headers `request` carries (what a backend would read)."""
    return [(name, value) for name, value in request.headers if name.lower() in owned]


def backend_address(url: str) -> tuple[str, int]:
    """(host, port) of a backend given as http://HOST:PORT on this machine; InputError otherwise."""
    parts = urlsplit(url.strip())
    if parts.scheme != "http" or not parts.hostname or parts.path not in ("", "/") or parts.query or parts.username:
        raise InputError(_("--backend {url!r}: give it as http://127.0.0.1:PORT (the practice load balancer reaches its backend "
                           "over plain HTTP, on this machine)").format(url=url))
    try:
        port = parts.port
    except ValueError:
        port = None
    if not port:
        raise InputError(_("--backend {url!r}: give the backend's port, e.g. http://127.0.0.1:8080").format(url=url))
    host = parts.hostname
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host.lower() == "localhost"
    if not loopback:
        raise InputError(_("--backend {url!r}: the practice load balancer forwards only to this machine (127.0.0.1, ::1 or "
                           "localhost)").format(url=url))
    return host, port


def forward(address: tuple[str, int], request: Request, timeout: float) -> bytes:
    """Send `request` to the backend and read its whole answer (blocking; a worker thread's job).
    Raises TimeoutError when the backend is too slow, OSError when it cannot be reached or
    answers more than MAX_ANSWER_BYTES."""
    with socket.create_connection(address, timeout=timeout) as connection:
        connection.sendall(request.encode())
        answer = bytearray()
        while True:
            chunk = connection.recv(65536)
            if not chunk:
                break
            answer += chunk
            if len(answer) > MAX_ANSWER_BYTES:
                raise OSError(_("the backend's answer is over {size} MiB").format(size=MAX_ANSWER_BYTES // (1024 * 1024)))
    if not answer.startswith(b"HTTP/"):
        raise OSError(_("the backend did not answer with HTTP"))
    return bytes(answer)


def backend_answer(address: tuple[str, int], request: Request, timeout: float, accepted: str) -> tuple[bytes, tuple[str, str]]:
    """The backend's answer for the client and the connection's outcome; nginx's (ELB's) 502 or 504
    page when the backend cannot be reached or is too slow."""
    where = f"[{address[0]}]:{address[1]}" if ":" in address[0] else f"{address[0]}:{address[1]}"
    try:
        answer = forward(address, request, timeout)
    except TimeoutError:
        return pages.nginx_reply("504 Gateway Time-out", pages.GATEWAY_TIMEOUT_PAGE).encode(request.method), ("failed", _(
            "{accepted}; the backend {where} did not answer in time (HTTP 504 to the client)").format(accepted=accepted, where=where))
    except OSError as error:
        reason = (error.strerror or str(error) or type(error).__name__).lower()
        return pages.nginx_reply("502 Bad Gateway", pages.BAD_GATEWAY_PAGE).encode(request.method), ("failed", _(
            "{accepted}; the backend {where} cannot be reached: {reason} (HTTP 502 to the client)").format(
                accepted=accepted, where=where, reason=reason))
    status = answer.split(b"\r\n", 1)[0].decode("latin-1", "replace")
    return answer, ("accepted", _("{accepted}; the backend answered {status}").format(accepted=accepted, status=status))
