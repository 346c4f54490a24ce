"""The CCM API calls equivalent to each action (method, path, body), for the "equivalent
commands" panel and `mtls-wizard script` on a workspace whose CA is held in CCM.

What happens on this machine (a key, its CSR, the .p12) is given as openssl commands that run;
the API calls are shown as comments, because each must be signed with the account's AK/SK (the
SDK, KooCLI or API Explorer does that). Bodies are the very JSON the wizard sends (wizard.ccm.profile).
"""

from __future__ import annotations

import json
from shlex import quote
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID

from wizard import assets_loader, pki
from wizard.ccm import profile
from wizard.ccm.record import IssuerRecord, read_record
from wizard.errors import WizardError
from wizard.i18n import N_, _
from wizard.issuers import LeafRequest
from wizard.session import Session
from wizard.teaching import _genpkey, comment
from wizard.workspace import Workspace, read_bytes

CAS, CERTS = "/v1/private-certificate-authorities", "/v1/private-certificates"
EXPORT_BODY = {"type": "OTHER", "is_compressed": "false"}
_ROUTE_NOTE = {
    "csr": N_("the key is made here and never leaves this machine: only its CSR is sent"),
    "ccm": N_("CCM makes the key; it is exported once with the certificate and written here (0600)"),
}


STEP_TEXTS = ("step1", "step2", "step3", "step6-revocation")  # the pages that have a CCM edition


def step_text(page: str) -> str:
    """The CCM edition of a step page ("step1", ...), in the current language: what CCM does and costs."""
    if page not in STEP_TEXTS:
        raise ValueError(page)
    return assets_loader.read_text(f"steps/{page}-ccm.md")


def api_call(method: str, path: str, body: dict[str, Any] | None = None) -> str:
    """One call as comment lines: `# POST /v1/...` and its JSON body."""
    lines = [f"# {method} {path}"]
    if body is not None:
        lines += [f"#   {line}" for line in json.dumps(body, indent=2, ensure_ascii=False).splitlines()]
    return "\n".join(lines)


def ca_calls(ca_id: str, create_body: dict[str, Any] | None = None) -> str:
    """Step 1: create the CA (or read an existing one), then export its certificate into ca/ca.crt."""
    parts = [comment(_("Step 1: the private CA in CCM"))]
    if create_body is not None:
        parts += [comment(_("creating it costs money from that moment on (a root CA bills from its creation)")),
                  api_call("GET", f"{CAS}/quotas"), api_call("POST", CAS, create_body)]
    else:
        parts.append(api_call("GET", f"{CAS}/{ca_id}"))
    parts += [api_call("POST", f"{CAS}/{ca_id}/export"), comment(_("write its \"certificate\" (and \"certificate_chain\") to ca/ca.crt"))]
    return "\n".join(parts)


def issue_calls(request: LeafRequest, ca_id: str, route: str, base: str) -> str:
    """Steps 2-3 (and every named client): the certificate through CCM by `route`, into files `base`.*"""
    heading = _("The server certificate") if request.role == "server" else _("The client certificate {name}").format(name=request.name or request.common_name)
    parts = [comment(heading), comment(_(_ROUTE_NOTE[route])), api_call("GET", f"{CERTS}/quotas")]
    if route == "csr":
        subject = quote(f"/O={request.org}/CN={request.common_name}")
        parts += [_genpkey(request.key_type, f"{base}.key"),
                  f"openssl req -new -key {quote(base)}.key -subj {subject} -out {quote(base)}.csr",
                  api_call("POST", f"{CERTS}/csr", {**profile.csr_body_template(ca_id, request.days), "csr": f"<{base}.csr>"})]
    else:
        parts.append(api_call("POST", CERTS, profile.certificate_body(request, ca_id)))
    parts += [api_call("POST", f"{CERTS}/{{certificate_id}}/export", EXPORT_BODY),
              comment(_("write its \"certificate\" to {file}").format(file=f"{base}.crt"))]
    if route == "ccm":
        parts.append(comment(_("and its \"private_key\" to {file}, mode 0600").format(file=f"{base}.key")))
    if request.role == "client":
        parts.append(f"openssl pkcs12 -export -in {quote(base)}.crt -inkey {quote(base)}.key -name {quote(request.name or request.common_name)} "
                     f"-keypbe AES-256-CBC -certpbe AES-256-CBC -macalg sha256 -iter 100000 -passout env:MTLS_WIZARD_P12_PASSWORD -out {quote(base)}.p12")
    return "\n".join(parts)


def revoke_calls(cert_id: str, reason: str) -> str:
    return "\n".join([comment(_("Revoke in CCM (ELB itself still checks no CRL; backends can)")),
                      api_call("POST", f"{CERTS}/{cert_id}/revoke", {"reason": profile.REVOCATION_REASONS.get(reason, "UNSPECIFIED")})])


def crl_calls(ca_id: str, bucket: str, valid_days: int) -> str:
    return "\n".join([comment(_("Turn on CCM's CRL, published to an OBS bucket (CCM needs an OBS agency first)")),
                      api_call("GET", f"{CAS}/obs/agencies"),
                      api_call("POST", f"{CAS}/{ca_id}/crl/enable", {"obs_bucket_name": bucket, "valid_days": valid_days, "crl_name": ca_id}),
                      api_call("GET", f"{CAS}/{ca_id}"),
                      comment(_("its crl_configuration.crl_dis_point is where backends fetch the CRL"))])


def workspace_script(ws: Workspace, session: Session) -> str:
    """Everything this workspace did through CCM, in order, as a script (the calls as comments)."""
    record = read_record(ws)
    if record is None:
        raise WizardError(_("the CA of {workspace} is not held in CCM (no ca/issuer.json)").format(workspace=ws.root))
    target = record.target
    parts = ["#!/bin/sh", "set -eu",
             comment(_("The CA of this workspace is held in CCM (Private CA): {endpoint}, account {account}").format(
                 endpoint=target.get("endpoint") or f"https://ccm.{target.get('region')}.myhuaweicloud.com", account=target.get("account"))),
             comment(_("Each call is signed with the account's AK/SK (the SDK, KooCLI or API Explorer does it)")),
             "", ca_calls(record.ca_id, _create_body(ws, record, session) if record.ca.get("created_here") else None)]
    for label, entry in record.certificates.items():
        request, base = _request_of(ws, label, entry, session)
        parts += ["", issue_calls(request, record.ca_id, str(entry.get("route") or "csr"), base)]
        if entry.get("status") == "REVOKED":
            parts += ["", revoke_calls(str(entry.get("id")), str(entry.get("reason") or "unspecified"))]
    crl = record.ca.get("crl")
    if isinstance(crl, dict):
        parts += ["", crl_calls(record.ca_id, str(crl.get("obs_bucket_name")), int(crl.get("valid_days") or 30))]
    return "\n".join(parts) + "\n"


def _create_body(ws: Workspace, record: IssuerRecord, session: Session) -> dict[str, Any]:
    """The creation body, its names read back from the CA certificate (CCM wrote what was asked)."""
    cert = x509.load_pem_x509_certificate(read_bytes(ws.cert("ca")))
    place = {field: pki.attribute_of(cert.subject, oid) or "" for field, oid in (
        ("country", NameOID.COUNTRY_NAME), ("state", NameOID.STATE_OR_PROVINCE_NAME), ("locality", NameOID.LOCALITY_NAME),
        ("organizational_unit", NameOID.ORGANIZATIONAL_UNIT_NAME))}
    org = pki.attribute_of(cert.subject, NameOID.ORGANIZATION_NAME) or session.org
    days = round((cert.not_valid_after_utc - cert.not_valid_before_utc).days)
    key_type = pki.key_type_of(cert.public_key())
    return profile.ca_body(org, pki.cn_of(cert.subject) or "", key_type if key_type in profile.KEY_ALGORITHMS else "rsa2048", days, place)


def _request_of(ws: Workspace, label: str, entry: dict[str, Any], session: Session) -> tuple[LeafRequest, str]:
    role, _sep, name = label.partition("/")
    base = "server/server" if role == "server" else "client/client" if name == "client" else f"clients/{name}/{name}"
    try:
        cert = x509.load_pem_x509_certificate(read_bytes(ws.root / f"{base}.crt"))
    except (ValueError, WizardError):
        cert = None
    org = (pki.attribute_of(cert.subject, NameOID.ORGANIZATION_NAME) if cert else None) or session.org
    days = round((cert.not_valid_after_utc - cert.not_valid_before_utc).days) if cert else session.client_days
    key_type = pki.key_type_of(cert.public_key()) if cert else session.client_key_type
    sans = tuple(s.split(":", 1)[1] for s in pki.san_strings(cert)) if cert and role == "server" else ()
    request = LeafRequest(role, str(entry.get("common_name") or name), org, days, key_type, name=name, sans=sans)
    return request, base
