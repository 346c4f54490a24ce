"""Validating what a person types: names, organisation, validity, key type.

Plain checks that raise InputError with one line saying what to fix; no key is touched.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

from cryptography import x509

from wizard.defaults import KEY_TYPES
from wizard.errors import InputError

# Apple platforms refuse TLS server certificates valid for longer than this.
SERVER_DAYS_APPLE_LIMIT = 825
# Past ~27 years a validity is almost certainly a typo (and outlives any key size we offer).
MAX_DAYS = 10000
# RFC 5280 upper bounds (ub-common-name, ub-organization-name).
MAX_CN = 64
MAX_ORG = 64


def default_ca_cn(org: str) -> str:
    return f"{org} mTLS Root CA"


_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def validate_key_type(key_type: str) -> str:
    if key_type not in KEY_TYPES:
        raise InputError(f"unknown key type {key_type!r}: choose one of {', '.join(KEY_TYPES)}")
    return key_type


def validate_days(days: int, what: str) -> int:
    if days <= 0:
        raise InputError(f"{what} validity must be at least 1 day (got {days})")
    if days > MAX_DAYS:
        raise InputError(f"{what} validity of {days} days is not plausible: use at most {MAX_DAYS} days")
    return days


def validate_org(org: str) -> str:
    org = org.strip()
    if not org:
        raise InputError("the organisation (O) must not be empty, e.g. --org ELB")
    if len(org) > MAX_ORG:
        raise InputError(f"the organisation is {len(org)} characters long: X.509 allows at most {MAX_ORG}")
    _refuse_control_chars(org, "the organisation")
    return org


def validate_common_name(cn: str, what: str) -> str:
    """A free-form CN (CA or client): non-empty, at most 64 characters, printable."""
    cn = cn.strip()
    if not cn:
        raise InputError(f"the {what} common name must not be empty")
    if len(cn) > MAX_CN:
        raise InputError(f"the {what} common name is {len(cn)} characters long: X.509 allows at most {MAX_CN}")
    _refuse_control_chars(cn, f"the {what} common name")
    return cn


def _refuse_control_chars(value: str, what: str) -> None:
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise InputError(f"{what} contains control characters: use printable text only")


def name_problem(value: str) -> str | None:
    """Why `value` is not a usable server name (hostname, wildcard or IP address), or None."""
    value = value.strip()
    if not value:
        return "the name is empty: give a domain name (www.example.com) or an IP address"
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        pass
    else:
        if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
            # A zone (%eth0) only means something on one machine; a certificate cannot carry it.
            return f"{value!r}: leave out the zone, give only the address ({value.split('%')[0]})"
        return _address_problem(value, address)
    if "://" in value or "/" in value:
        return f"{value!r} looks like a URL: give only the host name, e.g. www.example.com"
    if ":" in value:
        return f"{value!r} is neither a host name nor a valid IP address (a port does not belong here)"
    try:
        ascii_name = value.encode("idna").decode("ascii").lower() if not value.isascii() else value.lower()
    except UnicodeError:
        return f"{value!r} is not a valid internationalised domain name"
    ascii_name = ascii_name.rstrip(".")
    if len(ascii_name) > 253:
        return f"{value!r} is longer than 253 characters, the limit for a domain name"
    labels = ascii_name.split(".")
    if labels[0] == "*":
        if len(labels) < 3:
            return f"{value!r}: a wildcard needs at least two labels after '*.' (e.g. *.example.com)"
        labels = labels[1:]
    elif "*" in ascii_name:
        return f"{value!r}: a wildcard is only allowed as the whole leftmost label, like *.example.com"
    for label in labels:
        if not _LABEL.match(label):
            return (
                f"{value!r} is not a valid host name: each dot-separated part must be 1-63 letters, "
                "digits or hyphens, not starting or ending with a hyphen"
            )
    if labels[-1].isdigit():
        return f"{value!r} looks like a mistyped IP address: check the numbers"
    return None


def _address_problem(value: str, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Addresses no client connects to: 0.0.0.0 and :: mean "every address" to a listener,
    multicast and broadcast address groups, not a server."""
    if address.is_unspecified:
        return f"{value!r} means 'every address' to a listener, no client connects to it: give the address clients use, e.g. the load balancer's IP"
    if address.is_multicast or address == ipaddress.IPv4Address("255.255.255.255"):
        return f"{value!r} is a multicast or broadcast address, not a server's: give the address clients use, e.g. the load balancer's IP"
    return None


def normalise_name(value: str) -> str:
    """Validate a server name and return its canonical form (lower case, IDNA, IP compressed)."""
    problem = name_problem(value)
    if problem:
        raise InputError(problem)
    value = value.strip()
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        pass
    if not value.isascii():
        value = value.encode("idna").decode("ascii")
    return value.lower().rstrip(".")


def general_name(value: str) -> x509.GeneralName:
    """A SAN entry: an IP address becomes an IP SAN, a name a DNS SAN."""
    value = normalise_name(value)
    try:
        return x509.IPAddress(ipaddress.ip_address(value))
    except ValueError:
        return x509.DNSName(value)


def server_sans(cn: str, extra: Iterable[str] = ()) -> list[str]:
    """The CN first, then the extra names, validated and without duplicates."""
    names: list[str] = []
    for value in [cn, *extra]:
        name = normalise_name(value)
        if name not in names:
            names.append(name)
    return names

