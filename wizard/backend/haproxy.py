"""The HAProxy kit: rules to paste into the frontend (or listen) section that receives the load
balancer's traffic, and the ACL files they read.

- `haproxy-rules.cfg`: the `acl` and `http-request return` lines (HAProxy has no include inside a
  section); they refer to the files below by absolute path and never change on a revocation.
- `lb-sources.lst`: the load balancer's addresses (`src -f`).
- `revoked-serials.lst`, `revoked-fingerprints.lst`: the deny-list. HAProxy brings the header to one
  spelling itself (colons removed, leading zeros dropped, lower case: `regsub` and `lower`), so each
  revoked serial or fingerprint is one line. `client revoke` rewrites these two files only.

Header values are read with `req.fhdr` (the whole value: `req.hdr` would split a subject at its
commas). The echo uses `lf-string` (HAProxy 2.2 or later).
"""

from __future__ import annotations

from wizard.backend.denylist import DenyList, minimal_serial, unique_lower
from wizard.backend.echo import ECHO_MAGIC, ECHO_PATH, echo_headers
from wizard.backend.refusals import (
    FORGED,
    MARKER,
    REVOKED,
    UNVERIFIED,
    banner,
    commented,
)
from wizard.backend.spec import KitSpec
from wizard.i18n import N_

RULES = "haproxy-rules.cfg"
LB_SOURCES = "lb-sources.lst"
SERIALS = "revoked-serials.lst"
FINGERPRINTS = "revoked-fingerprints.lst"
RELOAD = "systemctl reload haproxy"
TEST = "haproxy -c -f /etc/haproxy/haproxy.cfg"
WHERE = N_("paste the rules into the frontend (or listen) section that receives the load balancer's traffic, before any other http-request rule and any use_backend")  # shown with _()


def _list(spec: KitSpec, what: str, values: list[str]) -> str:
    return commented(banner(spec, what)) + "".join(f"{value}\n" for value in values)


def _acls(spec: KitSpec) -> list[str]:
    acls = [f"acl mtls_wizard_from_lb src -f {spec.out / LB_SOURCES}"]
    acls += [f"acl mtls_wizard_cert_headers req.hdr_cnt({header}) gt 0" for header in spec.cert_headers()]
    verify, serial, fingerprint = (spec.header(field) for field in ("clientverify", "serialnumber", "fingerprint"))
    if verify:
        acls.append(f"acl mtls_wizard_verified req.fhdr({verify}) -m str SUCCESS")
    for header in (serial, fingerprint):
        if header:
            acls.append(f"acl mtls_wizard_identified_{'serial' if header == serial else 'fingerprint'} req.fhdr({header}) -m reg .")
    if serial:
        acls.append(f'acl mtls_wizard_revoked req.fhdr({serial}),regsub(":","",g),regsub("^0+",""),lower -m str -f {spec.out / SERIALS}')
    if fingerprint:
        acls.append(f'acl mtls_wizard_revoked req.fhdr({fingerprint}),regsub(":","",g),lower -m str -f {spec.out / FINGERPRINTS}')
    return acls


def _unverified_condition(spec: KitSpec) -> str:
    terms = ["!mtls_wizard_from_lb"]
    if spec.header("clientverify"):
        terms.append("!mtls_wizard_verified")
    terms += [f"!mtls_wizard_identified_{name}" for field, name in (("serialnumber", "serial"), ("fingerprint", "fingerprint"))
              if spec.header(field)]
    return " || ".join(terms)


def _return(status: int, body: str, condition: str, log_format: bool = False) -> str:
    kind = "lf-string" if log_format else "string"
    return f'http-request return status {status} content-type text/plain {kind} "{body}\\n" if {condition}'


def rules(spec: KitSpec) -> str:
    echo = "\\n".join([ECHO_MAGIC, "server: haproxy", "source: %[src]", *(f"{h}: %[req.fhdr({h})]" for h in echo_headers(spec))])
    lines = [
        *_acls(spec),
        _return(403, FORGED, "!mtls_wizard_from_lb mtls_wizard_cert_headers"),
        _return(403, UNVERIFIED, _unverified_condition(spec)),
        _return(403, REVOKED, "mtls_wizard_revoked") if spec.header("serialnumber") or spec.header("fingerprint") else "",
        "# What the backend received, for `mtls-wizard check --backend-echo` (the load balancer's addresses only).",
        _return(200, echo, f"{{ path {ECHO_PATH} }}", log_format=True),
    ]
    intro = banner(spec, "paste these lines into the frontend (or listen) section that receives the load balancer's traffic,")
    intro.insert(1, "before any other http-request rule and any use_backend.")
    return commented(intro) + "".join(f"{line}\n" for line in lines if line)


def deny_list_files(spec: KitSpec, deny: DenyList) -> dict[str, str]:
    serials = unique_lower(minimal_serial(serial) for serial in deny.serials)
    return {
        SERIALS: _list(spec, f"the revoked serial numbers ({len(serials)}), without colons or leading zeros", serials),
        FINGERPRINTS: _list(spec, "the revoked certificates' fingerprints (SHA-1 and SHA-256), without colons", unique_lower(deny.fingerprints)),
    }


def kit_files(spec: KitSpec, deny: DenyList) -> dict[str, str]:
    return {
        RULES: rules(spec),
        LB_SOURCES: _list(spec, "the load balancer's addresses", list(spec.lb_sources)),
        **deny_list_files(spec, deny),
    }


def include_lines(spec: KitSpec) -> list[str]:
    return [
        "frontend ...",
        f"    # the lines of {spec.out / RULES}",
        "    use_backend ...",
    ]


__all__ = ["MARKER", "RELOAD", "TEST", "WHERE", "deny_list_files", "include_lines", "kit_files"]
