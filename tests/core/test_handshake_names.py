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
