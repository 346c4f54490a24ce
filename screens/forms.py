"""Form pieces the three generating steps share: key-type choices, validators, result text."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual.validation import ValidationResult, Validator

from wizard import pki
from wizard.safe_text import printable
from wizard.errors import InputError

if TYPE_CHECKING:
    from wizard.session import Session
    from wizard.workspace import Workspace

KEY_CHOICES = [
    ("RSA 2048 (as the tutorial; works everywhere)", "rsa2048"),
    ("RSA 3072", "rsa3072"),
    ("RSA 4096 (slow to generate)", "rsa4096"),
    ("ECDSA P-256 (fast, small)", "ec-p256"),
    ("ECDSA P-384", "ec-p384"),
]


class CheckedBy(Validator):
    """A validator around a core check that raises InputError with the one-line reason."""

    def __init__(self, check) -> None:  # noqa: ANN001 - callable(str) raising InputError
        super().__init__()
        self.check = check

    def validate(self, value: str) -> ValidationResult:
        try:
            self.check(value)
        except InputError as error:
            return self.failure(str(error))
        except ValueError as error:
            return self.failure(str(error))
        return self.success()


class ServerName(Validator):
    """Live check of a server CN: a host name, a wildcard or an IP address, short enough for a CN."""

    def validate(self, value: str) -> ValidationResult:
        problem = pki.name_problem(value)
        if problem is None and len(pki.normalise_name(value)) > pki.MAX_CN:
            problem = (f"the name is {len(pki.normalise_name(value))} characters; a CN holds at most {pki.MAX_CN}: "
                       "give a shorter name here and the long one under Extra names (SAN)")
        return self.failure(problem) if problem else self.success()


class ExtraNames(Validator):
    """Extra SANs, separated by spaces or commas; each one checked like the CN."""

    def validate(self, value: str) -> ValidationResult:
        for name in split_names(value):
            problem = pki.name_problem(name)
            if problem:
                return self.failure(problem)
        return self.success()


def split_names(value: str) -> list[str]:
    return [part for part in value.replace(",", " ").split() if part]


def days_check(what: str):  # noqa: ANN201
    def check(value: str) -> None:
        if not value.strip():
            raise InputError("give the number of days")
        if not value.strip().isdigit():
            raise InputError(f"{value.strip()!r} is not a whole number of days (digits only, e.g. 825)")
        pki.validate_days(int(value), what)

    return check


class SniName(Validator):
    """The name the handshake test sends (SNI) and verifies: empty (the default) or a host name
    or IP address; a wildcard cannot be sent."""

    def validate(self, value: str) -> ValidationResult:
        text = value.strip()
        if not text:
            return self.success()
        problem = pki.name_problem(text) or ("a wildcard cannot be sent as a server name: give one real name" if "*" in text else None)
        return self.failure(problem) if problem else self.success()


class ElbUuid(Validator):
    """A load balancer's or backend group's id: a UUID (8-4-4-4-12 hexadecimal) or 32 hexadecimal characters."""

    PATTERN = re.compile(r"^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$")

    def validate(self, value: str) -> ValidationResult:
        text = value.strip()
        if not text or self.PATTERN.match(text):
            return self.success()
        return self.failure("an ELB id looks like 3f2b8c1e-0a4d-4b7e-9c21-5d6e7f8a9b0c: copy it again from the console")


ELB_ID_LENGTH = 32


class ElbId(Validator):
    """An ELB resource id as the console shows it: 32 hexadecimal characters (or nothing yet)."""

    def validate(self, value: str) -> ValidationResult:
        text = value.strip()
        if not text:
            return self.success()
        if len(text) != ELB_ID_LENGTH or any(ch not in "0123456789abcdefABCDEF" for ch in text):
            return self.failure(f"an ELB id is {ELB_ID_LENGTH} hexadecimal characters (0-9, a-f), "
                                f"e.g. 6f4e3a1b…; this has {len(text)}: copy it again from the console")
        return self.success()


def first_failure(result: ValidationResult | None) -> str | None:
    if result is None or result.is_valid:
        return None
    return result.failure_descriptions[0] if result.failure_descriptions else "invalid value"


def fingerprint_lines(fingerprint: str) -> list[str]:
    """A SHA-256 fingerprint (32 colon-separated bytes) as two lines of 16 bytes: whole, and
    narrow enough for 80 columns."""
    return [fingerprint[:47], fingerprint[48:]] if len(fingerprint) > 47 else [fingerprint]


def outcome_text(ws: Workspace, session: Session, role: str) -> Text:
    """Files with their modes, subject, fingerprint and expiry of a generated certificate."""
    info = session.certificates.get(role, {})
    text = Text()
    files = ws.artifacts(role)
    for path in files:
        if not path.exists():
            continue
        mode = stat.S_IMODE(os.stat(path).st_mode)
        secret = mode & 0o077 == 0
        text.append("  " + ws.relative(path).ljust(20))
        text.append(f"{mode:04o}", style="green" if secret else "")
        text.append("  private: keep it safe\n" if secret else "\n", style="dim")
    if info:
        text.append("  subject      ", style="bold")
        text.append(printable(info.get("subject", "-")) + "\n")
        text.append("  SHA-256      ", style="bold")
        text.append("\n               ".join(fingerprint_lines(info.get("fingerprint", "-"))) + "\n")
        text.append("  expires      ", style="bold")
        text.append(info.get("not_after", "-")[:10])
    return text


def issued_cn(session: Session, role: str) -> str:
    """The CN of the certificate the session recorded for `role` ('' if none)."""
    match = re.search(r"(?:^|,)CN=((?:[^,\\]|\\.)*)", session.certificates.get(role, {}).get("subject", ""))
    return match.group(1).replace("\\", "") if match else ""


def existing(paths: list[Path]) -> list[Path]:
    return [p for p in paths if p.exists()]
