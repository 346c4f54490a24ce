"""Killing a real `mtls-wizard` at every write of a replacement, and judging what it left.

The product reads MTLS_WIZARD_TEST_KILL_AFTER=N (wizard.replacement) and stops itself with SIGKILL
right after the Nth write, rename or removal of a replacement. `KillPoints.run` tries N = 1, 2, ...
until the command runs to its end, each time on a fresh copy of a prepared workspace; after each
kill it asks `status` (exit 1, naming the replacement), checks that nothing of the old set is lost,
makes the next run, and judges each set: the old one untouched, or the new one whole. (A kill right
after a replacement's last step, the removal of its journal, leaves nothing interrupted: the sets are
judged as they are.)

A set is judged whole by what a person relies on: the key belongs to the certificate, openssl
verifies the certificate against the workspace CA (-x509_strict), the .p12 opens with its password
and holds that key and certificate.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography import x509
from support.tools import run, tool

from wizard import pki, replacement
from wizard.cli import main
from wizard.environment import KILL_AFTER_ENV
from wizard.lifecycle import integrity
from wizard.workspace import LOCK_NAME, Workspace

KILLED = -9  # a process ended by SIGKILL, as subprocess reports it
MAY_READ_THE_SAME = (".p12-password", "revoked-serials.txt")  # new files that may hold what the old ones held
Judge = Callable[[Path], None]


@dataclass(frozen=True)
class WorkspaceSet:
    """Files replaced as one (relative paths) and how to judge the new set whole."""

    paths: tuple[str, ...]
    judge_new: Judge
    kept: bool = True  # the old files go to a backup (revocation files are superseded, not kept)


@dataclass(frozen=True)
class Case:
    args: tuple[str, ...]
    labels: tuple[str, ...]  # what `status` names the interrupted replacement (one of these)
    sets: tuple[WorkspaceSet, ...]
    again: bool = False  # the next run is the same command (a renewal finishes an interrupted one), not `recover`
    exit_codes: tuple[int, ...] = (0,)
    env: dict[str, str] = field(default_factory=dict)


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file of the workspace but its backups, lock, journal and staging folder."""
    skip = ("backup-", replacement.STAGING_NAME, replacement.JOURNAL_NAME, LOCK_NAME)
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*")
            if p.is_file() and not p.relative_to(root).parts[0].startswith(skip)}


def backed_up(root: Path) -> dict[str, set[bytes]]:
    """relative path -> every content the backups hold for it."""
    found: dict[str, set[bytes]] = {}
    for path in root.glob("backup-*/**/*"):
        if path.is_file():
            found.setdefault(Path(*path.relative_to(root).parts[1:]).as_posix(), set()).add(path.read_bytes())
    return found


class KillPoints:
    """Runs one case at every kill point (see the module's text)."""

    def __init__(self, cli: Callable[..., subprocess.CompletedProcess], capsys: pytest.CaptureFixture[str], tmp: Path) -> None:
        self.cli, self.capsys, self.tmp = cli, capsys, tmp

    def main(self, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
        """A command of the CLI in this process, the same code as the console script: the runs after a
        kill need no new process (only the killed one must be a real process of its own)."""
        saved = {name: os.environ.get(name) for name in env or {}}
        os.environ.update(env or {})
        self.capsys.readouterr()
        try:
            code = main(list(args))
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
        said = self.capsys.readouterr()
        return code, said.out + said.err

    def run(self, case: Case, prepared: Path) -> int:
        """Every kill point of `case` on copies of `prepared`; returns how many there were."""
        before = snapshot(prepared)
        point = 0
        while True:
            point += 1
            ws = self.tmp / f"point-{point}"
            shutil.copytree(prepared, ws, symlinks=True)
            done = self.cli(*case.args, "-w", str(ws), env={**case.env, KILL_AFTER_ENV: str(point)})
            if done.returncode != KILLED:
                assert done.returncode in case.exit_codes, (point, done.stdout, done.stderr)
                self.judge(case, ws, before, killed_at=None)
                return point - 1
            self.after_kill(case, ws, before, point)

    def after_kill(self, case: Case, ws: Path, before: dict[str, bytes], point: int) -> None:
        if not (ws / replacement.JOURNAL_NAME).exists() and not (ws / replacement.STAGING_NAME).exists():
            # Killed right after a replacement's last step (its journal removed): nothing is interrupted,
            # and status rightly names nothing; the sets are judged as they are.
            self.judge(case, ws, before, killed_at=point)
            return
        code, said = self.main("status", "-w", str(ws))
        assert code == 1 and any(label in said for label in case.labels), (point, said)
        self.nothing_lost(case, ws, before)
        if case.again:
            journal = replacement.pending(ws)
            code, said = self.main(*case.args, "-w", str(ws), env=case.env)
            assert code in case.exit_codes, (point, said)
            if journal is not None and journal.phase == replacement.SWITCHING:
                assert "not renewed a second time" in said, (point, said)
        else:
            self.main("recover", "-w", str(ws))
        self.judge(case, ws, before, killed_at=point)

    def nothing_lost(self, case: Case, ws: Path, before: dict[str, bytes]) -> None:
        """Each old file of a kept set is still in place, or in a backup."""
        now, kept = snapshot(ws), backed_up(ws)
        for workspace_set in (s for s in case.sets if s.kept):
            for path in workspace_set.paths:
                if path in before:
                    assert now.get(path) == before[path] or before[path] in kept.get(path, set()), path

    def judge(self, case: Case, ws: Path, before: dict[str, bytes], killed_at: int | None) -> None:
        """Each set old and untouched, or new and whole; no replacement left pending."""
        assert not (ws / replacement.JOURNAL_NAME).exists() and not (ws / replacement.STAGING_NAME).exists(), killed_at
        assert all(f.subject != "replacement" for f in integrity.findings(Workspace(ws))), killed_at
        now, kept = snapshot(ws), backed_up(ws)
        for workspace_set in case.sets:
            present = {path: now.get(path) for path in workspace_set.paths}
            if all(present[path] == before.get(path) for path in workspace_set.paths):
                continue  # the old set, as it was
            # New: every key, certificate, CSR, .p12 and CRL is new (a password file or a list of serials may read the same)
            changed = [path for path in workspace_set.paths if path in before and not path.endswith(MAY_READ_THE_SAME)]
            assert all(present[path] != before[path] for path in changed), (killed_at, [p for p in changed if present[p] == before[p]])
            workspace_set.judge_new(ws)
            if workspace_set.kept:
                assert all(before[path] in kept.get(path, set()) for path in workspace_set.paths if path in before), killed_at


# ---------------------------------------------------------------------------
# Judges of a new set
# ---------------------------------------------------------------------------


def verified(root: Path, *certificates: str) -> None:
    """openssl verifies each certificate against the workspace CA."""
    done = run(tool("openssl"), "verify", "-x509_strict", "-CAfile", str(root / "ca" / "ca.crt"), *(str(root / c) for c in certificates))
    assert done.returncode == 0, done.stdout + done.stderr


def key_matches(root: Path, key: str, cert: str) -> x509.Certificate:
    certificate = pki.load_cert_pem((root / cert).read_bytes())
    assert pki.keys_match(pki.load_key_pem((root / key).read_bytes()), certificate), key
    return certificate


def leaf_whole(root: Path, stem: str, password: str | None = None, *, p12: bool = True) -> None:
    """stem.key matches stem.crt, which the CA issued; stem.p12 opens with the password (else the one
    in stem.p12-password) and holds them."""
    certificate = key_matches(root, f"{stem}.key", f"{stem}.crt")
    verified(root, f"{stem}.crt")
    if p12:
        secret = password or (root / f"{stem}.p12-password").read_text().strip()
        bundle = pki.load_p12((root / f"{stem}.p12").read_bytes(), secret)
        assert bundle.cert is not None and bundle.cert.certificate == certificate
        assert bundle.key is not None and pki.keys_match(bundle.key, certificate)  # type: ignore[arg-type]
