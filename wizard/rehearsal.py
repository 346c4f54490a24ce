"""A real local mTLS listener built from the workspace, to practise step 7 without a cloud account.

It behaves like a correctly configured mutual-auth listener: the workspace's server
certificate and key, the workspace CA as the only trusted client CA, a client certificate
required. When it is asked for (`client_auth`):

- "handshake" (default): during the TLS handshake, like a load balancer. Clients without a
  certificate are refused with a TLS alert (`reject_with="alert"`) or, like nginx and
  nginx-based load balancers, with HTTP 400 "No required SSL certificate was sent"
  (`reject_with="http400"`: requested but optional at the TLS level). A certificate from
  another CA is always refused by the handshake.
- `reject_with="app400"` is the mistake to practise on: the certificate is optional at the TLS
  level, clients without one get through the handshake, and the application behind answers a
  plain `400 Bad Request` of its own (not nginx's refusal page). `check` must FAIL it.
- "post-handshake": after the request arrived, by TLS 1.3 post-handshake authentication, like
  Apache httpd with `SSLVerifyClient require` inside a <Location>. Refusals are TLS alerts;
  a client that does not offer post-handshake authentication gets 403, as from Apache.

Accepted clients get `200 OK` with their certificate's subject. Each connection's outcome
is passed to `log` as one line.

One thread serves every connection through a selector: an idle or slow client costs a
socket, not a thread. Each connection has one deadline for everything (handshake, request,
certificate, answer), and at most `max_connections` are open at once; more are closed at once.
"""

from __future__ import annotations

import datetime as dt
import selectors
import socket
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from wizard.errors import InputError, WizardError
from wizard.i18n import N_, _
from wizard.workspace import Workspace

REJECT_STYLES = ("alert", "http400", "app400")
CLIENT_AUTH_MODES = ("handshake", "post-handshake")
CONNECTION_TIMEOUT = 10.0  # per client, for everything: handshake, request, certificate, answer
MAX_CONNECTIONS = 256  # open at once; a flood of idle clients must not exhaust threads or descriptors
MAX_OUTCOMES = 1000  # the outcomes kept in memory; the TUI may keep a listener running for hours
STOP_GRACE = 2.0  # stop() waits at most this long for the listener to close everything
MAX_REQUEST_BYTES = 16384
# nginx's own refusal page, word for word: clients and `check` recognise a load balancer's
# refusal by these words, so it stays English in every language.
NO_CERT_PAGE = (
    "<html>\r\n<head><title>400 No required SSL certificate was sent</title></head>\r\n<body>\r\n"
    "<center><h1>400 Bad Request</h1></center>\r\n<center>No required SSL certificate was sent</center>\r\n"
    "<hr><center>mtls-wizard rehearsal</center>\r\n</body>\r\n</html>\r\n"
)
# The listener's own replies are said in the language of the run (at reply time: the TUI may
# switch language while it listens). The application's own 400 (app400) is deliberately not
# nginx's words, which mark a load balancer's refusal.
APP_400_PAGE = N_("Bad Request: this application wants a verified client certificate, and the listener let the request in without one.")
NO_PHA_PAGE = N_("Forbidden: this listener asks for the client certificate after the handshake "
                 "(TLS 1.3 post-handshake authentication), and the client does not offer it.")

# What a connection's failure means, by OpenSSL's reason (translated where the line is made).
_SERVER_SIDE_REASONS = {
    "PEER_DID_NOT_RETURN_A_CERTIFICATE": N_("no client certificate"),
    "CERTIFICATE_VERIFY_FAILED": N_("client certificate not issued by our CA (or expired)"),
    "TLSV1_ALERT_UNKNOWN_CA": N_("the client does not trust our server certificate (give it ca/ca.crt)"),
    "SSLV3_ALERT_BAD_CERTIFICATE": N_("the client refused our server certificate (name or CA)"),
    "SSLV3_ALERT_CERTIFICATE_UNKNOWN": N_("the client refused our server certificate (name or CA)"),
    "HTTP_REQUEST": N_("plain HTTP sent to a TLS port (use https://)"),
    "WRONG_VERSION_NUMBER": N_("not a TLS client"),
    "UNSUPPORTED_PROTOCOL": N_("the client's TLS version is not offered here"),
    "NO_SHARED_CIPHER": N_("no cipher in common with the client"),
    "UNEXPECTED_EOF_WHILE_READING": N_("the client hung up during the handshake"),
}
_CERTIFICATE_REFUSALS = ("PEER_DID_NOT_RETURN_A_CERTIFICATE", "CERTIFICATE_VERIFY_FAILED")
_STAGE_TIMEOUTS = {
    "handshake": N_("no TLS handshake within the time limit"),
    "request": N_("no complete HTTP request within the time limit"),
    "ask": N_("the certificate request could not be sent in time"),
    "certificate": N_("no answer to the certificate request within the time limit"),
    "respond": N_("the client did not take the answer in time"),
}
# A connection's outcome in the log line, for people; `outcomes` keeps the English values.
_OUTCOME_WORDS = {
    "accepted": N_("accepted"), "rejected": N_("rejected"), "failed": N_("failed"), "refused": N_("refused"), "closed": N_("closed"),
}


def _subject_of(der: bytes | None) -> str:
    if not der:
        return ""
    from cryptography import x509

    try:
        return x509.load_der_x509_certificate(der).subject.rfc4514_string()
    except ValueError:
        return _("(unreadable certificate)")


@dataclass
class _Conversation:
    """One client connection and how far it got."""

    tls: ssl.SSLSocket
    peer: str
    deadline: float
    stage: str = "handshake"  # handshake -> request -> (ask -> certificate ->) respond
    request: bytes = b""
    method: str = "GET"
    answer: bytes = b""
    outcome: tuple[str, str] = ("failed", "")  # recorded once the answer is sent


class RehearsalServer:
    """A real mTLS listener in a background thread. Use as a context manager or start()/stop().

    `log` receives one line per connection and is called from the listener's thread (a UI
    must hand it over to its own thread). `client_auth` chooses when the certificate is asked
    for (see the module docstring). The other keyword-only options let a trainer (and the tests)
    imitate misconfigured listeners: `request_client_cert=False` is one-way TLS, `client_ca_file`
    trusts another CA, `cert_files` serves another server certificate, `tls_versions` narrows the
    protocol. `connection_timeout` bounds each connection as a whole, `max_connections` how many
    are open at once; `outcomes` keeps the last `max_outcomes` connections.
    """

    def __init__(
        self,
        ws: Workspace,
        host: str = "127.0.0.1",
        port: int = 0,
        reject_with: str = "alert",
        log: Callable[[str], None] | None = None,
        *,
        client_auth: str = "handshake",
        request_client_cert: bool = True,
        client_ca_file: Path | None = None,
        cert_files: tuple[Path, Path] | None = None,
        tls_versions: tuple[ssl.TLSVersion, ssl.TLSVersion] | None = None,
        ciphers: str | None = None,
        connection_timeout: float = CONNECTION_TIMEOUT,
        max_connections: int = MAX_CONNECTIONS,
        max_outcomes: int = MAX_OUTCOMES,
        forward_client_cert: tuple[str, ...] = (),
    ) -> None:
        if reject_with not in REJECT_STYLES:
            raise InputError(_("unknown rejection style {style!r}: use alert, http400 or app400").format(style=reject_with))
        if client_auth not in CLIENT_AUTH_MODES:
            raise InputError(_("unknown client authentication {mode!r}: use handshake or post-handshake").format(mode=client_auth))
        if client_auth == "post-handshake" and reject_with == "http400":
            raise InputError(_("post-handshake client authentication refuses with a TLS alert, like Apache httpd: "
                               "--reject-with http400 needs --client-auth handshake"))
        if client_auth == "post-handshake" and reject_with == "app400":
            raise InputError(_("the app400 listener lets clients without a certificate through the handshake, so it needs --client-auth handshake"))
        if client_auth == "post-handshake" and tls_versions and tls_versions[1] not in (ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.MAXIMUM_SUPPORTED):
            raise InputError(_("post-handshake client authentication needs TLS 1.3"))
        self.ws = ws
        self.host = host.strip("[]")
        self.port = port
        self.reject_with, self.client_auth = reject_with, client_auth
        self.log = log or (lambda line: None)
        self.request_client_cert = request_client_cert
        self.client_ca_file = client_ca_file
        self.cert_files = cert_files
        self.tls_versions = tls_versions
        self.ciphers = ciphers
        self.connection_timeout = connection_timeout
        self.max_connections = max_connections
        # The client-certificate headers ELB would add for the backends ("NAME[=alias]" items),
        # shown in each reply so a backend developer can rehearse against them.
        self.forward_client_cert = tuple(forward_client_cert)
        self.outcomes: deque[dict[str, str]] = deque(maxlen=max_outcomes)  # one per connection: peer, outcome, detail
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None
        self._stopping = threading.Event()
        self._conversations: dict[int, _Conversation] = {}  # by file descriptor; touched by the listener thread only
        self._lock = threading.Lock()

    # -- public ------------------------------------------------------------------------
    @property
    def address(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"https://{self.address}/"

    @property
    def open_connections(self) -> int:
        return len(self._conversations)

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
        self._stopping.set()
        try:
            assert self._wake_w is not None
            self._wake_w.send(b"x")
        except OSError:
            pass
        self._thread.join(timeout=STOP_GRACE)
        for sock in (self._listener, self._wake_r, self._wake_w):
            if sock is not None:
                sock.close()
        self._thread = self._listener = self._wake_r = self._wake_w = None

    # -- set-up ----------------------------------------------------------------------
    def _context(self) -> ssl.SSLContext:
        cert, key = self.cert_files or (self.ws.cert("server"), self.ws.key("server"))
        client_ca = self.client_ca_file or self.ws.cert("ca")
        needed = {  # one whole message per file
            N_("no server certificate at {path}: run mtls-wizard generate (steps 1-3) for this workspace first, or pass --workspace"): cert,
            N_("no server key at {path}: run mtls-wizard generate (steps 1-3) for this workspace first, or pass --workspace"): key,
            N_("no CA certificate at {path}: run mtls-wizard generate (steps 1-3) for this workspace first, or pass --workspace"): client_ca,
        }
        for missing, path in needed.items():
            if not Path(path).is_file():
                raise WizardError(_(missing).format(path=path))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        try:
            context.load_cert_chain(str(cert), str(key))
            if self.request_client_cert:
                context.load_verify_locations(cafile=str(client_ca))
                required = self.reject_with == "alert" or self.client_auth == "post-handshake"
                context.verify_mode = ssl.CERT_REQUIRED if required else ssl.CERT_OPTIONAL
                # With post-handshake auth on, OpenSSL asks for the certificate only when told to, after the handshake.
                context.post_handshake_auth = self.client_auth == "post-handshake"
        except ssl.SSLError as error:
            raise WizardError(_("the workspace's server certificate, key or CA cannot be used ({reason}): re-issue them with mtls-wizard generate").format(
                reason=error.reason or error)) from None
        if self.tls_versions:
            context.minimum_version, context.maximum_version = self.tls_versions
        if self.client_auth == "post-handshake":
            context.minimum_version = ssl.TLSVersion.TLSv1_3
        if self.ciphers:
            context.set_ciphers(self.ciphers)
        return context

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
            where = f"{self.host}:{self.port}" if ":" not in self.host else f"[{self.host}]:{self.port}"
            if error.errno == 98:  # EADDRINUSE
                raise WizardError(_("{where} is already in use: choose another --port (0 picks a free one)").format(where=where)) from None
            if error.errno == 13:  # EACCES
                raise WizardError(_("not allowed to listen on {where}: ports below 1024 need privileges, use e.g. --port 8443").format(where=where)) from None
            raise WizardError(_("cannot listen on {where}: {reason}").format(where=where, reason=(error.strerror or str(error)).lower())) from None
        return listener

    # -- serving -----------------------------------------------------------------------
    def _serve(self, context: ssl.SSLContext) -> None:
        assert self._listener is not None and self._wake_r is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self._listener, selectors.EVENT_READ, "accept")
            selector.register(self._wake_r, selectors.EVENT_READ, "wake")
            try:
                while not self._stopping.is_set():
                    for key, _events in selector.select(self._wait_time()):
                        if key.data == "wake" or self._stopping.is_set():
                            return
                        if key.data == "accept":
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

    def _accept(self, selector: selectors.BaseSelector, context: ssl.SSLContext) -> None:
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
            try:
                conn.setblocking(False)
                tls = context.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
            except OSError as error:
                conn.close()
                self._record(where, "failed", _("connection lost at once ({reason})").format(reason=(error.strerror or str(error)).lower()))
                continue
            conversation = _Conversation(tls, where, time.monotonic() + self.connection_timeout)
            self._conversations[tls.fileno()] = conversation
            selector.register(tls, selectors.EVENT_READ, conversation)

    def _expire(self, selector: selectors.BaseSelector) -> None:
        now = time.monotonic()
        for conversation in [c for c in self._conversations.values() if c.deadline <= now]:
            self._finish(selector, conversation, ("failed", _(_STAGE_TIMEOUTS[conversation.stage])))

    def _finish(self, selector: selectors.BaseSelector, conversation: _Conversation, outcome: tuple[str, str]) -> None:
        self._conversations.pop(conversation.tls.fileno(), None)
        try:
            selector.unregister(conversation.tls)
        except (KeyError, ValueError):
            pass
        conversation.tls.close()
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
            outcome = conversation.outcome
        except ssl.SSLWantReadError:
            selector.modify(conversation.tls, selectors.EVENT_READ, conversation)
            return
        except ssl.SSLWantWriteError:
            selector.modify(conversation.tls, selectors.EVENT_WRITE, conversation)
            return
        except ssl.SSLError as error:
            outcome = self._tls_failure(conversation, error)
        except OSError as error:
            reason = (error.strerror or str(error) or type(error).__name__).lower()
            outcome = ("failed", _("connection lost ({reason})").format(reason=reason))
        self._finish(selector, conversation, outcome)

    def _step(self, conversation: _Conversation) -> None:
        """Move the conversation on until it waits for the socket (SSLWant*Error) or is over (returns)."""
        tls = conversation.tls
        while True:
            if conversation.stage == "handshake":
                tls.do_handshake()
                conversation.stage = "request"
            elif conversation.stage == "request":
                chunk = tls.recv(4096)
                if not chunk:
                    conversation.outcome = ("failed", _("no HTTP request received"))
                    return
                conversation.request += chunk
                if b"\r\n\r\n" in conversation.request or len(conversation.request) >= MAX_REQUEST_BYTES:
                    self._request_complete(conversation)
            elif conversation.stage == "ask":
                tls.do_handshake()  # sends the CertificateRequest queued by verify_client_post_handshake()
                conversation.stage = "certificate"
            elif conversation.stage == "certificate":
                self._await_certificate(conversation)
            else:  # respond
                sent = tls.send(conversation.answer)
                conversation.answer = conversation.answer[sent:]
                if not conversation.answer:
                    return

    def _request_complete(self, conversation: _Conversation) -> None:
        conversation.method = conversation.request.split(b" ", 1)[0].decode("latin-1", "replace").upper()
        if self.client_auth == "post-handshake" and self.request_client_cert:
            try:
                conversation.tls.verify_client_post_handshake()
            except ssl.SSLError:  # the client did not offer post-handshake authentication
                self._answer(conversation, "403 Forbidden", _(NO_PHA_PAGE) + "\n", "text/plain; charset=utf-8",
                             ("rejected", _("the client does not offer post-handshake authentication (HTTP 403, {version})").format(version=conversation.tls.version())))
                return
            conversation.stage = "ask"
            return
        self._admit(conversation)

    def _await_certificate(self, conversation: _Conversation) -> None:
        try:
            conversation.tls.recv(1)  # processes the client's Certificate and Finished; data would be odd
        except ssl.SSLWantReadError:
            if not conversation.tls.getpeercert(binary_form=True):
                raise
        self._admit(conversation)

    def _admit(self, conversation: _Conversation) -> None:
        tls = conversation.tls
        subject = _subject_of(tls.getpeercert(binary_form=True))
        version = tls.version() or "TLS"
        if self.request_client_cert and not subject and self.reject_with == "app400":
            self._answer(conversation, "400 Bad Request", _(APP_400_PAGE) + "\n", "text/plain; charset=utf-8",
                         ("accepted", _("no client certificate, let through TLS; the application answered HTTP 400 ({version})").format(version=version)))
            return
        if self.request_client_cert and not subject:
            self._answer(conversation, "400 Bad Request", NO_CERT_PAGE, "text/html",
                         ("rejected", _("no client certificate (HTTP 400, {version})").format(version=version)))
            return
        if subject:
            body = _("Hello {subject}: mutual TLS works.").format(subject=subject) + "\n"
        else:
            body = _("Hello: one-way TLS, no client certificate asked for.") + "\n"
        body += self._forwarded(tls)
        accepted = f"{subject} ({version})" if subject else _("no client certificate ({version})").format(version=version)
        self._answer(conversation, "200 OK", body, "text/plain; charset=utf-8", ("accepted", accepted))

    def _forwarded(self, tls: ssl.SSLSocket) -> str:
        """The headers ELB would forward to the backends for this client, as a backend would see them."""
        der = tls.getpeercert(binary_form=True)
        if not self.forward_client_cert or not der:
            return ""
        from cryptography import x509

        from wizard.elb.headers import forwarded_headers

        cipher = tls.cipher()
        headers = forwarded_headers(x509.load_der_x509_certificate(der), self.forward_client_cert,
                                    ciphers=[cipher[0]] if cipher else [])
        return "\n" + _("Headers ELB would add for the backends:") + "\n" + "".join(f"{name}: {value}\n" for name, value in headers)

    def _answer(self, conversation: _Conversation, status: str, body: str, content_type: str, outcome: tuple[str, str]) -> None:
        payload = body.encode("utf-8")
        head = (
            f"HTTP/1.1 {status}\r\nServer: mtls-wizard-rehearsal\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
        ).encode("ascii")
        conversation.answer = head if conversation.method == "HEAD" else head + payload
        conversation.outcome = outcome
        conversation.stage = "respond"

    def _tls_failure(self, conversation: _Conversation, error: ssl.SSLError) -> tuple[str, str]:
        reason = str(error.reason or "")
        known = _SERVER_SIDE_REASONS.get(reason)
        detail = _(known) if known else reason.replace("_", " ").lower() or str(error)  # else OpenSSL's own words
        if isinstance(error, ssl.SSLCertVerificationError) and error.verify_message:
            detail = _("{reason}: {openssl_message}").format(reason=_(_SERVER_SIDE_REASONS["CERTIFICATE_VERIFY_FAILED"]), openssl_message=error.verify_message)
        if reason in _CERTIFICATE_REFUSALS:
            if conversation.stage == "certificate":
                return "rejected", _("{reason} (TLS alert after the handshake)").format(reason=detail)
            return "rejected", _("{reason} (TLS alert)").format(reason=detail)
        if conversation.stage == "handshake":
            return "failed", _("{reason} (TLS alert)").format(reason=detail)
        return "failed", detail

