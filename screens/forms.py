"""Form pieces the pages share: the labelled field row, key-type choices, validators, the
.p12 password hint, result text."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.validation import ValidationResult, Validator
from textual.widgets import Input, Label, Static

from wizard import pki
from wizard.safe_text import printable
from wizard.errors import InputError
from wizard.i18n import N_, _

if TYPE_CHECKING:
    from wizard.session import Session
    from wizard.workspace import Workspace

class FieldRow(Horizontal):
    """A label and its input on one line, with room for the reason the value is refused."""

    def __init__(self, label: str, widget: Any, *, note_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._label = label
        self._widget = widget
        self._note_id = note_id

    def compose(self) -> ComposeResult:
        yield Label(self._label, classes="field-label")
        with Vertical(classes="field-value"):
            yield self._widget
            if self._note_id:
                yield Static("", id=self._note_id, classes="note", markup=False)


def cloud_target_rows(account_label: str, account_id: str, *, region: str = "", prefix: str = "") -> ComposeResult:
    """Where a cloud API is reached: the region, the account or project id, an optional endpoint
    (the ELB upload's dialog; CCM in step 1, whose ids take `prefix`)."""
    yield FieldRow(_("Region"), Input(region, id=f"{prefix}region", placeholder="cn-north-4", compact=True))
    yield FieldRow(account_label, Input(id=account_id, compact=True))
    yield FieldRow(_("Endpoint"), Input(id=f"{prefix}endpoint", placeholder=_("optional"), compact=True))


# (label, key type): the labels are translated where the choice is shown (key_choices)
KEY_CHOICES = [
    (N_("RSA 2048 (as the tutorial; works everywhere)"), "rsa2048"),
    ("RSA 3072", "rsa3072"),
    (N_("RSA 4096 (slow to generate)"), "rsa4096"),
    (N_("ECDSA P-256 (fast, small)"), "ec-p256"),
    ("ECDSA P-384", "ec-p384"),
]


def key_choices() -> list[tuple[str, str]]:
    """KEY_CHOICES in the current language."""
    return [(_(label), value) for label, value in KEY_CHOICES]


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
            problem = _("the name is {length} characters; a CN holds at most {most}: "
                        "give a shorter name here and the long one under Extra names (SAN)").format(
                length=len(pki.normalise_name(value)), most=pki.MAX_CN)
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
            raise InputError(_("give the number of days"))
        if not value.strip().isdigit():
            raise InputError(_("{value} is not a whole number of days (digits only, e.g. 825)").format(value=repr(value.strip())))
        pki.validate_days(int(value), _(what))  # `what` is marked where it is defined (a step's WHAT)

    return check


class SniName(Validator):
    """The name the handshake test sends (SNI) and verifies: empty (the default) or a host name
    or IP address; a wildcard cannot be sent."""

    def validate(self, value: str) -> ValidationResult:
        text = value.strip()
        if not text:
            return self.success()
        problem = pki.name_problem(text) or (_("a wildcard cannot be sent as a server name: give one real name") if "*" in text else None)
        return self.failure(problem) if problem else self.success()


class ElbUuid(Validator):
    """A load balancer's or backend group's id: a UUID (8-4-4-4-12 hexadecimal) or 32 hexadecimal characters."""

    PATTERN = re.compile(r"^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$")

    def validate(self, value: str) -> ValidationResult:
        text = value.strip()
        if not text or self.PATTERN.match(text):
            return self.success()
        return self.failure(_("an ELB id looks like {example}: copy it again from the console").format(
            example="3f2b8c1e-0a4d-4b7e-9c21-5d6e7f8a9b0c"))


ELB_ID_LENGTH = 32


class ElbId(Validator):
    """An ELB resource id as the console shows it: 32 hexadecimal characters (or nothing yet)."""

    def validate(self, value: str) -> ValidationResult:
        text = value.strip()
        if not text:
            return self.success()
        if len(text) != ELB_ID_LENGTH or any(ch not in "0123456789abcdefABCDEF" for ch in text):
            return self.failure(_("an ELB id is {length} hexadecimal characters (0-9, a-f), "
                                  "e.g. 6f4e3a1b…; this has {count}: copy it again from the console").format(
                length=ELB_ID_LENGTH, count=len(text)))
        return self.success()


def password_hint(password: str, confirmation: str) -> tuple[str | None, str]:
    """(message, level) for the password fields: refused, weak, mismatch or fine."""
    if not password:
        return _("a password is required: browsers ask for it when importing client.p12"), "error"
    if confirmation != password:
        return (_("type the same password again in Confirm") if not confirmation else _("the two passwords differ")), "error"
    warnings = pki.validate_p12_password(password)
    if warnings:
        # the core's warning after its subject ("the .p12 password has only 5 characters: 8 or more ...")
        reason = re.split(r": |：", warnings[0], maxsplit=1)[-1]
        return _("weak: {reason}").format(reason=reason), "warning"
    kinds = sum(any(test(c) for c in password) for test in (str.islower, str.isupper, str.isdigit, lambda c: not c.isalnum()))
    if len(password) >= 12 or kinds >= 3:
        return _("strong enough"), "ok"
    return _("fair: longer, or mixing letters, digits and symbols, is stronger"), "warning"


def first_failure(result: ValidationResult | None) -> str | None:
    if result is None or result.is_valid:
        return None
    return result.failure_descriptions[0] if result.failure_descriptions else _("invalid value")


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
        text.append("  " + _("private: keep it safe") + "\n" if secret else "\n", style="dim")
    if info:
        text.append(_label(_("subject")), style="bold")
        text.append(printable(info.get("subject", "-")) + "\n")
        text.append(_label("SHA-256"), style="bold")
        text.append(("\n" + " " * _LABEL_CELLS).join(fingerprint_lines(info.get("fingerprint", "-"))) + "\n")
        text.append(_label(_("expires")), style="bold")
        text.append(info.get("not_after", "-")[:10])
    return text


_LABEL_CELLS = 15  # "  subject      ": the values line up after the labels, in any language


def _label(name: str) -> str:
    """`name` indented and padded to the values' column (CJK characters take two cells)."""
    return "  " + name + " " * max(1, _LABEL_CELLS - 2 - cell_len(name))


def issued_cn(session: Session, role: str) -> str:
    """The CN of the certificate the session recorded for `role` ('' if none)."""
    match = re.search(r"(?:^|,)CN=((?:[^,\\]|\\.)*)", session.certificates.get(role, {}).get("subject", ""))
    return match.group(1).replace("\\", "") if match else ""


def existing(paths: list[Path]) -> list[Path]:
    return [p for p in paths if p.exists()]
