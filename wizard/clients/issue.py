"""Issuing named client certificates, one or a batch: key, CSR, certificate and .p12 each.

Everything that can be refused is refused before the first key: bad, repeated or case-twin
names, an existing client (unless `force`, which backs its files up first), a missing or
unusable CA. Keys and bundles are made on every core (wizard.clients.workers); each client's
files are then written as one set (wizard.replacement, all or nothing even when the run is
killed): a failure names the client, leaves nothing of it behind and leaves the others done,
and Ctrl+C ends the batch after the client being written. The old files of a batch replaced
with `force` go to one backup folder.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.x509.oid import NameOID

from wizard import i18n, pki
from wizard.ca_key import Unlock
from wizard.clients.names import CLIENTS_DIR, TUTORIAL_CLIENT, case_twins, client_files, validate_client_names
from wizard.clients.revocation import revoked_among
from wizard.clients.workers import DeferredInterrupt, Workers
from wizard.defaults import CLIENT_DAYS, DEFAULT_KEY_TYPE
from wizard.elb.headers import serial_header_value
from wizard.errors import InputError, WizardError
from wizard.i18n import _
from wizard.steps import load_ca
from wizard.workspace import PUBLIC_MODE, SECRET_MODE, Workspace, read_bytes

RANDOM_PASSWORD_BYTES = 18  # 24 URL-safe characters


@dataclass(frozen=True)
class ClientOptions:
    days: int = CLIENT_DAYS
    key_type: str = ""  # "": the tutorial client's key type (the workspace's profile)
    legacy_p12: bool = False
    random_passwords: bool = False
    force: bool = False


@dataclass
class IssuedClient:
    name: str
    files: list[Path]
    certificate: dict[str, str]
    backup: Path | None = None
    password_file: Path | None = None


@dataclass
class BatchResult:
    issued: list[IssuedClient] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (name, why)
    warnings: list[str] = field(default_factory=list)
    interrupted: bool = False  # Ctrl+C: the clients not in `issued` or `failed` were not made


@dataclass(frozen=True)
class _Job:
    """What a worker needs to make one client (picklable: bytes and strings only)."""

    name: str
    org: str
    days: int
    key_type: str
    password: str
    legacy: bool
    ca_key_pem: bytes
    ca_cert_pem: bytes
    language: str  # the messages' language (the worker is another process)


def make_client(job: _Job) -> dict[str, bytes | dict[str, str]]:
    """Key, CSR, certificate and .p12 of one client, in memory (runs in a worker process)."""
    if i18n.current_language() != job.language:  # a worker process starts in English
        i18n.set_language(job.language)
    ca_key = pki.load_key_pem(job.ca_key_pem, _("CA key"))
    ca_cert = pki.load_cert_pem(job.ca_cert_pem, _("CA certificate"))
    key = pki.generate_key(job.key_type)
    issued = pki.issue_client(ca_key, ca_cert, key, cn=job.name, org=job.org, days=job.days)
    return {
        "key": pki.key_to_pem(key), "csr": pki.csr_to_pem(issued.csr), "cert": pki.cert_to_pem(issued.cert),
        "p12": pki.export_p12(key, issued.cert, job.password, legacy=job.legacy, friendly_name=job.name),
        "info": {**pki.cert_info(issued.cert), "serial": serial_header_value(issued.cert.serial_number)},
    }


def workspace_key_type(ws: Workspace) -> str:
    """The key type of the tutorial's client (the workspace's profile), else the default."""
    try:
        return pki.key_type_of(pki.load_cert_pem(read_bytes(ws.cert("client"))).public_key())
    except (OSError, ValueError, InputError):
        return DEFAULT_KEY_TYPE


def issue_clients(
    ws: Workspace, names: list[str], password: str | None, options: ClientOptions,
    progress: Callable[[int, int, str], None] | None = None, *, unlock: Unlock | None = None,
) -> BatchResult:
    """Issue every named client (`password` for all, or None with random_passwords); `unlock`
    gives the CA key's passphrase when it is under one. Ctrl+C stops the batch: what is issued
    stays, `interrupted` says the rest was not."""
    with ws.locked() as hold:  # one writer at a time, for the whole read-check-write
        result, jobs = _prepared(ws, names, password, options, hold.notices, unlock)
        backup = ws.new_backup_folder()  # one for the whole batch
        try:
            with DeferredInterrupt() as interrupts, Workers(len(jobs)) as workers:
                for done, (job, made) in enumerate(workers.results(make_client, jobs), start=1):
                    with interrupts.critical():  # a client's files are written whole, even on Ctrl+C
                        _keep(ws, job, made, options, result, backup)
                    if progress:
                        progress(done, len(jobs), job.name)
        except KeyboardInterrupt:
            result.interrupted = True
        return result


def _prepared(ws: Workspace, names: list[str], password: str | None, options: ClientOptions,
              notices: list[str], unlock: Unlock | None) -> tuple[BatchResult, list[_Job]]:
    """Every refusal before the first key, then one job per client."""
    names = validate_client_names(names)
    key_type = pki.validate_key_type(options.key_type or workspace_key_type(ws))
    pki.validate_days(options.days, _("client certificate"))
    result = BatchResult(warnings=list(notices))
    if not options.random_passwords:
        if password is None:
            raise WizardError(_("no .p12 password given"))
        result.warnings += pki.validate_p12_password(password)
    _refuse_case_twins(ws, names)
    _refuse_existing(ws, names, options.force)
    result.warnings += [_("{name} was revoked: its new certificate is valid again (a new serial, not on the CRL); "
                          "revoke it again if that was not meant").format(name=name) for name in revoked_among(ws, names)]
    ca_key, ca_cert = load_ca(ws, unlock)
    result.warnings += pki.leaf_validity_warnings("client", options.days, ca_cert)
    org = pki.attribute_of(ca_cert.subject, NameOID.ORGANIZATION_NAME) or pki.DEFAULT_ORG
    ws.ensure()
    ca_key_pem, ca_cert_pem, language = pki.key_to_pem(ca_key), pki.cert_to_pem(ca_cert), i18n.current_language()
    jobs = [_Job(name, org, options.days, key_type, secrets.token_urlsafe(RANDOM_PASSWORD_BYTES) if options.random_passwords else password or "",
                 options.legacy_p12, ca_key_pem, ca_cert_pem, language) for name in names]
    return result, jobs


def _keep(ws: Workspace, job: _Job, made: dict | Exception, options: ClientOptions, result: BatchResult, backup: Path) -> None:
    """One client's outcome into `result`: its files written, or why it failed."""
    if isinstance(made, Exception):
        result.failed.append((job.name, str(made) if isinstance(made, WizardError) else f"{type(made).__name__}: {made}"))
        return
    try:
        result.issued.append(_write(ws, job, made, options, backup))
    except WizardError as error:
        result.failed.append((job.name, str(error)))


def _refuse_case_twins(ws: Workspace, names: list[str]) -> None:
    """A new name that differs from an existing client's only in case would share its folder on
    Windows and macOS (the tutorial's client is `client`)."""
    existing = {TUTORIAL_CLIENT: TUTORIAL_CLIENT} if ws.cert("client").exists() else {}
    folder = ws.root / CLIENTS_DIR
    if folder.is_dir():
        with os.scandir(folder) as entries:
            existing.update((entry.name.lower(), entry.name) for entry in entries)
    for name in names:
        other = existing.get(name.lower())
        if other is not None and other != name:
            raise InputError(case_twins(name, other))


def _refuse_existing(ws: Workspace, names: list[str], force: bool) -> None:
    present = [name for name in names if any(p.exists() for p in client_files(ws, name).artifacts)]
    if not present or force:
        return
    if len(present) == 1:
        message = _("the client {name} already exists in {folder}: "
                    "give another name, or re-run with --force to replace it (its files are backed up first)")
    else:
        message = _("the client {name} (and {more} more) already exists in {folder}: "
                    "give another name, or re-run with --force to replace it (its files are backed up first)")
    raise WizardError(message.format(name=repr(present[0]), more=len(present) - 1, folder=ws.root))


def _write(ws: Workspace, job: _Job, made: dict, options: ClientOptions, backup: Path) -> IssuedClient:
    """One client's files as one set (wizard.replacement): all of them or, killed or failed, none;
    with `force`, its old files go to `backup`, the batch's backup folder."""
    files = client_files(ws, job.name)
    contents = {files.key: (made["key"], SECRET_MODE), files.csr: (made["csr"], PUBLIC_MODE),
                files.cert: (made["cert"], PUBLIC_MODE), files.p12: (made["p12"], SECRET_MODE)}
    if options.random_passwords:
        contents[files.password] = ((job.password + "\n").encode(), SECRET_MODE)
    moved = ws.replace_files(issue_label(job.name, options.force), contents, remove=files.artifacts, backup=backup)
    return IssuedClient(job.name, list(contents), made["info"], moved, files.password if options.random_passwords else None)


def issue_label(name: str, force: bool) -> str:
    """How a replacement names the issuing of one client (the command that does it)."""
    return f"client issue {name} --force" if force else f"client issue {name}"
