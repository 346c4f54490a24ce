"""The one pass over the clients (wizard.clients.survey) and the verdicts it remembers between runs
(wizard.clients.verdicts): the same list as judging every set afresh, a changed file judged again,
a planted file still refused, a record that is not ours ignored."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import P12_PASSWORD, make_pki

from wizard import clients, ownership, pki
from wizard.clients import verdicts
from wizard.clients.registry import client_batches, list_clients
from wizard.lifecycle.status import workspace_status
from wizard.workspace import Workspace

NAMES = ["alice", "bob", "carol"]


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.setattr(verdicts, "RECENT_NS", -10**12)  # files made a moment ago are remembered too (else none would be here)
    workspace = make_pki(tmp_path / "ws")
    result = clients.issue_clients(workspace, NAMES, P12_PASSWORD, clients.ClientOptions(key_type="ec-p256"))
    assert len(result.issued) == len(NAMES)
    return workspace


def listed(ws: Workspace) -> list[tuple[str, str, str, str]]:
    return [(info.name, info.state, info.serial, info.not_after) for info in list_clients(ws)]


def records(data: Path) -> list[Path]:
    return sorted((data / "client-verdicts").glob("*.json"))


def test_a_remembered_list_is_the_list_judged_afresh(ws: Workspace, isolated_data_dir: Path) -> None:
    first = listed(ws)
    assert [row[:2] for row in first] == [("client", "valid"), *((name, "valid") for name in NAMES)]
    assert len(records(isolated_data_dir)) == 1
    assert listed(ws) == first  # from the record
    assert [info.to_dict() for info in list_clients(ws)] == [info.to_dict() for info in list_clients(ws)]


def test_a_key_swapped_after_a_remembered_run_is_judged_again(ws: Workspace) -> None:
    listed(ws)
    bob = clients.client_files(ws, "bob")
    other = pki.key_to_pem(pki.generate_key("ec-p256"))
    swap = bob.key.with_name("swap")
    swap.write_bytes(other)
    swap.chmod(0o600)
    os.replace(swap, bob.key)  # a new file where the key was
    states = {name: state for name, state, _serial, _after in listed(ws)}
    assert states["bob"] == "broken" and states["alice"] == states["carol"] == "valid"
    assert [finding.subject for finding in workspace_status(ws).findings] == ["bob"]


def test_a_new_workspace_ca_judges_every_set_again(ws: Workspace, isolated_data_dir: Path) -> None:
    listed(ws)
    record = records(isolated_data_dir)[0]
    data = json.loads(record.read_text())
    data["sets"] = {name: [entry[0], True, False, *entry[3:]] for name, entry in data["sets"].items()}  # "issued by another CA"
    record.write_text(json.dumps(data))
    assert {state for _name, state, _serial, _after in listed(ws)} == {"old-ca"}  # the record is believed while it matches
    data["ca"] = "0" * 64  # judged against another CA: worth nothing now
    record.write_text(json.dumps(data))
    assert {state for _name, state, _serial, _after in listed(ws)} == {"valid"}


@pytest.mark.parametrize("damage", ["garbage", "wide open", "a link"])
def test_a_record_that_is_not_ours_is_ignored(ws: Workspace, isolated_data_dir: Path, damage: str) -> None:
    first = listed(ws)
    record = records(isolated_data_dir)[0]
    data = json.loads(record.read_text())
    data["sets"] = {name: [entry[0], False, None, *entry[3:]] for name, entry in data["sets"].items()}  # "no key belongs"
    if damage == "garbage":
        record.write_bytes(b"\x00not json")
    elif damage == "wide open":
        record.write_text(json.dumps(data))
        record.chmod(0o666)  # another user could have written it
    else:
        elsewhere = record.with_name("elsewhere")
        elsewhere.write_text(json.dumps(data))
        record.unlink()
        record.symlink_to(elsewhere)
    assert listed(ws) == first


def test_a_planted_file_in_a_client_folder_is_refused_on_a_remembered_run(ws: Workspace) -> None:
    listed(ws)
    planted = clients.client_files(ws, "carol").folder / "notes.txt"
    planted.write_text("x")
    planted.chmod(0o666)  # others may write it
    problems: list[str] = []
    assert list_clients(ws, problems=problems) == [] and "notes.txt" in problems[0]
    with pytest.raises(ownership.Untrusted):
        list_clients(ws)
    with pytest.raises(ownership.Untrusted):
        workspace_status(ws)


def test_the_page_batches_hold_every_client_once_in_order(ws: Workspace) -> None:
    batches = list(client_batches(ws, first=2, size=1))
    assert [len(batch or []) for batch in batches] == [2, 1, 1, 0]
    assert [info.name for batch in batches for info in batch or []] == ["client", *NAMES]


def test_relative_names_a_workspace_path_as_path_relative_to_did(ws: Workspace, tmp_path: Path) -> None:
    for path in (ws.root / "clients" / "alice" / "alice.crt", ws.root, ws.root / "ca", tmp_path / "elsewhere", Path("/")):
        try:
            expected = str(path.relative_to(ws.root))
        except ValueError:
            expected = str(path)
        assert ws.relative(path) == ws.relative(str(path)) == expected


def test_issued_by_agrees_with_verify_issued_by(ws: Workspace, tmp_path: Path) -> None:
    ca = pki.load_cert_pem(ws.cert("ca").read_bytes())
    other = pki.load_cert_pem(make_pki(tmp_path / "other", org="Elsewhere").cert("ca").read_bytes())
    leaves = [pki.load_cert_pem(clients.client_files(ws, name).cert.read_bytes()) for name in NAMES] + [ca, other]
    for issuer in (ca, other):
        check = pki.IssuedBy(issuer)
        assert [check(leaf) for leaf in leaves] == [pki.verify_issued_by(leaf, issuer) for leaf in leaves]


@pytest.mark.parametrize("plant", ["a folder others may write", "a link to a folder", "a key others may read"])
def test_a_client_folder_someone_else_could_change_is_refused(ws: Workspace, tmp_path: Path, plant: str) -> None:
    listed(ws)
    folder = clients.client_files(ws, "bob").folder
    if plant == "a folder others may write":
        folder.chmod(0o777)
    elif plant == "a link to a folder":
        (ws.root / "clients" / "dave").symlink_to(folder)
    else:
        clients.client_files(ws, "bob").key.chmod(0o644)
    for read in (list_clients, workspace_status, lambda ws: list(client_batches(ws, first=1))):
        with pytest.raises(ownership.Untrusted):
            read(ws)
