"""The session: round-trip, resume pointer, no secrets, corrupted and future-version files."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from conftest import P12_PASSWORD

from wizard import session as session_module
from wizard import steps
from wizard.record import record, record_all
from wizard.session import SESSION_VERSION, Session, SessionFileError, SessionStore
from wizard.workspace import Workspace


def full_session(workspace: Path) -> Session:
    """A session with every field away from its default."""
    return Session(
        workspace=str(workspace),
        org="Acme", ca_cn="Acme Root", ca_key_type="ec-p384", ca_days=3000,
        server_cn="10.1.2.3", server_sans=["www.acme.test", "::1"], server_key_type="rsa3072", server_days=400,
        client_cn="alice", client_key_type="ec-p256", client_days=100, p12_legacy=True,
        certificates={"ca": {"subject": "CN=Acme Root,O=Acme", "fingerprint": "AA:BB", "not_after": "2035-01-01T00:00:00+00:00"}},
        server_cert_id="srv-1", ca_cert_id="ca-1", loadbalancer_id="lb-1", listener_id="ls-1", tls_policy="tls-1-2-fs",
        uploaded={"server": {"id": "srv-1", "fingerprint": "AA"}},
        lb_address="203.0.113.5", lb_port=8443, sni="www.acme.test",
        last_verdict={"verdict": "pass", "attempts": [{"name": "with certificate", "ok": True}]},
        steps_done=[1, 2, 3, 7], current_step=5,
    )


def test_round_trip_keeps_every_answer(tmp_path: Path, isolated_data_dir: Path) -> None:
    """The answers in the session file, the progress in the workspace's progress.json, the uploads
    in elb/uploaded.json: loaded together, the same session comes back."""
    store = SessionStore()
    original = full_session(tmp_path / "ws")
    (tmp_path / "ws").mkdir()
    path = store.save(original)
    assert path.parent == isolated_data_dir / "sessions"
    loaded = store.load(tmp_path / "ws")
    assert {k: v for k, v in loaded.last_verdict.items() if k in original.last_verdict} == original.last_verdict
    loaded.last_verdict = original.last_verdict  # a verdict from before verdicts were kept as data: shown as it was told
    assert loaded == original
    assert loaded.updated  # stamped on save
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    payload = json.loads(path.read_text())
    assert payload["version"] == SESSION_VERSION and payload["session"]["server_sans"] == ["www.acme.test", "::1"]


def test_the_pointer_resumes_the_last_session(tmp_path: Path) -> None:
    store = SessionStore()
    assert store.last() is None
    store.save(Session(workspace=str(tmp_path / "one")))
    store.save(Session(workspace=str(tmp_path / "two"), server_cn="two.test"))
    last = store.last()
    assert last is not None and last.workspace == str(tmp_path / "two") and last.server_cn == "two.test"
    assert store.load(tmp_path / "one").workspace == str(tmp_path / "one")


def test_each_workspace_has_its_own_session(tmp_path: Path) -> None:
    store = SessionStore()
    assert store.path_for(tmp_path / "a") != store.path_for(tmp_path / "b")
    assert store.path_for(tmp_path / "a") == store.path_for(str(tmp_path / "a"))
    assert store.load(tmp_path / "nothing-yet") is None
    fresh = store.open(tmp_path / "nothing-yet")
    assert fresh.workspace == str((tmp_path / "nothing-yet").absolute()) and fresh.steps_done == []


def test_mark_done_is_sorted_and_idempotent() -> None:
    session = Session(workspace="w")
    for step in (3, 1, 3, 2):
        session.mark_done(step)
    assert session.steps_done == [1, 2, 3] and session.is_done(2) and not session.is_done(4)


def test_reissuing_the_server_certificate_forgets_its_upload_listener_and_verdict(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    session = Session(workspace=str(ws.root), server_cn="localhost", ca_key_type="ec-p256", server_key_type="ec-p256", client_key_type="ec-p256")
    record_all(session, steps.generate(ws, session, P12_PASSWORD))
    for step in (4, 5, 6, 7):
        session.mark_done(step)
    session.server_cert_id, session.ca_cert_id, session.listener_id = "srv-1", "ca-1", "lis-1"
    session.last_verdict = {"status": "pass"}
    record(session, steps.issue_server(ws, session, force=True))
    assert session.steps_done == [1, 2, 3, 5]
    assert (session.server_cert_id, session.listener_id, session.last_verdict) == ("", "", {})
    assert session.ca_cert_id == "ca-1"  # the CA did not change: its upload still stands


def test_data_dir_defaults_to_platformdirs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("MTLS_WIZARD_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert session_module.data_dir() == tmp_path / "xdg" / "mtls-wizard"
    monkeypatch.setenv("MTLS_WIZARD_DATA_DIR", str(tmp_path / "override"))
    assert SessionStore().root == tmp_path / "override"


# ---------------------------------------------------------------------------
# No secrets
# ---------------------------------------------------------------------------


def test_a_generated_session_holds_no_key_and_no_password(tmp_path: Path, isolated_data_dir: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    session = Session(workspace=str(ws.root), server_cn="localhost", ca_key_type="ec-p256", server_key_type="ec-p256", client_key_type="ec-p256")
    record_all(session, steps.generate(ws, session, P12_PASSWORD))
    assert set(session.certificates) == {"ca", "server", "client"}
    store = SessionStore()
    store.save(session)
    for path in isolated_data_dir.rglob("*"):
        if path.is_file():
            text = path.read_text()
            assert P12_PASSWORD not in text
            assert "PRIVATE KEY" not in text and "BEGIN" not in text
    for role in ("ca", "server", "client"):
        key_body = "".join(ws.key(role).read_text().splitlines()[1:-1])
        assert key_body[:40] not in store.path_for(ws.root).read_text()
    assert set(store.load(ws.root).certificates) == {"ca", "server", "client"}


@pytest.mark.parametrize("field", ["password", "p12_password", "private_key", "secret", "sk", "passphrase"])
def test_a_secret_looking_field_is_never_written(tmp_path: Path, field: str) -> None:
    session = Session(workspace=str(tmp_path))
    session.uploaded = {"server": {field: "hunter2"}}
    with pytest.raises(ValueError, match="secret"):
        SessionStore().save(session)
    assert not SessionStore().path_for(tmp_path).exists()


def test_the_dataclass_has_no_field_for_a_secret() -> None:
    names = {f for f in Session.__dataclass_fields__}
    assert not any("password" in n or "private" in n or n.endswith("_sk") or "secret" in n for n in names)


# ---------------------------------------------------------------------------
# Corrupted and future-version files: a clear message, set aside, never lost
# ---------------------------------------------------------------------------


def write_session_file(store: SessionStore, workspace: Path, content: str) -> Path:
    path = store.path_for(workspace)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    return path


def set_aside_files(path: Path) -> list[Path]:
    return sorted(path.parent.glob(path.name + ".unreadable-*"))


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json", "not valid JSON"),
        ("\x00\x01 binary", "not valid JSON"),
        ("[1, 2, 3]", "not a JSON object"),
        (json.dumps({"session": {"workspace": "w"}}), "no version"),
        (json.dumps({"version": 1, "session": "nope"}), "no session data"),
        (json.dumps({"version": 1, "session": {"workspace": "w", "lb_port": "443"}}), "'lb_port' has the wrong type"),
        (json.dumps({"version": 1, "session": {"workspace": "w", "p12_legacy": 1}}), "'p12_legacy' has the wrong type"),
        (json.dumps({"version": 1, "session": {"workspace": "w", "steps_done": {"1": True}}}), "'steps_done' has the wrong type"),
    ],
)
def test_a_corrupted_file_is_set_aside_with_a_clear_message(tmp_path: Path, content: str, reason: str) -> None:
    store = SessionStore()
    path = write_session_file(store, tmp_path / "ws", content)
    with pytest.raises(SessionFileError) as raised:
        store.load(tmp_path / "ws")
    message = str(raised.value)
    assert reason in message and str(path) in message and "\n" not in message
    (aside,) = set_aside_files(path)
    assert aside.name in message
    assert aside.read_text() == content  # kept, byte for byte
    assert not path.exists()
    # the next start is clean: a fresh session, and the set-aside file is still there
    assert store.open(tmp_path / "ws").steps_done == []
    assert set_aside_files(path) == [aside]


def test_a_future_version_is_set_aside_not_overwritten(tmp_path: Path) -> None:
    store = SessionStore()
    content = json.dumps({"version": SESSION_VERSION + 1, "session": {"workspace": str(tmp_path / "ws"), "new_field": 1}})
    path = write_session_file(store, tmp_path / "ws", content)
    with pytest.raises(SessionFileError, match="newer mtls-wizard"):
        store.load(tmp_path / "ws")
    (aside,) = set_aside_files(path)
    store.save(Session(workspace=str(tmp_path / "ws")))
    assert aside.read_text() == content


def test_last_reports_a_corrupted_target_and_sets_it_aside(tmp_path: Path) -> None:
    store = SessionStore()
    store.save(Session(workspace=str(tmp_path / "ws")))
    path = store.path_for(tmp_path / "ws")
    path.write_text("garbage")
    with pytest.raises(SessionFileError):
        store.last()
    assert set_aside_files(path) and store.last() is None


def test_fields_of_an_older_format_are_ignored(tmp_path: Path) -> None:
    store = SessionStore()
    write_session_file(store, tmp_path / "ws", json.dumps({"version": 1, "session": {"workspace": "w", "retired_field": 3, "org": "Old"}}))
    loaded = store.load(tmp_path / "ws")
    assert loaded is not None and loaded.org == "Old"


def test_cli_survives_a_corrupted_session_with_one_warning(tmp_path: Path, cli, isolated_data_dir: Path) -> None:  # noqa: ANN001
    store = SessionStore(isolated_data_dir)
    ws = tmp_path / "ws"
    path = write_session_file(store, ws, "{corrupted")
    result = cli("generate", "--workspace", str(ws), "--server-cn", "localhost", "--key-type", "ec-p256",
                 env={"MTLS_WIZARD_P12_PASSWORD": P12_PASSWORD})
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "warning" in lines[0] and "session file" in lines[0] and "Traceback" not in result.stderr
    (aside,) = set_aside_files(path)
    assert aside.read_text() == "{corrupted"
    saved = json.loads(path.read_text())
    assert saved["session"]["server_cn"] == "localhost" and "steps_done" not in saved["session"]
    assert json.loads((ws / "progress.json").read_text())["steps_done"] == [1, 2, 3]  # the workspace keeps the progress


def test_two_bad_files_in_the_same_second_are_both_kept(tmp_path: Path) -> None:
    store = SessionStore()
    path = write_session_file(store, tmp_path / "ws", "first bad")
    with pytest.raises(SessionFileError):
        store.load(tmp_path / "ws")
    write_session_file(store, tmp_path / "ws", "second bad")
    with pytest.raises(SessionFileError):
        store.load(tmp_path / "ws")
    assert sorted(p.read_text() for p in set_aside_files(path)) == ["first bad", "second bad"]


def test_a_session_path_that_cannot_exist_means_no_session(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("x")
    store = SessionStore(tmp_path / "a-file" / "data")
    assert store.load(tmp_path / "ws") is None and store.last() is None


def test_a_session_path_that_is_a_folder_is_reported_and_left_alone(tmp_path: Path) -> None:
    store = SessionStore()
    path = store.path_for(tmp_path / "ws")
    path.mkdir(parents=True)
    with pytest.raises(SessionFileError, match="cannot be read"):
        store.load(tmp_path / "ws")
    assert path.is_dir()


# ---------------------------------------------------------------------------
# The data folder is private, and files another user could have written are ignored (item 6)
# ---------------------------------------------------------------------------


def test_the_data_folder_is_private_whatever_the_umask(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "fresh" / "data")
    previous = os.umask(0)
    try:
        path = store.save(Session(workspace=str(tmp_path / "ws")))
    finally:
        os.umask(previous)
    assert stat.S_IMODE(store.root.stat().st_mode) == 0o700
    assert stat.S_IMODE(store.sessions_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(store.pointer.stat().st_mode) == 0o600


def test_an_existing_data_folder_keeps_its_mode(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir(mode=0o755)
    os.chmod(tmp_path / "data", 0o755)
    SessionStore(tmp_path / "data").save(Session(workspace=str(tmp_path / "ws")))
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o755  # e.g. a shared MTLS_WIZARD_DATA_DIR


def planted_session(store: SessionStore, workspace: Path) -> Path:
    """Another user's session, pointing at their workspace, and the pointer swapped to it."""
    path = store.path_for(workspace)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(Session(workspace=str(workspace)).to_dict()))
    store.pointer.write_text(str(path) + "\n")
    return path


def test_a_pointer_others_can_write_is_ignored(tmp_path: Path) -> None:
    store = SessionStore()
    planted_session(store, tmp_path / "theirs")
    os.chmod(store.pointer, 0o666)
    with pytest.raises(SessionFileError, match="can be written by other users .mode 666.*ignored"):
        store.last()
    assert store.pointer.exists()  # reported, left alone (not ours to move)


def test_a_session_file_others_can_write_is_ignored_not_set_aside(tmp_path: Path) -> None:
    store = SessionStore()
    path = planted_session(store, tmp_path / "ws")
    os.chmod(path, 0o620)
    with pytest.raises(SessionFileError, match="can be written by other users"):
        store.load(tmp_path / "ws")
    assert path.exists() and set_aside_files(path) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="making a file owned by another user needs root")
def test_files_owned_by_another_user_are_ignored(tmp_path: Path) -> None:
    store = SessionStore()
    path = planted_session(store, tmp_path / "theirs")
    os.chown(store.pointer, 65534, 65534)
    with pytest.raises(SessionFileError, match="belongs to another user .uid 65534."):
        store.last()
    os.chown(store.pointer, 0, 0)
    os.chown(path, 65534, 65534)
    with pytest.raises(SessionFileError, match="belongs to another user"):
        store.last()


def test_a_pointer_outside_the_sessions_folder_or_a_symlink_is_ignored(tmp_path: Path) -> None:
    store = SessionStore()
    store.save(Session(workspace=str(tmp_path / "ws")))
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text(json.dumps(Session(workspace=str(tmp_path / "theirs")).to_dict()))
    store.pointer.write_text(str(elsewhere) + "\n")
    with pytest.raises(SessionFileError, match="points outside"):
        store.last()
    store.pointer.unlink()
    store.pointer.symlink_to(elsewhere)
    with pytest.raises(SessionFileError, match="symbolic link"):
        store.last()


def test_the_cli_does_not_follow_a_swapped_pointer(tmp_path: Path, cli, isolated_data_dir: Path) -> None:  # noqa: ANN001
    """Another user swapped last-session to their workspace: `elb export` must not work there."""
    store = SessionStore(isolated_data_dir)
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    planted_session(store, theirs)
    os.chmod(store.pointer, 0o666)
    result = cli("elb", "export", cwd=tmp_path)
    assert result.returncode == 1
    warning, error = result.stderr.splitlines()
    assert "warning" in warning and "last-session" in warning and "ignored" in warning
    assert str(theirs) not in error and "mtls-workspace" in error
    assert not (theirs / "elb").exists()
