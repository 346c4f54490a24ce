"""The backend kit's core: the spellings of a revoked serial, the kit's description and its checks,
the deny-list read from the workspace, the kit record, the refresh after a revocation, and the echo
format that `check --backend-echo` will read. The kits in real servers: test_backend_servers.py."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import P12_PASSWORD

from wizard import backend, clients
from wizard.backend import apache, haproxy, nginx
from wizard.backend.denylist import fingerprint_spellings
from wizard.backend.kits import RENDERERS
from wizard.errors import InputError, WizardError
from wizard.workspace import Workspace


@pytest.fixture
def workspace(tmp_path: Path, pki_workspace: Workspace) -> Workspace:
    ws = Workspace(tmp_path / "ws")
    shutil.copytree(pki_workspace.root, ws.root)
    clients.issue_clients(ws, ["alice", "bob"], P12_PASSWORD, clients.ClientOptions(key_type="ec-p256"))
    return ws


def spec(server: str, out: Path, fields: tuple[str, ...] = backend.DEFAULT_FIELDS) -> backend.KitSpec:
    return backend.make_spec(server, out, ["100.125.0.0/16"], fields)


# ---------------------------------------------------------------------------
# spellings
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("serial", "expected"), [
    ("0A1B2C", {"0a1b2c", "a1b2c", "0a:1b:2c"}),  # the leading zero dropped, colons
    ("8A1B", {"8a1b", "008a1b", "8a:1b", "00:8a:1b"}),  # DER's sign byte before a top bit
    ("7F", {"7f"}),
])
def test_a_serial_is_refused_in_every_spelling(serial: str, expected: set[str]) -> None:
    assert set(backend.serial_spellings(serial)) == expected


def test_one_minimal_form_for_every_spelling() -> None:
    assert {backend.minimal_serial(s) for s in ("0A1B2C", "0a:1b:2c", "A1B2C", "00:0A:1B:2C")} == {"a1b2c"}


def test_a_fingerprint_with_and_without_colons() -> None:
    assert fingerprint_spellings("abcd") == ["abcd", "ab:cd"]


# ---------------------------------------------------------------------------
# the kit's description
# ---------------------------------------------------------------------------


def test_headers_follow_step_6_aliases(tmp_path: Path) -> None:
    kit = spec("nginx", tmp_path, ("serialnumber=x-serial", "clientverify"))
    assert kit.headers() == {"serialnumber": "x-serial", "clientverify": "x-forwarded-clientcert-clientverify"}
    assert "x-forwarded-clientcert-serialnumber" in kit.cert_headers()  # the default name is still a forgery sign


@pytest.mark.parametrize(("sources", "message"), [
    (["100.125.0.1/16"], "did you mean 100.125.0.0/16"), (["nowhere"], "not an address"), ([], "no load balancer address"),
])
def test_load_balancer_addresses_are_checked(sources: list[str], message: str) -> None:
    with pytest.raises(InputError, match=message):
        backend.validate_lb_sources(sources)


def test_an_address_alone_is_one_host() -> None:
    assert backend.validate_lb_sources(["127.0.0.2", "::1", "127.0.0.2/32"]) == ("127.0.0.2/32", "::1/128")


def test_a_kit_needs_a_header_a_deny_list_can_match(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="neither the serial number nor the fingerprint"):
        spec("nginx", tmp_path, ("clientverify", "subjectdn"))
    with pytest.raises(InputError, match="unknown web server"):
        spec("iis", tmp_path)


def test_the_record_round_trips(tmp_path: Path) -> None:
    kit = spec("apache", tmp_path, ("fingerprint=fp", "serialnumber"))
    assert backend.KitSpec.from_dict(kit.to_dict()) == kit


# ---------------------------------------------------------------------------
# the generated files
# ---------------------------------------------------------------------------


def test_every_kit_file_says_it_is_a_kit_file(tmp_path: Path) -> None:
    deny = backend.deny_list_of(["0A1B"], ["ab" * 20])
    for server, render in RENDERERS.items():
        for name, text in render.kit_files(spec(server, tmp_path), deny).items():
            assert "mtls-wizard backend kit" in text.splitlines()[0], (server, name)
        assert set(render.deny_list_files(spec(server, tmp_path), deny)) <= set(render.kit_files(spec(server, tmp_path), deny))


def test_the_nginx_deny_list_has_each_key_once(tmp_path: Path) -> None:
    # Two serials whose spellings meet ("0A1B" without its zero is "a1b", as is "A1B" padded...) and
    # upper/lower case: nginx refuses a map with one key twice.
    text = nginx.http_conf(spec("nginx", tmp_path), backend.deny_list_of(["0A1B", "0a1b"]))
    keys = [line.split()[0] for line in text.splitlines() if line.strip().endswith(" 1;") and line.startswith('    "') and "~" not in line]
    assert len(keys) == len(set(keys)) and '"a1b"' in keys


def test_nothing_but_the_fields_forwarded_is_read(tmp_path: Path) -> None:
    only_serial = spec("haproxy", tmp_path, ("serialnumber",))
    rules = haproxy.rules(only_serial)
    assert "clientverify" not in rules.split("cert_headers")[-1] and "revoked-fingerprints.lst" not in rules
    conf = apache.conf(spec("apache", tmp_path, ("fingerprint",)))
    assert "%{HTTP:x-forwarded-clientcert-fingerprint}" in conf and "mtls_wizard_lower:%{HTTP:x-forwarded-clientcert-serialnumber}" not in conf


# ---------------------------------------------------------------------------
# the deny-list from the workspace
# ---------------------------------------------------------------------------


def test_the_deny_list_holds_serials_and_both_fingerprints(workspace: Workspace) -> None:
    assert backend.read_deny_list(workspace) == backend.DenyList()
    done = clients.revoke(workspace, "bob")
    deny = backend.read_deny_list(workspace)
    assert deny.serials == (done.serial,) and deny.without_sha1 == ()
    assert {len(f) for f in deny.fingerprints} == {40, 64} and done.fingerprint.replace(":", "").lower() in deny.fingerprints


def test_a_revoked_certificate_found_only_in_a_backup_still_has_its_sha1(workspace: Workspace) -> None:
    clients.revoke(workspace, "bob")
    clients.issue_clients(workspace, ["bob"], P12_PASSWORD, clients.ClientOptions(key_type="ec-p256", force=True))  # old bob to backup-*/
    deny = backend.read_deny_list(workspace)
    assert deny.without_sha1 == () and len([f for f in deny.fingerprints if len(f) == 40]) == 1


def test_an_unreadable_revocation_record_stops(workspace: Workspace) -> None:
    clients.record_path(workspace).write_text("{not json")
    with pytest.raises(WizardError, match="revoked.json"):
        backend.read_deny_list(workspace)


# ---------------------------------------------------------------------------
# the record and the refresh
# ---------------------------------------------------------------------------


def test_refresh_rewrites_every_recorded_kit_and_only_its_deny_list(workspace: Workspace, tmp_path: Path) -> None:
    kits = tmp_path / "kits"
    assert backend.refresh_kits(workspace) == []  # no kit written: nothing to do
    for server in RENDERERS:
        backend.write_kit(workspace, spec(server, kits / server))
    backend.write_kit(workspace, spec("nginx", kits / "nginx"))  # written again: recorded once
    assert [kit.server for kit in backend.read_kit_record(workspace)] == ["haproxy", "apache", "nginx"]
    before = {p: p.read_text() for p in kits.glob("*/*")}
    done = clients.revoke(workspace, "alice")
    refreshed = backend.refresh_kits(workspace)
    assert {kit.spec.server: kit.reload for kit in refreshed} == {"nginx": nginx.RELOAD, "haproxy": haproxy.RELOAD, "apache": apache.RELOAD}
    changed = {p for p in kits.glob("*/*") if p.read_text() != before[p]}
    assert changed == {kits / "nginx" / nginx.HTTP_CONF, kits / "haproxy" / haproxy.SERIALS,
                       kits / "haproxy" / haproxy.FINGERPRINTS, kits / "apache" / apache.MAP}
    assert done.serial.lower() in (kits / "apache" / apache.MAP).read_text()


def test_a_kit_folder_gone_is_reported_and_the_others_refreshed(workspace: Workspace, tmp_path: Path) -> None:
    backend.write_kit(workspace, spec("nginx", tmp_path / "gone"))
    backend.write_kit(workspace, spec("haproxy", tmp_path / "here"))
    shutil.rmtree(tmp_path / "gone")
    refreshed = {kit.spec.server: kit for kit in backend.refresh_kits(workspace)}
    assert "is gone" in refreshed["nginx"].problem and refreshed["haproxy"].files and not refreshed["haproxy"].problem


def test_kit_files_are_readable_by_the_web_server(workspace: Workspace, tmp_path: Path) -> None:
    written = backend.write_kit(workspace, spec("apache", tmp_path / "new" / "kit"))
    assert (tmp_path / "new" / "kit").stat().st_mode & 0o777 == 0o755
    assert {path.stat().st_mode & 0o777 for path in written.files} == {0o644}


# ---------------------------------------------------------------------------
# the echo format
# ---------------------------------------------------------------------------


def test_the_echo_is_parsed_line_by_line() -> None:
    text = "mtls-wizard-echo 1\nserver: nginx\nsource: 100.125.0.9\nx-forwarded-clientcert-subjectdn: CN=a\\,b: c\nx-serial: \n"
    assert backend.parse_echo(text) == {"server": "nginx", "source": "100.125.0.9", "x-forwarded-clientcert-subjectdn": "CN=a\\,b: c", "x-serial": ""}
    assert backend.parse_echo("<html>403 Forbidden</html>") is None and backend.parse_echo("mtls-wizard-echo 2\n") is None
