"""The practice load balancer's TLS side, on pyOpenSSL: the listener's context and what a
connection's failure means.

Why pyOpenSSL rather than the ssl module: a load balancer built on nginx (ELB's layer 7 is)
finishes the handshake even when the client's certificate does not verify, and then answers
with its own 400 page ("The SSL certificate error"); that needs a verification callback that
notes the failure and lets the handshake go on, which the ssl module does not offer. TLS 1.3
post-handshake authentication (`serve --client-auth post-handshake`) has no pyOpenSSL call
(pyca/pyopenssl#793): it is asked for through OpenSSL's SSL_verify_client_post_handshake from
the cryptography bindings pyOpenSSL is built on, as the check's client offers it
(wizard.handshake.client.offer_post_handshake_auth).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from OpenSSL import SSL, crypto

from wizard.errors import InputError, WizardError
from wizard.i18n import N_, _

# The refusal styles: "alert" (a TLS alert in the handshake), "http400" (nginx's and ELB's way:
# the handshake goes on and the load balancer answers its own 400 page, for a missing and for an
# unverifiable certificate), "app400" (the mistake to practise on: no certificate gets through TLS
# and an application answers a plain 400 of its own).
REJECT_STYLES = ("alert", "http400", "app400")
CLIENT_AUTH_MODES = ("handshake", "post-handshake")
_VERSIONS = {"TLSv1": SSL.TLS1_VERSION, "TLSv1.1": SSL.TLS1_1_VERSION, "TLSv1.2": SSL.TLS1_2_VERSION, "TLSv1.3": SSL.TLS1_3_VERSION}
_STRICT = "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20"
_FORWARD_SECRET = "ECDHE:DHE:!aNULL:!eNULL"
# ELB's system TLS policies as this machine's OpenSSL can serve them: (lowest, highest version,
# the cipher list for TLS 1.2 and below), from ELB's "TLS Security Policy" page. The versions are
# ELB's; the cipher lists are OpenSSL's nearest words for the policy's suites.
POLICY_PROTOCOLS: dict[str, tuple[str, str, str]] = {
    "tls-1-0-inherit": ("TLSv1", "TLSv1.2", "DEFAULT"),
    "tls-1-0": ("TLSv1", "TLSv1.2", "DEFAULT"),
    "tls-1-1": ("TLSv1.1", "TLSv1.2", "DEFAULT"),
    "tls-1-2": ("TLSv1.2", "TLSv1.2", "DEFAULT"),
    "tls-1-2-strict": ("TLSv1.2", "TLSv1.2", _STRICT),
    "tls-1-2-fs": ("TLSv1.2", "TLSv1.2", _FORWARD_SECRET),
    "tls-1-0-with-1-3": ("TLSv1", "TLSv1.3", "DEFAULT"),
    "tls-1-2-fs-with-1-3": ("TLSv1.2", "TLSv1.3", _FORWARD_SECRET),
    "hybrid-policy-1-0": ("TLSv1", "TLSv1.2", "DEFAULT"),
    "tls-1-2-strict-no-cbc": ("TLSv1.2", "TLSv1.2", "ECDHE+AESGCM:ECDHE+CHACHA20"),
}

# What a connection's failure means, by OpenSSL's reason (translated where the line is made).
SERVER_SIDE_REASONS = {
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
CERTIFICATE_REFUSALS = ("PEER_DID_NOT_RETURN_A_CERTIFICATE", "CERTIFICATE_VERIFY_FAILED")


@dataclass(frozen=True)
class TlsSetup:
    """What the listener presents and whom it admits, how. The certificates are PEM text (the
    server certificate with its chain, its key, the client CA certificates), or files to read."""

    cert: Path | str
    key: Path | str
    client_ca: Path | str
    reject_with: str = "alert"
    client_auth: str = "handshake"
    request_client_cert: bool = True  # False: one-way TLS (no certificate asked for)
    versions: tuple[int, int] = (SSL.TLS1_2_VERSION, 0)  # OpenSSL's numbers; 0: no limit
    ciphers: str = ""


def check_styles(reject_with: str, client_auth: str, versions: tuple[int, int]) -> None:
    """InputError for a refusal style, a client authentication or a combination that cannot be."""
    if reject_with not in REJECT_STYLES:
        raise InputError(_("unknown rejection style {style!r}: use alert, http400 or app400").format(style=reject_with))
    if client_auth not in CLIENT_AUTH_MODES:
        raise InputError(_("unknown client authentication {mode!r}: use handshake or post-handshake").format(mode=client_auth))
    if client_auth == "post-handshake" and reject_with == "http400":
        raise InputError(_("post-handshake client authentication refuses with a TLS alert, like Apache httpd: "
                           "--reject-with http400 needs --client-auth handshake"))
    if client_auth == "post-handshake" and reject_with == "app400":
        raise InputError(_("the app400 listener lets clients without a certificate through the handshake, so it needs --client-auth handshake"))
    if client_auth == "post-handshake" and versions[1] not in (0, SSL.TLS1_3_VERSION):
        raise InputError(_("post-handshake client authentication needs TLS 1.3"))


def openssl_versions(versions: tuple[Any, Any] | None) -> tuple[int, int]:
    """(lowest, highest) as OpenSSL numbers from ssl.TLSVersion values (or OpenSSL numbers); 0: no
    limit. Without any: TLS 1.2 and later, as the ssl module's server default."""
    if not versions:
        return SSL.TLS1_2_VERSION, 0
    return tuple(0 if int(v) < 0 else int(v) for v in versions)  # type: ignore[return-value]  # MINIMUM/MAXIMUM_SUPPORTED


def policy_versions(policy: str) -> tuple[tuple[int, int], str]:
    """The (lowest, highest) versions and the cipher list of an ELB system policy."""
    if policy not in POLICY_PROTOCOLS:
        raise InputError(_("unknown TLS policy {policy!r}: use one of {policies}").format(policy=policy, policies=", ".join(POLICY_PROTOCOLS)))
    lowest, highest, ciphers = POLICY_PROTOCOLS[policy]
    return (_VERSIONS[lowest], _VERSIONS[highest]), ciphers


def version_name(number: int) -> str:
    return next((name for name, value in _VERSIONS.items() if value == number), "TLS")


def _pem(source: Path | str, missing: str) -> bytes:
    """PEM text given as such, or read from its file (`missing` says which and the fix)."""
    if isinstance(source, str):
        return source.encode()
    try:
        return Path(source).read_bytes()
    except OSError:
        raise WizardError(_(missing).format(path=source)) from None


def _certificates(pem: bytes) -> list[Any]:
    from cryptography import x509

    return x509.load_pem_x509_certificates(pem)


def server_context(setup: TlsSetup, on_verify: Callable[[SSL.Connection, int, int, bool], bool]) -> SSL.Context:
    """The listener's context. `on_verify(connection, error, depth, ok)` decides each certificate
    of a client's chain (True: go on), and notes why one does not verify."""
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    cert = _pem(setup.cert, N_("no server certificate at {path}: run mtls-wizard generate (steps 1-3) for this workspace first, or pass --workspace"))
    key = _pem(setup.key, N_("no server key at {path}: run mtls-wizard generate (steps 1-3) for this workspace first, or pass --workspace"))
    client_ca = (_pem(setup.client_ca, N_("no CA certificate at {path}: run mtls-wizard generate (steps 1-3) for this workspace first, "
                                          "or pass --workspace")) if setup.request_client_cert else b"")
    context = SSL.Context(SSL.TLS_SERVER_METHOD)
    try:
        chain = _certificates(cert)
        context.use_certificate(chain[0])
        for extra in chain[1:]:
            context.add_extra_chain_cert(extra)
        context.use_privatekey(load_pem_private_key(key, password=None))  # type: ignore[arg-type]
        context.check_privatekey()
        lowest, highest = setup.versions
        context.set_min_proto_version(SSL.TLS1_3_VERSION if setup.client_auth == "post-handshake" else lowest)
        context.set_max_proto_version(highest)
        if setup.ciphers:
            context.set_cipher_list(setup.ciphers.encode())
        if setup.request_client_cert:
            authorities = _certificates(client_ca)
            store = context.get_cert_store()
            assert store is not None
            for authority in authorities:
                store.add_cert(crypto.X509.from_cryptography(authority))  # (X509Store takes no other kind yet)
                context.add_client_ca(authority)  # named in the certificate request, as nginx names them
            context.set_verify(_verify_mode(setup), lambda conn, _cert, error, depth, ok: on_verify(conn, error, depth, bool(ok)))
    except (SSL.Error, crypto.Error, ValueError, TypeError, IndexError) as error:
        reason = openssl_reason(error).replace("_", " ").lower() or str(error) or type(error).__name__
        raise WizardError(_("the workspace's server certificate, key or CA cannot be used ({reason}): re-issue them with "
                            "mtls-wizard generate").format(reason=reason)) from None
    return context


def _verify_mode(setup: TlsSetup) -> int:
    if setup.client_auth == "post-handshake":
        from cryptography.hazmat.bindings.openssl.binding import Binding

        return SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT | int(Binding.lib.SSL_VERIFY_POST_HANDSHAKE)
    if setup.reject_with == "alert":
        return SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT
    return SSL.VERIFY_PEER  # requested, optional at the TLS layer: the answer refuses (or, app400, lets in)


def ask_after_handshake(connection: SSL.Connection) -> bool:
    """Queue a TLS 1.3 certificate request after the handshake; False when the client did not offer that."""
    from cryptography.hazmat.bindings.openssl.binding import Binding

    handle = connection._ssl  # noqa: SLF001 - pyOpenSSL's SSL pointer: see the module docstring
    if Binding.lib.SSL_verify_client_post_handshake(handle) == 1:
        return True
    Binding.lib.ERR_clear_error()
    return False


def verify_error_text(error: int) -> str:
    """OpenSSL's words for a certificate verification error (as its docs and logs say them)."""
    from cryptography.hazmat.bindings.openssl.binding import Binding

    text = Binding.lib.X509_verify_cert_error_string(error)
    return Binding.ffi.string(text).decode("ascii", "replace") if text else str(error)


def openssl_reason(error: BaseException) -> str:
    """OpenSSL's reason for an SSL.Error, as its constant (PEER_DID_NOT_RETURN_A_CERTIFICATE); "" none."""
    details = error.args[0] if error.args else None
    if isinstance(details, list) and details and isinstance(details[-1], tuple):
        return str(details[-1][-1]).upper().replace(" ", "_")
    return ""


def failure_outcome(error: SSL.Error, stage: str, verify_error: str) -> tuple[str, str]:
    """A connection's outcome after a TLS error at `stage`; `verify_error` is why the client's
    certificate did not verify, when it did not."""
    reason = openssl_reason(error)
    known = SERVER_SIDE_REASONS.get(reason)
    detail = _(known) if known else reason.replace("_", " ").lower() or str(error)  # else OpenSSL's own words
    if reason == "CERTIFICATE_VERIFY_FAILED" and verify_error:
        detail = _("{reason}: {openssl_message}").format(reason=_(SERVER_SIDE_REASONS[reason]), openssl_message=verify_error)
    if reason in CERTIFICATE_REFUSALS:
        if stage == "certificate":
            return "rejected", _("{reason} (TLS alert after the handshake)").format(reason=detail)
        return "rejected", _("{reason} (TLS alert)").format(reason=detail)
    if stage == "handshake":
        return "failed", _("{reason} (TLS alert)").format(reason=detail)
    return "failed", detail


def lost_outcome(error: SSL.Error, stage: str) -> tuple[str, str]:
    """A connection that ended without an alert at `stage`: the client hung up, or the socket failed."""
    if isinstance(error, SSL.ZeroReturnError) or (error.args and error.args[0] == -1):
        if stage == "handshake":
            return "failed", _(SERVER_SIDE_REASONS["UNEXPECTED_EOF_WHILE_READING"])
        return "failed", _("no HTTP request received") if stage == "request" else _("the client hung up")
    reason = str(error.args[1] if len(error.args) > 1 else error).lower()
    return "failed", _("connection lost ({reason})").format(reason=reason)
