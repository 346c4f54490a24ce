"""Validating what a person types: names, organisation, validity, key type.

Plain checks that raise InputError with one line saying what to fix; no key is touched.
"""

from __future__ import annotations

import ipaddress
import re
import warnings
from collections.abc import Iterable

from cryptography import x509
from cryptography.x509.oid import NameOID

from wizard.defaults import KEY_TYPES
from wizard.errors import InputError
from wizard.i18n import _

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
        raise InputError(_("unknown key type {key_type!r}: choose one of {choices}").format(key_type=key_type, choices=", ".join(KEY_TYPES)))
    return key_type


def validate_days(days: int, what: str) -> int:
    """`what` names the certificate ("CA", a translated "server certificate"): the caller translates it."""
    if days <= 0:
        raise InputError(_("{what} validity must be at least 1 day (got {days})").format(what=what, days=days))
    if days > MAX_DAYS:
        raise InputError(_("{what} validity of {days} days is not plausible: use at most {max_days} days").format(what=what, days=days, max_days=MAX_DAYS))
    return days


def validate_org(org: str) -> str:
    org = org.strip()
    if not org:
        raise InputError(_("the organisation (O) must not be empty, e.g. --org ELB"))
    if len(org) > MAX_ORG:
        raise InputError(_("the organisation is {length} characters long: X.509 allows at most {max_length}").format(length=len(org), max_length=MAX_ORG))
    _refuse_control_chars(org, _("the organisation contains control characters: use printable text only"))
    return org


def validate_common_name(cn: str, what: str) -> str:
    """A free-form CN (CA or client): non-empty, at most 64 characters, printable.
    `what` ("CA", a translated "client") is translated by the caller."""
    cn = cn.strip()
    if not cn:
        raise InputError(_("the {what} common name must not be empty").format(what=what))
    if len(cn) > MAX_CN:
        raise InputError(_("the {what} common name is {length} characters long: X.509 allows at most {max_length}").format(
            what=what, length=len(cn), max_length=MAX_CN))
    _refuse_control_chars(cn, _("the {what} common name contains control characters: use printable text only").format(what=what))
    return cn


def _refuse_control_chars(value: str, message: str) -> None:
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise InputError(message)


def name_problem(value: str) -> str | None:
    """Why `value` is not a usable server name (hostname, wildcard or IP address), or None."""
    value = value.strip()
    if not value:
        return _("the name is empty: give a domain name (www.example.com) or an IP address")
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        pass
    else:
        if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
            # A zone (%eth0) only means something on one machine; a certificate cannot carry it.
            return _("{name!r}: leave out the zone, give only the address ({address})").format(name=value, address=value.split("%")[0])
        return _address_problem(value, address)
    if "://" in value or "/" in value:
        return _("{name!r} looks like a URL: give only the host name, e.g. www.example.com").format(name=value)
    if ":" in value:
        return _("{name!r} is neither a host name nor a valid IP address (a port does not belong here)").format(name=value)
    try:
        ascii_name = value.encode("idna").decode("ascii").lower() if not value.isascii() else value.lower()
    except UnicodeError:
        return _("{name!r} is not a valid internationalised domain name").format(name=value)
    ascii_name = ascii_name.rstrip(".")
    if len(ascii_name) > 253:
        return _("{name!r} is longer than 253 characters, the limit for a domain name").format(name=value)
    labels = ascii_name.split(".")
    if labels[0] == "*":
        if len(labels) < 3:
            return _("{name!r}: a wildcard needs at least two labels after '*.' (e.g. *.example.com)").format(name=value)
        labels = labels[1:]
    elif "*" in ascii_name:
        return _("{name!r}: a wildcard is only allowed as the whole leftmost label, like *.example.com").format(name=value)
    for label in labels:
        if not _LABEL.match(label):
            return _("{name!r} is not a valid host name: each dot-separated part must be 1-63 letters, "
                     "digits or hyphens, not starting or ending with a hyphen").format(name=value)
    if labels[-1].isdigit():
        return _("{name!r} looks like a mistyped IP address: check the numbers").format(name=value)
    return None


def _address_problem(value: str, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Addresses no client connects to: 0.0.0.0 and :: mean "every address" to a listener,
    multicast and broadcast address groups, not a server."""
    if address.is_unspecified:
        return _("{name!r} means 'every address' to a listener, no client connects to it: give the address clients use, "
                 "e.g. the load balancer's IP").format(name=value)
    if address.is_multicast or address == ipaddress.IPv4Address("255.255.255.255"):
        return _("{name!r} is a multicast or broadcast address, not a server's: give the address clients use, "
                 "e.g. the load balancer's IP").format(name=value)
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


# RFC 5280 (Appendix A.1) upper bounds, in characters; an attribute not listed may hold MAX_OTHER.
_ATTRIBUTE_LIMITS = {
    NameOID.COMMON_NAME: 64, NameOID.ORGANIZATION_NAME: 64, NameOID.ORGANIZATIONAL_UNIT_NAME: 64,
    NameOID.LOCALITY_NAME: 128, NameOID.STATE_OR_PROVINCE_NAME: 128, NameOID.COUNTRY_NAME: 2,
    NameOID.SERIAL_NUMBER: 64, NameOID.EMAIL_ADDRESS: 255, NameOID.DOMAIN_COMPONENT: 63,
}
MAX_OTHER = 256


def name_length_problem(cert: x509.Certificate) -> str | None:
    """Why the certificate's subject or issuer is over X.509's length limits, or None.

    Read with the library's own length warnings silenced: the refusal says it in one line."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for which, name in ((_("subject"), cert.subject), (_("issuer"), cert.issuer)):
            for attribute in name:
                value = attribute.value if isinstance(attribute.value, str) else attribute.value.hex()
                limit = _ATTRIBUTE_LIMITS.get(attribute.oid, MAX_OTHER)
                if len(value) > limit:
                    return _("its {which} has a {attribute} of {length} characters, over X.509's limit of {limit}").format(
                        which=which, attribute=attribute.rfc4514_attribute_name, length=len(value), limit=limit)
    return None
