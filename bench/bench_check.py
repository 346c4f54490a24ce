"""Benchmark: the mTLS verifier against curl, on a local nginx mTLS listener.

(a) the verifier's three attempts, in-process, against three `curl -I` processes making the
    same three requests (with our client certificate, without one, with a foreign one).
    Target: ratio <= 1.0.
(b) the whole `mtls-wizard check` process against one `curl -I`, bytecode cached (as installed).
    Target: ratio <= 6x (interpreter start-up and imports are most of it: `check` loads only its
    own path, tests/cli/test_import_budget.py). Printed beside it, the floor under any check built
    on the same libraries: a process that only imports the TLS client (pyOpenSSL, which imports
    cryptography.x509), and one that only imports cryptography.x509 (what reading any
    certificate costs), each against the same curl.

The session folder is found as users have it (platformdirs, under a temporary XDG_DATA_HOME),
not named by MTLS_WIZARD_DATA_DIR, which would skip that lookup.

Run:  python bench/bench_check.py [--rounds N]
Needs nginx and curl. Prints medians (ms) and ratios.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from timing import console_script, installation, median_ms, timed

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from support.nginx_server import NginxServer, nginx_binary  # noqa: E402

from wizard import handshake, steps  # noqa: E402
from wizard.session import Session  # noqa: E402
from wizard.workspace import Workspace  # noqa: E402

VERIFIER_TARGET = 1.0
PROCESS_TARGET = 6.0


def verdict(ratio: float, target: float) -> str:
    return f"(target <= {target:.1f}x)  {'OK' if ratio <= target else 'OVER'}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    curl = shutil.which("curl")
    if nginx_binary() is None or curl is None:
        print("needs nginx and curl on PATH", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="bench-check-") as folder:
        base = Path(folder)
        os.environ.pop("MTLS_WIZARD_DATA_DIR", None)
        os.environ["XDG_DATA_HOME"] = str(base / "data")
        ws = Workspace(base / "workspace")
        session = Session(workspace=str(ws.root), server_cn="localhost", server_sans=["127.0.0.1"],
                          ca_key_type="ec-p256", server_key_type="ec-p256", client_key_type="ec-p256")
        steps.generate(ws, session, "bench password")
        foreign = base / "foreign.pem"
        foreign.write_bytes(handshake.foreign_identity_pem())
        foreign.chmod(0o600)

        with NginxServer(ws, base / "nginx", verify_client="on") as nginx:
            url = f"https://localhost:{nginx.port}/"
            curl_base = [curl, "-sS", "-o", "/dev/null", "-I", "--cacert", str(ws.cert("ca")),
                         "--resolve", f"localhost:{nginx.port}:127.0.0.1", url]
            curl_runs = [
                curl_base + ["--cert", str(ws.cert("client")), "--key", str(ws.key("client"))],
                curl_base,
                curl_base + ["--cert", str(foreign)],
            ]

            def three_curls() -> None:
                for command in curl_runs:
                    subprocess.run(command, check=True, stdin=subprocess.DEVNULL)

            def verifier() -> None:
                verdict = handshake.probe("127.0.0.1", nginx.port, ws, timeout=5)
                assert verdict.passed, verdict.summary

            check_command = [console_script(), "check", f"127.0.0.1:{nginx.port}", "--workspace", str(ws.root)]

            # As installed, Python runs from cached bytecode; this environment may forbid writing it
            # (PYTHONDONTWRITEBYTECODE), so measure both: the cache kept outside the repository, and
            # an empty cache folder never written to (every module compiled from source, each run).
            cached_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
            cached_env["PYTHONPYCACHEPREFIX"] = str(base / "pycache")
            uncached_env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": str(base / "no-pycache")}

            def check_process() -> None:
                subprocess.run(check_command, check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, env=cached_env)

            def check_process_uncached() -> None:
                subprocess.run(check_command, check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, env=uncached_env)

            def one_curl() -> None:
                subprocess.run(curl_runs[0], check=True, stdin=subprocess.DEVNULL)

            def importing(module: str) -> Callable[[], None]:
                def run() -> None:
                    subprocess.run([sys.executable, "-c", f"import {module}"], check=True, env=cached_env)
                return run

            floors = {"bare_python": importing("sys"), "tls_client_import": importing("OpenSSL.SSL"),
                      "x509_import": importing("cryptography.x509")}

            for action in (verifier, three_curls, check_process, one_curl):  # warm caches
                action()
            contenders = {"verifier": verifier, "three_curls": three_curls, "check_process": check_process,
                          "check_uncached": check_process_uncached, "one_curl": one_curl, **floors}
            samples: dict[str, list[float]] = {name: [] for name in contenders}
            for _ in range(args.rounds):  # interleaved, so drift hits every contender alike
                for name, action in contenders.items():
                    samples[name].append(timed(action))

    medians = {name: median_ms(values) for name, values in samples.items()}
    print(f"nginx mTLS listener on loopback, EC P-256 workspace, {args.rounds} rounds, medians; {installation()}")
    print(f"(a) verifier, 3 attempts in-process   {medians['verifier']:8.1f} ms")
    print(f"    3 x curl -I processes             {medians['three_curls']:8.1f} ms")
    verifier_ratio, process_ratio = medians["verifier"] / medians["three_curls"], medians["check_process"] / medians["one_curl"]
    print(f"    ratio verifier / curl             {verifier_ratio:8.2f}x   {verdict(verifier_ratio, VERIFIER_TARGET)}")
    print(f"(b) mtls-wizard check process          {medians['check_process']:8.1f} ms   (bytecode cached, as installed)")
    print(f"    1 x curl -I process               {medians['one_curl']:8.1f} ms")
    print(f"    ratio check / curl                {process_ratio:8.2f}x   {verdict(process_ratio, PROCESS_TARGET)}")
    print(f"    without a bytecode cache          {medians['check_uncached']:8.1f} ms   ({medians['check_uncached'] / medians['one_curl']:.2f}x)")
    print("    the floor under any check on these libraries, as processes (python -c ...):")
    for name, text in (("bare_python", "python alone"), ("tls_client_import", "import OpenSSL.SSL"), ("x509_import", "import cryptography.x509")):
        print(f"      {text:31s} {medians[name]:8.1f} ms   ({medians[name] / medians['one_curl']:.2f}x one curl)")
    print(f"machine load average while running: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)")
    return 0 if verifier_ratio <= VERIFIER_TARGET and process_ratio <= PROCESS_TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
