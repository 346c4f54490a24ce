"""The ELB API v3 request bodies, the names they carry, and the export to WORKSPACE/elb/.

`export` writes paste-ready texts (for the web console) and the request bodies (for any
REST client); the ids not known yet are clearly marked placeholders.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wizard.defaults import PROG
from wizard.elb.domains import validate_sni_domain
from wizard.elb.headers import insert_headers, validate_forward_fields
from wizard.elb.material import Material, load_material, paste_text
from wizard.elb.policies import (
    DEFAULT_TLS_POLICY, tls_policy_warnings, validate_lb_type, validate_security_policy_id, validate_tls_policy,
    validate_tls_policy_name,
)
from wizard.errors import InputError
from wizard.i18n import N_, _
from wizard.session import Session
from wizard.workspace import PUBLIC_MODE, SECRET_MODE, Workspace, make_private_folders
from wizard.workspace_progress import UPLOADED_FILE

PLACEHOLDER_SERVER_CERT_ID = "<SERVER_CERTIFICATE_ID: from the server certificate upload>"
PLACEHOLDER_CA_CERT_ID = "<CA_CERTIFICATE_ID: from the CA certificate upload>"
PLACEHOLDER_LOADBALANCER_ID = "<LOADBALANCER_ID: from the ELB console>"

SERVER_BODY = "server-certificate.json"
CA_BODY = "ca-certificate.json"
LISTENER_BODY = "listener.json"
UPLOADED = UPLOADED_FILE  # elb/uploaded.json (wizard.workspace_progress reads and writes it)
API_CALLS = "api-calls.txt"
PASTE_FILES = {
    "server_cert": ("paste-server-certificate.txt", PUBLIC_MODE),
    "server_key": ("paste-server-private-key.txt", SECRET_MODE),
    "ca_cert": ("paste-ca-certificate.txt", PUBLIC_MODE),
}
MAX_NAME = 255
# The two certificates in words (English; shown translated).
SERVER_CERTIFICATE = N_("server certificate")
CA_CERTIFICATE = N_("CA certificate")


def _name_base(cn: str) -> str:
    base = cn.replace("*", "wildcard")
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", base).strip("-.")
    return base[:200] or "mtls"


def default_names(server_cn: str, port: int) -> dict[str, str]:
    base = _name_base(server_cn)
    return {"server": f"{base}-server", "ca": f"{base}-ca", "listener": f"{base}-mtls-{port}"}




def validate_name(name: str, what: str) -> str:
    """`name` as ELB takes it; `what` ("server certificate", "CA certificate") is English and
    translated here."""
    cleaned, shown = name.strip(), _(what)
    if not cleaned:
        raise InputError(_("the {what} name is empty: give a name or leave the option out for the default").format(what=shown))
    if len(cleaned) > MAX_NAME:
        raise InputError(_("the {what} name is {count} characters; ELB allows {limit}: shorten it").format(
            what=shown, count=len(cleaned), limit=MAX_NAME))
    if any(ord(c) < 32 or ord(c) == 127 for c in cleaned):
        raise InputError(_("the {what} name contains control characters: use letters, digits, '-', '_' or '.'").format(what=shown))
    return cleaned


def validate_listener_port(port: int) -> int:
    if not 1 <= port <= 65535:
        raise InputError(_("listener port {port} is out of range: give a port from 1 to 65535").format(port=port))
    return port


# What `required_id` checks, in words: (the id, the option that gives it). English, shown translated.
PROJECT_ID = (N_("project id"), "--project-id")
LOADBALANCER_ID = (N_("load balancer id"), "--loadbalancer-id")
ENTERPRISE_PROJECT_ID = (N_("enterprise project id"), N_("the id"))
POOL_ID = (N_("backend server group id"), N_("the id"))


def required_id(value: str, what: str, option: str) -> str:
    """`value` as an id the API takes; `what` and `option` (see PROJECT_ID...) are English."""
    cleaned = value.strip()
    if not cleaned or any(c.isspace() or c in "/?#" for c in cleaned):
        shown_option = option if option.startswith("--") else _(option)
        raise InputError(_("the {what} {value!r} is not valid: give {option} as shown in the console").format(
            what=_(what), value=value, option=shown_option))
    return cleaned



def server_certificate_body(material: Material, name: str | None = None, domain: str = "") -> dict[str, Any]:
    """The server certificate with its key (traditional PEM). `domain` (validated, see
    `domains.validate_sni_domain`) only when the certificate is meant for SNI: leaving it out
    is what a listener's default certificate wants."""
    option: dict[str, Any] = {
        "name": name or default_names(material.server_cn, 443)["server"],
        "type": "server",
        "certificate": material.server_cert,
        "private_key": material.server_key,
        "description": f"mTLS server certificate, SHA-256 {material.server_fingerprint[:23]}..., made by {PROG}",
    }
    if domain:
        option["domain"] = domain
    return {"certificate": option}


def ca_certificate_body(material: Material, name: str | None = None) -> dict[str, Any]:
    # type "client" is ELB's word for "a CA that verifies client certificates"; never a key.
    return {"certificate": {
        "name": name or default_names(material.server_cn, 443)["ca"],
        "type": "client",
        "certificate": material.ca_cert,
        "description": f"mTLS client CA, SHA-256 {material.ca_fingerprint[:23]}..., made by {PROG}",
    }}


def listener_body(
    *, loadbalancer_id: str = "", server_cert_id: str = "", ca_cert_id: str = "", port: int = 443,
    tls_policy: str = DEFAULT_TLS_POLICY, name: str = "mtls-listener", pool_id: str = "",
    forward_client_cert: tuple[str, ...] | list[str] = (), security_policy_id: str = "",
) -> dict[str, Any]:
    """The mutual-auth HTTPS listener (v3 CreateListenerOption); unknown ids are clearly marked
    placeholders. A custom `security_policy_id` replaces `tls_ciphers_policy` (the API applies
    only the custom one when both are sent). `protocol` stays HTTPS: a shared load balancer
    turns it into TERMINATED_HTTPS itself (CreateListenerOption.protocol)."""
    listener: dict[str, Any] = {
        "name": name,
        "loadbalancer_id": loadbalancer_id or PLACEHOLDER_LOADBALANCER_ID,
        "protocol": "HTTPS",
        "protocol_port": port,
        "default_tls_container_ref": server_cert_id or PLACEHOLDER_SERVER_CERT_ID,
        "client_ca_tls_container_ref": ca_cert_id or PLACEHOLDER_CA_CERT_ID,
    }
    if security_policy_id:
        listener["security_policy_id"] = security_policy_id
    else:
        listener["tls_ciphers_policy"] = tls_policy
    if pool_id:
        listener["default_pool_id"] = pool_id
    if forward_client_cert:
        listener["insert_headers"] = insert_headers(forward_client_cert)
    return {"listener": listener}


# English (compared in tests); `no_pool_warning()` gives it translated.
NO_POOL_WARNING = N_("the listener has no backend server group: ELB will answer 5xx to every request "
                     "until one is attached — the handshake test still proves mTLS")


def no_pool_warning() -> str:
    return _(NO_POOL_WARNING)


@dataclass(frozen=True)
class ListenerChoices:
    """The listener and certificate options of one export or upload, validated. Each one not
    given comes from the session (what the TUI or an earlier command chose)."""

    port: int
    tls_policy: str
    lb_type: str = ""  # "" unknown, "shared", "dedicated"
    security_policy_id: str = ""
    pool_id: str = ""
    forward_client_cert: tuple[str, ...] = ()
    forward_given: bool = False  # chosen (also "none"), not merely unset: an update then enforces it
    sni_domain: str = ""  # as given: "", "auto" or names (resolved with the certificate)
    # The options given for this call (not taken from the session), by their record keys
    # (wizard.elb.listener.RECORD_KEYS): moving a recorded listener changes only these.
    given: frozenset[str] = frozenset()

    def warnings(self) -> list[str]:
        return [*tls_policy_warnings(self.tls_policy, self.lb_type), *([] if self.pool_id else [no_pool_warning()])]


def listener_choices(
    session: Session, *, port: int, tls_policy: str | None = None, lb_type: str | None = None,
    security_policy_id: str | None = None, pool_id: str | None = None,
    forward_client_cert: list[str] | tuple[str, ...] | None = None, sni_domain: str | None = None,
    known_policies: bool = True,
) -> ListenerChoices:
    """Validate the options (None: the session's value); InputError (exit 2) names the bad one.
    Without `known_policies` (an upload: the region's own list is asked for later) only the
    TLS policy's form is checked here."""
    kind = validate_lb_type(session.lb_type if lb_type is None else lb_type)
    pool = session.pool_id if pool_id is None else pool_id
    forward = session.forward_client_cert if forward_client_cert is None else forward_client_cert
    policy = tls_policy or session.tls_policy or DEFAULT_TLS_POLICY
    given = {"tls_policy": tls_policy, "security_policy_id": security_policy_id, "pool_id": pool_id, "forward_client_cert": forward_client_cert}
    return ListenerChoices(
        port=validate_listener_port(port),
        tls_policy=validate_tls_policy(policy, kind) if known_policies else validate_tls_policy_name(policy),
        lb_type=kind,
        security_policy_id=validate_security_policy_id(session.security_policy_id if security_policy_id is None else security_policy_id, kind),
        pool_id=required_id(pool, *POOL_ID) if pool.strip() else "",
        forward_client_cert=tuple(validate_forward_fields(forward)),
        forward_given=forward_client_cert is not None or bool(session.forward_client_cert),
        sni_domain=(session.sni_domain if sni_domain is None else sni_domain).strip(),
        given=frozenset(name for name, value in given.items() if value is not None),
    )


def sni_domain_of(material: Material, choices: ListenerChoices) -> tuple[str, list[str]]:
    """The server certificate's `domain` for these choices, and warnings about it."""
    return validate_sni_domain(choices.sni_domain, material.server_domain)


def placeholders_in(body: dict[str, Any]) -> list[str]:
    """The fields of a listener body still holding a placeholder."""
    marks = (PLACEHOLDER_SERVER_CERT_ID, PLACEHOLDER_CA_CERT_ID, PLACEHOLDER_LOADBALANCER_ID)
    return [key for key, value in body.get("listener", {}).items() if value in marks]


def rest_calls(ws: Workspace, region: str = "{region}", project_id: str = "{project_id}") -> str:
    """The documented REST calls that use the exported bodies (token auth, any HTTP client)."""
    base = f"https://elb.{region}.myhuaweicloud.com/v3/{project_id}/elb"
    headers = "-H 'Content-Type: application/json' -H \"X-Auth-Token: $TOKEN\""

    def post(what: str, body: str) -> str:
        return f"curl -sS -X POST '{base}/{what}' {headers} --data @{shlex.quote(str(ws.elb_dir / body))}"

    token_request = f"POST https://iam.{region}.myhuaweicloud.com/v3/auth/tokens"
    # The comments are for the person running the calls, in their language ("# " is shell syntax).
    lines = [
        "# " + _("Huawei Cloud ELB API v3, token authentication. Get a token from IAM first:"),
        "#   " + _("{request}  (the token comes in the X-Subject-Token header)").format(request=token_request),
        "# " + _("then export TOKEN=... and run, in this order:"),
        "",
        "# " + _("1. the server certificate (step 4): note certificate.id in the answer"),
        post("certificates", SERVER_BODY),
        "# " + _("2. the CA certificate (step 5): note certificate.id in the answer"),
        post("certificates", CA_BODY),
        "# " + _("3. the listener (step 6): first replace any <...> placeholders in {file} with those ids and the load "
                 "balancer id").format(file=LISTENER_BODY),
        post("listeners", LISTENER_BODY),
    ]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------


def json_bytes(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, indent=2) + "\n").encode()


@dataclass
class Export:
    """What `export` wrote: the files (in order), the listener body, the warnings to show."""

    paths: list[Path]
    listener: dict[str, Any]
    warnings: list[str]
    choices: ListenerChoices | None = None  # the validated options, for the caller to remember


def export(
    ws: Workspace, session: Session, *, server_cert_name: str | None = None, ca_cert_name: str | None = None,
    loadbalancer_id: str | None = None, port: int | None = None, tls_policy: str | None = None,
    pool_id: str | None = None, forward_client_cert: list[str] | tuple[str, ...] | None = None,
    lb_type: str | None = None, security_policy_id: str | None = None, sni_domain: str | None = None,
) -> Export:
    """Write WORKSPACE/elb/: the three v3 bodies, the paste-ready texts and the REST calls.

    The listener body takes the ids recorded in the session (from an upload) and shows
    placeholders for those not known yet. Options left at None come from the session. Files
    holding the private key are 0600.
    """
    listener_record = session.uploaded.get("listener", {})
    choices = listener_choices(
        session, port=port if port is not None else int(listener_record.get("port") or 443), tls_policy=tls_policy,
        lb_type=lb_type, security_policy_id=security_policy_id, pool_id=pool_id,
        forward_client_cert=forward_client_cert, sni_domain=sni_domain)
    lb_id = required_id(loadbalancer_id, *LOADBALANCER_ID) if loadbalancer_id else session.loadbalancer_id
    server_name = validate_name(server_cert_name, SERVER_CERTIFICATE) if server_cert_name else ""
    ca_name = validate_name(ca_cert_name, CA_CERTIFICATE) if ca_cert_name else ""
    with ws.locked() as hold:  # one writer at a time: read, check and write under the workspace lock
        material = load_material(ws)
        domain, domain_warnings = sni_domain_of(material, choices)
        names = default_names(material.server_cn, choices.port)

        # An id recorded for another certificate (since re-issued) would be wrong in the listener.
        listener = listener_body(
            loadbalancer_id=lb_id, server_cert_id=_recorded_id(session, "server", material.server_fingerprint),
            ca_cert_id=_recorded_id(session, "ca", material.ca_fingerprint), port=choices.port, tls_policy=choices.tls_policy,
            name=names["listener"], pool_id=choices.pool_id, forward_client_cert=choices.forward_client_cert,
            security_policy_id=choices.security_policy_id)
        folder = ws.elb_dir
        files: dict[Path, tuple[bytes, int]] = {
            folder / SERVER_BODY: (json_bytes(server_certificate_body(material, server_name or names["server"], domain)), SECRET_MODE),
            folder / CA_BODY: (json_bytes(ca_certificate_body(material, ca_name or names["ca"])), PUBLIC_MODE),
            folder / LISTENER_BODY: (json_bytes(listener), PUBLIC_MODE),
        }
        for part, (file_name, mode) in PASTE_FILES.items():
            files[folder / file_name] = (material.text(part).encode(), mode)
        files[folder / API_CALLS] = (rest_calls(ws).encode(), PUBLIC_MODE)
        ensure_elb_dir(ws)
        ws.write_files(files)
        return Export(list(files), listener, [*hold.notices, *material.warnings, *choices.warnings(), *domain_warnings], choices)


def save_paste_text(ws: Workspace, part: str) -> tuple[Path, int]:
    """One paste-ready text written to elb/ (the console route's "Save to file"), under the
    workspace lock like every other writer; returns the file and its mode (0600 for the key)."""
    file_name, mode = PASTE_FILES[part]
    path = ws.elb_dir / file_name
    with ws.locked():
        data = paste_text(ws, part).encode()
        ensure_elb_dir(ws)
        ws.write_files({path: (data, mode)})
    return path, mode


def ensure_elb_dir(ws: Workspace) -> None:
    """elb/ (and the workspace above it), 0700 whatever the umask."""
    make_private_folders(ws.elb_dir)


def _recorded_id(session: Session, role: str, fingerprint: str) -> str:
    record = session.uploaded.get(role, {})
    return record.get("id", "") if record.get("fingerprint") == fingerprint else ""

