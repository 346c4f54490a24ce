"""The workspace: the tutorial's layout, permissions, atomic writes, refusal, backup and CA reuse."""

from __future__ import annotations

import datetime as dt
import errno
import os
import stat
from pathlib import Path

import pytest
from conftest import P12_PASSWORD, make_pki

from wizard import pki, replacement, steps, workspace
from wizard.errors import InputError, WizardError
from wizard.session import Session
from wizard.workspace import Workspace, atomic_write


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def snapshot(ws: Workspace) -> dict[str, bytes]:
    """Every artifact file's bytes, by relative path."""
    return {ws.relative(p): p.read_bytes() for p in ws.all_artifacts() if p.exists()}


def session_for(ws: Workspace, **answers: object) -> Session:
    session = Session(workspace=str(ws.root), server_cn="www.test.com", ca_key_type="ec-p256",
                      server_key_type="ec-p256", client_key_type="ec-p256")
    for name, value in answers.items():
        setattr(session, name, value)
    return session


def temp_leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith(".tmp")]


# ---------------------------------------------------------------------------
# Layout and permissions
# ---------------------------------------------------------------------------


def test_layout_is_the_tutorials(tmp_path: Path) -> None:
    ws = make_pki(tmp_path / "ws")  # its own: the shared workspace gains progress.json once a test runs check on it
    expected = {"ca/ca.key", "ca/ca.csr", "ca/ca.crt", "server/server.key", "server/server.csr", "server/server.crt",
                "client/client.key", "client/client.csr", "client/client.crt", "client/client.p12", workspace.LOCK_NAME, ".gitignore"}
    files = {str(p.relative_to(ws.root)) for p in ws.root.rglob("*") if p.is_file()}
    assert files == expected
    assert ws.elb_dir.is_dir() and ws.elb_dir == ws.root / "elb"
    assert ws.p12 == ws.root / "client" / "client.p12"


def test_keys_and_p12_are_0600_folders_0700_public_files_0644(pki_workspace: Workspace) -> None:
    ws = pki_workspace
    for role in ("ca", "server", "client"):
        assert mode(ws.key(role)) == 0o600, ws.key(role)
        assert mode(ws.cert(role)) == 0o644
        assert mode(ws.csr(role)) == 0o644
        assert mode(ws.folder(role)) == 0o700
    assert mode(ws.p12) == 0o600
    assert mode(ws.root) == 0o700 and mode(ws.elb_dir) == 0o700


def test_ensure_makes_new_folders_0700_whatever_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0)
    try:
        Workspace(tmp_path / "ws").ensure()
    finally:
        os.umask(previous)
    for folder in ("", "ca", "server", "client", "elb"):
        assert mode(tmp_path / "ws" / folder) == 0o700, folder


def test_ensure_leaves_existing_folders_alone_and_warns(tmp_path: Path) -> None:
    """Item 2: an existing folder (a project folder, /tmp) is never chmodded; one others can
    read is used with a warning (one they can write is refused: the next tests)."""
    root = tmp_path / "ws"
    (root / "ca").mkdir(parents=True)
    os.chmod(root, 0o755)
    os.chmod(root / "ca", 0o750)
    ws = Workspace(root)
    ws.ensure()
    assert mode(root) == 0o755 and mode(root / "ca") == 0o750
    assert mode(root / "server") == 0o700  # made by us
    (warning,) = ws.exposure_warnings()
    assert str(root) in warning and "mode 755" in warning and "mode 750" in warning and "chmod 700" in warning
    with ws.locked() as hold:
        assert hold.notices == [warning]  # said once, by the outermost holder of the lock


def test_a_sticky_shared_folder_is_refused_as_a_workspace_and_never_chmodded(tmp_path: Path) -> None:
    """Another user could plant files in it (issue 30): as the workspace, or through a link to it."""
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    link = tmp_path / "link"
    link.symlink_to(shared)
    with pytest.raises(WizardError, match=r"shared can be written by other users \(mode 1777"):
        steps.generate(Workspace(shared), session_for(Workspace(shared)), P12_PASSWORD)
    with pytest.raises(WizardError, match=r"the workspace .*link is a symbolic link to .*shared"):
        steps.generate(Workspace(link), session_for(Workspace(link)), P12_PASSWORD)
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777 and list(shared.iterdir()) == []
    steps.generate(Workspace(shared / "mine"), session_for(Workspace(shared / "mine")), P12_PASSWORD)  # a folder of our own in it is fine
    assert mode(shared / "mine") == 0o700 and stat.S_IMODE(shared.stat().st_mode) == 0o1777


def test_generate_refuses_an_open_workspace_folder(tmp_path: Path) -> None:
    os.chmod(tmp_path, 0o777)
    with pytest.raises(WizardError, match=r"can be written by other users \(mode 777.*chmod go-w"):
        steps.generate(Workspace(tmp_path), session_for(Workspace(tmp_path)), P12_PASSWORD)
    assert mode(tmp_path) == 0o777 and list(tmp_path.iterdir()) == []


def test_an_empty_workspace_name_is_refused(tmp_path: Path) -> None:
    for empty in ("", "  "):
        with pytest.raises(InputError, match="empty"):
            Workspace(empty)


def test_a_file_in_the_way_is_named(tmp_path: Path) -> None:
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "server").write_text("not a folder")
    with pytest.raises(WizardError, match="server exists and is not a folder"):
        Workspace(tmp_path / "ws").ensure()


@pytest.mark.parametrize("where", ["parent-is-a-file", "proc"])
def test_an_unwritable_workspace_is_a_clear_error(tmp_path: Path, where: str) -> None:
    # Tests may run as root, which ignores permission bits: use paths that fail for root too.
    if where == "parent-is-a-file":
        (tmp_path / "plain-file").write_text("x")
        root = tmp_path / "plain-file" / "workspace"
    else:
        root = Path("/proc/mtls-wizard-test-workspace")
    with pytest.raises(WizardError) as raised:
        Workspace(root).ensure()
    message = str(raised.value)
    assert str(root) in message and "\n" not in message
    assert "workspace" in message


# ---------------------------------------------------------------------------
# Atomic writes
# ---------------------------------------------------------------------------


def test_atomic_write_creates_with_the_mode_from_the_first_byte(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    real_fsync = os.fsync

    def spying_fsync(fd: int) -> None:
        seen.append(stat.S_IMODE(os.fstat(fd).st_mode))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spying_fsync)
    target = tmp_path / "secret.key"
    atomic_write(target, b"key bytes", workspace.SECRET_MODE)
    assert target.read_bytes() == b"key bytes" and mode(target) == 0o600
    assert seen and seen[0] == 0o600  # already 0600 while the bytes were being written
    assert temp_leftovers(tmp_path) == []


def test_atomic_write_replaces_and_sets_the_mode(tmp_path: Path) -> None:
    target = tmp_path / "file.crt"
    target.write_bytes(b"old")
    os.chmod(target, 0o666)
    atomic_write(target, b"new", workspace.PUBLIC_MODE)
    assert target.read_bytes() == b"new" and mode(target) == 0o644


def test_a_failing_fsync_leaves_the_old_file_intact_and_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "server.key"
    target.write_bytes(b"the old key")

    def failing_fsync(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(WizardError) as raised:
        atomic_write(target, b"the new key, half written", workspace.SECRET_MODE)
    assert str(target) in str(raised.value)
    assert target.read_bytes() == b"the old key"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["server.key"]


def test_a_failing_write_leaves_no_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "client.p12"

    class ExplodingFile:
        def __init__(self, fd: int, *args: object, **kwargs: object) -> None:
            self.fd = fd

        def __enter__(self) -> ExplodingFile:
            return self

        def __exit__(self, *exc: object) -> None:
            os.close(self.fd)

        def fileno(self) -> int:
            return self.fd

        def write(self, data: bytes) -> int:
            os.write(self.fd, data[:3])  # some bytes reach the disk, then the disk fills up
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fdopen", ExplodingFile)
    with pytest.raises(WizardError, match="no space left"):
        atomic_write(target, b"p12 bytes", workspace.SECRET_MODE)
    assert list(tmp_path.iterdir()) == []


def test_an_interrupted_write_leaves_no_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "ca.key"
    target.write_bytes(b"old")

    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, b"new", workspace.SECRET_MODE)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ca.key"]


def test_a_failure_during_generate_keeps_the_old_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--force with the disk failing half-way through staging: the old set was never touched (the
    new one is staged beside it first), and nothing staged or half-written is left behind."""
    ws = make_pki(tmp_path / "ws")
    before = snapshot(ws)
    calls = {"n": 0}
    real_fsync = os.fsync

    def fsync_fails_on_the_third_file(fd: int) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(errno.EIO, "Input/output error")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync_fails_on_the_third_file)
    with pytest.raises(WizardError):
        steps.generate(ws, session_for(ws, server_cn="localhost"), P12_PASSWORD, force=True)
    monkeypatch.undo()
    assert temp_leftovers(ws.root) == []
    assert snapshot(ws) == before and list(ws.root.glob("backup-*")) == []
    assert not (ws.root / replacement.JOURNAL_NAME).exists() and not (ws.root / replacement.STAGING_NAME).exists()


# ---------------------------------------------------------------------------
# Refusal, backup, CA reuse
# ---------------------------------------------------------------------------


def test_refuse_existing_names_the_file(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    ws.ensure()
    ws.key("server").write_text("x")
    ws.cert("server").write_text("x")
    with pytest.raises(WizardError) as raised:
        ws.refuse_existing(ws.artifacts("server"), "use --force")
    assert str(raised.value).startswith("server/server.key (and 1 more) already exists")
    assert "use --force" in str(raised.value)
    ws.refuse_existing(ws.artifacts("client"), "use --force")  # nothing there: no error


def test_a_second_identical_run_refuses_and_changes_no_byte(tmp_path: Path) -> None:
    ws = make_pki(tmp_path / "ws")
    before = snapshot(ws)
    stats = {p: p.stat().st_mtime_ns for p in ws.all_artifacts()}
    with pytest.raises(WizardError) as raised:
        steps.generate(ws, session_for(ws, server_cn="localhost"), P12_PASSWORD)
    assert "server/server.key" in str(raised.value) and "--force" in str(raised.value)
    assert snapshot(ws) == before
    assert {p: p.stat().st_mtime_ns for p in ws.all_artifacts()} == stats
    assert list(ws.root.glob("backup-*")) == []


def test_force_backs_up_the_leaves_and_reuses_the_ca(tmp_path: Path) -> None:
    ws = make_pki(tmp_path / "ws")
    before = snapshot(ws)
    session = session_for(ws, server_cn="localhost")
    outcomes = steps.generate(ws, session, P12_PASSWORD, force=True)
    assert outcomes[0].reused and not outcomes[1].reused
    backup = outcomes[0].backup
    assert backup is not None and backup.parent == ws.root and backup.name.startswith("backup-")
    assert mode(backup) == 0o700
    moved = {str(p.relative_to(backup)): p.read_bytes() for p in backup.rglob("*") if p.is_file()}
    assert moved == {k: v for k, v in before.items() if not k.startswith("ca/")}
    # modes survive the move (keys stay 0600)
    assert mode(backup / "server" / "server.key") == 0o600 and mode(backup / "client" / "client.p12") == 0o600
    # the CA is byte-identical; the new leaves are new and chain to it
    after = snapshot(ws)
    assert all(after[k] == before[k] for k in before if k.startswith("ca/"))
    assert after["server/server.key"] != before["server/server.key"]
    ca = pki.load_cert_pem(ws.cert("ca").read_bytes())
    for role in ("server", "client"):
        assert pki.verify_issued_by(pki.load_cert_pem(ws.cert(role).read_bytes()), ca)


def test_new_ca_backs_up_everything_and_starts_over(tmp_path: Path) -> None:
    ws = make_pki(tmp_path / "ws")
    before = snapshot(ws)
    outcomes = steps.generate(ws, session_for(ws, server_cn="localhost"), P12_PASSWORD, new_ca=True)
    assert not outcomes[0].reused
    backup = outcomes[0].backup
    moved = {str(p.relative_to(backup)): p.read_bytes() for p in backup.rglob("*") if p.is_file()}
    assert moved == before
    after = snapshot(ws)
    assert after["ca/ca.key"] != before["ca/ca.key"]
    new_ca = pki.load_cert_pem(after["ca/ca.crt"])
    assert pki.verify_issued_by(pki.load_cert_pem(after["server/server.crt"]), new_ca)


def test_two_backups_in_the_same_second_do_not_collide(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    ws.ensure()
    moment = dt.datetime(2030, 5, 6, 7, 8, 9)
    atomic_write(ws.key("server"), b"first", workspace.SECRET_MODE)
    first = ws.backup([ws.key("server")], now=moment)
    atomic_write(ws.key("server"), b"second", workspace.SECRET_MODE)
    second = ws.backup([ws.key("server")], now=moment)
    assert first != second and first.name == "backup-20300506-070809"
    assert (first / "server" / "server.key").read_bytes() == b"first"
    assert (second / "server" / "server.key").read_bytes() == b"second"
    assert ws.backup([ws.key("server")]) is None  # nothing left to back up


def test_an_existing_ca_is_reused_for_new_leaves(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    session = session_for(ws)
    first = steps.create_ca(ws, session)
    ca_bytes = ws.cert("ca").read_bytes()
    again = steps.create_ca(ws, session)
    assert not first.reused and again.reused
    assert ws.cert("ca").read_bytes() == ca_bytes
    assert again.certificate["fingerprint"] == first.certificate["fingerprint"]
    outcomes = steps.generate(ws, session, P12_PASSWORD)
    assert outcomes[0].reused and outcomes[0].backup is None
    assert ws.cert("ca").read_bytes() == ca_bytes


def test_replacing_the_ca_step_by_step(tmp_path: Path) -> None:
    ws = make_pki(tmp_path / "ws")
    session = session_for(ws, server_cn="localhost")
    old = ws.cert("ca").read_bytes()
    outcome = steps.create_ca(ws, session, replace=True)
    assert outcome.backup is not None and (outcome.backup / "ca" / "ca.crt").read_bytes() == old
    # the old leaves went with it: they no longer chain to the new CA
    assert not ws.cert("server").exists() and (outcome.backup / "server" / "server.crt").exists()


def test_leaf_steps_refuse_then_force(tmp_path: Path) -> None:
    ws = make_pki(tmp_path / "ws")
    session = session_for(ws, server_cn="localhost")
    with pytest.raises(WizardError, match="server/server.key"):
        steps.issue_server(ws, session)
    with pytest.raises(WizardError, match="client/client.key"):
        steps.issue_client(ws, session, P12_PASSWORD)
    outcome = steps.issue_client(ws, session, P12_PASSWORD, force=True)
    assert outcome.backup is not None and (outcome.backup / "client" / "client.p12").exists()


def test_an_incomplete_ca_stops_generate_before_anything_moves(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    ws.ensure()
    ws.key("ca").write_bytes(b"a lonely key")
    os.chmod(ws.key("ca"), 0o600)  # (a key others can read is refused before anything else)
    with pytest.raises(WizardError, match="incomplete.*--new-ca"):
        steps.generate(ws, session_for(ws), P12_PASSWORD)
    assert ws.key("ca").read_bytes() == b"a lonely key"
    assert not ws.cert("server").exists()


def test_a_mismatched_ca_pair_is_refused(tmp_path: Path, pki_workspace: Workspace, foreign_workspace: Workspace) -> None:
    ws = Workspace(tmp_path / "ws")
    ws.ensure()
    ws.key("ca").write_bytes(pki_workspace.key("ca").read_bytes())
    os.chmod(ws.key("ca"), 0o600)
    ws.cert("ca").write_bytes(foreign_workspace.cert("ca").read_bytes())
    with pytest.raises(WizardError, match="does not belong"):
        steps.generate(ws, session_for(ws), P12_PASSWORD)
    with pytest.raises(WizardError, match="no CA"):
        steps.load_ca(Workspace(tmp_path / "empty"))


def test_a_leaf_step_without_a_ca_says_to_run_step_1(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    with pytest.raises(WizardError, match="run step 1"):
        steps.issue_server(ws, session_for(ws))


def test_bad_answers_fail_before_anything_is_written(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    with pytest.raises(InputError):
        steps.generate(ws, session_for(ws, server_cn="not a name"), P12_PASSWORD)
    with pytest.raises(InputError, match="empty"):
        steps.generate(ws, session_for(ws), "")
    assert not ws.root.exists()


def test_outcomes_record_the_files_and_the_over_825_warning(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    warnings: list[str] = []
    outcomes = steps.generate(ws, session_for(ws, server_days=900), P12_PASSWORD, on_warning=warnings.append)
    assert [o.role for o in outcomes] == ["ca", "server", "client"]
    assert outcomes[2].files == ws.artifacts("client")
    assert any("Apple" in w for w in warnings)
    assert outcomes[1].warnings == warnings


def test_read_helpers_give_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        workspace.read_bytes(tmp_path / "missing")
    with pytest.raises(InputError, match="folder"):
        workspace.read_bytes(tmp_path)
    with pytest.raises(WizardError, match="not found"):
        workspace.read_text(tmp_path / "missing", "the CA certificate")


def test_a_write_into_a_missing_folder_is_a_wizard_error(tmp_path: Path) -> None:
    with pytest.raises(WizardError) as raised:
        atomic_write(tmp_path / "gone" / "ca.key", b"x", workspace.SECRET_MODE)
    assert str(tmp_path / "gone" / "ca.key") in str(raised.value)


def test_a_failing_rename_leaves_no_temp_file(tmp_path: Path) -> None:
    (tmp_path / "server.crt").mkdir()  # a folder where the file should go: the rename fails
    (tmp_path / "server.crt" / "inside").write_text("keep me")
    with pytest.raises(WizardError):
        atomic_write(tmp_path / "server.crt", b"cert", workspace.PUBLIC_MODE)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["server.crt"]
    assert (tmp_path / "server.crt" / "inside").read_text() == "keep me"
