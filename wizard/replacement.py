"""Replacing a set of workspace files as one: stage, then switch, with a journal.

A rename is atomic for one file, not for a set (a key, its certificate, its .p12), so a run
killed between two renames would leave half of each. A replacement therefore goes:

1. the journal (WORKSPACE/.mtls-wizard.journal) is written, phase "staging";
2. every new file is written, fsynced, into the staging folder (WORKSPACE/.mtls-wizard.staging/);
3. the journal is written again, phase "switching": the commit point, from here the new set is
   complete on disk and will be put in place;
4. each old file moves to the backup folder (or is simply replaced, when the replacement keeps
   no backup), each new one moves from the staging folder into its place;
5. the staging folder is removed, then the journal.

The next run that takes the workspace lock reads a journal left behind: before the commit point
it rolls back (the staged files go, the old set was never touched), after it it finishes the
switch (step 4 is idempotent: a file still staged is moved in, one already moved is left), so
the workspace always ends with the old set or the new set, complete. A run killed during that
recovery leaves the journal, and the run after it recovers again. Everything happens under the
workspace lock (wizard.workspace), which also checks that nobody else owns these files.

For the tests only, MTLS_WIZARD_TEST_KILL_AFTER=N stops the process with SIGKILL right after
the Nth write, rename or removal made here, so that every crash point can be tried for real.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from wizard.environment import KILL_AFTER_ENV
from wizard.errors import WizardError
from wizard.files import read_limited
from wizard.i18n import _
from wizard.safe_text import printable
from wizard.writing import DIR_MODE, PUBLIC_MODE, atomic_write, describe_os_error, fsync_dir, make_private_folder

JOURNAL_NAME = ".mtls-wizard.journal"
STAGING_NAME = ".mtls-wizard.staging"
JOURNAL_VERSION = 1
STAGING, SWITCHING = "staging", "switching"
MAX_JOURNAL_BYTES = 4 * 1024 * 1024  # far more than a batch's client holds: one journal per client
# Where a replacement may put or take files: the role folders and clients/NAME/ (never elsewhere,
# whatever a damaged journal says).
SET_FOLDERS = ("ca", "server", "client", "clients")
BACKUP_NAME = re.compile(r"^backup-\d{8}-\d{6}(-\d+)?\Z")
_STAGED_NAME = re.compile(r"^\d{1,6}-[A-Za-z0-9._@-]{1,80}\Z")
_PART = re.compile(r"^(?!\.)[A-Za-z0-9._@-]{1,80}\Z")


class JournalDamaged(WizardError):
    """The journal cannot be read or names something it may not: nothing is moved by it."""


@dataclass(frozen=True)
class Change:
    """One file of a replacement: `path` (relative to the workspace) gets the staged file
    `staged`, or, when `staged` is None, only loses its old file (to the backup)."""

    path: str
    staged: str | None


@dataclass
class Journal:
    label: str  # what is being replaced, as a command: "renew server", "client issue alice --force"
    started: str  # ISO 8601, local time with its offset
    phase: str  # STAGING or SWITCHING
    backup: str | None  # the backup folder's name; None: the old files are replaced, not kept
    changes: list[Change]

    def to_json(self) -> dict[str, object]:
        return {"version": JOURNAL_VERSION, "label": self.label, "started": self.started, "phase": self.phase,
                "backup": self.backup, "changes": [{"path": c.path, "staged": c.staged} for c in self.changes]}

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(change.path for change in self.changes)


@dataclass(frozen=True)
class Recovered:
    """What the recovery of an interrupted replacement did, in one line for the person."""

    label: str
    finished: bool  # True: the new set is in place; False: rolled back, the old set is as it was
    backup: str | None
    paths: tuple[str, ...]
    line: str


# ---------------------------------------------------------------------------
# The test-only kill point
# ---------------------------------------------------------------------------

_steps_taken = 0


def _step() -> None:
    """One write, rename or removal done; the test hook's kill point (see the module's text)."""
    global _steps_taken
    limit = os.environ.get(KILL_AFTER_ENV)
    if not limit:
        return
    _steps_taken += 1
    if limit.isdigit() and _steps_taken == int(limit):
        os.kill(os.getpid(), signal.SIGKILL)


# ---------------------------------------------------------------------------
# A replacement
# ---------------------------------------------------------------------------


def replace_files(root: Path, label: str, files: Mapping[str, tuple[bytes, int]], remove: Iterable[str] = (),
                  backup: str | None = None) -> bool:
    """Put `files` (relative path -> (bytes, mode)) in place as one set; the old files, and those
    in `remove`, go to the folder `backup` (None: replaced, not kept). Call with the lock held.
    True when an old file went to the backup."""
    if os.path.lexists(root / JOURNAL_NAME) or os.path.lexists(root / STAGING_NAME):
        raise WizardError(_("an earlier replacement in {workspace} is not finished: run mtls-wizard recover first").format(workspace=printable(root)))
    changes = [Change(path, f"{index}-{PurePosixPath(path).name}") for index, path in enumerate(files)]
    changes += [Change(path, None) for path in dict.fromkeys(remove) if path not in files]
    journal = Journal(label, dt.datetime.now().astimezone().isoformat(timespec="seconds"), STAGING, backup, changes)
    _check_journal(journal)
    _write_journal(root, journal)
    try:
        _stage(root, journal, files)
        journal.phase = SWITCHING
        _write_journal(root, journal)  # the commit point: from here the new set goes in, whatever happens
    except BaseException:
        _quietly(lambda: _roll_back(root))
        raise
    try:
        moved = _switch(root, journal)
        _clear(root)
    except OSError as error:
        raise WizardError(_("replacing files ({label}) stopped half-way: {reason}; the next mtls-wizard run on this workspace finishes "
                            "it (mtls-wizard recover)").format(label=label, reason=describe_os_error(error, Path(error.filename or root)))) from None
    return moved


def _stage(root: Path, journal: Journal, files: Mapping[str, tuple[bytes, int]]) -> None:
    staging = root / STAGING_NAME
    try:
        os.mkdir(staging, DIR_MODE)
        os.chmod(staging, DIR_MODE)  # whatever the umask
    except OSError as error:
        raise WizardError(describe_os_error(error, staging)) from None
    _step()
    for change in journal.changes:
        if change.staged is not None:
            data, mode = files[change.path]
            _write_staged(staging / change.staged, data, mode)
            _step()
    fsync_dir(staging)


def _write_staged(path: Path, data: bytes, mode: int) -> None:
    """A new file, fsynced, with its final mode before its first byte (a key is never readable by others)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
        try:
            os.fchmod(fd, mode)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as error:
        raise WizardError(describe_os_error(error, path)) from None


def _switch(root: Path, journal: Journal) -> bool:
    """Step 4, idempotent: old files to the backup, staged ones into place. True when an old file moved."""
    moved, touched = False, {root}
    for change in journal.changes:
        place = root / change.path
        staged = root / STAGING_NAME / change.staged if change.staged is not None else None
        if staged is not None and not os.path.lexists(staged):
            continue  # in place already
        if os.path.lexists(place) and (journal.backup is not None or staged is None):
            if journal.backup is not None:
                touched.add(_to_backup(root, journal.backup, change.path))
                moved = True
            else:
                os.unlink(place)
                _step()
        if staged is not None:
            _make_folders(root, PurePosixPath(change.path).parent)
            os.replace(staged, place)
            _step()
        touched.add(place.parent)
    for folder in touched:  # the renames reach the disk before the journal goes
        fsync_dir(folder)
    return moved


def _to_backup(root: Path, backup: str, relative: str) -> Path:
    destination = root / backup / relative
    _make_folders(root, PurePosixPath(backup) / PurePosixPath(relative).parent)
    if os.path.lexists(destination):  # never over an older backup's file
        raise WizardError(_("{file} is already in {backup}/: move it away, then run mtls-wizard recover").format(file=relative, backup=backup))
    os.replace(root / relative, destination)
    _step()
    return destination.parent


def _make_folders(root: Path, relative: PurePosixPath) -> None:
    folder = root
    for part in relative.parts:
        folder = folder / part
        if not folder.is_dir():
            make_private_folder(folder)


def _clear(root: Path) -> None:
    """Step 5: the staging folder (empty now, or holding what a rollback drops), then the journal."""
    staging = root / STAGING_NAME
    if os.path.lexists(staging):
        for entry in sorted(os.listdir(staging)):
            os.unlink(staging / entry)
            _step()
        os.rmdir(staging)
        _step()
        fsync_dir(root)
    if os.path.lexists(root / JOURNAL_NAME):
        os.unlink(root / JOURNAL_NAME)
        _step()
        fsync_dir(root)


def _roll_back(root: Path) -> None:
    _clear(root)


def _quietly(action: Callable[[], object]) -> None:
    try:
        action()
    except (OSError, WizardError):
        pass  # the journal stays: the next run rolls back


# ---------------------------------------------------------------------------
# The journal
# ---------------------------------------------------------------------------


def _write_journal(root: Path, journal: Journal) -> None:
    atomic_write(root / JOURNAL_NAME, (json.dumps(journal.to_json(), indent=1) + "\n").encode(), PUBLIC_MODE)
    _step()


def pending(root: Path) -> Journal | None:
    """The journal of an interrupted replacement (None: there is none); JournalDamaged when it
    cannot be trusted. Reads only: status calls it without the lock."""
    path = root / JOURNAL_NAME
    try:
        data = json.loads(read_limited(path, limit=MAX_JOURNAL_BYTES).decode("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, RecursionError, WizardError) as error:
        raise _damaged(root, str(getattr(error, "strerror", None) or error)) from None
    try:
        journal = _journal_from(data)
        _check_journal(journal)
    except (KeyError, TypeError, ValueError) as error:
        raise _damaged(root, str(error)) from None
    return journal


def _journal_from(data: object) -> Journal:
    if not isinstance(data, dict) or data.get("version") != JOURNAL_VERSION:
        raise ValueError(_("not a journal of this version"))
    changes = [Change(str(item["path"]), None if item["staged"] is None else str(item["staged"])) for item in data["changes"]]
    backup = data["backup"]
    return Journal(str(data["label"]), str(data["started"]), str(data["phase"]), None if backup is None else str(backup), changes)


def _check_journal(journal: Journal) -> None:
    """ValueError unless every name stays where a replacement may write (see SET_FOLDERS)."""
    if journal.phase not in (STAGING, SWITCHING):
        raise ValueError(_("unknown phase {phase}").format(phase=printable(journal.phase)[:40]))
    if len(journal.label) > 300:
        raise ValueError(_("the label is over 300 characters long"))
    if journal.backup is not None and not BACKUP_NAME.match(journal.backup):
        raise ValueError(_("{name} is not a backup folder's name").format(name=printable(journal.backup)[:80]))
    for change in journal.changes:
        parts = PurePosixPath(change.path).parts
        if not 2 <= len(parts) <= 3 or parts[0] not in SET_FOLDERS or not all(_PART.match(part) for part in parts[1:]) \
                or (len(parts) == 3) != (parts[0] == "clients"):
            raise ValueError(_("{path} is not a file a replacement may change").format(path=printable(change.path)[:120]))
        if change.staged is not None and not _STAGED_NAME.match(change.staged):
            raise ValueError(_("{name} is not a staged file's name").format(name=printable(change.staged)[:120]))


def _damaged(root: Path, reason: str) -> JournalDamaged:
    return JournalDamaged(_("{journal} cannot be read ({reason}), so the replacement it describes can be neither finished nor rolled back "
                            "safely: the new files are in {staging}/, the old ones in place or in the newest backup-*/ folder; look at "
                            "them, delete the journal and {staging}/, then mend what status names (mtls-wizard restore BACKUP)").format(
        journal=printable(root / JOURNAL_NAME), reason=printable(reason)[:200], staging=STAGING_NAME))


# ---------------------------------------------------------------------------
# Recovery, by the next run that takes the lock
# ---------------------------------------------------------------------------


def recover(root: Path) -> Recovered | None:
    """Finish or roll back what an interrupted run left (call with the lock held); None when nothing was."""
    journal = pending(root)
    if journal is None:
        if not os.path.lexists(root / STAGING_NAME):
            return None
        _guarded(root, lambda: _clear(root))  # staged before any journal was written: nothing was replaced
        return Recovered("", False, None, (), _("removed the staging folder {folder} an interrupted run left; nothing had been "
                                                "replaced").format(folder=STAGING_NAME))
    if journal.phase == STAGING:
        _guarded(root, lambda: _roll_back(root))
        line = _("rolled back the interrupted replacement ({label}, started {started}): nothing had been replaced yet, the old files "
                 "are as they were").format(label=printable(journal.label), started=journal.started[:19].replace("T", " "))
        return Recovered(journal.label, False, journal.backup, journal.paths, line)
    _guarded(root, lambda: (_switch(root, journal), _clear(root)))
    if journal.backup is not None and os.path.isdir(root / journal.backup):
        line = _("finished the interrupted replacement ({label}, started {started}): the new files are in place, the old ones in "
                 "{backup}/").format(label=printable(journal.label), started=journal.started[:19].replace("T", " "), backup=journal.backup)
    else:
        line = _("finished the interrupted replacement ({label}, started {started}): the new files are in place").format(
            label=printable(journal.label), started=journal.started[:19].replace("T", " "))
    return Recovered(journal.label, True, journal.backup, journal.paths, line)


def _guarded(root: Path, action: Callable[[], object]) -> None:
    try:
        action()
    except OSError as error:
        raise WizardError(_("an interrupted replacement in {workspace} could not be finished or rolled back: {reason}; mend that, "
                            "then run mtls-wizard recover").format(workspace=printable(root), reason=describe_os_error(
                                error, Path(error.filename or root)))) from None
