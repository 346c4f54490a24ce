"""A real local mTLS listener built from the workspace, to practise step 7 without a cloud account.

It behaves like a correctly configured mutual-auth listener: the workspace's server
certificate and key, the workspace CA as the only trusted client CA, a client certificate
required. Clients without one are refused either with a TLS alert (`reject_with="alert"`)
or, like nginx and nginx-based load balancers, with HTTP 400 "No required SSL certificate
was sent" (`reject_with="http400"`: the certificate is requested but optional at the TLS
level). A certificate from another CA is always refused during the handshake, because the
ssl module cannot defer that decision to the HTTP layer as nginx does.

Accepted clients get `200 OK` with their certificate's subject. Each connection's outcome
is passed to `log` as one line.
"""

from __future__ import annotations

import datetime as dt
import selectors
import signal
import socket
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wizard.errors import InputError, WizardError
from wizard.workspace import Workspace

REJECT_STYLES = ("alert", "http400")
CONNECTION_TIMEOUT = 10.0  # per client: handshake plus request
MAX_OUTCOMES = 1000  # the outcomes kept in memory; the TUI may keep a listener running for hours
STOP_GRACE = 2.0  # stop() waits at most this long, in all, for the listener and its connections
MAX_REQUEST_BYTES = 16384
NO_CERT_PAGE = (
    "<html>\r\n<head><title>400 No required SSL certificate was sent</title></head>\r\n<body>\r\n"
    "<center><h1>400 Bad Request</h1></center>\r\n<center>No required SSL certificate was sent</center>\r\n"
    "<hr><center>mtls-wizard rehearsal</center>\r\n</body>\r\n</html>\r\n"
)

_SERVER_SIDE_REASONS = {
    "PEER_DID_NOT_RETURN_A_CERTIFICATE": "no client certificate",
    "CERTIFICATE_VERIFY_FAILED": "client certificate not issued by our CA (or expired)",
    "TLSV1_ALERT_UNKNOWN_CA": "the client does not trust our server certificate (give it ca/ca.crt)",
    "SSLV3_ALERT_BAD_CERTIFICATE": "the client refused our server certificate (name or CA)",
    "SSLV3_ALERT_CERTIFICATE_UNKNOWN": "the client refused our server certificate (name or CA)",
    "HTTP_REQUEST": "plain HTTP sent to a TLS port (use https://)",
    "WRONG_VERSION_NUMBER": "not a TLS client",
    "UNSUPPORTED_PROTOCOL": "the client's TLS version is not offered here",
    "NO_SHARED_CIPHER": "no cipher in common with the client",
    "UNEXPECTED_EOF_WHILE_READING": "the client hung up during the handshake",
}


def _subject_of(der: bytes | None) -> str:
    if not der:
        return ""
    from cryptography import x509

    try:
        return x509.load_der_x509_certificate(der).subject.rfc4514_string()
    except ValueError:
        return "(unreadable certificate)"


class RehearsalServer:
    """A real mTLS listener in a background thread. Use as a context manager or start()/stop().

    `log` receives one line per connection and is called from the listener's threads (a UI
    must hand it over to its own thread). The keyword-only options let a trainer (and the tests) imitate misconfigured listeners:
    `request_client_cert=False` is one-way TLS, `client_ca_file` trusts another CA,
    `cert_files` serves another server certificate, `tls_versions` narrows the protocol.
    `outcomes` keeps the last `max_outcomes` connections.
    """

    def __init__(
        self,
        ws: Workspace,
        host: str = "127.0.0.1",
        port: int = 0,
        reject_with: str = "alert",
        log: Callable[[str], None] | None = None,
        *,
        request_client_cert: bool = True,
        client_ca_file: Path | None = None,
        cert_files: tuple[Path, Path] | None = None,
        tls_versions: tuple[ssl.TLSVersion, ssl.TLSVersion] | None = None,
        ciphers: str | None = None,
        connection_timeout: float = CONNECTION_TIMEOUT,
        max_outcomes: int = MAX_OUTCOMES,
    ) -> None:
        if reject_with not in REJECT_STYLES:
            raise InputError(f"unknown rejection style {reject_with!r}: use alert or http400")
        self.ws = ws
        self.host = host.strip("[]")
        self.port = port
        self.reject_with = reject_with
        self.log = log or (lambda line: None)
        self.request_client_cert = request_client_cert
        self.client_ca_file = client_ca_file
        self.cert_files = cert_files
        self.tls_versions = tls_versions
        self.ciphers = ciphers
        self.connection_timeout = connection_timeout
        self.outcomes: deque[dict[str, str]] = deque(maxlen=max_outcomes)  # one per connection: peer, outcome, detail
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None
        self._stopping = threading.Event()
        self._handlers: set[threading.Thread] = set()
        self._clients: set[ssl.SSLSocket] = set()  # open connections, shut down by stop()
        self._lock = threading.Lock()

    # -- public ------------------------------------------------------------------------
    @property
    def address(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"https://{self.address}/"

    def __enter__(self) -> RehearsalServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Bind, listen and start serving; returns once connections are accepted."""
        if self._thread is not None:
            return
        context = self._context()
        self._listener = self._bind()
        self.port = self._listener.getsockname()[1]
        self._wake_r, self._wake_w = socket.socketpair()
        self._stopping.clear()
        self._thread = threading.Thread(target=self._serve, args=(context,), name=f"rehearsal-{self.port}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop accepting, cut the open connections, close everything; at most STOP_GRACE s. Idempotent."""
        if self._thread is None:
            return
        deadline = time.monotonic() + STOP_GRACE
        self._stopping.set()
        try:
            assert self._wake_w is not None
            self._wake_w.send(b"x")
        except OSError:
            pass
        self._thread.join(timeout=STOP_GRACE)
        with self._lock:
            handlers = list(self._handlers)
            for client in self._clients:
                try:
                    # The plain socket call: wakes the handler's blocked read without touching its TLS state.
                    socket.socket.shutdown(client, socket.SHUT_RDWR)
                except OSError:
                    pass
        for handler in handlers:
            handler.join(timeout=max(0.0, deadline - time.monotonic()))
        for sock in (self._listener, self._wake_r, self._wake_w):
            if sock is not None:
                sock.close()
        self._thread = self._listener = self._wake_r = self._wake_w = None

    # -- set-up ----------------------------------------------------------------------
    def _context(self) -> ssl.SSLContext:
        cert, key = self.cert_files or (self.ws.cert("server"), self.ws.key("server"))
        client_ca = self.client_ca_file or self.ws.cert("ca")
        for what, path in (("server certificate", cert), ("server key", key), ("CA certificate", client_ca)):
            if not Path(path).is_file():
                raise WizardError(f"no {what} at {path}: run mtls-wizard generate (steps 1-3) for this workspace first, or pass --workspace")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        try:
            context.load_cert_chain(str(cert), str(key))
            if self.request_client_cert:
                context.load_verify_locations(cafile=str(client_ca))
                context.verify_mode = ssl.CERT_REQUIRED if self.reject_with == "alert" else ssl.CERT_OPTIONAL
        except ssl.SSLError as error:
            raise WizardError(f"the workspace's server certificate, key or CA cannot be used ({error.reason or error}): re-issue them with mtls-wizard generate") from None
        if self.tls_versions:
            context.minimum_version, context.maximum_version = self.tls_versions
        if self.ciphers:
            context.set_ciphers(self.ciphers)
        return context

    def _bind(self) -> socket.socket:
        try:
            infos = socket.getaddrinfo(self.host or None, self.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        except socket.gaierror:
            raise InputError(f"cannot listen on {self.host!r}: give an IP address of this machine, e.g. 127.0.0.1 or ::1") from None
        family, _, _, _, sockaddr = infos[0]
        listener = socket.socket(family, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(sockaddr)
            listener.listen(64)
            # Non-blocking: a client gone between select() and accept() must not freeze the loop.
            listener.setblocking(False)
        except OSError as error:
            listener.close()
            where = f"{self.host}:{self.port}" if ":" not in self.host else f"[{self.host}]:{self.port}"
            if error.errno == 98:  # EADDRINUSE
                raise WizardError(f"{where} is already in use: choose another --port (0 picks a free one)") from None
            if error.errno == 13:  # EACCES
                raise WizardError(f"not allowed to listen on {where}: ports below 1024 need privileges, use e.g. --port 8443") from None
            raise WizardError(f"cannot listen on {where}: {(error.strerror or str(error)).lower()}") from None
        return listener

    # -- serving -----------------------------------------------------------------------
    def _serve(self, context: ssl.SSLContext) -> None:
        assert self._listener is not None and self._wake_r is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self._listener, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            while not self._stopping.is_set():
                for key, _ in selector.select():
                    if key.fileobj is self._wake_r or self._stopping.is_set():
                        return
                    try:
                        conn, peer = self._listener.accept()
                    except OSError:  # BlockingIOError included: nobody was waiting after all
                        continue
                    handler = threading.Thread(target=self._handle, args=(context, conn, peer), name=f"rehearsal-{self.port}-client", daemon=True)
                    with self._lock:
                        self._handlers.add(handler)
                    handler.start()

    def _record(self, peer: Any, outcome: str, detail: str) -> None:
        where = f"[{peer[0]}]:{peer[1]}" if ":" in str(peer[0]) else f"{peer[0]}:{peer[1]}"
        with self._lock:
            self.outcomes.append({"peer": where, "outcome": outcome, "detail": detail})
        stamp = dt.datetime.now().strftime("%H:%M:%S")
        try:
            self.log(f"{stamp} {where} {outcome}: {detail}")
        except Exception:  # noqa: BLE001 - a broken log sink must not kill the listener
            pass

    def _handle(self, context: ssl.SSLContext, conn: socket.socket, peer: Any) -> None:
        tls: ssl.SSLSocket | None = None
        try:
            conn.settimeout(self.connection_timeout)
            tls = context.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
            with self._lock:
                if self._stopping.is_set():
                    return
                self._clients.add(tls)  # from here on stop() can cut it short
            self._converse(tls, peer)
        except Exception as error:  # noqa: BLE001 - one bad client never stops the listener
            self._record(peer, "error", f"{type(error).__name__}: {error}")
        finally:
            with self._lock:
                self._clients.discard(tls)  # type: ignore[arg-type]
                self._handlers.discard(threading.current_thread())
            (tls or conn).close()

    def _lost(self, peer: Any, detail: str) -> None:
        if self._stopping.is_set():
            self._record(peer, "closed", "the listener stopped")
        else:
            self._record(peer, "failed", detail)

    def _converse(self, tls: ssl.SSLSocket, peer: Any) -> None:
        try:
            tls.do_handshake()
        except ssl.SSLError as error:
            reason = str(error.reason or "")
            detail = _SERVER_SIDE_REASONS.get(reason) or reason.replace("_", " ").lower() or str(error)
            if isinstance(error, ssl.SSLCertVerificationError) and error.verify_message:
                detail = f"{_SERVER_SIDE_REASONS['CERTIFICATE_VERIFY_FAILED']}: {error.verify_message}"
            if reason in ("PEER_DID_NOT_RETURN_A_CERTIFICATE", "CERTIFICATE_VERIFY_FAILED"):
                self._record(peer, "rejected", f"{detail} (TLS alert)")
            else:
                self._lost(peer, f"{detail} (TLS alert)")
            return
        except (TimeoutError, socket.timeout):
            self._lost(peer, "no TLS handshake within the time limit")
            return
        except OSError as error:
            self._lost(peer, f"connection lost during the handshake ({(error.strerror or str(error)).lower()})")
            return
        request = self._read_request(tls)
        if request is None:
            self._lost(peer, "no HTTP request received")
            return
        method = request.split(b" ", 1)[0].decode("latin-1", "replace").upper()
        subject = _subject_of(tls.getpeercert(binary_form=True))
        version = tls.version() or "TLS"
        if self.request_client_cert and not subject:
            self._respond(tls, method, "400 Bad Request", NO_CERT_PAGE, "text/html")
            self._record(peer, "rejected", f"no client certificate (HTTP 400, {version})")
            return
        body = f"Hello {subject}: mutual TLS works.\n" if subject else "Hello: one-way TLS, no client certificate asked for.\n"
        self._respond(tls, method, "200 OK", body, "text/plain; charset=utf-8")
        self._record(peer, "accepted", f"{subject or 'no client certificate'} ({version})")

    def _read_request(self, tls: ssl.SSLSocket) -> bytes | None:
        data = b""
        try:
            while b"\r\n\r\n" not in data and len(data) < MAX_REQUEST_BYTES:
                chunk = tls.recv(4096)
                if not chunk:
                    break
                data += chunk
        except OSError:  # ssl.SSLError is an OSError
            return None
        return data if data.strip() else None

    def _respond(self, tls: ssl.SSLSocket, method: str, status: str, body: str, content_type: str) -> None:
        payload = body.encode("utf-8")
        head = (
            f"HTTP/1.1 {status}\r\nServer: mtls-wizard-rehearsal\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
        ).encode("ascii")
        try:
            tls.sendall(head if method == "HEAD" else head + payload)
        except OSError:
            pass
