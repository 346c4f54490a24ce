"""Another account on this machine, for the cases where someone else planted files.

Ownership is judged against the running user (os.geteuid()); in CI that is root, so a planted
file must really belong to someone else. The account is made with `useradd` once (no home, no
login) and kept: only root can make it or give files to it, so without root the case is
skipped with the reason (in CI, where the tests run as root, it fails instead).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

OTHER_USER = "mtlsw-other"


@dataclass(frozen=True)
class OtherUser:
    name: str
    uid: int
    gid: int

    def give(self, *paths: Path) -> None:
        """Make each path (not following links) and everything under a folder belong to this user."""
        for path in paths:
            for each in [path, *(path.rglob("*") if path.is_dir() and not path.is_symlink() else [])]:
                os.chown(each, self.uid, self.gid, follow_symlinks=False)


def other_user() -> OtherUser:
    if os.geteuid() != 0:
        message = "giving files to another user needs root"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {message}")
        pytest.skip(message)
    try:
        entry = pwd.getpwnam(OTHER_USER)
    except KeyError:
        useradd = shutil.which("useradd") or shutil.which("useradd", path="/usr/sbin:/sbin")
        if useradd is None:
            pytest.fail("useradd is not installed (apt: passwd)")
        made = subprocess.run([useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", OTHER_USER],
                              capture_output=True, text=True, timeout=60)
        if made.returncode not in (0, 9):  # 9: made meanwhile by a parallel test worker
            pytest.fail(f"useradd {OTHER_USER} failed: {made.stderr}")
        entry = pwd.getpwnam(OTHER_USER)
    return OtherUser(entry.pw_name, entry.pw_uid, entry.pw_gid)
