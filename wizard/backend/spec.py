"""What a backend kit is built from: the web server, where it goes, the load balancer's addresses
and the client-certificate headers the listener forwards (step 6's fields, aliases included).

ELB checks no CRL: behind it, the backend is the only place a revoked client can be refused, from
the headers the listener adds (wizard.elb.headers). Those headers are believed only from the load
balancer's own addresses: shared load balancers reach their backends from 100.125.0.0/16,
dedicated ones from addresses of their backend subnet.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wizard.elb.headers import FORWARDABLE_FIELDS, header_names, validate_forward_fields
from wizard.errors import InputError
from wizard.i18n import _

SERVERS = ("nginx", "haproxy", "apache")
SHARED_LB_SOURCE = "100.125.0.0/16"  # where shared load balancers reach their backends from
# What the kit reads when step 6 chose nothing yet: who the client is, and that it was verified.
DEFAULT_FIELDS = ("serialnumber", "fingerprint", "clientverify")
IDENTITY_FIELDS = ("serialnumber", "fingerprint")  # what a deny-list can match


@dataclass(frozen=True)
class KitSpec:
    """One kit: `fields` are validated "NAME[=alias]" items; `lb_sources` normalised CIDRs."""

    server: str
    out: Path
    lb_sources: tuple[str, ...]
    fields: tuple[str, ...]

    def headers(self) -> dict[str, str]:
        """field -> the header name the backend receives (the alias when one is set), lower case."""
        names = header_names(self.fields)
        return {item.partition("=")[0]: name.lower() for item, name in zip(self.fields, names)}

    def header(self, field: str) -> str | None:
        return self.headers().get(field)

    def cert_headers(self) -> tuple[str, ...]:
        """Every header that claims to carry a client certificate's details: the forwarded ones under
        their names, and ELB's default names too (a forger need not know the aliases)."""
        names = [*self.headers().values(), *(header.lower() for header, _label in FORWARDABLE_FIELDS.values())]
        return tuple(dict.fromkeys(names))

    def to_dict(self) -> dict[str, Any]:
        return {"server": self.server, "out": str(self.out), "lb_sources": list(self.lb_sources), "fields": list(self.fields)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> KitSpec:
        return make_spec(str(data["server"]), Path(str(data["out"])), [str(s) for s in data["lb_sources"]],
                         [str(f) for f in data["fields"]])


def validate_lb_sources(items: Iterable[str]) -> tuple[str, ...]:
    """The load balancer's addresses as normalised networks (an address alone is a /32 or /128).
    InputError names a value that is not an address or network, or has host bits set."""
    networks: list[str] = []
    for item in items:
        text = item.strip()
        try:
            network = ipaddress.ip_network(text, strict=True)
        except ValueError:
            try:
                suggestion = str(ipaddress.ip_network(text, strict=False))
            except ValueError:
                raise InputError(_("--lb-source {value!r} is not an address or network: give a CIDR such as {example}").format(
                    value=item, example=SHARED_LB_SOURCE)) from None
            raise InputError(_("--lb-source {value!r} has host bits set: did you mean {network}?").format(value=item, network=suggestion)) from None
        networks.append(str(network))
    if not networks:
        raise InputError(_("no load balancer address given: give --lb-source CIDR"))
    return tuple(dict.fromkeys(networks))


def make_spec(server: str, out: Path, lb_sources: Iterable[str], fields: Iterable[str]) -> KitSpec:
    """A validated kit description; InputError when the server is unknown, an address is bad, or
    the forwarded fields carry nothing a deny-list can match."""
    if server not in SERVERS:
        raise InputError(_("unknown web server {server!r}: use one of {servers}").format(server=server, servers=", ".join(SERVERS)))
    chosen = tuple(validate_forward_fields(fields))
    forwarded = {item.partition("=")[0] for item in chosen}
    if not forwarded & set(IDENTITY_FIELDS):
        raise InputError(_("the listener forwards neither the serial number nor the fingerprint, so no backend can tell a revoked "
                           "client: forward serialnumber (step 6, or --forward-client-cert serialnumber)"))
    return KitSpec(server=server, out=Path(out).expanduser().absolute(), lb_sources=validate_lb_sources(lb_sources), fields=chosen)
