"""The backend kit's cost per request: the same real backend (nginx, HAProxy, Apache httpd) with
and without the kit, its deny-list holding 5,001 revoked serials.

Requests come over one keep-alive connection from 127.0.0.2 (the load balancer's address), with the
headers ELB forwards for a valid client: the kit lets every one through, after all its checks.
"Same client" repeats one serial (the usual case: a client's requests); "new serials" sends a
different serial each time (every look-up a miss: the worst case for Apache's txt RewriteMap,
which reads its file on a miss and caches the answer). Rounds alternate between the two backends;
prints the median round trip of a request (microseconds, over all rounds: the median resists the
noise of a shared machine) to each, the time the kit adds, and the ratio.

Run:  python bench/bench_backend.py [--requests 200] [--rounds 10] [--servers nginx,haproxy,apache]
Needs nginx, haproxy and apache2 (in /usr/sbin).
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
os.environ["PATH"] = os.environ.get("PATH", "") + ":/usr/sbin"

from support.kit_backends import add_revoked_serials, kit_backend, readable_folder  # noqa: E402

from wizard import backend, clients, steps  # noqa: E402
from wizard.clients.revocation import serial_text  # noqa: E402
from wizard.session import Session  # noqa: E402
from wizard.workspace import Workspace  # noqa: E402

LB = "127.0.0.2"
VERIFY, SERIAL = "X-Forwarded-Clientcert-clientverify", "X-Forwarded-Clientcert-serialnumber"


def make_workspace(folder: Path) -> tuple[Workspace, str]:
    ws = Workspace(folder / "ws")
    session = Session(workspace=str(ws.root), server_cn="localhost", ca_key_type="ec-p256", server_key_type="ec-p256", client_key_type="ec-p256")
    steps.generate(ws, session, "bench pass phrase")
    clients.issue_clients(ws, ["alice", "bob"], "bench pass phrase", clients.ClientOptions(key_type="ec-p256"))
    add_revoked_serials(ws, 5000)
    clients.revoke(ws, "bob")
    return ws, clients.client_info(ws, "alice").serial


def request_times_us(address: str, serials: list[str]) -> list[float]:
    """Each request's round trip (microseconds), over one keep-alive connection."""
    host, port = address.rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=10, source_address=(LB, 0))
    times = []
    for serial in serials:
        started = time.perf_counter()
        connection.request("GET", "/", headers={VERIFY: "SUCCESS", SERIAL: serial})
        response = connection.getresponse()
        response.read()
        times.append((time.perf_counter() - started) * 1e6)
        if response.status != 200:
            raise SystemExit(f"unexpected {response.status} from {address}")
    connection.close()
    return times


def measure(server: str, ws: Workspace, kit: Path, folder: Path, alice: str, args: argparse.Namespace) -> None:
    generator = random.Random(7)
    with kit_backend(server, ws, folder / f"{server}-plain", None) as plain, kit_backend(server, ws, folder / f"{server}-kit", kit) as guarded:
        for target in (plain, guarded):
            request_times_us(target.address, [alice] * 50)  # warm up
        for label, make in (("same client", lambda: [alice] * args.requests),
                            ("new serials", lambda: [serial_text(generator.getrandbits(127) | 1) for _ in range(args.requests)])):
            without: list[float] = []
            with_kit: list[float] = []
            for _ in range(args.rounds):
                serials = make()
                without += request_times_us(plain.address, serials)
                with_kit += request_times_us(guarded.address, serials)
            base, kitted = statistics.median(without), statistics.median(with_kit)
            print(f"{server:8} {label:12} without {base:8.1f} us   with the kit {kitted:8.1f} us   "
                  f"added {kitted - base:+7.1f} us   ratio {kitted / base:5.2f}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--servers", default="nginx,haproxy,apache")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-backend-") as temp, readable_folder() as readable:
        os.environ["MTLS_WIZARD_DATA_DIR"] = str(Path(temp) / "data")
        ws, alice = make_workspace(Path(temp))
        print(f"deny-list: {len(backend.read_deny_list(ws).serials)} revoked serials; {args.requests} requests x {args.rounds} rounds")
        for server in args.servers.split(","):
            kit = readable / server
            backend.write_kit(ws, backend.make_spec(server, kit, [f"{LB}/32"], ["serialnumber", "clientverify"]))
            measure(server, ws, kit, Path(temp), alice, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
