"""The server certificate's `domain` field: only SNI certificates need it.

Rules from v3 `CreateCertificateOption.domain` (huaweicloudsdkelb
v3/model/create_certificate_option.py, and the API page "Creating a Certificate"): names
separated by commas, at most 100 of them and 10,000 characters in all; a name is labels of
letters, digits and '-' (each at most 63 characters, starting and ending with a letter or a
digit) joined by '.', or such a name behind a leading "*." wildcard. ELB's certificate page
adds that an SNI certificate's names must be the certificate's own.
"""

from __future__ import annotations

import re

from wizard.errors import InputError

AUTO = "auto"  # the server certificate's own DNS names
MAX_DOMAINS = 100
MAX_DOMAIN_CHARS = 10_000
_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


def is_domain_name(name: str) -> bool:
    """A name the API takes: a DNS name, or one with a leading '*.' wildcard."""
    labels = (name[2:] if name.startswith("*.") else name).split(".")
    return len(labels) >= 2 and all(_LABEL.match(label) for label in labels)


def validate_sni_domain(value: str, certificate_names: str) -> tuple[str, list[str]]:
    """The `domain` to send ("" = leave it out) and warnings. `value` is "" (none), "auto" (the
    certificate's qualified DNS names, `certificate_names`) or comma-separated names."""
    cleaned = value.strip()
    if not cleaned:
        return "", []
    if cleaned.lower() == AUTO:
        if not certificate_names:
            raise InputError("the SNI domain 'auto': the server certificate has no DNS name ELB takes (IPs and single-label names are not): give the names, or leave the SNI domain out")
        cleaned = certificate_names
    names = [name.strip() for name in cleaned.split(",")]
    if any(not name for name in names):
        raise InputError("the SNI domain has an empty name: separate names with single commas, e.g. www.example.com,api.example.com")
    bad = [name for name in names if not is_domain_name(name)]
    if bad:
        raise InputError(f"the SNI domain {bad[0]!r} is not a domain name ELB takes: use DNS names such as www.example.com, or *.example.com")
    if len(names) > MAX_DOMAINS:
        raise InputError(f"the SNI domain has {len(names)} names; ELB takes at most {MAX_DOMAINS}: keep the ones clients ask for")
    joined = ",".join(names)
    if len(joined) > MAX_DOMAIN_CHARS:
        raise InputError(f"the SNI domain is {len(joined)} characters; ELB takes at most {MAX_DOMAIN_CHARS}: give fewer names")
    own = {name.lower() for name in certificate_names.split(",") if name}
    foreign = [name for name in names if name.lower() not in own]
    warnings = [f"SNI domain {name} is not one of the server certificate's names; ELB wants an SNI certificate's own names" for name in foreign]
    return joined, warnings
