"""Steps 1-3 as one function each: read the answers from the session, write the workspace.

The CLI's `generate` and the TUI's step screens call these, so both behave the same:
an existing CA is reused, existing leaf files are never replaced without `force`
(which first moves them into a backup folder). The functions only read the session;
each returns a `StepOutcome` that `wizard.record.record(session, outcome)` applies, so a
worker thread can run them on a copy while the live session stays on the UI thread.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import NameOID

from wizard import ca_key, pki
from wizard.ca_key import Unlock
from wizard.ccm.record import ca_held_in_ccm, ccm_ca_certificate, records_ccm
from wizard.errors import InputError, WizardError
from wizard.i18n import N_, _
from wizard.pki.issue import too_long_server_name
from wizard.safe_text import printable
from wizard.session import Session
from wizard.workspace import PUBLIC_MODE, SECRET_MODE, Workspace, read_bytes

# The CA's key and certificate, handed from step to step so the key is parsed once:
# loading an RSA key re-checks it (tens of milliseconds each time).
CaPair = tuple[pki.PrivateKey, x509.Certificate]


@dataclass
class StepOutcome:
    """What one step produced, for the CLI's report and the screen's result panel."""

    role: str
    files: list[Path] = field(default_factory=list)
    certificate: dict[str, str] = field(default_factory=dict)
    reused: bool = False
    backup: Path | None = None
    warnings: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------
# Validation before any key is generated (cheap, so bad input fails at once)
# ---------------------------------------------------------------------------


def validate_answers(session: Session, roles: tuple[str, ...] = ("ca", "server", "client")) -> None:
    if "ca" in roles:
        org = pki.validate_org(session.org)
        pki.validate_common_name(session.ca_cn or pki.default_ca_cn(org), "CA")  # "CA" is the same in every language
        pki.validate_key_type(session.ca_key_type)
        pki.validate_days(session.ca_days, "CA")
    if "server" in roles:
        pki.validate_org(session.org)
        names = pki.server_sans(session.server_cn, session.server_sans)
        if len(names[0]) > pki.MAX_CN:
            raise InputError(too_long_server_name(names[0]))
        pki.validate_key_type(session.server_key_type)
        pki.validate_days(session.server_days, _("server certificate"))
    if "client" in roles:
        pki.validate_org(session.org)
        pki.validate_common_name(session.client_cn, _("client"))
        pki.validate_key_type(session.client_key_type)
        pki.validate_days(session.client_days, _("client certificate"))


# ---------------------------------------------------------------------------
# The lock around each step: check, generate keys (unlocked), check nothing changed, write
# ---------------------------------------------------------------------------
#
# Every step holds the workspace lock while it reads, checks and writes. Key generation
# (seconds for RSA-4096) happens between two holds, so another run waits milliseconds,
# not seconds; what the first hold checked must still be true in the second, or we stop.

FilesState = tuple[tuple[str, int, int, int], ...]


def files_state(ws: Workspace) -> FilesState:
    """Which artifact files exist, and which file each is (inode, size, mtime)."""
    state = []
    for path in ws.all_artifacts():
        try:
            info = os.lstat(path)
        except OSError:
            continue
        state.append((ws.relative(path), info.st_ino, info.st_size, info.st_mtime_ns))
    return tuple(state)


def refuse_if_changed(ws: Workspace, before: FilesState) -> None:
    after = files_state(ws)
    if after == before:
        return
    old, new = {entry[0]: entry for entry in before}, {entry[0]: entry for entry in after}
    changed = sorted(name for name in old.keys() | new.keys() if old.get(name) != new.get(name))
    if len(changed) == 1:
        message = _("{file} in {workspace} changed while this run was generating keys: another mtls-wizard wrote the workspace "
                    "meanwhile, so this run wrote nothing; look at what is there now, then run this again")
    else:
        message = _("{file} (and {count} more) in {workspace} changed while this run was generating keys: another mtls-wizard wrote "
                    "the workspace meanwhile, so this run wrote nothing; look at what is there now, then run this again")
    raise WizardError(message.format(file=changed[0], count=len(changed) - 1, workspace=printable(ws.root)))


def _merged(*notices: list[str]) -> list[str]:
    out: list[str] = []
    for notice in (n for group in notices for n in group):
        if notice not in out:
            out.append(notice)
    return out


# ---------------------------------------------------------------------------
# Step 1: the CA
# ---------------------------------------------------------------------------


def load_ca(ws: Workspace, unlock: Unlock | None = None) -> tuple[pki.PrivateKey, x509.Certificate]:
    """The workspace's CA key and certificate, checked to belong together and to be a CA that
    can still sign (in its validity, a strong signature, keyCertSign). `unlock` gives the
    passphrase when ca/ca.key is under one (wizard.ca_key)."""
    cert = _ca_certificate(ws)
    key = ca_key.load_key(ws, unlock)
    if not pki.keys_match(key, cert):
        raise WizardError(_("ca/ca.key does not belong to ca/ca.crt: restore the matching pair, or start over with --new-ca"))
    return key, cert


def _ca_certificate(ws: Workspace) -> x509.Certificate:
    """ca/ca.crt, checked to be a CA that can still sign, with its key file beside it."""
    if records_ccm(ws):  # the CA is held in CCM (wizard.ccm): no key here to sign with
        raise ca_held_in_ccm(ws)
    missing = [p for p in (ws.key("ca"), ws.cert("ca")) if not p.exists()]
    if missing:
        raise WizardError(_("no CA in {workspace}: {file} is missing; run step 1 (create the CA) first").format(
            workspace=printable(ws.root), file=ws.relative(missing[0])))
    cert = pki.load_cert_pem(read_bytes(ws.cert("ca")), _("CA certificate (ca/ca.crt)"))
    if not pki.is_ca(cert):
        raise WizardError(_("ca/ca.crt is not a CA certificate: start over with --new-ca"))
    problem = pki.ca_signing_problem(cert)
    if problem:
        raise WizardError(_("the existing CA (ca/ca.crt) {problem}, so certificates it signs would not verify: "
                            "make a new CA with --new-ca (the old files are moved to a backup folder first)").format(problem=problem))
    return cert


def load_ca_certificate(ws: Workspace) -> x509.Certificate:
    """The workspace CA's certificate, whichever holds the CA: the key here (checked by load_ca) or CCM.
    A key under a passphrase is not opened: reading never needs the passphrase."""
    if records_ccm(ws):
        return ccm_ca_certificate(ws)
    return _ca_certificate(ws) if ca_key.is_encrypted(ws) else load_ca(ws)[1]


def _ca_state(ws: Workspace) -> str:
    """'none', 'complete' or 'partial' (some CA files exist but not key + certificate)."""
    present = [p.exists() for p in (ws.key("ca"), ws.cert("ca"))]
    return "complete" if all(present) else "partial" if any(present) or ws.csr("ca").exists() else "none"


def _refuse_partial_ca(ws: Workspace) -> None:
    present = next(p for p in ws.artifacts("ca") if p.exists())
    raise WizardError(_("the CA in {workspace} is incomplete ({file} exists, key or certificate missing): "
                        "start a new CA with --new-ca, which backs up the old files").format(workspace=printable(ws.root), file=ws.relative(present)))


def create_ca(ws: Workspace, session: Session, *, replace: bool = False, key: pki.PrivateKey | None = None,
              protect: str | None = None) -> StepOutcome:
    """Step 1. An existing CA is reused unless `replace`, which backs up the CA and every
    certificate it signed (they would no longer chain to the new CA). A new CA's key is put
    under the passphrase `protect` when one is given (wizard.ca_key)."""
    validate_answers(session, ("ca",))
    warnings = ca_key.validate_passphrase(protect) if protect is not None else []
    with ws.locked() as hold:
        ws.ensure()
        state = _ca_state(ws)
        if state != "none" and not replace:
            outcome = _create_ca(ws, session)  # reuses it, or refuses a partial CA
            outcome.warnings[:0] = hold.notices
            if protect and not ca_key.is_encrypted(ws):
                outcome.warnings.append(_("the existing CA is kept as it is, and its key has no passphrase: add one with {command}").format(
                    command="mtls-wizard ca-passphrase add"))
            return outcome
        warnings += _unprotected_replacement(ws, replace, protect)
        before, notices = files_state(ws), hold.notices
    key = key or pki.generate_key(session.ca_key_type)  # unlocked: see above
    with ws.locked() as hold:
        refuse_if_changed(ws, before)
        outcome = _create_ca(ws, session, replace=replace, key=key, protect=protect)
    outcome.warnings[:0] = _merged(notices, hold.notices, warnings)
    return outcome


def _unprotected_replacement(ws: Workspace, replace: bool, protect: str | None) -> list[str]:
    """A warning when a CA key under a passphrase is replaced by one without."""
    if not replace or protect or not ca_key.is_encrypted(ws):
        return []
    return [_("the CA it replaces had a passphrase; the new ca/ca.key has none: add one with {command}").format(
        command="mtls-wizard ca-passphrase add")]


# what the kept CA has, where it differs from the step-1 answers
_KEPT_CA_VALUE = {"organisation": N_("organisation {value}"), "common name": N_("common name {value}"), "key type": N_("key type {value}")}


def _reuse_differences(session: Session, ca_cert: x509.Certificate) -> list[str]:
    """When the kept CA differs from the step-1 answers, say so: those answers are not applied."""
    wanted = {
        "organisation": session.org,
        "common name": session.ca_cn or pki.default_ca_cn(session.org),
        "key type": session.ca_key_type,
    }
    actual = {
        "organisation": pki.attribute_of(ca_cert.subject, NameOID.ORGANIZATION_NAME) or "",
        "common name": pki.cn_of(ca_cert.subject) or "",
        "key type": pki.key_type_of(ca_cert.public_key()),
    }
    differing = [_(_KEPT_CA_VALUE[what]).format(value=printable(repr(actual[what]))) for what in wanted if wanted[what] != actual[what]]
    if not differing:
        return []
    return [_("the existing CA is kept as it is ({differences}), so your CA answers are not applied to it; "
              "use --new-ca to make a new CA with them").format(differences=", ".join(differing))]


def _create_ca(ws: Workspace, session: Session, *, replace: bool = False, key: pki.PrivateKey | None = None,
               protect: str | None = None, unlock: Unlock | None = None) -> StepOutcome:
    """Step 1 under the lock. A CA reused while its key is under a passphrase and no `unlock` is
    given is checked by its certificate: its key stays closed."""
    with ws.locked():
        ws.ensure()
        state = _ca_state(ws)
        if state == "complete" and not replace:
            reused = load_ca(ws, unlock)[1] if unlock is not None or not ca_key.is_encrypted(ws) else load_ca_certificate(ws)
            return _generated_ca(ws, session, reused, None)
        if state == "partial" and not replace:
            _refuse_partial_ca(ws)
        issued = _new_ca(session, key)
        # A new CA: what the old one signed and its records go to the backup with it.
        remove = [*ws.all_artifacts(), *ws.ca_records()] if replace else []
        backup = ws.replace_files("step 1: a new CA" if replace else "step 1: the CA", _ca_files(ws, issued, protect), remove=remove)
    return StepOutcome("ca", ws.artifacts("ca"), pki.cert_info(issued.cert), backup=backup)


def _new_ca(session: Session, key: pki.PrivateKey | None) -> pki.Issued:
    key = key or pki.generate_key(session.ca_key_type)
    return pki.create_ca(key, org=session.org, cn=session.ca_cn or None, days=session.ca_days)


def _ca_files(ws: Workspace, issued: pki.Issued, protect: str | None) -> dict[Path, tuple[bytes, int]]:
    """The CA's files; its key under the passphrase `protect` when one is given."""
    return {
        ws.key("ca"): (ca_key.key_file_bytes(issued.key, protect), SECRET_MODE),
        ws.csr("ca"): (pki.csr_to_pem(issued.csr), PUBLIC_MODE),
        ws.cert("ca"): (pki.cert_to_pem(issued.cert), PUBLIC_MODE),
    }


# ---------------------------------------------------------------------------
# Steps 2 and 3: the leaves
# ---------------------------------------------------------------------------

LEAF_HINT = N_("re-run with --force to replace it (the old files are moved to a backup folder first)")  # shown translated
# role -> its certificate and its key, as messages name them
_LEAF_CERTIFICATE = {"server": N_("server certificate"), "client": N_("client certificate")}
_LEAF_KEY = {"server": N_("server key"), "client": N_("client key")}


def _checked_leaf(ws: Workspace, role: str, force: bool, ca: CaPair | None, unlock: Unlock | None) -> tuple[CaPair, FilesState, list[str]]:
    """Under the lock: the CA, the refusal of existing leaf files (unless `force`), the state."""
    with ws.locked() as hold:
        ca = ca or load_ca(ws, unlock)
        ws.ensure()
        if not force:
            ws.refuse_existing(ws.artifacts(role), _(LEAF_HINT))
        return ca, files_state(ws), hold.notices


def issue_server(
    ws: Workspace, session: Session, *, force: bool = False, key: pki.PrivateKey | None = None, ca: CaPair | None = None,
    unlock: Unlock | None = None,
) -> StepOutcome:
    """Step 2: the server certificate, signed by the workspace CA (`ca`: that CA, already loaded;
    else opened with `unlock`'s passphrase when its key is under one)."""
    validate_answers(session, ("server",))
    (signing_key, ca_cert), before, notices = _checked_leaf(ws, "server", force, ca, unlock)
    issued = _new_server(session, key, (signing_key, ca_cert))
    with ws.locked() as hold:
        refuse_if_changed(ws, before)
        backup = ws.replace_files("step 2: the server certificate", leaf_files(ws, "server", issued), remove=ws.artifacts("server"))
    warnings = _merged(notices, hold.notices) + pki.leaf_validity_warnings("server", session.server_days, ca_cert)
    return StepOutcome("server", ws.artifacts("server"), pki.cert_info(issued.cert), backup=backup, warnings=warnings)


def issue_client(
    ws: Workspace,
    session: Session,
    password: str,
    *,
    force: bool = False,
    key: pki.PrivateKey | None = None,
    ca: CaPair | None = None,
    unlock: Unlock | None = None,
) -> StepOutcome:
    """Step 3: the client certificate and its password-protected .p12 (`ca`: the CA, already loaded;
    else opened with `unlock`'s passphrase when its key is under one)."""
    validate_answers(session, ("client",))
    warnings = pki.validate_p12_password(password)
    (signing_key, ca_cert), before, notices = _checked_leaf(ws, "client", force, ca, unlock)
    issued = _new_client(session, key, (signing_key, ca_cert))
    p12 = pki.export_p12(issued.key, issued.cert, password, legacy=session.p12_legacy)
    with ws.locked() as hold:
        refuse_if_changed(ws, before)
        backup = ws.replace_files("step 3: the client certificate", leaf_files(ws, "client", issued, p12), remove=ws.artifacts("client"))
    warnings = _merged(notices, hold.notices) + warnings + pki.leaf_validity_warnings("client", session.client_days, ca_cert)
    return StepOutcome("client", ws.artifacts("client"), pki.cert_info(issued.cert), backup=backup, warnings=warnings)


def _new_server(session: Session, key: pki.PrivateKey | None, ca: CaPair) -> pki.Issued:
    ca_key, ca_cert = ca
    key = key or pki.generate_key(session.server_key_type)
    return pki.issue_server(ca_key, ca_cert, key, cn=session.server_cn, sans=session.server_sans, org=session.org, days=session.server_days)


def _new_client(session: Session, key: pki.PrivateKey | None, ca: CaPair) -> pki.Issued:
    ca_key, ca_cert = ca
    key = key or pki.generate_key(session.client_key_type)
    return pki.issue_client(ca_key, ca_cert, key, cn=session.client_cn, org=session.org, days=session.client_days)


def leaf_files(ws: Workspace, role: str, issued: pki.Issued, p12: bytes | None = None) -> dict[Path, tuple[bytes, int]]:
    """The server's or the tutorial client's new files (key, CSR, certificate, and the client's .p12)."""
    files = {
        ws.key(role): (pki.key_to_pem(issued.key), SECRET_MODE),
        ws.csr(role): (pki.csr_to_pem(issued.csr), PUBLIC_MODE),
        ws.cert(role): (pki.cert_to_pem(issued.cert), PUBLIC_MODE),
    }
    if p12 is not None:
        files[ws.p12] = (p12, SECRET_MODE)
    return files


def adopt(ws: Workspace, role: str) -> StepOutcome:
    """Take over a server or client certificate already in the workspace (made earlier, e.g.
    by `generate` under another account's data directory) instead of reissuing it. Only a
    complete set whose key matches and which the workspace CA signed is adopted. Read under
    the lock, so a run writing the workspace meanwhile cannot show a half-replaced pair."""
    with ws.locked() as hold:
        missing = [p for p in ws.artifacts(role) if p.suffix != ".csr" and not p.exists()]
        certificate = _(_LEAF_CERTIFICATE[role])
        if missing:
            raise WizardError(_("{file} is missing: issue a new {certificate}").format(file=ws.relative(missing[0]), certificate=certificate))
        ca_cert = load_ca_certificate(ws)
        cert = pki.load_cert_pem(read_bytes(ws.cert(role)), certificate)
        key = pki.load_key_pem(read_bytes(ws.key(role)), _(_LEAF_KEY[role]))
        files = existing_files(ws.artifacts(role))
    if not pki.keys_match(key, cert):
        raise WizardError(_("{key} does not belong to {cert}: issue a new {certificate}").format(
            key=ws.relative(ws.key(role)), cert=ws.relative(ws.cert(role)), certificate=certificate))
    if not pki.verify_issued_by(cert, ca_cert):
        raise WizardError(_("{cert} was not signed by this workspace's CA: issue a new {certificate}").format(
            cert=ws.relative(ws.cert(role)), certificate=certificate))
    return StepOutcome(role, files, pki.cert_info(cert), reused=True, warnings=list(hold.notices))


def existing_files(paths: list[Path]) -> list[Path]:
    return [path for path in paths if path.exists()]


# ---------------------------------------------------------------------------
# Steps 1-3 in one go (the `generate` command)
# ---------------------------------------------------------------------------


def generate_keys(key_types: list[str]) -> list[pki.PrivateKey]:
    """Independent keys concurrently: OpenSSL releases the GIL while it searches for primes."""
    if len(key_types) <= 1:
        return [pki.generate_key(t) for t in key_types]
    workers = min(len(key_types), max(2, os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(pki.generate_key, key_types))


def check_generate(ws: Workspace, force: bool, new_ca: bool, unlock: Unlock | None = None) -> CaPair | None:
    """Every refusal of `generate`, under the lock; the existing CA when it is reused (opened with `unlock`)."""
    ws.ensure()
    if records_ccm(ws) and not new_ca:
        raise ca_held_in_ccm(ws)
    state = _ca_state(ws)
    if state == "partial" and not new_ca:
        _refuse_partial_ca(ws)
    existing = load_ca(ws, unlock) if state == "complete" and not new_ca else None  # a broken, expired or weak CA (or a wrong passphrase) stops us here
    if not force and not new_ca:
        leaves = [*ws.artifacts("server"), *ws.artifacts("client")]
        ws.refuse_existing(leaves, _("re-run with --force to replace the server and client files (they are moved to a backup folder first), "
                                     "or use another --workspace"))
    return existing


def generate(
    ws: Workspace,
    session: Session,
    password: str,
    *,
    force: bool = False,
    new_ca: bool = False,
    on_warning: Callable[[str], None] | None = None,
    unlock: Unlock | None = None,
    protect: str | None = None,
) -> list[StepOutcome]:
    """Steps 1-3. Every refusal happens before any key is generated or any file moves. An existing
    CA key under a passphrase is opened with `unlock`'s; a new CA's key is put under `protect`."""
    validate_answers(session)
    pki.validate_p12_password(password)
    protect_warnings = ca_key.validate_passphrase(protect) if protect is not None else []
    with ws.locked() as hold:
        existing = check_generate(ws, force, new_ca, unlock)
        before, notices = files_state(ws), hold.notices
        protect_warnings += _unprotected_replacement(ws, new_ca, protect)
    types = ([] if existing else [session.ca_key_type]) + [session.server_key_type, session.client_key_type]
    keys = generate_keys(types)  # unlocked: the slow part
    new_ca_key = None if existing else keys.pop(0)
    server_key, client_key = keys
    ca_issued = None if existing else _new_ca(session, new_ca_key)
    ca = existing or (ca_issued.key, ca_issued.cert)
    server, client = _new_server(session, server_key, ca), _new_client(session, client_key, ca)
    p12 = pki.export_p12(client.key, client.cert, password, legacy=session.p12_legacy)
    files = {**(_ca_files(ws, ca_issued, protect) if ca_issued else {}), **leaf_files(ws, "server", server), **leaf_files(ws, "client", client, p12)}
    with ws.locked() as hold:
        refuse_if_changed(ws, before)  # so the CA checked above is still the one on disk
        # A new CA takes everything old with it to the backup, its CRL and revocation record too.
        remove = [*ws.all_artifacts(), *ws.ca_records()] if new_ca else [*ws.artifacts("server"), *ws.artifacts("client")]
        backup = ws.replace_files("generate --new-ca" if new_ca else "generate --force" if force else "generate", files, remove=remove)
    outcomes = [_generated_ca(ws, session, existing[1] if existing else None, ca_issued),
                _issued_outcome(ws, "server", server, session.server_days, ca[1]),
                _issued_outcome(ws, "client", client, session.client_days, ca[1], pki.validate_p12_password(password))]
    outcomes[0].warnings[:0] = _merged(notices, hold.notices, [] if existing else protect_warnings)
    for outcome in outcomes:
        outcome.backup = backup
        for warning in outcome.warnings:
            if on_warning:
                on_warning(warning)
    return outcomes


def _generated_ca(ws: Workspace, session: Session, reused: x509.Certificate | None, issued: pki.Issued | None) -> StepOutcome:
    """Step 1's outcome: the certificate of the CA kept (`reused`), or the one just `issued`."""
    if reused is not None:
        return StepOutcome("ca", [ws.key("ca"), ws.cert("ca")], pki.cert_info(reused), reused=True,
                           warnings=_reuse_differences(session, reused))
    assert issued is not None
    return StepOutcome("ca", ws.artifacts("ca"), pki.cert_info(issued.cert))


def _issued_outcome(ws: Workspace, role: str, issued: pki.Issued, days: int, ca_cert: x509.Certificate,
                    warnings: list[str] | None = None) -> StepOutcome:
    return StepOutcome(role, ws.artifacts(role), pki.cert_info(issued.cert),
                       warnings=[*(warnings or []), *pki.leaf_validity_warnings(role, days, ca_cert)])
