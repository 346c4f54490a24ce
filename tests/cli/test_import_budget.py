"""Each command loads its own path and nothing else: a real `check` against a real listener (our
practice load balancer on 127.0.0.1) may import only the modules on a short allow-list, and `status`,
`inspect` and `client list` load no issuing code, no process pool, no cloud SDK and no Textual.

The command runs in a fresh interpreter through the same `main` as the console script; what it
imported is `sys.modules` afterwards, less what the interpreter had loaded before it started.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest

from wizard.practice import PracticeLoadBalancer
from wizard.workspace import Workspace

PROBE = """
import json, sys
before = set(sys.modules)
from wizard.cli import main
code = main(sys.argv[1:])
print("--modules--" + json.dumps({"code": code, "modules": sorted(set(sys.modules) - before)}))
"""

# What `check` needs: argument parsing, the workspace and session, the handshake and the few
# certificate helpers it reads the workspace with (the foreign CA is made in memory: pki.issue).
CHECK_ALLOWED = frozenset({
    "wizard", "wizard.defaults", "wizard.environment", "wizard.errors", "wizard.files", "wizard.i18n", "wizard.lazy",
    "wizard.ownership", "wizard.record", "wizard.safe_text", "wizard.session", "wizard.workspace",
    "wizard.cli", "wizard.cli.argparse_text", "wizard.cli.argument_types", "wizard.cli.check", "wizard.cli.common", "wizard.cli.layout", "wizard.cli.parser",
    "wizard.cli.partial_grammar",
    "wizard.handshake", "wizard.handshake.client", "wizard.handshake.diagnosis", "wizard.handshake.findings",
    "wizard.handshake.material", "wizard.handshake.model", "wizard.handshake.names", "wizard.handshake.runner",
    "wizard.handshake.wire",
    "wizard.pki", "wizard.pki.certificates", "wizard.pki.issue", "wizard.pki.keys", "wizard.pki.names",
    # Reading the revocation record (is our client revoked?) and the serial in ELB's header form.
    "wizard.clients", "wizard.clients.names", "wizard.clients.revocation_record", "wizard.elb", "wizard.elb.headers",
    # Saving the verdict in the workspace's progress.json under the lock, whose every hold first
    # finishes or rolls back an interrupted replacement (and keeps the workspace's .gitignore).
    "wizard.workspace_progress", "wizard.handshake.saved", "wizard.own_files", "wizard.writing", "wizard.replacement", "wizard.git_tree",
})
# Libraries outside the standard one that `check` may load: the TLS client and what it stands on.
CHECK_LIBRARIES = frozenset({"cryptography", "OpenSSL", "_cffi_backend", "_openssl", "typing_extensions"})
# Never on a reading command's path: issuing, process pools, the cloud SDKs, the TUI.
NEVER_FOR_READING = ("wizard.clients.issue", "wizard.clients.workers", "wizard.ccm.clients", "wizard.elb.uploader",
                     "multiprocessing", "concurrent.futures.process", "huaweicloudsdkcore", "huaweicloudsdkelb",
                     "huaweicloudsdkccm", "textual", "rich", "screens", "wizard.app")


def imports_of_a_run(*arguments: str) -> set[str]:
    result = subprocess.run([sys.executable, "-c", PROBE, *arguments], capture_output=True, text=True, timeout=60, check=False)
    marked = [line for line in result.stdout.splitlines() if line.startswith("--modules--")]
    assert marked, result.stdout + result.stderr
    report = json.loads(marked[-1].removeprefix("--modules--"))
    assert report["code"] == 0, result.stdout + result.stderr
    return set(report["modules"])


def is_under(module: str, names: tuple[str, ...]) -> bool:
    return any(module == name or module.startswith(name + ".") for name in names)


@pytest.fixture
def listener(pki_workspace: Workspace) -> Iterator[PracticeLoadBalancer]:
    with PracticeLoadBalancer(pki_workspace) as server:
        yield server


def test_check_loads_only_the_modules_on_its_allow_list(pki_workspace: Workspace, listener: PracticeLoadBalancer) -> None:
    loaded = imports_of_a_run("check", listener.address, "--workspace", str(pki_workspace.root), "--timeout", "5")
    ours = {module for module in loaded if module.split(".")[0] == "wizard"}
    assert ours - CHECK_ALLOWED == set()
    libraries = {module.split(".")[0] for module in loaded} - set(sys.stdlib_module_names) - {"wizard"}
    assert libraries - CHECK_LIBRARIES == set()
    assert sorted(m for m in loaded if is_under(m, NEVER_FOR_READING)) == []


@pytest.mark.parametrize("command", [("status",), ("client", "list"), ("inspect", "ca/ca.crt")], ids=" ".join)
def test_reading_commands_load_no_issuing_code_pool_sdk_or_textual(pki_workspace: Workspace, command: tuple[str, ...]) -> None:
    if command[0] == "inspect":
        arguments = ["inspect", str(pki_workspace.root / command[1])]
    else:
        arguments = [*command, "--workspace", str(pki_workspace.root)]
    loaded = imports_of_a_run(*arguments)
    assert "wizard.cli" in loaded  # the command ran through main
    assert sorted(m for m in loaded if is_under(m, NEVER_FOR_READING)) == []


def test_the_budget_catches_a_module_off_the_path() -> None:
    """The checks above can fail: a run that loads the issuing code is caught by both rules."""
    loaded = set(CHECK_ALLOWED) | {"json", "wizard.clients.issue", "concurrent.futures.process"}
    assert {m for m in loaded if m.split(".")[0] == "wizard"} - CHECK_ALLOWED == {"wizard.clients.issue"}
    assert sorted(m for m in loaded if is_under(m, NEVER_FOR_READING)) == ["concurrent.futures.process", "wizard.clients.issue"]
