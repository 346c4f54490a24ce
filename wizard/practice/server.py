"""The practice load balancer serving one listener on this machine, before a backend.

It does what an ELB HTTPS listener does, on loopback: it presents the server certificate, asks
clients for a certificate from the CA it was given (mutual authentication) or asks for none
(one-way), refuses the way it was told to (`tls.REJECT_STYLES`; "http400" is ELB's: nginx's own
400 pages), and hands each admitted request to a backend with the client-certificate headers
the listener forwards: its small built-in backend, which answers with the headers it received,
or a web server on this machine (`backend="http://127.0.0.1:8080"`). Each connection's outcome is
passed to `log` as one line.

One thread serves every connection through a selector: an idle or slow client costs a socket,
not a thread. Each connection has one deadline for everything (handshake, request, certificate,
backend, answer), and at most `max_connections` are open at once; more are closed at once. The
trip to an external backend blocks, so it runs in a small pool of threads and wakes the selector
when the answer is there.
"""

from __future__ import annotations

import datetime as dt
import queue
import selectors
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from OpenSSL import SSL

from wizard.errors import InputError, WizardError
from wizard.i18n import N_, _
import wizard.practice.http as http
import wizard.practice.pages as pages
import wizard.practice.tls as tls
from wizard.workspace import Workspace

CONNECTION_TIMEOUT = 10.0  # per client, for everything: handshake, request, certificate, backend, answer
MAX_CONNECTIONS = 256  # open at once; a flood of idle clients must not exhaust threads or descriptors
MAX_OUTCOMES = 1000  # the outcomes kept in memory; the TUI may keep the load balancer running for hours
STOP_GRACE = 2.0  # stop() waits at most this long for the listener to close everything
RESPOND_MARGIN = 1.0  # of a connection's deadline, kept for sending the backend's answer on
BACKEND_THREADS = 8

_STAGE_TIMEOUTS = {
    "handshake": N_("no TLS handshake within the time limit"),
    "request": N_("no complete HTTP request within the time limit"),
    "ask": N_("the certificate request could not be sent in time"),
    "certificate": N_("no answer to the certificate request within the time limit"),
    "backend": N_("the backend did not answer within the time limit"),
    "respond": N_("the client did not take the answer in time"),
}
# A connection's outcome in the log line, for people; `outcomes` keeps the English values.
_OUTCOME_WORDS = {
    "accepted": N_("accepted"), "rejected": N_("rejected"), "failed": N_("failed"), "refused": N_("refused"), "closed": N_("closed"),
}


@dataclass
class _Conversation:
    """One client connection and how far it got."""

    tls: SSL.Connection
    sock: socket.socket
    peer: str
    deadline: float
    stage: str = "handshake"  # handshake -> request -> (ask -> certificate ->) (backend ->) respond
    raw: bytes = b""
    request: http.Request | None = None
    answer: bytes = b""
    verify_error: str = ""  # why the client's certificate did not verify (the callback's note)
    outcome: tuple[str, str] = ("failed", "")  # recorded once the answer is sent

    @property
    def method(self) -> str:
        return self.request.method if self.request else "GET"


class PracticeLoadBalancer:
    """The listener in a background thread. Use as a context manager or start()/stop().

    `log` receives one line per connection and is called from the listener's thread (a UI must
    hand it over to its own thread). `client_auth` chooses when the certificate is asked for
    ("post-handshake": after the request, by TLS 1.3 post-handshake authentication, like Apache
    httpd per location). `request_client_cert=False` is one-way TLS, `client_ca_file` trusts
    another CA, `cert_files` serves another server certificate, `tls_policy` an ELB system
    policy's versions and ciphers (`tls_versions` and `ciphers` say them directly).
    `forward_client_cert` are the client-certificate headers for the backend ("NAME[=alias]"),
    `backend` an http:// URL on this machine ("": the built-in backend), `held` the certificates
    and key as PEM text instead of the workspace's files. `connection_timeout`
    bounds each connection as a whole, `max_connections` how many are open at once;
    `outcomes` keeps the last `max_outcomes` connections.
    """

    def __init__(
        self, ws: Workspace, host: str = "127.0.0.1", port: int = 0, reject_with: str = "alert",
        log: Callable[[str], None] | None = None, *, client_auth: str = "handshake", request_client_cert: bool = True,
        client_ca_file: Path | None = None, cert_files: tuple[Path, Path] | None = None, tls_versions: tuple[Any, Any] | None = None,
        ciphers: str | None = None, tls_policy: str = "", connection_timeout: float = CONNECTION_TIMEOUT,
        max_connections: int = MAX_CONNECTIONS, max_outcomes: int = MAX_OUTCOMES, forward_client_cert: tuple[str, ...] = (),
        backend: str = "", held: tuple[str, str, str] | None = None,
    ) -> None:
        versions, policy_ciphers = tls.policy_versions(tls_policy) if tls_policy else (tls.openssl_versions(tls_versions), "")
        if tls_versions:
            versions = tls.openssl_versions(tls_versions)
        tls.check_styles(reject_with, client_auth, versions)
        cert, key = cert_files or (ws.cert("server"), ws.key("server"))
        client_ca: Path | str = client_ca_file or ws.cert("ca")
        if held is not None:  # what the practice load balancer holds, as PEM text (records.serving_material)
            cert, key, client_ca = held
        self.setup = tls.TlsSetup(cert, key, client_ca, reject_with, client_auth, request_client_cert, versions, ciphers or policy_ciphers)
        self.ws = ws
        self.host = host.strip("[]")
        self.port = port
        self.log = log or (lambda line: None)
        self.connection_timeout = connection_timeout
        self.max_connections = max_connections
        self.forward_client_cert = tuple(forward_client_cert)
        self.owned_headers = http.client_certificate_names(self.forward_client_cert)
        self.backend = backend
        self.backend_address = http.backend_address(backend) if backend else None
        self.outcomes: deque[dict[str, str]] = deque(maxlen=max_outcomes)  # one per connection: peer, outcome, detail
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None
        self._stopping = threading.Event()
        self._conversations: dict[int, _Conversation] = {}  # by file descriptor; touched by the listener thread only
        self._answered: queue.SimpleQueue[tuple[_Conversation, bytes, tuple[str, str]]] = queue.SimpleQueue()
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    # -- what it was made with, for people ------------------------------------------------
    @property
    def reject_with(self) -> str:
        return self.setup.reject_with

    @property
    def client_auth(self) -> str:
        return self.setup.client_auth

    @property
    def request_client_cert(self) -> bool:
        return self.setup.request_client_cert

    @property
    def address(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"https://{self.address}/"

    @property
    def running(self) -> bool:
        return self._thread is not None

    @property
    def open_connections(self) -> int:
        return len(self._conversations)

    def __enter__(self) -> PracticeLoadBalancer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Bind, listen and start serving; returns once connections are accepted."""
        if self._thread is not None:
            return
        context = tls.server_context(self.setup, self._verified)
        self._listener = self._bind()
        self.port = self._listener.getsockname()[1]
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._stopping.clear()
        if self.backend_address is not None:
            self._pool = ThreadPoolExecutor(BACKEND_THREADS, thread_name_prefix=f"practice-backend-{self.port}")
        self._thread = threading.Thread(target=self._serve, args=(context,), name=f"practice-{self.port}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop accepting, cut the open connections, close everything; at most STOP_GRACE s. Idempotent."""
        if self._thread is None:
            return
        self._stopping.set()
        self._wake()
        self._thread.join(timeout=STOP_GRACE)
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        for sock in (self._listener, self._wake_r, self._wake_w):
            if sock is not None:
                sock.close()
        self._thread = self._listener = self._wake_r = self._wake_w = self._pool = None

    def _wake(self) -> None:
        try:
            assert self._wake_w is not None
            self._wake_w.send(b"x")
        except (OSError, AssertionError):
            pass

    # -- set-up ----------------------------------------------------------------------
    def _bind(self) -> socket.socket:
        try:
            infos = socket.getaddrinfo(self.host or None, self.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        except socket.gaierror:
            raise InputError(_("cannot listen on {host!r}: give an IP address of this machine, e.g. 127.0.0.1 or ::1").format(host=self.host)) from None
        family, sockaddr = infos[0][0], infos[0][4]
        listener = socket.socket(family, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(sockaddr)
            listener.listen(128)
            # Non-blocking: a client gone between select() and accept() must not freeze the loop.
            listener.setblocking(False)
        except OSError as error:
            listener.close()
            where = self.address
            if error.errno == 98:  # EADDRINUSE
                raise WizardError(_("{where} is already in use: choose another --port (0 picks a free one)").format(where=where)) from None
            if error.errno == 13:  # EACCES
                raise WizardError(_("not allowed to listen on {where}: ports below 1024 need privileges, use e.g. --port 8443").format(where=where)) from None
            raise WizardError(_("cannot listen on {where}: {reason}").format(where=where, reason=(error.strerror or str(error)).lower())) from None
        return listener

    def _verified(self, connection: SSL.Connection, error: int, depth: int, ok: bool) -> bool:
        """OpenSSL's verdict on one certificate of the client's chain. Like nginx (and ELB), the
        http400 listener notes a failure and lets the handshake finish: its answer refuses."""
        conversation = connection.get_app_data()
        if not ok and isinstance(conversation, _Conversation) and not conversation.verify_error:
            conversation.verify_error = tls.verify_error_text(error)
        return ok or self.setup.reject_with == "http400"

    # -- serving -----------------------------------------------------------------------
    def _serve(self, context: SSL.Context) -> None:
        assert self._listener is not None and self._wake_r is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self._listener, selectors.EVENT_READ, "accept")
            selector.register(self._wake_r, selectors.EVENT_READ, "wake")
            try:
                while not self._stopping.is_set():
                    for key, _events in selector.select(self._wait_time()):
                        if self._stopping.is_set():
                            return
                        if key.data == "wake":
                            self._backend_answers(selector)
                        elif key.data == "accept":
                            self._accept(selector, context)
                        else:
                            self._advance(selector, key.data)
                    self._expire(selector)
            finally:
                for conversation in list(self._conversations.values()):
                    self._finish(selector, conversation, ("closed", _("the listener stopped")))

    def _wait_time(self) -> float | None:
        if not self._conversations:
            return None
        soonest = min(c.deadline for c in self._conversations.values())
        return max(0.0, soonest - time.monotonic())

    def _accept(self, selector: selectors.BaseSelector, context: SSL.Context) -> None:
        assert self._listener is not None
        while True:
            try:
                conn, peer = self._listener.accept()
            except OSError:  # BlockingIOError included: nobody (more) is waiting
                return
            where = f"[{peer[0]}]:{peer[1]}" if ":" in str(peer[0]) else f"{peer[0]}:{peer[1]}"
            if len(self._conversations) >= self.max_connections:
                conn.close()
                self._record(where, "refused", _("too many open connections (at most {limit})").format(limit=self.max_connections))
                continue
            conn.setblocking(False)
            connection = SSL.Connection(context, conn)
            connection.set_accept_state()
            conversation = _Conversation(connection, conn, where, time.monotonic() + self.connection_timeout)
            connection.set_app_data(conversation)
            self._conversations[conn.fileno()] = conversation
            selector.register(conn, selectors.EVENT_READ, conversation)

    def _expire(self, selector: selectors.BaseSelector) -> None:
        now = time.monotonic()
        for conversation in [c for c in self._conversations.values() if c.deadline <= now]:
            self._finish(selector, conversation, ("failed", _(_STAGE_TIMEOUTS[conversation.stage])))

    def _finish(self, selector: selectors.BaseSelector, conversation: _Conversation, outcome: tuple[str, str]) -> None:
        if self._conversations.get(conversation.sock.fileno()) is conversation:
            del self._conversations[conversation.sock.fileno()]
        try:
            selector.unregister(conversation.sock)
        except (KeyError, ValueError):
            pass
        conversation.tls.set_app_data(None)
        conversation.sock.close()
        self._record(conversation.peer, *outcome)

    def _record(self, where: str, outcome: str, detail: str) -> None:
        with self._lock:
            self.outcomes.append({"peer": where, "outcome": outcome, "detail": detail})
        stamp = dt.datetime.now().strftime("%H:%M:%S")
        # The peer stays the line's second word (what a reader, or a test, lines up with `outcomes`).
        line = _("{time} {peer} {outcome}: {detail}").format(time=stamp, peer=where, outcome=_(_OUTCOME_WORDS.get(outcome, outcome)), detail=detail)
        try:
            self.log(line)
        except Exception:  # noqa: BLE001 - a broken log sink must not kill the listener
            pass

    # -- one conversation, as far as its socket allows ---------------------------------
    def _advance(self, selector: selectors.BaseSelector, conversation: _Conversation) -> None:
        try:
            self._step(conversation)
            if conversation.stage == "backend":
                selector.unregister(conversation.sock)  # nothing to read or write until the backend answers
                return
            outcome = conversation.outcome
        except SSL.WantReadError:
            selector.modify(conversation.sock, selectors.EVENT_READ, conversation)
            return
        except SSL.WantWriteError:
            selector.modify(conversation.sock, selectors.EVENT_WRITE, conversation)
            return
        except (SSL.ZeroReturnError, SSL.SysCallError) as error:
            outcome = tls.lost_outcome(error, conversation.stage)
        except SSL.Error as error:
            outcome = tls.failure_outcome(error, conversation.stage, conversation.verify_error)
        except OSError as error:
            reason = (error.strerror or str(error) or type(error).__name__).lower()
            outcome = ("failed", _("connection lost ({reason})").format(reason=reason))
        self._finish(selector, conversation, outcome)

    def _step(self, conversation: _Conversation) -> None:
        """Move the conversation on until it waits for the socket (Want*Error), for the backend
        (stage "backend"), or is over (returns)."""
        connection = conversation.tls
        while True:
            if conversation.stage == "handshake":
                connection.do_handshake()
                conversation.stage = "request"
            elif conversation.stage == "request":
                if self._read_request(conversation):
                    return
            elif conversation.stage == "ask":
                connection.do_handshake()  # sends the CertificateRequest queued by ask_after_handshake()
                conversation.stage = "certificate"
            elif conversation.stage == "certificate":
                self._await_certificate(conversation)
            elif conversation.stage == "backend":
                return
            else:  # respond
                sent = connection.send(conversation.answer)
                conversation.answer = conversation.answer[sent:]
                if not conversation.answer:
                    return

    def _read_request(self, conversation: _Conversation) -> bool:
        """Read more of the request; True when the conversation is over (nothing came)."""
        chunk = conversation.tls.recv(65536)
        if not chunk:
            conversation.outcome = ("failed", _("no HTTP request received"))
            return True
        conversation.raw += chunk
        if conversation.request is None:
            if b"\r\n\r\n" not in conversation.raw and len(conversation.raw) < http.MAX_HEAD_BYTES:
                return False
            conversation.request = http.parse_head(conversation.raw)
            if conversation.request is None:
                conversation.request = http.Request()
                self._reply(conversation, pages.nginx_reply("400 Bad Request", pages.BAD_REQUEST_PAGE),
                            ("failed", _("not an HTTP request (HTTP 400)")))
                return False
            length = http.body_length(conversation.request)
            if length is None or length > http.MAX_BODY_BYTES:
                refusal = (pages.nginx_reply("411 Length Required", pages.LENGTH_REQUIRED_PAGE) if length is None
                           else pages.nginx_reply("413 Request Entity Too Large", pages.TOO_LARGE_PAGE))
                self._reply(conversation, refusal, ("failed", _("a request body this load balancer does not take ({status})").format(
                    status=refusal.status)))
                return False
        head, _separator, body = conversation.raw.partition(b"\r\n\r\n")
        length = http.body_length(conversation.request) or 0
        if len(body) < length:
            return False
        conversation.request.body = body[:length]
        self._request_complete(conversation)
        return False

    def _request_complete(self, conversation: _Conversation) -> None:
        if self.setup.client_auth == "post-handshake" and self.setup.request_client_cert:
            if not tls.ask_after_handshake(conversation.tls):  # the client did not offer post-handshake authentication
                self._reply(conversation, pages.no_post_handshake_auth(), ("rejected", _(
                    "the client does not offer post-handshake authentication (HTTP 403, {version})").format(version=_version(conversation))))
                return
            conversation.stage = "ask"
            return
        self._admit(conversation)

    def _await_certificate(self, conversation: _Conversation) -> None:
        try:
            conversation.tls.recv(1)  # processes the client's Certificate and Finished; data would be odd
        except SSL.WantReadError:
            if conversation.tls.get_peer_certificate() is None:
                raise
        self._admit(conversation)

    def _admit(self, conversation: _Conversation) -> None:
        """Refuse as the listener was told to, or hand the request to the backend."""
        assert conversation.request is not None
        cert = conversation.tls.get_peer_certificate(as_cryptography=True)
        version = _version(conversation)
        if self.setup.request_client_cert:
            if conversation.verify_error and self.setup.reject_with == "http400":
                self._reply(conversation, pages.nginx_reply("400 Bad Request", pages.CERT_ERROR_PAGE), ("rejected", _(
                    "client certificate not verified: {reason} (HTTP 400, {version})").format(reason=conversation.verify_error, version=version)))
                return
            if cert is None and self.setup.reject_with == "app400":
                self._reply(conversation, pages.app_400(), ("accepted", _(
                    "no client certificate, let through TLS; the application answered HTTP 400 ({version})").format(version=version)))
                return
            if cert is None:
                self._reply(conversation, pages.nginx_reply("400 Bad Request", pages.NO_CERT_PAGE),
                            ("rejected", _("no client certificate (HTTP 400, {version})").format(version=version)))
                return
        subject = cert.subject.rfc4514_string() if cert is not None else ""
        forwarded = []
        if cert is not None and self.forward_client_cert:
            from wizard.elb.headers import forwarded_headers

            cipher = conversation.tls.get_cipher_name()
            forwarded = forwarded_headers(cert, self.forward_client_cert, ciphers=[cipher] if cipher else [])
        request = http.upstream(conversation.request, forwarded, self.owned_headers, conversation.peer.rsplit(":", 1)[0].strip("[]"))
        accepted = f"{subject} ({version})" if subject else _("no client certificate ({version})").format(version=version)
        if self.backend_address is None:
            received = http.received(request, self.owned_headers)
            self._reply(conversation, pages.echo(subject, received, bool(self.forward_client_cert)), ("accepted", accepted))
        else:
            self._to_backend(conversation, request, accepted)

    def _reply(self, conversation: _Conversation, reply: pages.Reply, outcome: tuple[str, str]) -> None:
        conversation.answer = reply.encode(conversation.method)
        conversation.outcome = outcome
        conversation.stage = "respond"

    def _to_backend(self, conversation: _Conversation, request: http.Request, accepted: str) -> None:
        """Send the request to the external backend in a pool thread; its answer wakes the loop."""
        assert self._pool is not None and self.backend_address is not None
        conversation.stage = "backend"
        address = self.backend_address
        timeout = max(0.2, conversation.deadline - time.monotonic() - RESPOND_MARGIN)

        def trip() -> None:
            answer, outcome = http.backend_answer(address, request, timeout, accepted)
            self._answered.put((conversation, answer, outcome))
            self._wake()

        self._pool.submit(trip)

    def _backend_answers(self, selector: selectors.BaseSelector) -> None:
        assert self._wake_r is not None
        try:
            while self._wake_r.recv(4096):
                pass
        except OSError:
            pass
        while True:
            try:
                conversation, answer, outcome = self._answered.get_nowait()
            except queue.Empty:
                return
            if self._conversations.get(conversation.sock.fileno()) is not conversation:
                continue  # cut at its deadline meanwhile
            conversation.answer, conversation.outcome, conversation.stage = answer, outcome, "respond"
            selector.register(conversation.sock, selectors.EVENT_WRITE, conversation)
            self._advance(selector, conversation)


def _version(conversation: _Conversation) -> str:
    return conversation.tls.get_protocol_version_name() or "TLS"
