"""What ELB gets from the workspace: the console texts and the readiness checks, read once.

Texts are console texts: Unix newlines, no trailing newline (the console form wants that).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cryptography import x509

from wizard import pki
from wizard.defaults import PROG
from wizard.errors import WizardError
from wizard.i18n import N_, _
from wizard.pki.keys import key_to_traditional_pem, load_key_pem
from wizard.workspace import Workspace, read_text


def console_text(pem: str) -> str:
    """PEM as the console form wants it: Unix newlines, no trailing newline."""
    return pem.replace("\r\n", "\n").strip()


# The three workspace files ELB gets: part -> (role, kind, what: English, shown translated).
_PARTS = {
    "server_cert": ("server", "cert", N_("the server certificate")),
    "server_key": ("server", "key", N_("the server key")),
    "ca_cert": ("ca", "cert", N_("the CA certificate")),
}


def _part_path(ws: Workspace, part: str) -> Path:
    role, kind, _what = _PARTS[part]
    return ws.cert(role) if kind == "cert" else ws.key(role)


def _read_part(ws: Workspace, part: str) -> str:
    return read_text(_part_path(ws, part), _(_PARTS[part][2]))


def elb_key_text(pem: str) -> str:
    """The private key in the form ELB is given: traditional PEM (PKCS#1 `BEGIN RSA PRIVATE KEY`
    for RSA, SEC1 `BEGIN EC PRIVATE KEY` for EC), whatever form the file has. The tutorial's own
    keys (OpenSSL 1.x genrsa) had it, and Huawei Cloud's Certificate Manager says ELB does not take
    PKCS#8. Raises InputError for a damaged, encrypted or non-RSA/EC key."""
    key = load_key_pem(pem.encode(), _("server key (server/server.key)"))
    return console_text(key_to_traditional_pem(key).decode())


def paste_text(ws: Workspace, part: str) -> str:
    """The text to paste for `part` ("server_cert", "server_key" or "ca_cert"); the key in the
    traditional form (see `elb_key_text`)."""
    if part not in _PARTS:
        raise ValueError(f"unknown part {part!r}: use one of {', '.join(_PARTS)}")
    text = console_text(_read_part(ws, part))
    return elb_key_text(text) if part == "server_key" else text



def _read_checked(ws: Workspace, purpose: str) -> tuple[dict[str, str], list[pki.Finding]]:
    """Read the files of `purpose` once and check them; a missing file is a blocking finding."""
    parts = ("server_cert", "server_key") if purpose == "server" else ("ca_cert",)
    step = _("step 2 (issue the server certificate)") if purpose == "server" else _("step 1 (create the CA)")
    texts: dict[str, str] = {}
    for part in parts:
        path = _part_path(ws, part)
        if not path.exists():
            if texts:  # the certificate is there, its key is lost: only a new pair helps
                fix = _("redo {step}: {prog} generate --server-cn NAME --force issues a new pair and keeps the old files in a "
                        "backup folder")
            else:
                fix = _("run {step} first: {prog} generate --server-cn NAME, or the wizard")
            problem = _("{path} does not exist").format(path=ws.relative(path))
            return {}, [pki.Finding("error", "file", problem, fix.format(step=step, prog=PROG))]
        texts[part] = _read_part(ws, part)
    checked: Literal["server", "ca"] = "server" if purpose == "server" else "ca"
    return texts, pki.elb_readiness(texts[parts[0]], texts.get("server_key"), purpose=checked)


def readiness(ws: Workspace, purpose: str) -> list[pki.Finding]:
    """Will ELB accept what we would upload? purpose "server" (certificate + key) or "ca"."""
    if purpose not in ("server", "ca"):
        raise ValueError(f"unknown purpose {purpose!r}: use 'server' or 'ca'")
    return _read_checked(ws, purpose)[1]


def _warnings_unless_blocked(purpose: str, findings: list[pki.Finding]) -> list[str]:
    """Raise WizardError on the first blocking finding (with its fix); return the warnings."""
    what = _("server certificate") if purpose == "server" else _("CA certificate")
    for finding in findings:
        if finding.blocking and finding.fix:
            raise WizardError(_("the {what} is not ready for ELB, {problem}: {fix}").format(what=what, problem=finding.message,
                                                                                             fix=finding.fix))
        if finding.blocking:
            raise WizardError(_("the {what} is not ready for ELB, {problem}").format(what=what, problem=finding.message))
    return [(_("{what}: {problem} ({fix})") if f.fix else _("{what}: {problem}")).format(what=what, problem=f.message, fix=f.fix)
            for f in findings if f.severity == "warning"]


def checked_texts(ws: Workspace, purpose: str) -> tuple[dict[str, str], list[str]]:
    """The console texts of one purpose ("server": certificate and key, the key in ELB's form;
    "ca") and the readiness warnings; a blocking finding raises WizardError with its fix."""
    texts, findings = _read_checked(ws, purpose)
    warnings = _warnings_unless_blocked(purpose, findings)
    texts = {part: console_text(text) for part, text in texts.items()}
    if "server_key" in texts:
        texts["server_key"] = elb_key_text(texts["server_key"])
    return texts, warnings


@dataclass(frozen=True)
class Material:
    """What ELB gets from the workspace, read, checked and parsed once per export or upload.

    Texts are console texts (no trailing newline); fingerprints are our SHA-256 ones.
    """

    server_cert: str
    server_key: str
    ca_cert: str
    server_fingerprint: str
    ca_fingerprint: str
    server_cn: str
    server_domain: str  # qualified DNS names, comma-separated ('' when none)
    ca_cn: str = ""
    warnings: tuple[str, ...] = ()

    def text(self, part: str) -> str:
        return {"server_cert": self.server_cert, "server_key": self.server_key, "ca_cert": self.ca_cert}[part]


def load_material(ws: Workspace) -> Material:
    """Read the server certificate, its key and the CA certificate once; a blocking readiness
    finding raises WizardError with its fix, warnings are kept in `Material.warnings`. The key
    is kept in the traditional form ELB is given (`elb_key_text`)."""
    texts: dict[str, str] = {}
    warnings: list[str] = []
    for purpose in ("server", "ca"):
        part_texts, findings = _read_checked(ws, purpose)
        warnings += _warnings_unless_blocked(purpose, findings)
        texts.update({part: console_text(text) for part, text in part_texts.items()})
    texts["server_key"] = elb_key_text(texts["server_key"])
    server = pki.load_cert_pem(texts["server_cert"].encode(), _("server certificate (server/server.crt)"))
    ca = pki.load_cert_pem(texts["ca_cert"].encode(), _("CA certificate (ca/ca.crt)"))
    return Material(
        server_cert=texts["server_cert"], server_key=texts["server_key"], ca_cert=texts["ca_cert"],
        server_fingerprint=pki.fingerprint(server), ca_fingerprint=pki.fingerprint(ca),
        server_cn=pki.cn_of(server.subject) or "mtls", server_domain=domain_names(server), ca_cn=pki.cn_of(ca.subject) or "",
        warnings=tuple(warnings),
    )



def domain_names(cert: x509.Certificate) -> str:
    """Qualified DNS names of the server certificate, comma-separated ('' when none): what
    `--sni-domain auto` sends. IP addresses and single-label names are left out because the API
    validates the field as a list of domain names."""
    names: list[str] = []
    for entry in pki.san_strings(cert):
        if entry.startswith("DNS:") and "." in entry[4:] and entry[4:] not in names:
            names.append(entry[4:])
    return ",".join(names)

