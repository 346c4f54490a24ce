"""The modern openssl commands equivalent to what the wizard did, for teaching and `script`.

The tutorial's commands (`x509 -req -sha1 -days 5000`, no extensions) no longer make
certificates that current TLS stacks accept; these do, with the same file layout.
"""

from __future__ import annotations

import datetime as dt
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import NameOID

from wizard import ca_key, clients, pki, teaching
from wizard.clients import names, revocation
from wizard.defaults import PROG
from wizard.environment import CA_PASSWORD_ENV, PASSWORD_ENV
from wizard.errors import InputError
from wizard.i18n import _
from wizard.safe_text import has_control_characters, printable
from wizard.session import Session
from wizard.workspace import PUBLIC_MODE, Workspace, read_bytes


@dataclass
class Profile:
    """Everything the commands need; read from the workspace's certificates where they exist."""

    org: str = pki.DEFAULT_ORG
    ca_cn: str = ""
    ca_key_type: str = pki.DEFAULT_KEY_TYPE
    ca_days: int = pki.CA_DAYS
    server_org: str = pki.DEFAULT_ORG
    server_cn: str = pki.DEFAULT_SERVER_CN
    server_sans: list[str] = field(default_factory=list)  # "DNS:x" / "IP:y", CN included
    server_key_type: str = pki.DEFAULT_KEY_TYPE
    server_days: int = pki.SERVER_DAYS
    client_org: str = pki.DEFAULT_ORG
    client_cn: str = pki.DEFAULT_CLIENT_CN
    client_key_type: str = pki.DEFAULT_KEY_TYPE
    client_days: int = pki.CLIENT_DAYS
    p12_legacy: bool = False
    server_issuer: str = ""  # a server certificate brought in: who issued it (not this CA)
    named_clients: list[NamedClient] = field(default_factory=list)  # `client issue NAME`, as issued
    revoked: list[tuple[str, str]] = field(default_factory=list)  # (client name, reason), in revocation order
    ca_protected: bool = False  # ca/ca.key under a passphrase (-aes256 / -passin, from $MTLS_WIZARD_CA_PASSWORD)


@dataclass(frozen=True)
class NamedClient:
    name: str
    org: str
    key_type: str
    days: int
    legacy: bool


def profile_from_session(session: Session) -> Profile:
    sans = []
    for name in pki.server_sans(session.server_cn, session.server_sans):
        entry = pki.general_name(name)
        sans.append(f"IP:{entry.value}" if isinstance(entry, x509.IPAddress) else f"DNS:{entry.value}")
    return Profile(
        org=session.org,
        ca_cn=session.ca_cn or pki.default_ca_cn(session.org),
        ca_key_type=session.ca_key_type,
        ca_days=session.ca_days,
        server_org=session.org,
        server_cn=pki.normalise_name(session.server_cn),
        server_sans=sans,
        server_key_type=session.server_key_type,
        server_days=session.server_days,
        client_org=session.org,
        client_cn=session.client_cn,
        client_key_type=session.client_key_type,
        client_days=session.client_days,
        p12_legacy=session.p12_legacy,
    )


def _read_cert(path: Path) -> x509.Certificate | None:
    """The certificate at `path`, None when there is none (or it cannot be parsed: the
    session's answers stand in). A FIFO or a huge file is refused by read_bytes."""
    if not path.exists():
        return None
    try:
        return x509.load_pem_x509_certificate(read_bytes(path))
    except ValueError:
        return None


def _days(cert: x509.Certificate) -> int:
    return round((cert.not_valid_after_utc - cert.not_valid_before_utc) / dt.timedelta(days=1))


# Values read back from certificates end up inside a heredoc and an OpenSSL config file: a
# newline there could end the heredoc early and run whatever follows when the script runs.
# Such values are refused; everything else is quoted where it is written (_conf_value, shlex).


def _reissue_hint(file: str) -> str:
    if file.startswith("ca/"):
        return _("make a new CA with {command}").format(command=f"{PROG} generate --new-ca")
    return _("reissue it with {command}").format(command=f"{PROG} generate --force")


def _safe_value(value: str, file: str, what: str) -> str:
    if has_control_characters(value):
        raise InputError(_("the {what} in {file} holds control characters ({value}), which the script cannot reproduce safely: {hint}").format(
            what=what, file=file, value=printable(value), hint=_reissue_hint(file)))
    return value


def _attr(name: x509.Name, oid: x509.ObjectIdentifier, default: str, file: str) -> str:
    value = pki.attribute_of(name, oid)
    return default if value is None else _safe_value(value, file, "CN" if oid == NameOID.COMMON_NAME else "O")


def _key_type(cert: x509.Certificate, file: str) -> str:
    key_type = pki.key_type_of(cert.public_key())
    if key_type not in pki.KEY_TYPES:
        raise InputError(_("{file} holds a {key_type} key; the script makes {key_types} keys only: {hint}").format(
            file=file, key_type=printable(key_type), key_types=", ".join(pki.KEY_TYPES), hint=_reissue_hint(file)))
    return key_type


def _sans(cert: x509.Certificate, file: str) -> list[str]:
    """The server's SANs as config text ("DNS:x", "IP:y"); only valid host names and addresses."""
    try:
        entries = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    sans: list[str] = []
    for entry in entries:
        if isinstance(entry, x509.IPAddress):
            sans.append(f"IP:{entry.value}")
        elif isinstance(entry, x509.DNSName) and not pki.name_problem(entry.value) and entry.value == entry.value.strip():
            sans.append(f"DNS:{entry.value}")
        else:
            raise InputError(_("{file} has a subject alternative name the script cannot reproduce safely ({value}): {hint}").format(
                file=file, value=printable(repr(entry.value)), hint=_reissue_hint(file)))
    return sans


def profile_from_workspace(ws: Workspace, session: Session | None = None) -> Profile:
    """What was really issued: subjects, SANs, key types and validity read off the certificates."""
    profile = profile_from_session(session) if session else Profile(ca_cn=pki.default_ca_cn(pki.DEFAULT_ORG))
    ca = _read_cert(ws.cert("ca"))
    if ca:
        profile.org = _attr(ca.subject, NameOID.ORGANIZATION_NAME, profile.org, "ca/ca.crt")
        profile.ca_cn = _attr(ca.subject, NameOID.COMMON_NAME, profile.ca_cn, "ca/ca.crt")
        profile.ca_key_type = _key_type(ca, "ca/ca.crt")
        profile.ca_days = _days(ca)
    server = _read_cert(ws.cert("server"))
    if server:
        profile.server_org = _attr(server.subject, NameOID.ORGANIZATION_NAME, profile.server_org, "server/server.crt")
        profile.server_cn = _attr(server.subject, NameOID.COMMON_NAME, profile.server_cn, "server/server.crt")
        profile.server_sans = _sans(server, "server/server.crt") or profile.server_sans
        profile.server_key_type = _key_type(server, "server/server.crt")
        profile.server_days = _days(server)
        if ca is not None and server.issuer != ca.subject:
            profile.server_issuer = printable(server.issuer.rfc4514_string())
    client = _read_cert(ws.cert("client"))
    if client:
        profile.client_org = _attr(client.subject, NameOID.ORGANIZATION_NAME, profile.client_org, "client/client.crt")
        profile.client_cn = _attr(client.subject, NameOID.COMMON_NAME, profile.client_cn, "client/client.crt")
        profile.client_key_type = _key_type(client, "client/client.crt")
        profile.client_days = _days(client)
    if ws.p12.exists():
        profile.p12_legacy = pki.p12_protection(read_bytes(ws.p12))["mode"] == "legacy"
    profile.ca_protected = ca_key.is_encrypted(ws)
    profile.named_clients = _named_clients(ws)
    profile.revoked = [(str(e.get("name", "")), str(e.get("reason", "unspecified"))) for e in revocation.read_record(ws)["revoked"]
                       if names.NAME_PATTERN.fullmatch(str(e.get("name", ""))) and e.get("reason") in clients.REASONS]
    return profile


def _named_clients(ws: Workspace) -> list[NamedClient]:
    named = []
    for files in clients.known_clients(ws):
        cert = _read_cert(files.cert)
        if files.name == clients.TUTORIAL_CLIENT or cert is None:
            continue
        where = ws.relative(files.cert)
        legacy = files.p12.exists() and pki.p12_protection(read_bytes(files.p12))["mode"] == "legacy"
        named.append(NamedClient(files.name, _attr(cert.subject, NameOID.ORGANIZATION_NAME, pki.DEFAULT_ORG, where),
                                 _key_type(cert, where), _days(cert), legacy))
    return named


# ---------------------------------------------------------------------------
# Command text
# ---------------------------------------------------------------------------


def _genpkey(key_type: str, out: str, *, protected: bool = False) -> str:
    """`protected`: the key written under a passphrase (PKCS#8, AES-256) from $MTLS_WIZARD_CA_PASSWORD."""
    pki.validate_key_type(key_type)  # only our five: the bits and curve below come from the name
    protection = f" -aes256 -pass env:{CA_PASSWORD_ENV}" if protected else ""
    if key_type.startswith("rsa"):
        return f"openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:{key_type[3:]}{protection} -out {out}"
    curve = "P-256" if key_type == "ec-p256" else "P-384"
    return f"openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:{curve}{protection} -out {out}"


def _digest(key_type: str) -> str:
    return "-sha384" if key_type == "ec-p384" else "-sha256"


def _conf_value(value: str) -> str:
    """A subject value for an OpenSSL config file: `$` would expand a variable, `#` start a
    comment and quotes (OpenSSL counts the backtick as one) or backslashes would be
    interpreted, so each is backslash-escaped.
    A line break would end the heredoc the config is written with: refused (the last guard;
    values read from files are checked with their file's name before they get here)."""
    if has_control_characters(value):
        raise InputError(_("{value} holds control characters, which the script cannot write safely").format(value=printable(value)))
    return "".join("\\" + ch if ch in '\\$#"\'`' else ch for ch in value)


def _config(path: str, org: str, cn: str, section: str, extensions: list[str]) -> str:
    lines = [
        f"cat > {path} <<'CONF'",
        "[ req ]",
        "distinguished_name = dn",
        "prompt = no",
        "utf8 = yes",
        "[ dn ]",
        f"O = {_conf_value(org)}",
        f"CN = {_conf_value(cn)}",
        f"[ {section} ]",
        *extensions,
        "CONF",
    ]
    return "\n".join(lines)


def ca_commands(p: Profile) -> str:
    """Step 1: key, CSR, self-signed CA certificate (v3, SHA-256, pathlen 0)."""
    return "\n".join([
        teaching.comment(_("Step 1: the private CA")),
        _config("ca/ca_cert.conf", p.org, p.ca_cn, "v3_ca", [
            "basicConstraints = critical, CA:TRUE, pathlen:0",
            "keyUsage = critical, keyCertSign, cRLSign",
            "subjectKeyIdentifier = hash",
            "authorityKeyIdentifier = keyid:always",
        ]),
        _genpkey(p.ca_key_type, "ca/ca.key", protected=p.ca_protected),
        f"openssl req -new -key ca/ca.key{teaching.ca_passin(p.ca_protected)} -config ca/ca_cert.conf -out ca/ca.csr",
        f"openssl req -x509 -in ca/ca.csr -key ca/ca.key{teaching.ca_passin(p.ca_protected)} -config ca/ca_cert.conf -extensions v3_ca "
        f"{_digest(p.ca_key_type)} -days {p.ca_days} -set_serial \"0x$(openssl rand -hex 16)\" -out ca/ca.crt",
    ])


def _leaf_commands(role: str, heading: str, org: str, cn: str, key_type: str, ca_key_type: str, days: int, extensions: list[str],
                   ca_protected: bool = False) -> str:
    return "\n".join([
        teaching.comment(heading),
        _config(f"{role}/{role}_cert.conf", org, cn, f"v3_{role}", [
            "basicConstraints = critical, CA:FALSE",
            *extensions,
            "subjectKeyIdentifier = hash",
            "authorityKeyIdentifier = keyid",
        ]),
        _genpkey(key_type, f"{role}/{role}.key"),
        f"openssl req -new -key {role}/{role}.key -config {role}/{role}_cert.conf -out {role}/{role}.csr",
        f"openssl x509 -req -in {role}/{role}.csr -CA ca/ca.crt -CAkey ca/ca.key{teaching.ca_passin(ca_protected)} "
        f"-set_serial \"0x$(openssl rand -hex 16)\" {_digest(ca_key_type)} -days {days} "
        f"-extfile {role}/{role}_cert.conf -extensions v3_{role} -out {role}/{role}.crt",
    ])


def server_commands(p: Profile) -> str:
    """Step 2: the server certificate, with the SAN clients check and serverAuth usage."""
    usage = "digitalSignature" if p.server_key_type.startswith("ec") else "digitalSignature, keyEncipherment"
    brought = teaching.comment(_("server/server.crt was brought in (issued by {issuer}): these commands make one from the private CA "
                                 "in its place; skip them to keep it").format(issuer=p.server_issuer)) + "\n" if p.server_issuer else ""
    return brought + _leaf_commands("server", _("Step 2: the server certificate"), p.server_org, p.server_cn, p.server_key_type, p.ca_key_type, p.server_days, [
        f"keyUsage = critical, {usage}",
        "extendedKeyUsage = serverAuth",
        f"subjectAltName = {', '.join(p.server_sans)}",
    ], p.ca_protected)


def client_commands(p: Profile) -> str:
    """Step 3: the client certificate (clientAuth only) and the password-protected .p12."""
    if p.p12_legacy:
        protection = "-keypbe PBE-SHA1-3DES -certpbe PBE-SHA1-3DES -macalg sha1"
    else:
        protection = "-keypbe AES-256-CBC -certpbe AES-256-CBC -macalg sha256"
    return "\n".join([
        _leaf_commands("client", _("Step 3: the client certificate"), p.client_org, p.client_cn, p.client_key_type, p.ca_key_type, p.client_days, [
            "keyUsage = critical, digitalSignature",
            "extendedKeyUsage = clientAuth",
        ], p.ca_protected),
        f"openssl pkcs12 -export -in client/client.crt -inkey client/client.key -name {shlex.quote(p.client_cn)} "
        f"{protection} -passout env:{PASSWORD_ENV} -out client/client.p12",
    ])


def _after_setup(p: Profile) -> list[str]:
    """The named clients and revocations, where the workspace has them (`client issue`, `client revoke`)."""
    parts = [teaching.client_commands(c.name, org=c.org, key_type=c.key_type, days=c.days, legacy=c.legacy,
                                      digest=_digest(p.ca_key_type), ca_protected=p.ca_protected) + "\n"
             for c in p.named_clients]
    parts += [teaching.revoke_commands(name, reason, ca_protected=p.ca_protected) + "\n" for name, reason in p.revoked]
    return parts


# What the script says to a person is translated; inside double quotes only these characters
# are special, so a backslash before each keeps any translation plain text. In the message
# of ${VAR:?message} a closing brace would end the expansion, and bash reads a quote there: both are escaped too.
_SPECIAL_IN_DOUBLE_QUOTES = '\\$`"'


def _double_quoted(text: str, also: str = "") -> str:
    """`text` for the inside of a double-quoted shell word: printed as it is, never run."""
    return "".join("\\" + ch if ch in _SPECIAL_IN_DOUBLE_QUOTES + also else ch for ch in text)


def _said(message: str, **shell: str) -> str:
    """A translated message for `echo "..."`, its placeholders filled with shell text
    (`$target/$f`, `$(pwd)`) that the shell expands when the script runs."""
    return _double_quoted(message).format(**shell)


def _heading(workspace: Path | None, ca_protected: bool = False) -> list[str]:
    if workspace:  # printable: a path may hold a newline, and it must stay a comment
        origin = _("The openssl commands equivalent to what mtls-wizard did for {workspace}.").format(workspace=printable(workspace))
    else:
        origin = _("The openssl commands equivalent to what mtls-wizard did.")
    return [
        "#!/usr/bin/env bash",
        teaching.comment(origin),
        teaching.comment(_("Usage: {command}").format(command=f"{PASSWORD_ENV}=... bash this-script.sh [TARGET_FOLDER]")),
        *([teaching.comment(_("The CA key is put under the passphrase in {variable} (AES-256): set it too, read without echo "
                              "(read -rs {variable} && export {variable})").format(variable=CA_PASSWORD_ENV))] if ca_protected else []),
        teaching.comment(_("Keys are new: the result is a PKI with the same profile, not a copy of the original.")),
    ]


SCRIPT_FILE = "openssl-commands.sh"


def save_full_script(ws: Workspace, session: Session | None = None) -> Path:
    """The whole script written into the workspace (the summary's export), under the workspace lock."""
    path = ws.root / SCRIPT_FILE
    with ws.locked():
        ws.write_files({path: (script_text(ws, session).encode(), PUBLIC_MODE)})
    return path


def script_text(ws: Workspace, session: Session | None = None) -> str:
    """The whole script for this workspace, as the summary's export writes it (and the web face
    sends it to a browser)."""
    return full_script(profile_from_workspace(ws, session), ws.root)


def full_script(p: Profile, workspace: Path | None = None) -> str:
    """A runnable bash script that builds the same PKI in a new folder (default ./mtls-pki)."""
    no_password = _double_quoted(_("set {variable} to the .p12 password first").format(variable=PASSWORD_ENV), also="}'")
    no_passphrase = _double_quoted(_("set {variable} to the CA key's passphrase first").format(variable=CA_PASSWORD_ENV), also="}'")
    refusal = _said(_("refusing to overwrite {path}"), path="$target/$f")
    return "\n".join([
        *_heading(workspace, p.ca_protected),
        "set -euo pipefail",
        'target="${1:-./mtls-pki}"',
        f': "${{{PASSWORD_ENV}:?{no_password}}}"',
        *([f': "${{{CA_PASSWORD_ENV}:?{no_passphrase}}}"'] if p.ca_protected else []),
        f"for f in ca/ca.key server/server.key client/client.key{''.join(f' clients/{c.name}/{c.name}.key' for c in p.named_clients)}; do",
        f'  if [ -e "$target/$f" ]; then echo "{refusal}" >&2; exit 1; fi',
        "done",
        "umask 077  # " + teaching.remark(_("private keys readable by their owner only")),
        'mkdir -p "$target/ca" "$target/server" "$target/client"',
        'cd "$target"',
        "",
        ca_commands(p),
        "",
        server_commands(p),
        "",
        client_commands(p),
        "",
        *_after_setup(p),
        "chmod 644 ca/ca.crt ca/ca.csr server/server.crt server/server.csr client/client.crt client/client.csr",
        'echo "' + _said(_("PKI written to {folder}"), folder="$(pwd)") + '"',
        "",
    ])
