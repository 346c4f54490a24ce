"""The core's words for clients, renewal, status, bringing and the openssl commands are all
marked for translation (pseudo-locale: no plain English left), and the generated shell text
still runs whatever a translation holds: its remarks stay comments, its messages stay text."""

from __future__ import annotations

import gettext
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import P12_PASSWORD, make_pki
from cryptography.hazmat.primitives import serialization
from support.i18n_helpers import untranslated_words

from wizard import clients, i18n, pki, script, teaching
from wizard.errors import WizardError
from wizard.lifecycle import bring, renew, status
from wizard.workspace import Workspace

PLACEHOLDER = re.compile(r"\{[^{}]*\}")

PASSWORD = "pseudo password 42"
# Data that stays as it is in every language: names, reasons, key types and commands named as placeholders.
DATA = ("nobody", "alice", "client", "because", "unspecified", "keyCompromise", "superseded", "cessationOfOperation", "bash",
        "localhost", "bogus", "expire", "rsa", "ec")


@pytest.fixture
def pseudo() -> Iterator[None]:
    i18n.set_language(i18n.PSEUDO)
    yield  # conftest puts English back


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return make_pki(tmp_path / "ws")


def refusal(call, *args, **kwargs) -> str:  # noqa: ANN001 - any core function
    with pytest.raises(WizardError) as raised:
        call(*args, **kwargs)
    return str(raised.value)


def assert_translated(*texts: str, allowed: tuple[str, ...] = ()) -> None:
    for text in texts:
        assert text, "an empty message"
        assert untranslated_words(text, allowed=(*DATA, *allowed)) == [], text


def test_client_name_and_revocation_refusals_are_marked(pseudo: None, ws: Workspace) -> None:
    assert_translated(
        *(refusal(clients.validate_client_name, bad) for bad in ("", "../x", "-x", "a b")),
        refusal(clients.validate_client_names, ["alice", "alice"]),
        refusal(clients.validate_client_names, []),
        refusal(clients.revoke, ws, "nobody"),
        refusal(clients.revoke, ws, "client", "because"),
        refusal(clients.client_info, ws, "nobody"),
    )
    clients.issue_clients(ws, ["alice"], PASSWORD, clients.ClientOptions())
    assert_translated(refusal(clients.issue_clients, ws, ["alice"], PASSWORD, clients.ClientOptions()),
                      refusal(clients.issue_clients, ws, ["bob"], None, clients.ClientOptions()))
    clients.record_path(ws).write_text("not json")
    assert_translated(re.sub(r"\(.*\)", "", refusal(clients.revoke, ws, "alice")))  # without the JSON parser's own words


def test_renewal_refusals_and_notes_are_marked(pseudo: None, ws: Workspace, tmp_path: Path) -> None:
    empty = Workspace(tmp_path / "empty")
    assert_translated(refusal(renew.renew_server, empty), refusal(renew.renew_client, empty, "alice", PASSWORD))
    kept = renew.renew_server(ws, keep_key=True)
    assert_translated(kept.warnings[-1], *renew.renew_ca(ws).re_upload)
    shutil.copy(ws.key("client"), ws.key("server"))
    assert_translated(refusal(renew.renew_server, ws, keep_key=True))
    other = make_pki(tmp_path / "other", org="Elsewhere")
    for role in ("server", "client"):
        shutil.copy(other.cert(role), ws.cert(role))
        shutil.copy(other.key(role), ws.key(role))
    issuer = pki.cn_of(pki.load_cert_pem(other.cert("server").read_bytes()).issuer) or ""
    assert_translated(refusal(renew.renew_server, ws), refusal(renew.renew_client, ws, "client", PASSWORD), allowed=tuple(issuer.split()))


def test_status_hints_are_marked(pseudo: None, ws: Workspace, tmp_path: Path) -> None:
    assert_translated(refusal(status.workspace_status, ws, warn_days=-1))
    uploaded = ws.elb_dir / "uploaded.json"
    uploaded.parent.mkdir(exist_ok=True)
    uploaded.write_text('{"ca": {"id": "ca-id-1", "expire_time": "bogus"}, "server": {"id": "srv-id-2", "expire_time": ""}}')
    problems = status.workspace_status(ws).problems
    assert len(problems) == 2
    assert_translated(*problems)
    uploaded.write_text("{")
    assert_translated(*status.workspace_status(ws).problems)
    odd = Workspace(tmp_path / "odd")
    odd.cert("ca").mkdir(parents=True)  # there, but not a file: a broken CA, with the command that mends it
    found = status.workspace_status(odd)
    (broken,) = found.findings
    assert found.problems == [] and broken.subject == "ca"
    assert_translated(broken.message.split(" -w ", 1)[0], allowed=("mtls-wizard", "generate", "--new-ca", "--server-cn", "NAME"))


def test_bring_refusals_and_warnings_are_marked(pseudo: None, ws: Workspace, tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.pem"
    garbage.write_bytes(b"not a certificate")
    encrypted = tmp_path / "encrypted.key"
    key = pki.load_key_pem(ws.key("ca").read_bytes())
    encrypted.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.BestAvailableEncryption(b"secret")))
    assert_translated(
        refusal(bring.checked_ca, garbage, ws.key("ca")),
        refusal(bring.checked_ca, ws.cert("ca"), encrypted),
        refusal(bring.checked_ca, ws.cert("ca"), encrypted, "wrong"),
        refusal(bring.checked_ca, ws.cert("ca"), ws.key("ca"), "needless"),
        refusal(bring.checked_ca, ws.cert("client"), ws.key("client")),
        refusal(bring.checked_ca, ws.cert("ca"), ws.key("server")),
        refusal(bring.checked_server, ws.cert("ca"), ws.key("ca")),
        refusal(bring.checked_server, ws.cert("server"), ws.key("client")),
        refusal(bring.checked_server, ws.cert("server"), ws.key("server"), server_name="shop.example.com"),
        refusal(bring.checked_server, ws.cert("server"), ws.key("server"), ws.cert("client")),
        *bring.checked_server(ws.cert("server"), ws.key("server"), server_name="localhost")[1],
    )
    hint = refusal(bring.bring_ca, ws, ws.cert("ca"), ws.key("ca")).split(f"{ws.root}: ", 1)[1]  # after the workspace's own words
    assert_translated(hint)


def remarks(shell: str) -> list[str]:
    """The text of every `#` comment (whole-line or after a command) but the #! line."""
    found = []
    for line in shell.splitlines():
        if line.startswith("#") and not line.startswith("#!"):
            found.append(line[1:])
        elif "  # " in line:
            found.append(line.split("  # ", 1)[1])
    return found


def all_teaching(ws: Workspace) -> str:
    return "\n".join([
        script.full_script(script.profile_from_workspace(ws), ws.root),
        teaching.client_commands("partner-7"), teaching.revoke_commands("partner-7"), teaching.renew_server_commands(),
        teaching.renew_ca_commands(), teaching.bring_checks_commands("ca"), teaching.bring_checks_commands("server"),
    ])


def test_the_openssl_commands_remarks_are_marked(pseudo: None, ws: Workspace) -> None:
    clients.issue_clients(ws, ["alice"], PASSWORD, clients.ClientOptions())
    clients.revoke(ws, "alice")
    found = remarks(all_teaching(ws))
    assert len(found) >= 15
    assert_translated(*found)


def bash(shell: str, cwd: Path, *args: str, password: str | None = PASSWORD) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "MTLS_WIZARD_P12_PASSWORD"}
    if password:
        env["MTLS_WIZARD_P12_PASSWORD"] = password
    return subprocess.run(["bash", "-c", shell, "script", *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=120)


def test_the_script_runs_in_the_pseudo_locale_and_says_its_messages_there(pseudo: None, ws: Workspace, tmp_path: Path) -> None:
    clients.issue_clients(ws, ["alice"], PASSWORD, clients.ClientOptions())
    clients.revoke(ws, "alice")
    text = script.full_script(script.profile_from_workspace(ws), ws.root)
    target = tmp_path / "rebuilt"
    made = bash(text, tmp_path, str(target))
    assert made.returncode == 0, made.stderr
    assert (target / "clients" / "alice" / "alice.crt").exists() and (target / "ca" / "crl.pem").exists()
    assert_translated(made.stdout.splitlines()[-1])
    again = bash(text, tmp_path, str(target))
    assert again.returncode != 0
    assert_translated(again.stderr.strip())
    unset = bash(text, tmp_path, str(tmp_path / "never"), password=None)
    assert unset.returncode != 0 and not (tmp_path / "never").exists()
    assert_translated(unset.stderr.strip().rsplit("MTLS_WIZARD_P12_PASSWORD: ", 1)[1])


class HostileTranslations(gettext.NullTranslations):
    """A translation that tries everything: shell syntax, quotes, braces (doubled: they must
    survive str.format), a line break, CJK; the message's placeholders kept."""

    ATTACK = '中文 $(touch PWNED-1) `touch PWNED-2` "; touch PWNED-3; " \' ${{HOME}} }} \\ \ntouch PWNED-4 #'

    def gettext(self, message: str) -> str:
        return f"{self.ATTACK} {' '.join(PLACEHOLDER.findall(message))} {self.ATTACK}"


def test_no_translation_can_change_what_the_script_runs(ws: Workspace, tmp_path: Path) -> None:
    clients.issue_clients(ws, ["alice"], PASSWORD, clients.ClientOptions())
    clients.revoke(ws, "alice")
    i18n.use_translations(HostileTranslations(), "zh_CN")
    text = script.full_script(script.profile_from_workspace(ws), ws.root)
    said = "中文 $(touch PWNED-1) `touch PWNED-2`"
    target = tmp_path / "rebuilt"
    made, again, unset = bash(text, tmp_path, str(target)), bash(text, tmp_path, str(target)), bash(text, tmp_path, str(target), password=None)
    assert made.returncode == 0, made.stderr
    assert said in made.stdout and said in again.stderr and said in unset.stderr  # said literally, not run
    assert again.returncode != 0 and unset.returncode != 0
    assert (target / "clients" / "alice" / "alice.p12").exists()
    checks = make_pki(tmp_path / "checks")
    for name in ("ca", "server"):
        shutil.copy(checks.cert(name), checks.root / f"my-{name}.crt")
        shutil.copy(checks.key(name), checks.root / f"my-{name}.key")
    for shell in (teaching.client_commands("bob"), teaching.revoke_commands("bob"), teaching.renew_ca_commands()):
        ran = bash(shell, checks.root)
        assert ran.returncode == 0, ran.stderr
    for role in ("ca", "server"):
        assert said in bash(teaching.bring_checks_commands(role), checks.root).stdout
    assert not list(tmp_path.rglob("PWNED-*"))


def test_english_stays_as_it_was(ws: Workspace, tmp_path: Path) -> None:
    text = script.full_script(script.profile_from_workspace(ws))
    assert text.splitlines()[1:4] == [
        "# The openssl commands equivalent to what mtls-wizard did.",
        "# Usage: MTLS_WIZARD_P12_PASSWORD=... bash this-script.sh [TARGET_FOLDER]",
        "# Keys are new: the result is a PKI with the same profile, not a copy of the original."]
    assert ': "${MTLS_WIZARD_P12_PASSWORD:?set MTLS_WIZARD_P12_PASSWORD to the .p12 password first}"' in text
    assert '  if [ -e "$target/$f" ]; then echo "refusing to overwrite $target/$f" >&2; exit 1; fi' in text
    assert text.endswith('echo "PKI written to $(pwd)"\n')
    assert "&& echo 'the key matches'" in teaching.bring_checks_commands("ca")
    assert P12_PASSWORD not in text
