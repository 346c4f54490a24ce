"""Every folder the tool makes is 0700 whatever the umask, the missing parents of the user data
directory and of the workspace included; a folder that was there already keeps its mode."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import P12_PASSWORD, make_pki

from wizard import clients
from wizard.session import Session, SessionStore


@pytest.fixture
def umask_000() -> Iterator[None]:
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def folders_below(top: Path) -> dict[str, int]:
    return {str(path.relative_to(top)): mode(path) for path in sorted(top.rglob("*")) if path.is_dir()}


@pytest.mark.parametrize("variable", ["XDG_DATA_HOME", "MTLS_WIZARD_DATA_DIR"])
def test_missing_folders_of_the_user_data_directory_are_made_0700(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   umask_000: None, variable: str) -> None:
    shared = tmp_path / "home"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    monkeypatch.delenv("MTLS_WIZARD_DATA_DIR")
    monkeypatch.setenv(variable, str(shared / "not" / "there" / "yet"))
    SessionStore().save(Session(workspace=str(tmp_path / "ws")))
    made = folders_below(shared)
    assert made and set(made.values()) == {0o700}, made
    assert "not/there/yet" in made and any(name.endswith("sessions") for name in made)
    assert mode(shared) == 0o755  # it was there: never chmodded


def test_the_workspace_its_missing_parents_and_every_folder_in_it_are_made_0700(tmp_path: Path, umask_000: None) -> None:
    mine = tmp_path / "projects"
    mine.mkdir()
    mine.chmod(0o751)
    ws = make_pki(mine / "a" / "b" / "ws")
    clients.issue_clients(ws, ["alice"], P12_PASSWORD, clients.ClientOptions())
    clients.issue_clients(ws, ["alice"], P12_PASSWORD, clients.ClientOptions(force=True))  # the old files go into a backup
    backups = list(ws.root.glob("backup-*"))
    assert backups and (backups[0] / "clients" / "alice").is_dir()
    made = folders_below(mine)
    assert set(made.values()) == {0o700}, made
    assert {"a", "a/b", "a/b/ws", "a/b/ws/ca", "a/b/ws/elb", "a/b/ws/clients", "a/b/ws/clients/alice"} <= set(made)
    assert mode(mine) == 0o751
    for path in ws.root.rglob("*.key"):
        assert mode(path) == 0o600
