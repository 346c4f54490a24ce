"""Issuing named client certificates, one or a batch: key, CSR, certificate and .p12 each.

Everything that can be refused is refused before the first key: bad or repeated names, an
existing client (unless `force`, which backs its files up first), a missing or unusable
CA. Keys and bundles are made on every core (key generation and the .p12's key derivation
hold Python's lock, so a batch runs in worker processes); each client's files are then
written as one unit: a failure names the client, leaves nothing of it behind and leaves
the others done.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

from cryptography.x509.oid import NameOID

from wizard import i18n, pki
from wizard.clients.names import ClientFiles, client_files, validate_client_names
from wizard.clients.revocation import revoked_among
from wizard.defaults import CLIENT_DAYS, DEFAULT_KEY_TYPE
from wizard.elb.headers import serial_header_value
from wizard.errors import InputError, WizardError
from wizard.i18n import _
from wizard.steps import load_ca
from wizard.workspace import DIR_MODE, PUBLIC_MODE, SECRET_MODE, Workspace, atomic_write, read_bytes

POOL_FROM = 4  # a batch this large is worth starting worker processes for
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
    progress: Callable[[int, int, str], None] | None = None,
) -> BatchResult:
    """Issue every named client (`password` for all, or None with random_passwords)."""
    with ws.locked() as hold:  # one writer at a time, for the whole read-check-write
        names = validate_client_names(names)
        key_type = pki.validate_key_type(options.key_type or workspace_key_type(ws))
        pki.validate_days(options.days, _("client certificate"))
        result = BatchResult(warnings=list(hold.notices))
        if not options.random_passwords:
            if password is None:
                raise WizardError(_("no .p12 password given"))
            result.warnings += pki.validate_p12_password(password)
        _refuse_existing(ws, names, options.force)
        result.warnings += [_("{name} was revoked: its new certificate is valid again (a new serial, not on the CRL); "
                              "revoke it again if that was not meant").format(name=name) for name in revoked_among(ws, names)]
        ca_key, ca_cert = load_ca(ws)
        result.warnings += pki.leaf_validity_warnings("client", options.days, ca_cert)
        org = pki.attribute_of(ca_cert.subject, NameOID.ORGANIZATION_NAME) or pki.DEFAULT_ORG
        ws.ensure()
        passwords = {name: (secrets.token_urlsafe(RANDOM_PASSWORD_BYTES) if options.random_passwords else password or "") for name in names}
        jobs = [_Job(name, org, options.days, key_type, passwords[name], options.legacy_p12,
                     pki.key_to_pem(ca_key), pki.cert_to_pem(ca_cert), i18n.current_language()) for name in names]
        for done, (job, made) in enumerate(_run(jobs), start=1):
            if isinstance(made, Exception):
                result.failed.append((job.name, str(made) if isinstance(made, WizardError) else f"{type(made).__name__}: {made}"))
            else:
                try:
                    result.issued.append(_write(ws, job, made, options))
                except WizardError as error:
                    result.failed.append((job.name, str(error)))
            if progress:
                progress(done, len(jobs), job.name)
        return result


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


def _run(jobs: list[_Job]) -> Iterator[tuple[_Job, dict | Exception]]:
    """Each job's result as soon as it is ready, on every core for a batch."""
    workers = min(len(jobs), os.cpu_count() or 1)
    if len(jobs) < POOL_FROM or workers < 2:
        for job in jobs:
            yield job, _attempt(job)
        return
    # "spawn", not fork: the caller may be the TUI, with threads a fork would copy half-way.
    with _stderr_for_the_pool(), ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        futures: dict[Future, _Job] = {pool.submit(make_client, job): job for job in jobs}
        for future in as_completed(futures):
            error = future.exception()
            yield futures[future], (error if isinstance(error, Exception) else future.result())


def _stderr_for_the_pool() -> contextlib.AbstractContextManager[object]:
    """multiprocessing hands its helper process our stderr's file descriptor. Under the TUI,
    stderr is a capture with none (-1), which multiprocessing refuses: give it /dev/null."""
    try:
        if sys.stderr is not None and sys.stderr.fileno() >= 0:
            return contextlib.nullcontext()
    except (OSError, ValueError, AttributeError):
        pass
    return contextlib.redirect_stderr(open(os.devnull, "w"))  # noqa: SIM115 - closed with the context


def _attempt(job: _Job) -> dict | Exception:
    try:
        return make_client(job)
    except Exception as error:  # noqa: BLE001 - reported against this client, the batch goes on
        return error


def _write(ws: Workspace, job: _Job, made: dict, options: ClientOptions) -> IssuedClient:
    """One client's files as a unit: on any failure, none of its new files stay."""
    files = client_files(ws, job.name)
    backup = ws.backup(files.artifacts) if options.force else None
    contents: list[tuple[Path, bytes, int]] = [
        (files.key, made["key"], SECRET_MODE), (files.csr, made["csr"], PUBLIC_MODE),
        (files.cert, made["cert"], PUBLIC_MODE), (files.p12, made["p12"], SECRET_MODE),
    ]
    if options.random_passwords:
        contents.append((files.password, (job.password + "\n").encode(), SECRET_MODE))
    written: list[Path] = []
    try:
        _make_folder(files)
        for path, data, mode in contents:
            atomic_write(path, data, mode)
            written.append(path)
    except WizardError:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return IssuedClient(job.name, written, made["info"], backup, files.password if options.random_passwords else None)


def _make_folder(files: ClientFiles) -> None:
    try:
        files.folder.parent.mkdir(mode=DIR_MODE, exist_ok=True)
        files.folder.mkdir(mode=DIR_MODE, exist_ok=True)
    except OSError as error:
        raise WizardError(_("cannot create {folder}: {reason}").format(folder=files.folder, reason=error.strerror)) from None
