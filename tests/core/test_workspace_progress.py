"""The workspace is the truth: its progress (steps done, ids typed from the console, the listener's
address, the last verdict with its time) lives in WORKSPACE/progress.json, so a copy of the
workspace under another account shows the same "N of 7" and the same verdict, in whichever
language; the session file keeps only what one person answered, and an older session's
progress moves into the workspace."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pytest
from conftest import P12_PASSWORD, make_pki

from wizard import handshake, i18n
from wizard.handshake.saved import saved_verdict, shown_verdict
from wizard.progress import next_step, progress_line, survey
from wizard.record import record, record_survey
from wizard.practice import PracticeLoadBalancer
from wizard.session import Session, SessionStore
from wizard.workspace import Workspace
from wizard.workspace_progress import PROGRESS_FILE, WORKSPACE_DEFAULTS


def verdict_against_the_rehearsal_listener(ws: Workspace) -> handshake.Verdict:
    server = PracticeLoadBalancer(ws)
    server.start()
    try:
        host, port = handshake.parse_address(server.address)
        return handshake.probe(host, port, ws, timeout=5)
    finally:
        server.stop()


def finished(tmp_path: Path) -> tuple[Workspace, Session]:
    """A workspace through all seven steps: 4-6 done in the console (ids typed), 7 a real pass."""
    ws = make_pki(tmp_path / "ws")
    store = SessionStore()
    session = store.open(ws.root)
    record_survey(session, survey(ws))
    session.server_cert_id, session.ca_cert_id = "0c5e2f0b1a7d4e3f9a8b7c6d5e4f3a2b", "7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d"
    for step in (4, 5, 6):
        session.mark_done(step)
    verdict = verdict_against_the_rehearsal_listener(ws)
    assert verdict.passed, verdict.summary
    session.lb_address, session.lb_port = verdict.host, verdict.port
    record(session, verdict)
    store.save(session)
    return ws, session


def test_a_copy_under_another_account_resumes_with_the_same_progress_and_verdict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws, session = finished(tmp_path)
    copy = tmp_path / "elsewhere" / "ws"
    shutil.copytree(ws.root, copy)
    monkeypatch.setenv("MTLS_WIZARD_DATA_DIR", str(tmp_path / "another-home" / "data"))  # no session of this workspace there
    store = SessionStore()
    assert store.load(copy) is None
    fresh = store.open(copy)
    record_survey(fresh, survey(Workspace(copy)))
    assert progress_line(fresh) == progress_line(session) == "all 7 steps done · the summary lists what was made"
    assert next_step(fresh) == 8
    assert (fresh.server_cert_id, fresh.ca_cert_id, fresh.lb_address, fresh.lb_port) == (
        session.server_cert_id, session.ca_cert_id, session.lb_address, session.lb_port)
    assert fresh.last_verdict["summary"] == session.last_verdict["summary"] and fresh.last_verdict["status"] == "pass"
    assert fresh.last_verdict["checked_at"] == session.last_verdict["checked_at"]  # the verdict with its time
    assert [a["detail"] for a in fresh.last_verdict["attempts"]] == [a["detail"] for a in session.last_verdict["attempts"]]


def test_a_verdict_saved_in_english_is_shown_in_chinese(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws, session = finished(tmp_path)
    english = session.last_verdict["summary"]
    assert english.startswith("PASS: ") and "demands a client certificate" in english
    i18n.set_language("zh_CN")
    monkeypatch.setenv("MTLS_WIZARD_DATA_DIR", str(tmp_path / "another-home"))
    shown = SessionStore().open(ws.root).last_verdict
    assert shown["summary"].startswith("通过：") and "要求客户端证书" in shown["summary"] and "demands" not in shown["summary"]
    details = [attempt["detail"] for attempt in shown["attempts"]]
    english_details = [attempt["detail"] for attempt in session.last_verdict["attempts"]]
    assert details[0] == english_details[0] == "HTTP/1.1 200 OK"
    for chinese, said in zip(details[1:], english_details[1:]):  # the wire's texts too, not only the verdict's
        assert chinese != said and any("\u4e00" <= ch <= "\u9fff" for ch in chinese), (chinese, said)
    assert [attempt["label"] for attempt in shown["attempts"]][1] == i18n._("without a client certificate") != "without a client certificate"
    i18n.set_language("en")
    assert shown_verdict(shown["saved"])["summary"] == english  # and back: the same data, told in each language


def test_the_progress_file_is_private_and_holds_no_secret(tmp_path: Path) -> None:
    ws, _session = finished(tmp_path)
    path = ws.root / PROGRESS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    data = json.loads(text)
    assert data["steps_done"] == [1, 2, 3, 4, 5, 6, 7] and data["last_verdict"]["status"] == "pass" and data["last_verdict"]["checked_at"]
    assert P12_PASSWORD not in text and "PRIVATE KEY" not in text and "BEGIN" not in text
    for role in ("ca", "server", "client"):
        key_body = "".join(ws.key(role).read_text().splitlines()[1:-1])
        assert key_body[:40] not in text


def test_the_session_file_keeps_only_the_answers(tmp_path: Path) -> None:
    ws, session = finished(tmp_path)
    saved = json.loads(SessionStore().path_for(ws.root).read_text())["session"]
    for name in (*WORKSPACE_DEFAULTS, "last_verdict", "uploaded"):
        assert name not in saved
    assert saved["server_cn"] == session.server_cn


def test_the_workspace_defaults_are_the_sessions() -> None:
    fresh = Session(workspace="")
    assert {name: getattr(fresh, name) for name in WORKSPACE_DEFAULTS} == WORKSPACE_DEFAULTS


def old_session_file(store: SessionStore, ws: Workspace, **fields: object) -> None:
    """A session file as an older mtls-wizard wrote it: the progress and the uploads inside it."""
    data = {"workspace": str(ws.root), "server_cn": "localhost", **fields}
    store.sessions_dir.mkdir(parents=True, exist_ok=True)
    store.path_for(ws.root).write_text(json.dumps({"version": 1, "session": data}))
    store.path_for(ws.root).chmod(0o600)


def test_an_older_session_moves_its_progress_and_uploads_into_the_workspace(tmp_path: Path) -> None:
    ws = make_pki(tmp_path / "ws")
    store = SessionStore()
    upload = {"id": "srv-1", "fingerprint": "AA", "region": "cn-north-4", "project_id": "p" * 32}
    old_session_file(store, ws, steps_done=[1, 2, 3, 4, 5], server_cert_id="srv-1", ca_cert_id="ca-typed",
                     uploaded={"server": upload}, lb_address="203.0.113.5", lb_port=8443,
                     last_verdict={"status": "fail", "summary": "FAIL: an old verdict", "attempts": []})
    session = store.open(ws.root)
    assert (session.steps_done, session.ca_cert_id, session.lb_address) == ([1, 2, 3, 4, 5], "ca-typed", "203.0.113.5")
    assert session.uploaded == {"server": upload} and session.last_verdict["summary"] == "FAIL: an old verdict"
    store.save(session)
    progress = json.loads((ws.root / PROGRESS_FILE).read_text())
    assert progress["steps_done"] == [1, 2, 3, 4, 5] and progress["lb_port"] == 8443
    assert progress["last_verdict"]["shown"]["summary"] == "FAIL: an old verdict"  # kept as it was told: it was never data
    uploads = json.loads((ws.elb_dir / "uploaded.json").read_text())
    assert uploads["server"] == upload  # the one record of uploads from now on
    session_file = json.loads(store.path_for(ws.root).read_text())["session"]
    assert "steps_done" not in session_file and "uploaded" not in session_file
    # the workspace wins over what an old session file still says
    old_session_file(store, ws, steps_done=[1], lb_address="198.51.100.1")
    again = store.open(ws.root)
    assert again.steps_done == [1, 2, 3, 4, 5] and again.lb_address == "203.0.113.5"


def test_a_progress_file_others_could_write_is_ignored_with_a_notice(tmp_path: Path) -> None:
    ws, _session = finished(tmp_path)
    path = ws.root / PROGRESS_FILE
    os.chmod(path, 0o666)
    store = SessionStore(tmp_path / "fresh-data")
    session = store.open(ws.root)
    assert session.steps_done == [] and not session.last_verdict
    (notice,) = store.notices
    assert "progress file" in notice and "can be written by other users" in notice


@pytest.mark.parametrize("content", ['{"version": 1, "steps_done": "all"}', "[1, 2]", "not json", '{"version": 99}'])
def test_a_damaged_progress_file_is_named_and_left_alone(tmp_path: Path, content: str) -> None:
    ws = make_pki(tmp_path / "ws")
    path = ws.root / PROGRESS_FILE
    path.write_text(content)
    path.chmod(0o600)
    store = SessionStore()
    store.open(ws.root)
    (notice,) = store.notices
    assert "progress file" in notice and str(path) in notice
    assert path.read_text() == content


def test_nothing_is_written_into_a_folder_with_nothing_done(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    SessionStore().save(Session(workspace=str(tmp_path / "empty")))
    assert list((tmp_path / "empty").iterdir()) == []
    SessionStore().save(Session(workspace=str(tmp_path / "missing"), steps_done=[1]))
    assert not (tmp_path / "missing").exists()  # never creates a workspace


def test_the_verdict_as_data_is_the_evidence_not_its_sentences(tmp_path: Path) -> None:
    ws = make_pki(tmp_path / "ws")
    verdict = verdict_against_the_rehearsal_listener(ws)
    saved = saved_verdict(verdict)
    text = json.dumps(saved)
    assert verdict.summary not in text  # the verdict line is drawn again, never stored
    details = [observation["detail"] for observation in saved["evidence"]["observations"].values()]
    assert details[0] == "HTTP/1.1 200 OK"  # what the server said stays as it was said
    assert all(set(detail) == {"said", "values"} for detail in details[1:])  # our words: their message id and values
    assert shown_verdict(json.loads(text))["summary"] == verdict.summary
