"""A workspace with thousands of named clients: `status`, `client list`, the Clients page, the
summary and the CRL, against an `openssl x509 -enddate` loop over the same certificate files.

The workspace: an RSA-2048 CA (the default) and 5,000 named clients with real certificates from
it (bench/many_clients.py: the wizard's client profile, one shared key, no .p12), plus a passed
handshake test so the summary has its verdict. Measured:

- `mtls-wizard status` and `mtls-wizard client list` as processes (the console script), medians,
  after a first `status` that judges every set (printed apart: later runs open again only the sets
  whose files changed);
- the baseline: `openssl x509 -enddate -noout -in FILE` once per client certificate, as a shell
  loop would (one round: it is slow);
- the Clients page in the app (headless, 80x24, a fresh process per round): the first rows drawn
  in the table, every row in it, and the longest event-loop stall meanwhile; entering the summary
  until it is quiet, and its longest stall;
- CRL signing with 5,000 revoked serials (`mtls-wizard client crl`), and one more
  `client revoke` at that size. The first revocation is a real `client revoke`; the other
  4,999 entries are written into ca/revoked.json from the certificates, in the form it keeps.

Targets: each under 1 s; the Clients page's first rows within 200 ms.

    python bench/bench_clients.py [--clients 5000] [--rounds 3] [--loop-sample N]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 1.0
FIRST_ROWS_TARGET_S = 0.2


def console_script() -> str:
    found = shutil.which("mtls-wizard", path=os.path.dirname(sys.executable))
    if found is None:
        raise SystemExit("install the wizard first (pip install .): the mtls-wizard command is not beside this Python")
    return found


def timed_command(*arguments: str) -> float:
    started = time.perf_counter()
    subprocess.run([console_script(), *arguments], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def openssl_loop(root: Path, sample: int) -> float:
    """Seconds for the loop over every file; with `sample`, timed over every n-th file and scaled."""
    files = sorted((root / "clients").glob("*/*.crt"))
    step = max(1, len(files) // sample) if sample else 1
    started = time.perf_counter()
    for path in files[::step]:
        subprocess.run(["openssl", "x509", "-enddate", "-noout", "-in", str(path)], check=True, stdout=subprocess.DEVNULL)
    return (time.perf_counter() - started) * len(files) / len(files[::step])


async def pages(root: Path) -> dict[str, float]:
    """The Clients page and the summary in the app: seconds and the longest stalls (ms)."""
    from bench_stall import TICK, StallMeter, _quiet, clients_table_rows

    from textual.widgets import DataTable

    from wizard.app import WizardApp

    rows = sum(1 for _ in (root / "clients").iterdir()) + 1  # the named clients and the tutorial's
    # "First rows" is when the table draws a line of a row, not when it holds one: the page may be
    # given rows before its first layout, and the table draws only the lines on screen.
    painted: list[float] = []
    render_line = DataTable.render_line

    def noting_paint(table: DataTable, y: int) -> object:
        if not painted and table.id == "clients-table" and table.row_count and y >= table.header_height:
            painted.append(time.perf_counter())
        return render_line(table, y)

    DataTable.render_line = noting_paint  # type: ignore[method-assign]
    app = WizardApp(workspace=str(root))
    meter = StallMeter()
    found: dict[str, float] = {}
    async with app.run_test(size=(80, 24)) as pilot:
        for _attempt in range(100):  # resume, once the welcome page has surveyed the workspace
            await pilot.press("enter")
            await pilot.pause(0.1)
            if len(app.screen_stack) > 1:
                break
        await _quiet(app, lambda: len(app.screen_stack) > 1)
        app.set_interval(TICK, meter.tick)
        await pilot.pause(0.2)

        table_rows = clients_table_rows(app)
        meter.start()
        started = time.perf_counter()
        app.action_clients()
        while not painted:
            await asyncio.sleep(0.002)
        found["first_rows_s"] = painted[0] - started
        while table_rows() < rows:
            await asyncio.sleep(0.002)
        found["all_rows_s"] = time.perf_counter() - started
        await _quiet(app, lambda: True)
        found["clients_stall_ms"], _ticks = meter.stop()
        app.pop_screen()
        await pilot.pause(0.3)

        meter.start()
        started = time.perf_counter()
        app.goto(8)
        await _quiet(app, lambda: type(app.screen).__name__ == "SummaryScreen")
        found["summary_s"] = time.perf_counter() - started - 0.3  # _quiet waits 0.3 s once settled
        found["summary_stall_ms"], _ticks = meter.stop()
    return found


def revoke_all(root: Path, env: dict[str, str]) -> int:
    """One real `client revoke`, then every other client's entry in the record's own form."""
    from wizard import pki
    from wizard.clients.revocation import record_path, serial_text
    from wizard.workspace import Workspace

    ws = Workspace(root)
    names = sorted(path.name for path in (root / "clients").iterdir())
    subprocess.run([console_script(), "client", "revoke", names[0], "-w", str(root)], check=True, env=env, stdout=subprocess.DEVNULL)
    record = json.loads(record_path(ws).read_text())
    now = dt.datetime.now(dt.timezone.utc).isoformat()
    for name in names[1:-1]:  # the last one is revoked for real, timed
        cert = pki.load_cert_pem((root / "clients" / name / f"{name}.crt").read_bytes())
        record["revoked"].append({"name": name, "serial": serial_text(cert.serial_number), "fingerprint": pki.fingerprint(cert),
                                  "date": now, "reason": "unspecified"})
    record_path(ws).write_text(json.dumps(record))
    return len(record["revoked"])


def line(label: str, seconds: float, target: float = TARGET_S) -> str:
    return f"  {label:44} {seconds * 1000:8.0f} ms   target < {target * 1000:.0f} ms  {'OK' if seconds < target else 'OVER'}"


def in_a_fresh_process(root: Path) -> dict[str, float]:
    done = subprocess.run([sys.executable, __file__, "--pages", str(root)], capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the pages run failed: {done.stdout[-1000:]}{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=5000, help="named clients (default 5000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each measure (default 3)")
    parser.add_argument("--loop-sample", type=int, default=0, metavar="N",
                        help="time the openssl loop over about N of the files and scale it (default: all files)")
    parser.add_argument("--pages", metavar="FOLDER", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pages:
        print(json.dumps(asyncio.run(pages(Path(args.pages)))))
        return 0
    from bench_stall import prepare_tour_workspace

    # The warm-up run below is to leave the bytecode cached, as an installed wizard has it (pip
    # compiles it): with PYTHONDONTWRITEBYTECODE set, every timed run compiled ~60 modules again.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp) / "ws"
        env = {**os.environ, "MTLS_WIZARD_DATA_DIR": str(Path(temp) / "data")}
        os.environ.update(env)
        started = time.perf_counter()
        prepare_tour_workspace(root, args.clients, key_type="rsa2048")
        print(f"{args.clients:,} named clients, RSA-2048 CA, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} "
              f"(workspace built in {time.perf_counter() - started:.0f} s); medians of {args.rounds} rounds")
        # The first run warms the disk cache and bytecode, and judges every client's set (what it
        # finds is remembered in the data folder: wizard.clients.verdicts); shown apart, not a target.
        first_status = timed_command("status", "-w", str(root))
        status = [timed_command("status", "-w", str(root)) for _ in range(args.rounds)]
        listing = [timed_command("client", "list", "-w", str(root)) for _ in range(args.rounds)]
        loop = openssl_loop(root, args.loop_sample)
        page_runs = [in_a_fresh_process(root) for _ in range(args.rounds)]
        page = {key: statistics.median(run[key] for run in page_runs) for key in page_runs[0]}
        revoked = revoke_all(root, env)
        crl = [timed_command("client", "crl", "-w", str(root)) for _ in range(args.rounds)]
        last_name = sorted(path.name for path in (root / "clients").iterdir())[-1]
        revoke_one = timed_command("client", "revoke", last_name, "-w", str(root))
        status_revoked = statistics.median(timed_command("status", "-w", str(root)) for _ in range(args.rounds))
        listing_revoked = statistics.median(timed_command("client", "list", "-w", str(root)) for _ in range(args.rounds))

    sampled = f" (timed over about {args.loop_sample} files, scaled)" if args.loop_sample else ""
    print(f"  {'openssl x509 -enddate loop (baseline)':44} {loop * 1000:8.0f} ms{sampled}")
    print(f"  {'first status (every set judged, bytecode written)':44} {first_status * 1000:8.0f} ms")
    print(line("mtls-wizard status", statistics.median(status)) + f"   ({statistics.median(status) / loop:.3g}x the loop)")
    print(line("mtls-wizard client list", statistics.median(listing)) + f"   ({statistics.median(listing) / loop:.3g}x the loop)")
    print(line("Clients page: first rows in the table", page["first_rows_s"], FIRST_ROWS_TARGET_S))
    print(line("Clients page: every row in the table", page["all_rows_s"]) + f"   (longest stall {page['clients_stall_ms']:.0f} ms)")
    print(line("summary: entered, settled", page["summary_s"]) + f"   (longest stall {page['summary_stall_ms']:.0f} ms)")
    print(line(f"mtls-wizard client crl ({revoked:,} revoked serials)", statistics.median(crl)))
    print(line(f"mtls-wizard client revoke (the {revoked + 1:,}th)", revoke_one))
    print(line(f"status with {revoked + 1:,} revoked", status_revoked))
    print(line(f"client list with {revoked + 1:,} revoked", listing_revoked))
    return 0


if __name__ == "__main__":
    sys.exit(main())
