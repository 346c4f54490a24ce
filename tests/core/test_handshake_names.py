"""Addresses as people type them: parse_address (the TUI validates with it as you type)."""

from __future__ import annotations

import pytest

from wizard.errors import InputError
from wizard.handshake import format_address, parse_address


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:443", ("127.0.0.1", 443)),
        (" lb.example.com:8443 ", ("lb.example.com", 8443)),
        ("[::1]:8443", ("::1", 8443)),
        ("[2001:DB8::1]:443", ("2001:db8::1", 443)),
        ("https://www.test.com", ("www.test.com", 443)),
        ("https://www.test.com:4443/path?q=1", ("www.test.com", 4443)),
        ("https://[::1]/", ("::1", 443)),
        ("HTTPS://192.0.2.7:10443", ("192.0.2.7", 10443)),
    ],
)
def test_parse_address_accepts_the_documented_forms(text: str, expected: tuple[str, int]) -> None:
    assert parse_address(text) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "no address"),
        ("   ", "no address"),
        ("not-a-port", "no port"),
        ("host:99999", "out of range"),
        ("host:0", "out of range"),
        ("host:https", "not a port number"),
        ("::1:443", "brackets"),
        ("[::1", "never closes"),
        ("[nope]:443", "not an IPv6 address"),
        ("http://host:80", "plain HTTP"),
        ("ftp://host:21", "only https://"),
        ("bad host:443", "spaces"),
        ("ho$t:443", "not a host name"),
        (":443", "no host"),
    ],
)
def test_parse_address_refuses_bad_input_with_one_clear_line(text: str, fragment: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_address(text)
    message = str(caught.value)
    assert fragment in message
    assert "\n" not in message


@pytest.mark.parametrize(("host", "port", "text"), [("127.0.0.1", 443, "127.0.0.1:443"), ("::1", 8443, "[::1]:8443"), ("lb.example.com", 1, "lb.example.com:1")])
def test_format_address_round_trips(host: str, port: int, text: str) -> None:
    assert format_address(host, port) == text
    assert parse_address(text) == (host, port)


# ---------------------------------------------------------------------------
# Strict addresses: only what means one server, said back as it was understood
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "understood"),
    [
        # what the system's resolver (inet_aton) would have made of them: connect somewhere else
        ("1:8443", "'1' would be read as 0.0.0.1"),
        ("127.1:8443", "'127.1' would be read as 127.0.0.1"),
        ("0177.0.0.1:443", "'0177.0.0.1' would be read as 127.0.0.1"),
        ("0x7f.1:443", "'0x7f.1' would be read as 127.0.0.1"),
        ("010.0.0.1:443", "'010.0.0.1' would be read as 8.0.0.1"),
        ("https://2130706433/", "'2130706433' would be read as 127.0.0.1"),
        # neither an address nor a name: never sent to DNS
        ("127.0.0.300:443", "'127.0.0.300' is neither an IPv4 address"),
        ("1.2.3.4.5:443", "is neither an IPv4 address"),
        # addresses that name no one server
        ("0.0.0.0:8443", "0.0.0.0 is the unspecified address"),
        ("[::]:443", ":: is the unspecified address"),
        ("[::ffff:0.0.0.0]:443", "is the unspecified address"),
        ("255.255.255.255:443", "255.255.255.255 is the broadcast address"),
        ("224.0.0.1:443", "224.0.0.1 is a multicast address"),
        ("[ff02::1]:443", "ff02::1 is a multicast address"),
        # names over DNS limits, or not names at all
        ("a" * 64 + ".example.com:443", "more than 63 characters"),
        (".".join(["label"] * 50) + ".com:443", "characters long: a host name has at most 253"),
        ("under_score.example:443", "is not a host name or IP address"),
        ("a..b:443", "is not a host name or IP address"),
        ("-lead.example:443", "is not a host name or IP address"),
    ],
)
def test_an_address_that_means_no_one_server_is_refused_saying_what_was_understood(text: str, understood: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_address(text)
    message = str(caught.value)
    assert understood in message, message
    assert "\n" not in message and len(message) < 260  # one line, a long name shortened
    assert message.startswith(repr(text[:60]).rstrip("'"))  # what was typed comes first


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("192.0.2.10:443", ("192.0.2.10", 443)),
        ("[fe80::1%eth0]:443", ("fe80::1%eth0", 443)),
        ("LocalHost:8443", ("localhost", 8443)),
        ("lb-1.example.com.:443", ("lb-1.example.com.", 443)),
        ("xn--bcher-kva.example:443", ("xn--bcher-kva.example", 443)),
        ("bücher.example:443", ("bücher.example", 443)),
        ("10.0.0.5.nip.io:443", ("10.0.0.5.nip.io", 443)),  # digits, but the last label is a word
        ("a" * 63 + ".example:443", ("a" * 63 + ".example", 443)),
    ],
)
def test_dotted_quads_ipv6_and_names_within_dns_limits_are_taken(text: str, expected: tuple[str, int]) -> None:
    assert parse_address(text) == expected


def test_nothing_is_resolved_or_connected_while_an_address_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """The refusal comes before any look-up: no resolver, no socket is touched."""
    import socket

    def no_traffic(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"traffic while reading an address: {args!r}")

    for name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "create_connection"):
        monkeypatch.setattr(socket, name, no_traffic)
    monkeypatch.setattr(socket.socket, "connect", no_traffic)
    for text in ("1:8443", "127.1:8443", "127.0.0.300:443", "lb.example.com:443", "192.0.2.10:443"):
        try:
            parse_address(text)
        except InputError:
            pass


@pytest.mark.parametrize(("host", "listening", "fragment"), [
    ("0.0.0.0", True, None), ("::", True, None), ("127.0.0.1", True, None), ("localhost", True, None),
    ("0.0.0.0", False, "unspecified"), ("127.1", True, "would be read as 127.0.0.1"), ("224.0.0.1", True, "multicast"),
    ("255.255.255.255", True, "broadcast"), ("0x7f.1", True, "would be read as 127.0.0.1"),
])
def test_a_listener_may_bind_every_address_but_the_forms_stay_strict(host: str, listening: bool, fragment: str | None) -> None:
    from wizard.handshake.names import host_problem

    problem = host_problem(host, listening=listening)
    assert (problem is None) if fragment is None else (fragment in (problem or ""))
