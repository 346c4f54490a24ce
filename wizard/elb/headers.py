"""The verified client certificate's details, forwarded by ELB to the backends as request headers.

A listener's `insert_headers` (v3 `ListenerInsertHeaders`, huaweicloudsdkelb
v3/model/listener_insert_headers.py) switches each header on with `X-Forwarded-Clientcert…-enable`
and may rename it with the matching `…-alias` (1-40 characters: a-z, digits, '-' and '_').
Only HTTPS listeners (TERMINATED_HTTPS on shared load balancers) send them.

A field is given as "NAME" or "NAME=ALIAS" (see FORWARDABLE_FIELDS). `forwarded_headers` is pure:
it builds the header names and values for one client certificate, for a practice listener to
show what a backend would receive. ELB's documentation names the headers but not the exact
value formats; ELB's layer 7 runs on nginx (its FAQ "How does ELB distribute traffic for
different protocols?"), so the values follow nginx's `$ssl_client_*` variables.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from urllib.parse import quote

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from wizard.errors import InputError
from wizard.i18n import N_, _

# field -> (the header ELB sends, a short label for a checkbox: English, `field_label` translates)
FORWARDABLE_FIELDS: dict[str, tuple[str, str]] = {
    "cert": ("X-Forwarded-Clientcert", N_("the whole certificate (PEM, URL-encoded)")),
    "subjectdn": ("X-Forwarded-Clientcert-subjectdn", N_("subject (who the client is)")),
    "issuerdn": ("X-Forwarded-Clientcert-issuerdn", N_("issuer (the CA that signed it)")),
    "fingerprint": ("X-Forwarded-Clientcert-fingerprint", N_("fingerprint")),
    "serialnumber": ("X-Forwarded-Clientcert-serialnumber", N_("serial number")),
    "clientverify": ("X-Forwarded-Clientcert-clientverify", N_("verification result")),
    "end": ("X-Forwarded-Clientcert-end", N_("expiry date")),
    "ciphers": ("X-Forwarded-Clientcert-ciphers", N_("cipher suites the client offered")),
}
FIELD_LABELS = {field: label for field, (_header, label) in FORWARDABLE_FIELDS.items()}
NONE = "none"  # given alone: forward nothing (clears an earlier choice)
_ALIAS = re.compile(r"^[a-z0-9_-]{1,40}$")


def field_label(field: str) -> str:
    """The checkbox label of a forwardable field, in the current language (the field itself if unknown)."""
    return _(FORWARDABLE_FIELDS[field][1]) if field in FORWARDABLE_FIELDS else field


def _parse(item: str) -> tuple[str, str]:
    field, _equals, alias = item.strip().partition("=")
    field = field.strip().lower()
    if field not in FORWARDABLE_FIELDS:
        raise InputError(_("unknown client certificate field {field!r}: use {fields} (or FIELD=ALIAS, or none)").format(
            field=field, fields=", ".join(FORWARDABLE_FIELDS)))
    alias = alias.strip().lower()
    if "=" in item and not _ALIAS.match(alias):
        raise InputError(_("the header alias {alias!r} for {field} is not valid: use 1-40 characters a-z, 0-9, '-' or '_'").format(
            alias=alias, field=field))
    return field, alias


def validate_forward_fields(items: Iterable[str]) -> list[str]:
    """The fields to forward, in the canonical order, each "NAME" or "NAME=alias"; "none" means
    none. Raises InputError naming the bad item."""
    given = [item for item in items if item.strip()]
    if [item.strip().lower() for item in given] == [NONE]:
        return []
    chosen: dict[str, str] = {}
    for item in given:
        field, alias = _parse(item)
        chosen[field] = alias
    return [f"{field}={chosen[field]}" if chosen[field] else field for field in FORWARDABLE_FIELDS if field in chosen]


def _switch(header: str) -> str:
    return f"{header}-enable"


def insert_headers(fields: Iterable[str], *, switch_off_others: bool = False) -> dict[str, object]:
    """The listener's `insert_headers` for `fields` (validated "NAME[=alias]" items). With
    `switch_off_others` (updating a listener) the fields not chosen are switched off explicitly."""
    chosen = dict(_parse(item) for item in fields)
    body: dict[str, object] = {}
    for field, (header, _label) in FORWARDABLE_FIELDS.items():
        if field in chosen:
            body[_switch(header)] = True
            if chosen[field]:
                body[f"{header}-alias"] = chosen[field]
        elif switch_off_others:
            body[_switch(header)] = False
    return body


def merged_insert_headers(held: dict[str, object] | None, fields: Iterable[str]) -> dict[str, object]:
    """The whole `insert_headers` object to send for `fields`: the listener's own (`held`, as
    ELB answered it) with only the client-certificate switches and aliases changed.

    The API reference does not say whether an update merges `insert_headers` or replaces it,
    so the whole object goes: headers switched on in the console (X-Forwarded-ELB-IP,
    X-Real-IP, the TLS and JA3 headers ...) are sent back as they were and survive either way.
    An alias no longer wanted is left out rather than sent as null, and so is a header ELB
    answered as null (not set: leaving it out keeps it so, merged or replaced)."""
    merged = {name: value for name, value in (held or {}).items() if value is not None}
    chosen = dict(_parse(item) for item in fields)
    for field, (header, _label) in FORWARDABLE_FIELDS.items():
        merged[_switch(header)] = field in chosen
        if chosen.get(field):
            merged[f"{header}-alias"] = chosen[field]
        elif field in chosen:
            merged.pop(f"{header}-alias", None)
    return merged


def fields_of(headers: dict[str, object] | None) -> list[str]:
    """The forwarded fields a listener's `insert_headers` switches on (as validated items)."""
    headers = headers or {}
    found = []
    for field, (header, _label) in FORWARDABLE_FIELDS.items():
        if headers.get(_switch(header)) is True:
            alias = str(headers.get(f"{header}-alias") or "")
            found.append(f"{field}={alias}" if alias else field)
    return found


def header_names(fields: Iterable[str]) -> list[str]:
    """The header names a backend receives for `fields` (the alias when one is set)."""
    return [alias or FORWARDABLE_FIELDS[field][0] for field, alias in map(_parse, fields)]


def serial_header_value(serial: int) -> str:
    """A serial number as X-Forwarded-Clientcert-serialnumber carries it (nginx's
    $ssl_client_serial): upper-case hex, whole bytes (an even number of digits)."""
    digits = f"{serial:X}"
    return digits if len(digits) % 2 == 0 else "0" + digits


def _value(field: str, cert: x509.Certificate, verify: str, ciphers: Sequence[str]) -> str:
    if field == "cert":  # nginx $ssl_client_escaped_cert
        return quote(cert.public_bytes(serialization.Encoding.PEM).decode(), safe="")
    if field == "subjectdn":  # $ssl_client_s_dn (RFC 2253 form)
        return cert.subject.rfc4514_string()
    if field == "issuerdn":  # $ssl_client_i_dn
        return cert.issuer.rfc4514_string()
    if field == "fingerprint":  # $ssl_client_fingerprint: SHA-1, lowercase hex
        return cert.fingerprint(hashes.SHA1()).hex()  # noqa: S303 - an identifier, not a signature
    if field == "serialnumber":
        return serial_header_value(cert.serial_number)
    if field == "clientverify":  # $ssl_client_verify
        return verify
    if field == "end":  # $ssl_client_v_end, OpenSSL's time format
        end = cert.not_valid_after_utc
        return f"{end:%b} {end.day:2d} {end:%H:%M:%S %Y} GMT"
    return ":".join(ciphers)  # "ciphers": $ssl_ciphers, the suites the client offered


def forwarded_headers(
    cert: x509.Certificate, fields: Iterable[str], *, verify: str = "SUCCESS", ciphers: Sequence[str] = (),
) -> list[tuple[str, str]]:
    """(name, value) of each header ELB would add for this verified client certificate.

    `fields` are "NAME[=alias]" items; `verify` is the verification result ("SUCCESS", or
    "FAILED:reason"); `ciphers` the cipher suites the client offered (OpenSSL names).
    """
    return [(alias or FORWARDABLE_FIELDS[field][0], _value(field, cert, verify, ciphers)) for field, alias in map(_parse, fields)]
