"""Addresses and server names: what the user types, checked before any connection is made."""

from __future__ import annotations

import ipaddress
import re
import socket

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
    """'host:port', '[v6]:port' or 'https://host[:port][/path]' -> (host, port). InputError on bad
    input, and on a host that would send traffic somewhere the user did not mean (`host_problem`),
    before any name is resolved."""
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
        host, port = _parse_bracketed(text, original, default_port)
    else:
        host, port = _parse_plain(text, original, default_port)
    problem = host_problem(host)
    if problem:
        raise InputError(_("{original!r}: {problem}").format(original=_shortened(original), problem=problem))
    return (host if ":" in host else host.lower()), port


def _parse_plain(text: str, original: str, default_port: int | None) -> tuple[str, int]:
    if text.count(":") > 1:
        raise InputError(_("{original!r}: write an IPv6 address in brackets, e.g. [2001:db8::1]:443").format(original=original))
    host, colon, port_text = text.partition(":")
    if not host:
        raise InputError(_("{original!r} has no host: {how}").format(original=original, how=_(_ADDRESS_HELP)))
    if colon:
        return host, _parse_port(port_text, original)
    if default_port is not None:
        return host, default_port
    raise InputError(_("{original!r} has no port: {how}").format(original=original, how=_(_ADDRESS_HELP)))


def host_problem(host: str, *, listening: bool = False) -> str | None:
    """Why `host` (no port, an IPv6 address without brackets) is not an address to use, or None.

    Only three forms are taken: a dotted-quad IPv4 address, an IPv6 address, or a DNS name
    whose last label is not all digits, within DNS limits. The system's resolver would read
    '1', '127.1', '0177.0.0.1' or '0x7f.1' as IPv4 addresses (0.0.0.1, 127.0.0.1) and send
    '127.0.0.300' to DNS: each is refused, saying what it would have become. The unspecified
    address (0.0.0.0, ::) means "every address of this machine": a listener may bind to it
    (`listening`), nobody can connect to it. Broadcast and multicast addresses name no one server.
    Nothing is resolved here: no traffic leaves before the address is taken."""
    try:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(host)
    except ValueError:
        return _name_problem(host)
    return _address_problem(address, listening)


def _address_problem(address: ipaddress.IPv4Address | ipaddress.IPv6Address, listening: bool) -> str | None:
    plain = getattr(address, "ipv4_mapped", None) or address  # ::ffff:0.0.0.0 is 0.0.0.0 too
    if plain.is_unspecified and not listening:
        return _("{host} is the unspecified address (every address of this machine), not one to connect to: "
                 "give the listener's own address, e.g. 127.0.0.1").format(host=address)
    if plain == ipaddress.IPv4Address("255.255.255.255"):
        return _("{host} is the broadcast address: give the address of one machine").format(host=address)
    if plain.is_multicast:
        return _("{host} is a multicast address (a group, not one machine): give the address of one machine").format(host=address)
    return None


_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
MAX_NAME = 253  # DNS: a name's length (without the final dot), and each label's 63 characters


def _name_problem(host: str) -> str | None:
    """Why `host`, not an IP address, is no DNS name to look up, or None."""
    shown = _shortened(host)
    numeric = _system_reading(host)
    if numeric is not None:
        return _("{host!r} would be read as {address} (a shorthand, octal or hex IPv4 form): write the address as four "
                 "decimal numbers, e.g. {address}, if that is what you mean").format(host=shown, address=numeric)
    try:
        name = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        return _("{host!r} is not a host name or IP address: {rule}").format(host=shown, rule=_(_NAME_RULE))
    name = name.lower().removesuffix(".")
    labels = name.split(".")
    if len(name) > MAX_NAME:
        return _("{host!r} is {length} characters long: a host name has at most {most}").format(host=shown, length=len(name), most=MAX_NAME)
    if any(len(label) > 63 for label in labels):
        return _("{host!r} has a part of more than 63 characters between its dots, the most a host name allows").format(host=shown)
    if not all(_LABEL.match(label) for label in labels):
        return _("{host!r} is not a host name or IP address: {rule}").format(host=shown, rule=_(_NAME_RULE))
    if labels[-1].isdigit():
        return _("{host!r} is neither an IPv4 address (four numbers 0-255, e.g. 192.0.2.10) nor a host name "
                 "(a host name does not end in a number)").format(host=shown)
    return None


_NAME_RULE = N_("a host name is dot-separated parts of letters, digits and hyphens, e.g. lb.example.com")


def _system_reading(host: str) -> str | None:
    """The IPv4 address the C library would make of `host` (inet_aton: '127.1', '0x7f.1', '1'),
    None when it would take it as a name. A pure parse: nothing is looked up."""
    try:
        return socket.inet_ntoa(socket.inet_aton(host))
    except (OSError, ValueError):
        return None


def _shortened(text: str) -> str:
    """A long value as the start of it and its length: a message stays one readable line."""
    return text if len(text) <= 80 else _("{start}… ({count} characters)").format(start=text[:60], count=len(text))


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
