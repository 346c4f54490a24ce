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
from wizard.i18n import _

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
            raise InputError(_("the SNI domain 'auto': the server certificate has no DNS name ELB takes (IPs and single-label "
                               "names are not): give the names, or leave the SNI domain out"))
        cleaned = certificate_names
    names = [name.strip() for name in cleaned.split(",")]
    if any(not name for name in names):
        raise InputError(_("the SNI domain has an empty name: separate names with single commas, e.g. www.example.com,api.example.com"))
    bad = [name for name in names if not is_domain_name(name)]
    if bad:
        raise InputError(_("the SNI domain {name!r} is not a domain name ELB takes: use DNS names such as www.example.com, or "
                           "*.example.com").format(name=bad[0]))
    if len(names) > MAX_DOMAINS:
        raise InputError(_("the SNI domain has {count} names; ELB takes at most {limit}: keep the ones clients ask for").format(
            count=len(names), limit=MAX_DOMAINS))
    joined = ",".join(names)
    if len(joined) > MAX_DOMAIN_CHARS:
        raise InputError(_("the SNI domain is {count} characters; ELB takes at most {limit}: give fewer names").format(
            count=len(joined), limit=MAX_DOMAIN_CHARS))
    own = {name.lower() for name in certificate_names.split(",") if name}
    foreign = [name for name in names if name.lower() not in own]
    warnings = [_("SNI domain {name} is not one of the server certificate's names; ELB wants an SNI certificate's own "
                  "names").format(name=name) for name in foreign]
    return joined, warnings
