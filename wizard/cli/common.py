"""What every command handler shares: warnings, the workspace and session, secrets from files.

All terminal printing of the CLI goes through here or through the handlers themselves;
the core never prints.
"""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path

from wizard.defaults import PASSWORD_ENV, PROG
from wizard.errors import InputError, WizardError
from wizard.safe_text import printable
from wizard.session import Session, SessionFileError, SessionStore, default_workspace
from wizard.workspace import UnreadableFile, read_limited


def warn(message: str) -> None:
    # A warning may quote a file's text (a certificate's subject): never let it steer the terminal.
    print(f"{PROG}: warning: {printable(message)}", file=sys.stderr)


def resolve_workspace(value: str | None) -> Path:
    """--workspace, else the last session's workspace, else ./mtls-workspace."""
    if value is not None:
        if not value.strip():
            raise InputError("--workspace is empty: give a folder, e.g. --workspace ./mtls-workspace")
        return Path(value).expanduser().absolute()
    try:
        last = SessionStore().last()
    except SessionFileError as error:
        warn(str(error))
        last = None
    return Path(last.workspace) if last else default_workspace()


def read_secret_file(path: str, what: str) -> str:
    """The first line of a file, without its line ending; a clear error if unreadable or empty.

    Only a final "\\n" or "\\r\\n" ends the line: str.splitlines() would also cut at Unicode
    separators (U+2028 and others) that may be part of a password.
    """
    shown = printable(path)
    try:
        # A pipe is fine (--p12-password-file <(pass show x)); /dev/zero or a huge file is not.
        text = read_limited(Path(path), pipes=True).decode("utf-8")
    except FileNotFoundError:
        raise InputError(f"the {what} file {shown} does not exist") from None
    except UnreadableFile as error:
        raise InputError(f"cannot read the {what} file {shown}: {error.reason}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read the {what} file {shown}: {getattr(error, 'strerror', None) or error}") from None
    secret = text.split("\n", 1)[0].removesuffix("\r")
    if not secret:
        raise InputError(f"the {what} file {shown} is empty: put the password on its first line")
    return secret


def password_given_without_prompt(password_file: str | None) -> bool:
    """True when the .p12 password comes from a file or the environment (no prompt needed)."""
    return bool(password_file) or PASSWORD_ENV in os.environ or not sys.stdin.isatty()


def p12_password(password_file: str | None, what: str = "client.p12") -> str:
    """The .p12 password: --p12-password-file, else $MTLS_WIZARD_P12_PASSWORD, else a prompt."""
    if password_file:
        return read_secret_file(password_file, "password")
    if PASSWORD_ENV in os.environ:
        return os.environ[PASSWORD_ENV]
    if sys.stdin.isatty():
        first = getpass.getpass(f"Password for {what}: ")
        if first != getpass.getpass("Again, to confirm: "):
            raise InputError("the two passwords differ: run the command again")
        return first
    raise InputError(f"no .p12 password: give --p12-password-file FILE or set {PASSWORD_ENV} (never on the command line)")


def open_session(workspace: Path) -> tuple[SessionStore, Session]:
    """The workspace's session (a fresh one when its file is unusable, with a warning)."""
    store = SessionStore()
    try:
        return store, store.open(workspace)
    except SessionFileError as error:
        warn(str(error))
        return store, Session(workspace=str(workspace))


def save_session(store: SessionStore, session: Session) -> None:
    try:
        store.save(session)
    except WizardError as error:
        warn(f"the session could not be saved ({error}); the files are in place")
