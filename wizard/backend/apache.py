"""The Apache httpd kit: a file to Include at the top of the VirtualHost that receives the load
balancer's traffic, the deny-list as a RewriteMap, and the echo page.

- `mtls-wizard.conf`: mod_rewrite rules at virtual-host level, which run when the URL is mapped,
  before any <Location>, <Directory> or authorization of the site (so no later section can undo
  them): forged, unverified and revoked requests get `[F]` (403), with the refusal's text as the
  ErrorDocument. The source is `%{CONN_REMOTE_ADDR}`, the connection's peer even where mod_remoteip
  rewrites the client address.
- `revoked.map`: a `txt:` RewriteMap, every spelling of each revoked serial and fingerprint in lower
  case (the header is lowered with `int:tolower` before the look-up). `client revoke` rewrites this
  file only; mod_rewrite itself reads it again when it changes.
- `echo.shtml`: the echo, filled in by mod_include (server-side includes).

It needs mod_rewrite and mod_include (`a2enmod rewrite include`); without them the configuration
test stops with a message that says so, rather than letting every request through.
"""

from __future__ import annotations

from wizard.backend.denylist import (
    DenyList,
    all_fingerprint_spellings,
    all_serial_spellings,
)
from wizard.backend.echo import ECHO_MAGIC, ECHO_PATH, echo_headers
from wizard.backend.refusals import (
    FORGED,
    MARKER,
    REVOKED,
    UNVERIFIED,
    banner,
    commented,
)
from wizard.backend.spec import KitSpec
from wizard.i18n import N_

CONF = "mtls-wizard.conf"
MAP = "revoked.map"
ECHO = "echo.shtml"
RELOAD = "apachectl graceful"
TEST = "apachectl configtest"
WHERE = N_("Include it at the top of the VirtualHost that receives the load balancer's traffic, before any RewriteRule of the site")  # shown with _()
REFUSAL_VARIABLE = "MTLS_WIZARD_REFUSAL"
MAP_VALUE = "revoked"


def _header(header: str) -> str:
    return f"%{{HTTP:{header}}}"


def _refuse(body: str) -> str:
    return f'RewriteRule ^ - "[E={REFUSAL_VARIABLE}:{body},F]"\n'


def _from_lb(spec: KitSpec) -> str:
    return "(" + " || ".join(f"%{{CONN_REMOTE_ADDR}} -ipmatch '{source}'" for source in spec.lb_sources) + ")"


def _checks(spec: KitSpec) -> str:
    any_header = " || ".join(f"-n {_header(header)}" for header in spec.cert_headers())
    # A leading "!" negates a RewriteCond: "!(from the load balancer)".
    forged = f'RewriteCond expr "!{_from_lb(spec)}"\nRewriteCond expr "{any_header}"\n' + _refuse(FORGED)
    unverified = [f'RewriteCond expr "!{_from_lb(spec)}"']
    if spec.header("clientverify"):
        unverified.append(f'RewriteCond "{_header(spec.header("clientverify") or "")}" "!=SUCCESS"')
    unverified += [f'RewriteCond "{_header(header)}" "^$"' for field in ("serialnumber", "fingerprint") if (header := spec.header(field))]
    revoked = [f'RewriteCond "${{mtls_wizard_revoked:${{mtls_wizard_lower:{_header(header)}}}|-}}" "={MAP_VALUE}"'
               for field in ("serialnumber", "fingerprint") if (header := spec.header(field))]
    return (
        "# 1. Client-certificate headers from elsewhere than the load balancer: forged.\n" + forged
        + "# 2. Not from the load balancer, or without the verified-client headers: the listener lost mutual authentication.\n"
        + "".join(f"{line} [OR]\n" for line in unverified[:-1]) + f"{unverified[-1]}\n" + _refuse(UNVERIFIED)
        + "# 3. On the deny-list.\n"
        + "".join(f"{line} [OR]\n" for line in revoked[:-1]) + f"{revoked[-1]}\n" + _refuse(REVOKED)
    )


def _echo(spec: KitSpec) -> str:
    names = [f"MTLS_WIZARD_ECHO_{index}" for index, _header in enumerate(echo_headers(spec))]
    setters = ",".join(f"E={name}:{_header(header)}" for name, header in zip(names, echo_headers(spec)))
    pattern = "^" + ECHO_PATH.replace(".", r"\.") + "$"
    return (
        "# What the backend received, for `mtls-wizard check --backend-echo` (the load balancer's addresses only).\n"
        f'RewriteRule "{pattern}" "{spec.out / ECHO}" "[{setters},H=server-parsed,T=text/plain,L]"\n'
        f'<Directory "{spec.out}">\n    Require all granted\n    Options +IncludesNOEXEC\n</Directory>\n'
    )


def _intro(spec: KitSpec) -> list[str]:
    lines = banner(spec, "Include it at the top of the VirtualHost that receives the load balancer's traffic,")
    lines.insert(1, "before any RewriteRule of the site.")
    return lines


def conf(spec: KitSpec) -> str:
    return (
        commented(_intro(spec))
        + "<IfModule !rewrite_module>\n    Error \"the mtls-wizard backend kit needs mod_rewrite: a2enmod rewrite\"\n</IfModule>\n"
        + "<IfModule !include_module>\n    Error \"the mtls-wizard backend kit needs mod_include for its echo: a2enmod include\"\n</IfModule>\n"
        + "RewriteEngine On\nRewriteMap mtls_wizard_lower int:tolower\n"
        + f'RewriteMap mtls_wizard_revoked "txt:{spec.out / MAP}"\n'
        + f"RewriteRule ^ - [E={REFUSAL_VARIABLE}:Forbidden]\n"
        + _checks(spec)
        + "# The refusal's text as the body of its 403 (the site's own 403s say \"Forbidden\").\n"
        + f'ErrorDocument 403 "%{{reqenv:{REFUSAL_VARIABLE}}}"\n'
        + _echo(spec)
    )


def echo_page(spec: KitSpec) -> str:
    lines = [ECHO_MAGIC, "server: apache", 'source: <!--#echo encoding="none" var="REMOTE_ADDR" -->']
    lines += [f'{header}: <!--#echo encoding="none" var="MTLS_WIZARD_ECHO_{index}" -->' for index, header in enumerate(echo_headers(spec))]
    return f"<!--#if expr=\"false\" -->{MARKER} for apache: the echo page<!--#endif -->" + "\n".join(lines) + "\n"


def deny_list_files(spec: KitSpec, deny: DenyList) -> dict[str, str]:
    keys = (all_serial_spellings(deny) if spec.header("serialnumber") else []) + (
        all_fingerprint_spellings(deny) if spec.header("fingerprint") else [])
    what = f"the deny-list ({len(deny.serials)} revoked certificates), every spelling in lower case"
    return {MAP: commented(banner(spec, what)) + "".join(f"{key} {MAP_VALUE}\n" for key in dict.fromkeys(keys))}


def kit_files(spec: KitSpec, deny: DenyList) -> dict[str, str]:
    return {CONF: conf(spec), ECHO: echo_page(spec), **deny_list_files(spec, deny)}


def include_lines(spec: KitSpec) -> list[str]:
    return [
        "<VirtualHost ...>",
        f"    Include {spec.out / CONF}",
        "    ...",
        "</VirtualHost>",
    ]


__all__ = ["MARKER", "RELOAD", "TEST", "WHERE", "deny_list_files", "include_lines", "kit_files"]
