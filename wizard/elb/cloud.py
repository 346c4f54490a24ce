"""What is already in ELB: certificates found by content, the load balancer and its port.

Everything here reads; nothing is created. The upload asks these questions before its first
POST, so a refusal leaves nothing behind, and a lost elb/uploaded.json (or session) does not
lead to a second copy of a certificate that ELB already holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography import x509

from wizard import pki
from wizard.elb.policies import DEDICATED, SHARED, check_type_takes, validate_security_policy_id, validate_tls_policy
from wizard.elb.sdk import ElbApi
from wizard.errors import WizardError
from wizard.i18n import _

# Listener protocols that are "HTTPS" (CreateListenerOption.protocol: a shared load balancer
# shows an HTTPS listener as TERMINATED_HTTPS).
HTTPS_PROTOCOLS = ("HTTPS", "TERMINATED_HTTPS")
# The protocols that take a TCP port: one of these on the port holds it for an HTTPS listener.
# UDP and QUIC listeners count their ports apart (a QUIC listener may share 443 with HTTPS), so
# they are never asked for (ListListenersRequest.protocol).
TCP_PROTOCOLS = ("TCP", "HTTP", "TLS", *HTTPS_PROTOCOLS)


def content_fingerprint(pem: object) -> str:
    """Our SHA-256 fingerprint of the first certificate in a PEM text ('' when unreadable)."""
    try:
        return pki.fingerprint(x509.load_pem_x509_certificates(str(pem or "").encode())[0])
    except (ValueError, IndexError):
        return ""


def find_certificate(api: ElbApi, kind: str, common_name: str, fingerprint: str, label: str) -> dict[str, Any] | None:
    """A certificate of `kind` ("server"/"client") in ELB holding exactly this one (compared by
    our fingerprint of its content), or None. ListCertificatesRequest filters by type and common
    name (v3/model/list_certificates_request.py), and the pages are followed. `label` names the
    certificate in the user's language."""
    action = _("looking for the {what} in ELB").format(what=label)
    for item in api.list_certificates(action, kind=kind, common_name=common_name):
        if item.get("id") and content_fingerprint(item.get("certificate")) == fingerprint:
            return item
    return None


@dataclass(frozen=True)
class LoadBalancer:
    """What the pre-flight learnt (v3 LoadBalancer: `guaranteed`, `l7_flavor_id`)."""

    id: str
    name: str
    lb_type: str  # SHARED or DEDICATED
    l7_flavor_id: str

    @property
    def https_protocol(self) -> str:
        return "TERMINATED_HTTPS" if self.lb_type == SHARED else "HTTPS"


def read_load_balancer(api: ElbApi, lb_id: str, region: str, missing_ok: bool = False) -> LoadBalancer | None:
    """The load balancer `lb_id`, or WizardError when it is missing (None with `missing_ok`) or
    cannot take an HTTPS listener (a dedicated one without an application, layer-7, flavour)."""
    found = api.show_load_balancer(lb_id, _("reading the load balancer"))
    if found is None and missing_ok:
        return None
    if found is None:
        raise WizardError(_("load balancer {lb_id} was not found in region {region}: check --loadbalancer-id, --region and "
                            "--project-id").format(lb_id=lb_id, region=region))
    lb = LoadBalancer(
        id=lb_id, name=str(found.get("name") or ""), lb_type=DEDICATED if found.get("guaranteed") is True else SHARED,
        l7_flavor_id=str(found.get("l7_flavor_id") or ""))
    if lb.lb_type == DEDICATED and not lb.l7_flavor_id:
        raise WizardError(_(
            "load balancer {lb_id} is a dedicated one without an application (HTTP/HTTPS) flavour, so it cannot take an HTTPS "
            "listener: add an application-load-balancing specification to it in the console, or choose another load "
            "balancer").format(lb_id=lb_id))
    return lb


def region_policies(api: ElbApi, log: Callable[[str], None]) -> tuple[str, ...] | None:
    """The system TLS policies this region offers, or None (the documented list then applies,
    and the log says so) where the call is not available."""
    offered = api.system_security_policies(_("listing the region's TLS policies"))
    if offered is None:
        log(_("TLS policies: this endpoint does not list its policies; checked against the documented list"))
        return None
    return tuple(offered)


def check_policy_fits(lb: LoadBalancer, tls_policy: str, security_policy_id: str, offered: tuple[str, ...] | None = None,
                      *, type_only: bool = False) -> None:
    """InputError (listing what fits) when the load balancer, or its region, cannot take the
    policy; `type_only`: what the load balancer's type refuses, before the region is asked."""
    validate_security_policy_id(security_policy_id, lb.lb_type)
    if security_policy_id:
        return
    if type_only:
        check_type_takes(tls_policy, lb.lb_type)
    else:
        validate_tls_policy(tls_policy, lb.lb_type, offered)


def listener_on_port(api: ElbApi, lb: LoadBalancer, port: int, ca_fingerprint: str, recorded_id: str) -> dict[str, Any] | None:
    """The listener already on `port`: the recorded one, or an HTTPS one that trusts this CA
    (ours in all but the record: adopted). Any other one on the TCP port holds it: WizardError."""
    found = api.listeners_on_port(lb.id, port, TCP_PROTOCOLS, _("looking at the load balancer's listeners"))
    recorded = [listener for listener in found if recorded_id and listener.get("id") == recorded_id]
    if recorded:
        return recorded[0]
    if not found:
        return None
    listener = next((item for item in found if str(item.get("protocol") or "") in HTTPS_PROTOCOLS), found[0])
    facts = {"port": port, "lb_id": lb.id, "listener_id": listener.get("id", "?"), "protocol": str(listener.get("protocol") or "?")}
    if facts["protocol"] not in HTTPS_PROTOCOLS:
        raise WizardError(_("port {port} of load balancer {lb_id} is used by listener {listener_id} ({protocol}): choose "
                            "another --port, or delete that listener in the console").format(**facts))
    ca_ref = str(listener.get("client_ca_tls_container_ref") or "")
    ca = api.show_certificate(ca_ref, _("reading the CA certificate of that listener")) if ca_ref else None
    if ca is None or content_fingerprint(ca.get("certificate")) != ca_fingerprint:
        raise WizardError(_("port {port} of load balancer {lb_id} is used by listener {listener_id} ({protocol} trusting "
                            "another CA or none): choose another --port, or delete that listener in the console").format(**facts))
    return listener
