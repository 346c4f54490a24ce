"""Addresses and server names: what the user types, checked before any connection is made."""

from __future__ import annotations

import ipaddress

from wizard.errors import InputError
from wizard.i18n import N_, _

# How to write an address: the end of most messages below, a clause of its own (`{how}` there).
_ADDRESS_HELP = N_("write it as host:port, [IPv6]:port or https://host:port, e.g. 192.0.2.10:443")


def _parse_port(text: str, original: str) -> int:
    if not text.isdigit():
        raise InputError(_("{text!r} in {original!r} is not a port number: {how}").format(text=text, original=original, how=_(_ADDRESS_HELP)))
    port = int(text)
    if not 1 <= port <= 65535:
        raise InputError(_("port {port} in {original!r} is out of range (1-65535): {how}").format(port=port, original=original, how=_(_ADDRESS_HELP)))
    return port


def _strip_scheme(text: str, original: str) -> tuple[str, int | None]:
    """'https://host:port/path' -> ('host:port', 443); anything without a scheme is left alone."""
    if "://" not in text:
        return text, None
    scheme, _sep, rest = text.partition("://")
    if scheme.lower() == "http":
        raise InputError(_("{original!r} is plain HTTP: mutual TLS needs the HTTPS listener, e.g. https://{host_port}").format(
            original=original, host_port=rest.split("/")[0]))
    if scheme.lower() != "https":
        raise InputError(_("{original!r}: only https:// addresses can be checked").format(original=original))
    rest = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    if "@" in rest:
        raise InputError(_("{original!r} contains user information: give only host and port").format(original=original))
    return rest, 443


def _parse_bracketed(text: str, original: str, default_port: int | None) -> tuple[str, int]:
    inside, bracket, rest = text[1:].partition("]")
    if not bracket:
        raise InputError(_("{original!r} opens '[' but never closes it: {how}").format(original=original, how=_(_ADDRESS_HELP)))
    address, percent, zone = inside.partition("%")
    try:
        host = str(ipaddress.IPv6Address(address)) + (percent + zone)
    except ValueError:
        raise InputError(_("{text!r} in {original!r} is not an IPv6 address").format(text=inside, original=original)) from None
    if rest.startswith(":"):
        return host, _parse_port(rest[1:], original)
    if rest or default_port is None:
        raise InputError(_("{original!r} has no port: {how}").format(original=original, how=_(_ADDRESS_HELP)))
    return host, default_port


def parse_address(text: str) -> tuple[str, int]:
    """'host:port', '[v6]:port' or 'https://host[:port][/path]' -> (host, port). InputError on bad input."""
    original = text
    text = (text or "").strip()
    if not text:
        raise InputError(_("no address given: {how}").format(how=_(_ADDRESS_HELP)))
    if any(ch.isspace() for ch in text):
        raise InputError(_("{original!r} contains spaces: {how}").format(original=original, how=_(_ADDRESS_HELP)))
    text, default_port = _strip_scheme(text, original)
    if not text:
        raise InputError(_("{original!r} has no host: {how}").format(original=original, how=_(_ADDRESS_HELP)))
    if text.startswith("["):
        return _parse_bracketed(text, original, default_port)
    if text.count(":") > 1:
        raise InputError(_("{original!r}: write an IPv6 address in brackets, e.g. [2001:db8::1]:443").format(original=original))
    host, colon, port_text = text.partition(":")
    if not host:
        raise InputError(_("{original!r} has no host: {how}").format(original=original, how=_(_ADDRESS_HELP)))
    if colon:
        port = _parse_port(port_text, original)
    elif default_port is not None:
        port = default_port
    else:
        raise InputError(_("{original!r} has no port: {how}").format(original=original, how=_(_ADDRESS_HELP)))
    try:
        host = str(ipaddress.IPv4Address(host))
    except ValueError:
        if not all(ch.isalnum() or ch in "-._" for ch in host) or host.startswith((".", "-")):
            raise InputError(_("{text!r} in {original!r} is not a host name or IP address: {how}").format(
                text=host, original=original, how=_(_ADDRESS_HELP))) from None
        host = host.lower()
    return host, port


def format_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def unbracket(name: str) -> str:
    return name[1:-1] if name.startswith("[") and name.endswith("]") else name


def server_name(name: str, given: bool) -> str:
    """The name to send (SNI) and verify, canonical; InputError naming --sni or the workspace CN."""
    from wizard import pki  # the name rules live with the certificate profile

    name = unbracket(name.strip())
    problem = pki.name_problem(name) or (_("a wildcard cannot be sent as a server name") if "*" in name else None)
    if problem:
        if given:
            raise InputError(f"--sni: {problem}")  # the option, then the rule's own (translated) words
        raise InputError(_("the workspace's server CN cannot be sent as a server name ({problem}): give --sni NAME").format(problem=problem))
    return pki.normalise_name(name)
