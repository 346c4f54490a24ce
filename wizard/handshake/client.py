"""The TLS client of a check, on pyOpenSSL: its three contexts and what OpenSSL tells it.

Why pyOpenSSL rather than the ssl module: telling a refusal of a client certificate from
every other failure needs facts the ssl module keeps to itself, and pyOpenSSL shows them
through public calls: whether the server answered our ClientHello, whether and when it asked
for a client certificate (an info callback and `get_state_string`), the CA names it
advertised (`get_client_ca_list`) and the alerts it sent. Server-certificate verification is
OpenSSL's chain check and then the name (`material.covers_name`), both inside the handshake: a
server certificate that fails either stops the handshake there, before our client certificate
or any request is sent (unless --insecure, which verifies nothing). Every context offers ALPN
`http/1.1`, the protocol the check speaks, so a server that speaks only HTTP/2 says so at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from OpenSSL import SSL

from wizard.errors import WizardError
from wizard.handshake.material import Material, covers_name, foreign_identity, name_text
from wizard.handshake.model import (
    FOREIGN_CERT, REQUEST_AFTER_HANDSHAKE, REQUEST_IN_HANDSHAKE, REQUEST_NONE, REQUEST_UNKNOWN, WITH_CERT,
)
from wizard.i18n import N_, Said, _

_READ_SERVER_HELLO = b"SSLv3/TLS read server hello"
_READ_CERTIFICATE_REQUEST = b"SSLv3/TLS read server certificate request"

# OpenSSL's texts for the verification errors a listener's certificate commonly meets (as OpenSSL
# words them, in every language: they are what its docs and the listener's logs say).
_VERIFY_ERRORS = {
    2: "unable to get issuer certificate", 7: "certificate signature failure", 9: "certificate is not yet valid",
    10: "certificate has expired", 18: "self-signed certificate", 19: "self-signed certificate in certificate chain",
    20: "unable to get local issuer certificate", 21: "unable to verify the first certificate",
    24: "invalid CA certificate", 26: "unsupported certificate purpose", 28: "certificate rejected",
    79: "invalid or inconsistent certificate extension",
}
# What a failed verification means for the person (HandshakeLog.verify_failure); any other code: untrusted.
FAILURE_EXPIRED, FAILURE_NOT_YET_VALID, FAILURE_NAME, FAILURE_UNTRUSTED = "expired", "not_yet_valid", "name", "untrusted"
_FAILURE_KINDS = {10: FAILURE_EXPIRED, 9: FAILURE_NOT_YET_VALID}
ALPN_HTTP1 = b"http/1.1"


@dataclass
class HandshakeLog:
    """What OpenSSL's callbacks reported for one connection. Filled from inside OpenSSL: never raises."""

    server_hello: bool = False
    handshake_done: bool = False
    requested_in_handshake: bool = False
    requested_after_handshake: bool = False
    alert: int | None = None  # the first alert the server sent that is not a plain close
    verify_error: str = ""  # the first problem OpenSSL's chain check (or our name check) found
    verify_failure: str = ""  # expired | not_yet_valid | name | untrusted: why the handshake was stopped
    expected_name: str = ""  # the name the server certificate must cover
    peer_der: bytes | None = None  # the server certificate, kept even when its verification stopped the handshake
    client_ca_names: list[str] = field(default_factory=list)

    @property
    def certificate_request(self) -> str:
        if self.requested_in_handshake:
            return REQUEST_IN_HANDSHAKE
        if self.requested_after_handshake:
            return REQUEST_AFTER_HANDSHAKE
        return REQUEST_NONE if self.handshake_done else REQUEST_UNKNOWN

    def read_ca_names(self, connection: SSL.Connection) -> None:
        """The CA names of the (last) certificate request; an unreadable list counts as none."""
        if not (self.requested_in_handshake or self.requested_after_handshake):
            return
        try:
            names: list[x509.Name] = connection.get_client_ca_list(as_cryptography=True)
        except (ValueError, SSL.Error):
            return
        self.client_ca_names = [name_text(name) for name in names]


def _on_info(connection: SSL.Connection, where: int, value: int) -> None:
    try:
        log = connection.get_app_data()
        if not isinstance(log, HandshakeLog):
            return
        if where & SSL.SSL_CB_ALERT:
            if where & SSL.SSL_CB_READ and value & 0xFF and log.alert is None:
                log.alert = value & 0xFF  # the low byte is the alert's description
        elif where & SSL.SSL_CB_HANDSHAKE_DONE:
            log.handshake_done = True
        elif where & SSL.SSL_CB_LOOP:
            state = connection.get_state_string()
            if state == _READ_SERVER_HELLO:
                log.server_hello = True
            elif state == _READ_CERTIFICATE_REQUEST:
                # After the first handshake: TLS 1.3 post-handshake auth or a TLS 1.2 renegotiation.
                if log.handshake_done:
                    log.requested_after_handshake = True
                else:
                    log.requested_in_handshake = True
    except Exception:  # noqa: BLE001 - an exception inside OpenSSL's callback would only be printed
        pass


def _on_verify(connection: SSL.Connection, certificate: object, error: int, depth: int, ok: int) -> bool:
    """OpenSSL's verdict on each certificate of the chain, then ours on the name; False stops the handshake."""
    log = connection.get_app_data()
    if not isinstance(log, HandshakeLog):
        return bool(ok)
    try:
        leaf = certificate.to_cryptography() if depth == 0 else None  # type: ignore[attr-defined]
        if leaf is not None and log.peer_der is None:
            log.peer_der = leaf.public_bytes(Encoding.DER)
        if not ok:
            if not log.verify_error:
                log.verify_error = _VERIFY_ERRORS.get(error) or Said(N_("verification error {code}"), code=error)
                log.verify_failure = _FAILURE_KINDS.get(error, FAILURE_UNTRUSTED)
            return False
        if leaf is not None and log.expected_name and not covers_name(leaf, log.expected_name):
            log.verify_error = Said(N_("certificate is not valid for {name!r}"), name=log.expected_name)
            log.verify_failure = FAILURE_NAME
            return False
    except Exception:  # noqa: BLE001 - an exception inside OpenSSL's callback would only be printed
        return False
    return True


def offer_post_handshake_auth(context: SSL.Context) -> bool:
    """Let servers ask for our certificate after a TLS 1.3 handshake; False when that cannot be offered.

    A server that wants a client certificate only for some paths (Apache httpd's
    `SSLVerifyClient` inside a <Location>) asks for it after the handshake, and only from
    clients that offered this in their hello; curl offers it, and so must we, or such a server
    answers every attempt with 403. pyOpenSSL has no call for it (pyca/pyopenssl#793), so this
    is the one place that reaches past its public API: OpenSSL's SSL_CTX_set_post_handshake_auth
    from the cryptography bindings pyOpenSSL itself is built on, applied to its context handle.
    When either is missing, nothing is changed and the verdict says the offer was not made.
    """
    try:
        from cryptography.hazmat.bindings.openssl.binding import Binding

        enable = Binding.lib.SSL_CTX_set_post_handshake_auth
        handle = context._context  # noqa: SLF001 - pyOpenSSL's SSL_CTX pointer, see above
    except (ImportError, AttributeError):
        return False
    enable(handle, 1)
    return True


class ClientContexts:
    """The client contexts of one check (ours, none, foreign), built once each."""

    def __init__(self, material: Material, *, verify: bool, trust: str) -> None:
        self.material, self.verify, self.trust = material, verify, trust
        self.post_handshake_auth = False  # whether the offer could be made (see offer_post_handshake_auth)
        self._built: dict[str, SSL.Context] = {}

    def get(self, name: str) -> SSL.Context:
        if name not in self._built:
            self._built[name] = self._build(name)
        return self._built[name]

    def _build(self, name: str) -> SSL.Context:
        context = SSL.Context(SSL.TLS_CLIENT_METHOD)
        context.set_min_proto_version(SSL.TLS1_2_VERSION)
        context.set_info_callback(_on_info)
        if self.verify:
            context.set_verify(SSL.VERIFY_PEER, _on_verify)
            if self.trust == "system":
                context.set_default_verify_paths()
            else:
                context.load_verify_locations(str(self.material.ca_file))
        else:
            context.set_verify(SSL.VERIFY_NONE)
        self._load_identity(context, name)
        context.set_alpn_protos([ALPN_HTTP1])
        self.post_handshake_auth = offer_post_handshake_auth(context)
        return context

    def _load_identity(self, context: SSL.Context, name: str) -> None:
        try:
            if name == WITH_CERT:
                context.use_certificate_chain_file(str(self.material.client_cert_file))
                context.use_privatekey_file(str(self.material.client_key_file))
                context.check_privatekey()
            elif name == FOREIGN_CERT:
                cert, key = foreign_identity()
                context.use_certificate(cert)
                context.use_privatekey(key)
        except SSL.Error as error:
            reason = error_reason(error).replace("_", " ").lower()
            raise WizardError(_("the client certificate and key in the workspace cannot be used together ({reason}): "
                                "re-issue the client certificate").format(reason=reason)) from None
        except OSError as error:
            raise WizardError(_("cannot read the client certificate or key: {reason}").format(reason=error.strerror or error)) from None


def error_reason(error: SSL.Error) -> str:
    """OpenSSL's reason for an error, as a constant-like name: 'tlsv13 alert certificate required' -> TLSV13_ALERT_CERTIFICATE_REQUIRED."""
    entries = error.args[0] if error.args and isinstance(error.args[0], list) else []
    for entry in entries:
        if isinstance(entry, tuple) and len(entry) >= 3 and entry[2]:
            return str(entry[2]).upper().replace(" ", "_")
    return ""
