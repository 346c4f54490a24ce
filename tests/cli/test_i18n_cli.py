"""The command line in Chinese, as real `mtls-wizard` processes: the language comes from --lang,
else $MTLS_WIZARD_LANG, else the locale; LANG=C is the English of before; --json says the same
in every language; and under the pseudo-locale no plain English is left in what a command prints.

The Chinese texts come from the compiled catalog (wizard/locale/zh_CN); the pseudo-locale
needs no catalog: every marked text comes out accented, so a plain English word in the output
was never marked for translation.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import select
import shutil
import signal
import subprocess
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from conftest import P12_PASSWORD, CliRunner, console_script
from support.i18n_helpers import untranslated_words

from wizard.cli import build_parser
from wizard.handshake.wire import ALERTS
from wizard.practice import PracticeLoadBalancer
from wizard.workspace import Workspace

CJK = re.compile(r"[\u4e00-\u9fff]")
# The language from the locale alone: $MTLS_WIZARD_LANG empty, no LC_ALL, LC_MESSAGES or LANGUAGE.
LOCALE_ONLY = {"MTLS_WIZARD_LANG": "", "LC_ALL": "", "LC_MESSAGES": "", "LANGUAGE": ""}
CHINESE = {**LOCALE_ONLY, "LANG": "zh_CN.UTF-8"}
C_LOCALE = {**LOCALE_ONLY, "LANG": "C"}
ENGLISH = {"MTLS_WIZARD_LANG": "en"}
PSEUDO = {"MTLS_WIZARD_LANG": "qps"}
PASSWORD = {"MTLS_WIZARD_P12_PASSWORD": P12_PASSWORD}


def output(result: subprocess.CompletedProcess) -> str:
    return result.stdout + result.stderr


def command_paths() -> list[list[str]]:
    """Every command and subcommand (`[]` is the program itself), read from the parser."""
    paths: list[list[str]] = []

    def walk(parser: argparse.ArgumentParser, path: list[str]) -> None:
        paths.append(path)
        for action in parser._actions:  # noqa: SLF001 - argparse offers no public walk
            if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
                for name, sub in action.choices.items():
                    walk(sub, [*path, name])

    walk(build_parser(), [])
    return paths


def usage_words() -> set[str]:
    """What a usage line holds that is grammar, not prose: command names, metavars (NAME, FILE...)
    and the option values offered as choices."""
    words: set[str] = {"mtls", "wizard"}
    stack = [build_parser()]
    while stack:
        parser = stack.pop()
        for action in parser._actions:  # noqa: SLF001
            if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
                words.update(action.choices)
                stack.extend(action.choices.values())
            metavar = action.metavar or (action.dest.upper() if action.option_strings else action.dest)
            for value in (metavar if isinstance(metavar, tuple) else (metavar,)):
                words.update(re.findall(r"[A-Za-z]+", str(value)))
            words.update(str(choice) for choice in action.choices or ())
    return words


def assert_all_marked(runs: Iterable[tuple[str, subprocess.CompletedProcess]], allowed: Iterable[str], phrases: Iterable[str] = ()) -> None:
    """No plain English word in the runs' output but the `allowed` words and the `phrases` (data
    that is not ours to translate, such as OpenSSL's messages and the TLS alerts' names)."""
    allowed, phrases = set(allowed), sorted(phrases, key=len, reverse=True)

    def shown(result: subprocess.CompletedProcess) -> str:
        text = output(result)
        for phrase in phrases:
            text = text.replace(phrase, " ")
        return text

    left = {label: words for label, result in runs if (words := untranslated_words(shown(result), allowed))}
    report = "\n".join(f"{label}: {sorted(set(words))}" for label, words in left.items())
    assert not left, "plain English under the pseudo-locale (text not marked for translation):\n" + report


def structure(value: object) -> object:
    """The keys of a JSON document, all the way down, with its booleans, numbers and None."""
    if isinstance(value, dict):
        return {key: structure(item) for key, item in value.items()}
    if isinstance(value, list):
        return [structure(item) for item in value]
    return value if isinstance(value, bool) or value is None else type(value)


@pytest.fixture
def workspace(tmp_path: Path, pki_workspace: Workspace) -> Workspace:
    """A copy of the shared PKI with clients alice and bob (bob revoked), free to change."""
    ws = Workspace(tmp_path / "workspace")
    shutil.copytree(pki_workspace.root, ws.root)
    from wizard import clients

    clients.issue_clients(ws, ["alice", "bob"], P12_PASSWORD, clients.ClientOptions(key_type="ec-p256"))
    clients.revoke(ws, "bob", "unspecified", 30)
    return ws


@pytest.fixture
def practice_lb(workspace: Workspace) -> Iterator[PracticeLoadBalancer]:
    with PracticeLoadBalancer(workspace) as server:
        yield server


# ---------------------------------------------------------------------------
# LANG=zh_CN.UTF-8: Chinese, in ELB's words
# ---------------------------------------------------------------------------


def test_a_chinese_locale_speaks_chinese_in_elb_terms(cli: CliRunner, workspace: Workspace, tmp_path: Path) -> None:
    root = str(workspace.root)
    status = cli("status", "--workspace", root, env=CHINESE)
    assert status.returncode == 0, output(status)
    assert "到期时间" in status.stdout and "工作区" in status.stdout and "已吊销" in status.stdout

    listed = cli("client", "list", "--workspace", root, env=CHINESE)
    assert listed.returncode == 0 and "状态" in listed.stdout and "有效" in listed.stdout and "已吊销" in listed.stdout

    generated = cli("generate", "--workspace", str(tmp_path / "new"), "--server-cn", "localhost", "--key-type", "ec-p256",
                    env={**CHINESE, **PASSWORD})
    assert generated.returncode == 0, output(generated)
    for term in ("第1步", "服务器证书", "客户端证书", "负载均衡器", "已创建", "下一步"):
        assert term in generated.stdout, term

    bad = cli("generate", "--workspace", str(tmp_path / "bad"), "--server-cn", "bad name!", env={**CHINESE, **PASSWORD})
    assert bad.returncode == 2 and bad.stderr.startswith("mtls-wizard：错误：")

    usage = cli("check", "--help", env=CHINESE)
    assert usage.returncode == 0 and usage.stdout.startswith("用法：mtls-wizard check")
    for term in ("服务器证书", "客户端证书", "双向认证", "选项"):
        assert term in usage.stdout, term
    assert all(CJK.search(text) for text in (status.stdout, listed.stdout, generated.stdout, bad.stderr, usage.stdout))


def test_chinese_help_is_wrapped_by_terminal_cells(cli: CliRunner) -> None:
    # A Chinese character takes two cells: no line with Chinese in it may pass the 80 columns
    # argparse wraps to (an unbreakable `{choice,choice,...}` may, in English too).
    for path in command_paths():
        shown = cli(*path, "--help", env={**CHINESE, "COLUMNS": "80"})
        assert shown.returncode == 0, output(shown)
        wide = [line for line in shown.stdout.splitlines() if _cells(line) > 80 and CJK.search(line)]
        assert not wide, (path, wide)


def _cells(text: str) -> int:
    from wizard.cli.layout import cells

    return cells(text)


# ---------------------------------------------------------------------------
# LANG=C: exactly the English of before
# ---------------------------------------------------------------------------


def test_the_c_locale_prints_exactly_the_english(cli: CliRunner, workspace: Workspace, tmp_path: Path) -> None:
    root = str(workspace.root)
    runs = (
        ("status", "--workspace", root), ("client", "list", "--workspace", root), ("--help",), ("check", "--help"),
        ("inspect", str(workspace.cert("server"))), ("inspect", "--client", "bob", "--workspace", root),
        ("generate", "--workspace", str(tmp_path / "x"), "--server-cn", "bad name!"), ("status", "--warn-days", "soon"),
        ("renew", "ca", "bob", "--workspace", root), ("bogus",),
    )
    for args in runs:
        english, c = cli(*args, env=ENGLISH), cli(*args, env=C_LOCALE)
        assert (c.returncode, c.stdout, c.stderr) == (english.returncode, english.stdout, english.stderr), args
        assert not CJK.search(output(c)), args
    status = cli("status", "--workspace", root, env=C_LOCALE)
    assert status.stdout.startswith("ROLE    NAME") and "revoked" in status.stdout


# ---------------------------------------------------------------------------
# --lang, then $MTLS_WIZARD_LANG, then the locale
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "env", "chinese"), [
    (("--lang", "en"), {**CHINESE, "MTLS_WIZARD_LANG": "zh_CN"}, False),  # --lang beats the variable (and LANG)
    (("--lang", "zh_CN"), {**C_LOCALE, "MTLS_WIZARD_LANG": "en"}, True),
    (("--lang=zh_CN",), ENGLISH, True),
    ((), {**CHINESE, "MTLS_WIZARD_LANG": "en"}, False),  # the variable beats LANG
    ((), {**C_LOCALE, "MTLS_WIZARD_LANG": "zh_CN"}, True),
    ((), CHINESE, True),  # LANG alone
    ((), {**CHINESE, "LC_ALL": "C"}, False),  # LC_ALL before LANG
])
def test_lang_beats_the_variable_beats_the_locale(cli: CliRunner, workspace: Workspace, args: tuple[str, ...], env: dict[str, str], chinese: bool) -> None:
    for command in (("client", "list", "--workspace", str(workspace.root), *args), (*args, "status", "--workspace", str(workspace.root))):
        result = cli(*command, env=env)
        assert result.returncode == 0, output(result)
        assert bool(CJK.search(result.stdout)) == chinese, (command, result.stdout)


# ---------------------------------------------------------------------------
# --json: the same keys and values in every language
# ---------------------------------------------------------------------------


def test_json_is_language_neutral(cli: CliRunner, workspace: Workspace, practice_lb: PracticeLoadBalancer, tmp_path: Path) -> None:
    root = str(workspace.root)
    same = (
        ("status", "--workspace", root, "--json"), ("client", "list", "--workspace", root, "--json"),
        ("inspect", str(workspace.cert("server")), "--json"), ("inspect", "--client", "bob", "--workspace", root, "--json"),
        ("inspect", str(workspace.root / "client" / "client.p12"), "--password-file", str(_password_file(tmp_path)), "--json"),
    )
    for args in same:
        english, chinese = cli(*args, env=ENGLISH), cli(*args, env=CHINESE)
        assert english.returncode == chinese.returncode == 0, (args, output(chinese))
        assert json.loads(chinese.stdout) == json.loads(english.stdout), args
    statuses = json.loads(cli("status", "--workspace", root, "--json", env=CHINESE).stdout)
    assert {row["role"] for row in statuses} == {"ca", "server", "client"} and {row["location"] for row in statuses} == {"workspace"}
    states = {row["name"]: row["state"] for row in json.loads(cli("client", "list", "--workspace", root, "--json", env=CHINESE).stdout)}
    assert states == {"client": "valid", "alice": "valid", "bob": "revoked"}

    checks = {}
    for name, env in (("en", ENGLISH), ("zh_CN", CHINESE)):
        result = cli("check", practice_lb.address, "--workspace", root, "--timeout", "5", "--json", env=env, timeout=60)
        assert result.returncode == 0, output(result)
        checks[name] = json.loads(result.stdout)
    english, chinese = checks["en"], checks["zh_CN"]
    assert structure(chinese) == structure(english)
    assert chinese["status"] == english["status"] == "pass"
    enums = ("name", "outcome", "ok")  # (how a foreign certificate is refused, alert or reset, may vary from run to run)
    assert [[a[k] for k in enums] for a in chinese["attempts"]] == [[a[k] for k in enums] for a in english["attempts"]]
    assert chinese["attempts"][0]["outcome"] == "accepted"


# ---------------------------------------------------------------------------
# The pseudo-locale: nothing left unmarked
# ---------------------------------------------------------------------------


def test_every_help_is_marked(cli: CliRunner) -> None:
    from wizard import defaults

    runs = [(" ".join([*path, "--help"]), cli(*path, "--help", env=PSEUDO)) for path in command_paths()]
    assert all(result.returncode == 0 for _label, result in runs)
    # the defaults shown in the help texts ("(default client)") and the language codes are data
    data = {defaults.DEFAULT_CLIENT_CN, "en"}
    assert_all_marked(runs, usage_words() | data)


def test_usage_errors_are_marked(cli: CliRunner, workspace: Workspace, tmp_path: Path) -> None:
    root = str(workspace.root)
    runs = [
        ("no command name", cli("bogus", env=PSEUDO)),
        ("required options", cli("generate", env=PSEUDO)),
        ("a bad number", cli("status", "--warn-days", "soon", env=PSEUDO)),
        ("a bad port", cli("serve", "--port", "99999", env=PSEUDO)),
        ("a bad timeout", cli("check", "127.0.0.1:1", "--timeout", "9999", env=PSEUDO)),
        ("a bad choice", cli("renew", "everything", env=PSEUDO)),
        ("an unknown option", cli("status", "--colour", env=PSEUDO)),
        ("a password given", cli("generate", "-w", root, "--server-cn", "x", "--password", "secret", env=PSEUDO)),
        ("an empty workspace", cli("status", "--workspace", " ", env=PSEUDO)),
        ("inspect without a file", cli("inspect", env=PSEUDO)),
        ("renew ca with a name", cli("renew", "ca", "bob", "--workspace", root, env=PSEUDO)),
        ("no such workspace", cli("status", "--workspace", str(tmp_path / "none"), env=PSEUDO)),
        ("a missing password file", cli("inspect", str(workspace.cert("server")), "--password-file", str(tmp_path / "pw"), env=PSEUDO)),
        ("half a pair", cli("generate", "-w", str(tmp_path / "n"), "--server-cn", "x", "--ca-cert", "ca.pem", env={**PSEUDO, **PASSWORD})),
    ]
    assert all(result.returncode == 2 for label, result in runs if label != "no such workspace")
    assert_all_marked(runs, usage_words() | {"bogus", "soon", "everything", "colour"})


def test_workspace_commands_are_marked(cli: CliRunner, workspace: Workspace, tmp_path: Path) -> None:
    root, fresh = str(workspace.root), str(tmp_path / "fresh")
    env = {**PSEUDO, **PASSWORD}
    names_file = tmp_path / "names.txt"
    names_file.write_text("carol\n# a comment\ndave\n")
    runs = [
        ("generate", cli("generate", "-w", fresh, "--server-cn", "localhost", "--key-type", "ec-p256", env=env)),
        ("generate --force", cli("generate", "-w", fresh, "--server-cn", "localhost", "--key-type", "ec-p256", "--force", env=env)),
        ("inspect a certificate", cli("inspect", str(workspace.cert("server")), env=env)),
        ("inspect the CA", cli("inspect", str(workspace.cert("ca")), env=env)),
        ("inspect a key", cli("inspect", str(workspace.key("server")), env=env)),
        ("inspect a .p12", cli("inspect", str(workspace.root / "client" / "client.p12"), "--password-file", str(_password_file(tmp_path)), env=env)),
        ("inspect a revoked client", cli("inspect", "--client", "bob", "--workspace", root, env=env)),
        ("status", cli("status", "--workspace", root, env=env)),
        ("status, expiring", cli("status", "--workspace", root, "--warn-days", "3000", env=env)),
        ("client issue", cli("client", "issue", "erin", "--from", str(names_file), "--workspace", root, env=env)),
        ("client issue, random passwords", cli("client", "issue", "frank", "--random-passwords", "--workspace", root, env=env)),
        ("client list", cli("client", "list", "--workspace", root, env=env)),
        ("client revoke", cli("client", "revoke", "alice", "--workspace", root, env=env)),
        ("client revoke, again", cli("client", "revoke", "alice", "--workspace", root, env=env)),
        ("client crl", cli("client", "crl", "--workspace", root, env=env)),
        ("renew server", cli("renew", "server", "--workspace", root, env=env)),
        ("renew client", cli("renew", "client", "carol", "--workspace", root, env=env)),
        ("renew ca", cli("renew", "ca", "--keep-key", "--workspace", root, env=env)),
        ("elb export", cli("elb", "export", "--workspace", root, "--lb-type", "dedicated", env=env)),
        ("client list, empty", cli("client", "list", "--workspace", str(tmp_path / "nothing"), env=env)),
    ]
    failed = [(label, output(result)) for label, result in runs if result.returncode not in (0, 1)]
    assert not failed, failed
    # Data the test put there: client names, the certificates' names and subjects, the revocation
    # reason; and the HTTP method of the API calls elb export prints (curl -X POST).
    data = {"alice", "bob", "carol", "dave", "erin", "frank", "client", "server", "ca", "localhost", "Root", "unspecified", "POST"}
    assert_all_marked(runs, data)


def _password_file(folder: Path) -> Path:
    path = folder / "p12-password"
    path.write_text(P12_PASSWORD + "\n")
    return path


def test_serve_and_check_are_marked(cli: CliRunner, workspace: Workspace, isolated_data_dir: Path, tmp_path: Path) -> None:
    env = {**os.environ, **PSEUDO, "MTLS_WIZARD_DATA_DIR": str(isolated_data_dir), "PYTHONUNBUFFERED": "1"}
    errors = (tmp_path / "serve.err").open("w+")
    serve = subprocess.Popen([console_script(), "serve", "--workspace", str(workspace.root), "--port", "0"],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors, env=env)
    shown = bytearray()
    try:
        # The banner: up to the line after the curl line (the last one, whatever its language).
        _read_until(serve, shown, lambda text: re.search(r"\n\s+curl [^\n]*\n[^\n]*\n", text) is not None)
        port = re.search(r"https://127\.0\.0\.1:(\d+)/", shown.decode())
        assert port, shown.decode() + _text(errors)
        address, root = f"127.0.0.1:{port.group(1)}", str(workspace.root)
        runs = [
            ("check", cli("check", address, "--workspace", root, "--timeout", "5", env=PSEUDO, timeout=60)),
            ("check --insecure", cli("check", address, "--workspace", root, "--timeout", "5", "--insecure", env=PSEUDO, timeout=60)),
            ("check a revoked client", cli("check", address, "--workspace", root, "--timeout", "5", "--client", "bob", env=PSEUDO, timeout=60)),
            ("check nothing there", cli("check", "127.0.0.1:1", "--workspace", root, "--timeout", "2", env=PSEUDO, timeout=60)),
        ]
    finally:
        serve.send_signal(signal.SIGTERM)
        _read_until(serve, shown, lambda text: False)  # to the end
        try:
            serve.wait(timeout=15)
        except subprocess.TimeoutExpired:
            serve.kill()
            serve.wait(timeout=5)
        serve.stdout.close()
    assert [result.returncode for _label, result in runs] == [0, 0, 1, 1], [output(result) for _label, result in runs]
    served = subprocess.CompletedProcess(serve.args, serve.returncode, shown.decode(), _text(errors))
    assert serve.returncode == 0, output(served)
    # The TLS alerts by their RFC names and OpenSSL's own verification message are data.
    phrases = {*ALERTS.values(), "unable to get local issuer certificate"}
    assert_all_marked([*runs, ("serve", served)], {"bob", "client", "localhost", "Root", "check"}, phrases)  # (mtls-wizard check ...)


def _text(file) -> str:  # noqa: ANN001 - an open text file
    file.seek(0)
    return file.read()


def _read_until(process: subprocess.Popen, shown: bytearray, done, timeout: float = 20) -> None:  # noqa: ANN001
    """Read the process's output into `shown` until done(text) or its end, within `timeout` seconds."""
    assert process.stdout is not None
    descriptor = process.stdout.fileno()
    deadline = time.monotonic() + timeout
    while not done(shown.decode(errors="replace")) and time.monotonic() < deadline:
        ready, _unused, _unused2 = select.select([descriptor], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        chunk = os.read(descriptor, 65536)
        if not chunk:
            break
        shown += chunk
