"""What a check records and what it concludes: plain dataclasses, no sockets, no crypto.

`Observation` is what one attempt saw on the wire (filled in by `wire`), `Evidence` gathers the
three observations with the facts about the certificates involved, and `diagnosis` turns the
evidence into a `Verdict` with one `Attempt` row per try.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from wizard.i18n import N_, _

WITH_CERT = "with_client_cert"
WITHOUT_CERT = "without_client_cert"
FOREIGN_CERT = "foreign_client_cert"
ATTEMPT_ORDER = (WITH_CERT, WITHOUT_CERT, FOREIGN_CERT)
# Human labels, translated where an Attempt is made (`_(LABELS[name])`).
LABELS = {
    WITH_CERT: N_("with our client certificate"),
    WITHOUT_CERT: N_("without a client certificate"),
    FOREIGN_CERT: N_("with a foreign CA's certificate"),
}
# The words for the enum-like values, for people. The values themselves stay English
# (--json, the saved session and the code compare them): translate only where they are shown.
OUTCOME_WORDS = {
    "accepted": N_("accepted"), "rejected": N_("rejected"), "denied": N_("denied"),
    "timeout": N_("timeout"), "error": N_("error"),
}
STATUS_WORDS = {"pass": N_("PASS"), "fail": N_("FAIL"), "inconclusive": N_("INCONCLUSIVE"), "unreachable": N_("UNREACHABLE"),
                "not_run": N_("NOT RUN")}


def outcome_text(outcome: str) -> str:
    """An attempt's outcome ("accepted", ...) in the current language; an unknown value as it is."""
    return _(OUTCOME_WORDS[outcome]) if outcome in OUTCOME_WORDS else outcome


def status_text(status: str) -> str:
    """A verdict's status ("pass", ...) as its badge word (PASS, ...) in the current language."""
    return _(STATUS_WORDS[status]) if status in STATUS_WORDS else status.upper()

# When the server asked for a client certificate (Observation.certificate_request):
REQUEST_NONE = "none"  # never, neither during nor after the handshake
REQUEST_IN_HANDSHAKE = "handshake"  # in the handshake, the classic way
REQUEST_AFTER_HANDSHAKE = "after_handshake"  # TLS 1.3 post-handshake auth or TLS 1.2 renegotiation
REQUEST_UNKNOWN = ""  # the handshake never got far enough to tell


@dataclass
class Attempt:
    """One of the three tries and how it went (one row of the verdict's table)."""

    name: str  # WITH_CERT | WITHOUT_CERT | FOREIGN_CERT
    label: str  # human label
    outcome: str  # "accepted" | "rejected" | "denied" (HTTP refusal, not of a certificate) | "timeout" | "error"
    detail: str  # e.g. "HTTP/1.1 200 OK", "TLS alert: certificate required"
    ok: bool  # went as required
    kind: str = ""  # finer cause: http, alert, eof, reset, refused, dns, silent, timeout, not_tls, protocol, name, ...
    status_code: int | None = None
    tls_version: str = ""
    certificate_requested: bool | None = None  # None: the handshake did not get that far
    certificate_request: str = REQUEST_UNKNOWN  # when: none | handshake | after_handshake
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


# Which layer decided a backend-echo check (EchoCheck.layer), for people; --json keeps the key.
LAYER_WORDS = {
    "listener_tls": N_("the listener's TLS"),
    "listener_headers": N_("the listener's headers"),
    "backend_kit": N_("the backend kit"),
    "backend_deny_list": N_("the backend's deny-list"),
    "backend": N_("the backend"),
}


def layer_text(layer: str) -> str:
    return _(LAYER_WORDS[layer]) if layer in LAYER_WORDS else layer


@dataclass
class EchoCheck:
    """One backend-echo check: what was asked, which layer decided, and how it went."""

    name: str  # serial_arrives | revoked_refused | forged_header
    status: str  # pass | fail | inconclusive
    layer: str  # listener_tls | listener_headers | backend_kit | backend_deny_list | backend
    detail: str  # one sentence, for people
    status_line: str = ""  # the HTTP answer, if one came
    refusal: str = ""  # the kit's refusal text (its 403's body), if that was the answer
    header: str = ""  # the header the identity was read from (lower case)
    received: str = ""  # its value as the backend received it
    expected: str = ""  # our client's serial (or fingerprint), canonical
    forged: str = ""  # the value our request forged, for forged_header


@dataclass
class BackendEcho:
    """`check --backend-echo`: the backend kit's echo read through the listener, layer by layer."""

    status: str  # pass | fail | inconclusive | not_run
    passed: bool
    summary: str
    checks: list[EchoCheck]
    diagnosis: list[str]
    path: str = ""  # the echo location asked for
    server: str = ""  # the web server the echo names (nginx, haproxy, apache)
    source: str = ""  # where the backend saw our request come from (the load balancer's address)
    received: dict[str, str] = field(default_factory=dict)  # the echo's header lines, as the backend received them


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
    # For scripts: "verified", "failed" (the check stopped there) or "not_verified" (--insecure); "" without a handshake.
    server_verification: str = ""
    accepted_client_cas: list[str] = field(default_factory=list)  # the CA names the server advertised
    client_ca_names_known: bool = False  # True once a certificate request was seen (the list may be empty)
    our_ca_advertised: bool | None = None
    post_handshake_auth_offered: bool = False  # TLS 1.3: may the server ask for our certificate after the handshake?
    client: str = "client"  # whose certificate the first attempt presented
    client_revoked: bool = False  # ... and it is revoked: the listener should refuse it
    backend_echo: BackendEcho | None = None  # check --backend-echo: what the backend behind the listener received
    workspace: str = ""
    checked_at: str = ""
    elapsed: float = 0.0
    # What it was drawn from, so it can be kept as data and drawn again in another language
    # (wizard.handshake.saved); never part of to_dict().
    evidence: Evidence | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(dataclasses.replace(self, evidence=None))
        del data["evidence"]
        return data


@dataclass
class Observation:
    """What happened on the wire during one attempt, before anything is judged."""

    kind: str  # http, alert, eof, reset, timeout, silent, not_tls, protocol, name, early_alert, closed, alpn,
    #            server_unverified, refused, connect_timeout, unreachable, dns, dns_timeout, error
    detail: str = ""
    phase: str = ""  # connect | handshake | response
    status_code: int | None = None
    status_line: str = ""
    body: bytes = b""
    tls_version: str = ""
    cipher: str = ""
    server_hello: bool = False  # the server chose a version and cipher
    certificate_request: str = REQUEST_UNKNOWN
    client_ca_names: list[str] = field(default_factory=list)  # RFC 4514, as advertised (often none)
    alert: int | None = None  # the alert the server sent, if one arrived
    peer_der: bytes | None = None  # the server certificate, DER
    verify_error: str = ""  # why the server certificate failed OpenSSL's chain check or our name check
    verify_failure: str = ""  # expired | not_yet_valid | name | untrusted, when that stopped the handshake
    alpn: str = ""  # the application protocol the server chose ("" when it chose none)
    method: str = "HEAD"  # the request whose answer this is (GET when HEAD told too little)
    location: str = ""  # a redirect's Location header
    page_problem: str = ""  # why the page behind a bodiless 400 could not be read
    head_unanswered: bool = False  # HEAD got no answer, GET did: the server does not answer HEAD
    elapsed: float = 0.0


@dataclass
class ClientFacts:
    """What the diagnosis needs to know about our own client certificate and CA."""

    ca_subject: str
    not_before: dt.datetime
    not_after: dt.datetime
    has_server_cert: bool = True  # WORKSPACE/server/server.crt exists
    name: str = "client"  # the client whose certificate is presented (the tutorial's unless --client)
    revoked: bool = False  # recorded in ca/revoked.json: a CRL-enforcing listener must refuse it
    serial: str = ""  # upper-case hex of whole bytes, as ELB forwards it
    fingerprints: tuple[str, ...] = ()  # SHA-1 and SHA-256, lower-case hex without colons


@dataclass
class EchoEvidence:
    """What `check --backend-echo` sent to the echo location and what came back."""

    serial_headers: list[str]  # where the backend may receive the serial (ELB's name, the kits' aliases), lower case
    fingerprint_headers: list[str]
    forged_serial: str  # the made-up values the forged request carries
    forged_fingerprint: str
    observations: dict[str, Observation] = field(default_factory=dict)  # "plain", "forged"
    reloads: list[str] = field(default_factory=list)  # the reload commands of the workspace's kits


@dataclass
class Evidence:
    """Everything a verdict is drawn from; `diagnosis.diagnose` needs nothing else."""

    host: str
    port: int
    sni: str
    client: ClientFacts
    observations: dict[str, Observation]  # by attempt name, in ATTEMPT_ORDER, possibly fewer than three
    server_certificate: ServerCertificate | None = None
    trust: str = "workspace"
    insecure: bool = False
    post_handshake_auth_offered: bool = False
    backend_echo: EchoEvidence | None = None  # with --backend-echo
    revoked_refused_behind: bool = False  # the backend refused our revoked client that the listener let in
    workspace: str = ""
    checked_at: str = ""
    elapsed: float = 0.0
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))
