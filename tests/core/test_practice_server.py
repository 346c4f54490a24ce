"""The practice load balancer serving a listener: in-process and as `mtls-wizard serve`, checked with real curl."""

from __future__ import annotations

import datetime
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import make_pki

from wizard.errors import InputError, WizardError
from wizard.handshake import probe
from wizard.practice import PracticeLoadBalancer
from wizard.workspace import Workspace


def require_curl() -> str:
    curl = shutil.which("curl")
    if curl is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("curl is required in CI (.ci/run installs it)")
        pytest.skip("curl is not installed")
    return curl


def curl(ws: Workspace, url: str, *, with_cert: bool, head: bool = False) -> subprocess.CompletedProcess:
    args = [require_curl(), "-sS", "--max-time", "10", "--cacert", str(ws.cert("ca"))]
    if with_cert:
        args += ["--cert", str(ws.cert("client")), "--key", str(ws.key("client"))]
    if head:
        args.append("-I")
    # No -k: the server certificate must verify against the workspace CA.
    return subprocess.run([*args, "-w", "\n%{http_code}", url.replace("127.0.0.1", "localhost")], capture_output=True, text=True, timeout=30)


# ---------------------------------------------------------------------------
# In-process
# ---------------------------------------------------------------------------


def test_in_process_listener_accepts_ours_and_logs_each_outcome(pki_workspace: Workspace) -> None:
    lines: list[str] = []
    with PracticeLoadBalancer(pki_workspace, log=lines.append) as server:
        assert server.port > 0 and server.address == f"127.0.0.1:{server.port}"
        ok = curl(pki_workspace, server.url, with_cert=True)
        refused = curl(pki_workspace, server.url, with_cert=False)
        deadline = time.monotonic() + 5
        while len(server.outcomes) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert ok.returncode == 0, ok.stderr
    assert "Hello CN=client,O=ELB" in ok.stdout and ok.stdout.endswith("200")
    assert refused.returncode != 0  # a TLS alert: curl gets no HTTP answer at all
    assert sorted(o["outcome"] for o in server.outcomes) == ["accepted", "rejected"]
    assert any("accepted: CN=client,O=ELB" in line for line in lines)
    assert any("rejected: no client certificate" in line for line in lines)


def test_http400_style_answers_like_nginx(pki_workspace: Workspace) -> None:
    with PracticeLoadBalancer(pki_workspace, reject_with="http400") as server:
        refused = curl(pki_workspace, server.url, with_cert=False)
        head = curl(pki_workspace, server.url, with_cert=False, head=True)
        ok = curl(pki_workspace, server.url, with_cert=True, head=True)
    assert refused.returncode == 0 and refused.stdout.endswith("400")
    assert "No required SSL certificate was sent" in refused.stdout
    assert head.stdout.startswith("HTTP/1.1 400 Bad Request") and "No required" not in head.stdout
    assert ok.stdout.startswith("HTTP/1.1 200 OK")


def test_app400_lets_clients_through_tls_to_an_application_400(pki_workspace: Workspace) -> None:
    with PracticeLoadBalancer(pki_workspace, reject_with="app400") as server:
        refused = curl(pki_workspace, server.url, with_cert=False)
        ok = curl(pki_workspace, server.url, with_cert=True, head=True)
        verdict = probe(server.host, server.port, pki_workspace, timeout=5)
    assert refused.returncode == 0 and refused.stdout.endswith("400")  # the handshake let curl in without a certificate
    assert "No required SSL certificate" not in refused.stdout and "Bad Request" in refused.stdout
    assert ok.stdout.startswith("HTTP/1.1 200 OK")
    assert verdict.status == "fail", verdict.summary
    assert "clients without a certificate get through TLS (the application answered 400)" in verdict.summary
    assert verdict.attempts[1].detail == "HTTP/1.1 400 Bad Request from the application after TLS let us in without a certificate"
    assert any("not from the listener's TLS layer" in line for line in verdict.diagnosis)


def test_start_and_stop_are_idempotent_and_free_the_port(pki_workspace: Workspace) -> None:
    server = PracticeLoadBalancer(pki_workspace)
    server.start()
    server.start()
    port = server.port
    server.stop()
    server.stop()
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0


def test_port_in_use_is_a_clear_error(pki_workspace: Workspace) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        with pytest.raises(WizardError, match="already in use"):
            PracticeLoadBalancer(pki_workspace, port=taken.getsockname()[1]).start()


def test_missing_workspace_and_bad_style_are_refused(tmp_path: Path, pki_workspace: Workspace) -> None:
    with pytest.raises(WizardError, match="mtls-wizard generate"):
        PracticeLoadBalancer(Workspace(tmp_path / "nothing")).start()
    with pytest.raises(InputError, match="alert, http400 or app400"):
        PracticeLoadBalancer(pki_workspace, reject_with="shrug")


def wait_for(condition, what: str, limit: float = 10.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.01)


def test_outcomes_keep_only_the_latest(pki_workspace: Workspace) -> None:
    lines: list[str] = []
    with PracticeLoadBalancer(pki_workspace, log=lines.append, max_outcomes=2) as server:
        for count in range(3):
            socket.create_connection(("127.0.0.1", server.port)).close()  # hangs up during the handshake
            # (the count is taken before connecting: the line may be logged before we look)
            wait_for(lambda: len(lines) > count, "the connection to be logged")
    assert len(server.outcomes) == 2
    assert [o["peer"] for o in server.outcomes] == [line.split()[1] for line in lines[1:]]


def closed_by_server(sock: socket.socket, limit: float = 5.0) -> bool:
    """True once the server has closed (EOF or reset) within `limit` seconds."""
    sock.settimeout(limit)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except (TimeoutError, socket.timeout):
        return False


def test_stop_cuts_open_connections_instead_of_waiting_for_them(pki_workspace: Workspace) -> None:
    with PracticeLoadBalancer(pki_workspace, connection_timeout=60) as server:
        clients = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(3)]  # connect, say nothing
        wait_for(lambda: server.open_connections == 3, "three open connections")
        server.stop()
        assert all(closed_by_server(client) for client in clients)
        assert [o["outcome"] for o in server.outcomes] == ["closed"] * 3
    for client in clients:
        client.close()


def tls_client(ws: Workspace, port: int, *, post_handshake_auth: bool = False) -> ssl.SSLSocket:
    """A real TLS client with the workspace's client certificate, after its handshake."""
    context = ssl.create_default_context(cafile=str(ws.cert("ca")))
    context.load_cert_chain(str(ws.cert("client")), str(ws.key("client")))
    context.post_handshake_auth = post_handshake_auth
    raw = socket.create_connection(("127.0.0.1", port))
    return context.wrap_socket(raw, server_hostname="localhost")


def test_a_trickling_client_is_cut_at_the_connection_deadline(pki_workspace: Workspace) -> None:
    # One byte of request at a time, never the end of it: each byte arrives well within the
    # deadline, but the connection as a whole must not outlive it.
    with PracticeLoadBalancer(pki_workspace, connection_timeout=0.5) as server, tls_client(pki_workspace, server.port) as tls:
        tls.sendall(b"GET / HTTP/1.1\r\n")
        tls.settimeout(0.1)
        cut, give_up = False, time.monotonic() + 10
        while not cut and time.monotonic() < give_up:
            try:
                tls.sendall(b"X")
                cut = tls.recv(1) == b""
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                cut = True
        assert cut, "the trickling client was never cut off"
        wait_for(lambda: len(server.outcomes) == 1, "the outcome to be recorded")
    assert server.outcomes[0]["outcome"] == "failed"
    assert "no complete HTTP request within the time limit" in server.outcomes[0]["detail"]


def test_connections_over_the_cap_are_closed_at_once(pki_workspace: Workspace) -> None:
    with PracticeLoadBalancer(pki_workspace, max_connections=3, connection_timeout=60) as server:
        idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(3)]
        wait_for(lambda: server.open_connections == 3, "three open connections")
        with socket.create_connection(("127.0.0.1", server.port)) as extra:
            assert closed_by_server(extra)
        wait_for(lambda: any(o["outcome"] == "refused" for o in server.outcomes), "the refusal to be recorded")
        assert server.open_connections == 3
        for sock in idle:
            sock.close()
    assert "too many open connections (at most 3)" in server.outcomes[0]["detail"]


def test_valid_clients_are_served_while_hundreds_of_idle_connections_are_open(pki_workspace: Workspace) -> None:
    with PracticeLoadBalancer(pki_workspace, connection_timeout=60) as server:
        threads = threading.active_count()
        idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(220)]
        try:
            wait_for(lambda: server.open_connections == 220, "220 open connections")
            ok = curl(pki_workspace, server.url, with_cert=True)
            verdict = probe(server.host, server.port, pki_workspace, timeout=5)
            assert threading.active_count() <= threads + 1  # no thread per connection (a name lookup may linger)
        finally:
            for sock in idle:
                sock.close()
    assert ok.returncode == 0 and ok.stdout.endswith("200")
    assert verdict.status == "pass", verdict.summary


def test_post_handshake_mode_asks_after_the_request(pki_workspace: Workspace) -> None:
    lines: list[str] = []
    with PracticeLoadBalancer(pki_workspace, client_auth="post-handshake", log=lines.append) as server:
        verdict = probe(server.host, server.port, pki_workspace, timeout=5)
        ok = curl(pki_workspace, server.url, with_cert=True)
        refused = curl(pki_workspace, server.url, with_cert=False)
        with tls_client(pki_workspace, server.port) as plain:  # a client that does not offer post-handshake auth
            plain.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            answer = plain.recv(4096)
        with tls_client(pki_workspace, server.port, post_handshake_auth=True) as offering:
            offering.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            admitted = offering.recv(4096)
        wait_for(lambda: len(server.outcomes) >= 7, "every connection to be logged")
    assert verdict.status == "pass", verdict.summary
    assert [a.certificate_request for a in verdict.attempts] == ["after_handshake"] * 3
    assert verdict.accepted_client_cas == ["CN=ELB mTLS Root CA,O=ELB"] and verdict.client_ca_names_known  # asks, naming our CA as nginx does
    assert ok.returncode == 0 and ok.stdout.endswith("200")
    assert refused.returncode != 0 and "certificate required" in refused.stderr
    assert answer.startswith(b"HTTP/1.1 403 Forbidden")
    assert admitted.startswith(b"HTTP/1.1 200 OK")
    assert any("rejected: the client does not offer post-handshake authentication" in line for line in lines)
    assert any("rejected: no client certificate (TLS alert after the handshake)" in line for line in lines)


def test_post_handshake_mode_refuses_what_it_cannot_do(pki_workspace: Workspace) -> None:
    with pytest.raises(InputError, match="http400 needs --client-auth handshake"):
        PracticeLoadBalancer(pki_workspace, client_auth="post-handshake", reject_with="http400")
    with pytest.raises(InputError, match="app400 listener .* needs --client-auth handshake"):
        PracticeLoadBalancer(pki_workspace, client_auth="post-handshake", reject_with="app400")
    with pytest.raises(InputError, match="needs TLS 1.3"):
        PracticeLoadBalancer(pki_workspace, client_auth="post-handshake", tls_versions=(ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_2))
    with pytest.raises(InputError, match="handshake or post-handshake"):
        PracticeLoadBalancer(pki_workspace, client_auth="later")


def test_a_silent_client_does_not_block_others(pki_workspace: Workspace) -> None:
    with PracticeLoadBalancer(pki_workspace, connection_timeout=2) as server:
        with socket.create_connection(("127.0.0.1", server.port)):  # connects, sends nothing
            ok = curl(pki_workspace, server.url, with_cert=True)
    assert ok.returncode == 0 and ok.stdout.endswith("200")


# ---------------------------------------------------------------------------
# mtls-wizard serve, as a real process
# ---------------------------------------------------------------------------


@pytest.fixture
def serve(pki_workspace: Workspace, isolated_data_dir: Path) -> Iterator:
    processes: list[subprocess.Popen] = []

    def start(*extra: str, ws: Workspace = pki_workspace) -> tuple[subprocess.Popen, int]:
        env = {**os.environ, "MTLS_WIZARD_DATA_DIR": str(isolated_data_dir), "PYTHONUNBUFFERED": "1"}
        process = subprocess.Popen(
            [sys.executable, "-m", "wizard", "serve", "--workspace", str(ws.root), "--port", "0", *extra],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )
        processes.append(process)
        assert process.stdout is not None
        first = process.stdout.readline()
        match = re.search(r"\(port (\d+)[;)]", first)
        assert match, f"no port in {first!r}; stderr: {process.stderr.read() if process.poll() is not None else ''}"
        return process, int(match.group(1))

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)
        for stream in (process.stdout, process.stderr):
            if stream:
                stream.close()


def test_serve_accepts_curl_with_the_client_certificate_and_stops_on_ctrl_c(serve, pki_workspace: Workspace) -> None:
    process, port = serve()
    url = f"https://localhost:{port}/"
    ok = curl(pki_workspace, url, with_cert=True)
    refused = curl(pki_workspace, url, with_cert=False)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=15)
    assert ok.returncode == 0, ok.stderr
    assert "Hello CN=client,O=ELB" in ok.stdout and ok.stdout.endswith("200")
    assert refused.returncode != 0
    assert process.returncode == 0
    assert "accepted: CN=client,O=ELB" in stdout
    assert "rejected: no client certificate" in stdout
    assert "Goodbye" in stdout
    assert "Traceback" not in stderr and "Traceback" not in stdout


def test_serve_http400_style_and_sigterm(serve, pki_workspace: Workspace) -> None:
    process, port = serve("--reject-with", "http400")
    refused = curl(pki_workspace, f"https://localhost:{port}/", with_cert=False)
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=15)
    assert refused.stdout.endswith("400") and "No required SSL certificate was sent" in refused.stdout
    assert process.returncode == 0 and "Goodbye" in stdout
    assert "Traceback" not in stderr


def test_serve_app400_shows_a_newcomer_the_fail_and_its_diagnosis(serve, cli, pki_workspace: Workspace) -> None:
    process, port = serve("--reject-with", "app400")
    check = cli("check", f"127.0.0.1:{port}", "--workspace", str(pki_workspace.root))
    process.send_signal(signal.SIGTERM)
    stdout, _stderr = process.communicate(timeout=15)
    assert "no client certificate, let through TLS; the application answered HTTP 400" in stdout
    assert check.returncode == 1, check.stdout
    assert check.stdout.splitlines()[-1].startswith("FAIL: clients without a certificate get through TLS (the application answered 400)")
    assert "from the application after TLS let us in without a certificate" in check.stdout


def test_serve_without_workspace_fails_cleanly(cli, tmp_path: Path) -> None:
    result = cli("serve", "--workspace", str(tmp_path / "none"), "--port", "0")
    assert result.returncode == 1
    assert "mtls-wizard generate" in result.stderr and "Traceback" not in result.stderr


def test_serve_post_handshake_mode(serve, pki_workspace: Workspace) -> None:
    process, port = serve("--client-auth", "post-handshake")
    assert process.stdout is not None
    style = process.stdout.readline()  # read here: communicate() below only sees what is still unread
    verdict = probe("127.0.0.1", port, pki_workspace, timeout=5)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=15)
    assert verdict.status == "pass", verdict.summary
    assert "post-handshake auth" in style
    assert "rejected: no client certificate (TLS alert after the handshake)" in stdout
    assert process.returncode == 0 and "Traceback" not in stderr


def test_serve_refuses_an_impossible_combination(cli, pki_workspace: Workspace) -> None:
    result = cli("serve", "--workspace", str(pki_workspace.root), "--port", "0", "--client-auth", "post-handshake", "--reject-with", "http400")
    assert result.returncode == 2
    assert result.stderr.startswith("mtls-wizard: error:") and "--client-auth handshake" in result.stderr


def printed_line(process: subprocess.Popen, start: str) -> str:
    assert process.stdout is not None
    for _ in range(10):
        line = process.stdout.readline()
        if line.strip().startswith(start):
            return line.strip().removeprefix("try:").strip()
    raise AssertionError(f"serve printed no line starting with {start!r}")


@pytest.mark.parametrize("server_cn", ["www.test.com", "192.0.2.10", "localhost"])
def test_serve_prints_a_curl_line_that_works_as_printed(serve, tmp_path: Path, server_cn: str) -> None:
    # The tutorial's www.test.com certificate does not cover 127.0.0.1: the line must ask for the
    # certificate's name and still connect here.
    require_curl()
    ws = make_pki(tmp_path / "workspace", server_cn=server_cn, sans=())
    process, port = serve(ws=ws)
    check_line = printed_line(process, "try:")
    curl_line = printed_line(process, "curl ")
    result = subprocess.run(["bash", "-c", curl_line], capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=15)
    assert result.returncode == 0, f"{curl_line}\n{result.stderr}"
    assert result.stdout.startswith("Hello CN=client,O=ELB: mutual TLS works.\n")
    assert check_line == f"mtls-wizard check 127.0.0.1:{port} --workspace {ws.root}"


def test_serve_shows_control_characters_from_client_certificates_escaped(serve, pki_workspace: Workspace, tmp_path: Path) -> None:
    # A client certificate from our CA whose name carries ESC and BEL: the log line shows them, harmless.
    require_curl()
    cert, key = issue_client_named(pki_workspace, tmp_path, "evil\x1b]0;owned\x07\x1b[2J")
    process, port = serve()
    result = subprocess.run([require_curl(), "-sS", "--cacert", str(pki_workspace.cert("ca")),
                             "--cert", str(cert), "--key", str(key), "--resolve", f"localhost:{port}:127.0.0.1", f"https://localhost:{port}/"],
                            capture_output=True, timeout=30)
    process.send_signal(signal.SIGINT)
    stdout, _ = process.communicate(timeout=15)
    assert result.returncode == 0
    assert "\x1b" not in stdout and "\x07" not in stdout
    assert "accepted: CN=evil\\x1b]0\\;owned\\x07\\x1b[2J" in stdout  # RFC 4514 escapes the ';' itself


def issue_client_named(ws: Workspace, folder: Path, cn: str) -> tuple[Path, Path]:
    """A client certificate from the workspace CA with the given (hostile) common name."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    ca_cert = x509.load_pem_x509_certificate(ws.cert("ca").read_bytes())
    ca_key = serialization.load_pem_private_key(ws.key("ca").read_bytes(), password=None)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])).issuer_name(ca_cert.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "evil.crt", folder / "evil.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_path, key_path


def test_the_built_in_backend_answers_with_the_headers_it_received_never_a_clients_own(pki_workspace: Workspace) -> None:
    """A backend developer rehearses against the headers step 6 chose (elb.forwarded_headers); what a
    client sends under any client-certificate header name (ELB's, or an alias) never arrives."""
    import http.client
    import ssl as ssl_module

    from cryptography import x509

    client = x509.load_pem_x509_certificate(pki_workspace.cert("client").read_bytes())
    with PracticeLoadBalancer(pki_workspace, forward_client_cert=("subjectdn", "serialnumber=x-client-serial")) as server:
        context = ssl_module.create_default_context(cafile=str(pki_workspace.cert("ca")))
        context.load_cert_chain(str(pki_workspace.cert("client")), str(pki_workspace.key("client")))
        connection = http.client.HTTPSConnection("127.0.0.1", server.port, context=context, timeout=10)
        connection.request("GET", "/", headers={"X-Client-Serial": "0BADC0DE", "x-forwarded-clientcert-serialnumber": "0BADC0DE",
                                                "X-Forwarded-Clientcert-fingerprint": "0dec0ded"})
        body = connection.getresponse().read().decode()
        connection.close()
    assert "The practice load balancer's backend received these client-certificate headers:" in body
    assert "  X-Forwarded-Clientcert-subjectdn: CN=client,O=ELB\n" in body
    digits = format(client.serial_number, "X")
    assert f"  x-client-serial: {digits if len(digits) % 2 == 0 else '0' + digits}\n" in body
    assert "0BADC0DE" not in body and "0dec0ded" not in body  # dropped, also the header the listener does not forward


def _get(server: PracticeLoadBalancer, ws: Workspace, *, with_cert: bool) -> tuple[int, dict[str, str], str]:
    import http.client
    import ssl as ssl_module

    context = ssl_module.create_default_context(cafile=str(ws.cert("ca")))
    if with_cert:
        context.load_cert_chain(str(ws.cert("client")), str(ws.key("client")))
    connection = http.client.HTTPSConnection("127.0.0.1", server.port, context=context, timeout=10)
    try:
        connection.request("GET", "/")
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read().decode()
    finally:
        connection.close()


def test_the_backend_answers_in_the_wizards_language_and_refusals_stay_nginxs(pki_workspace: Workspace) -> None:
    """The built-in backend follows the language chosen at the moment of the answer (a switch
    mid-run included), and says which; the load balancer's own refusal stays nginx's English page,
    which `check` and scripts recognise in every language."""
    from wizard import i18n

    with PracticeLoadBalancer(pki_workspace, reject_with="http400", forward_client_cert=("serialnumber",)) as server:
        i18n.set_language(i18n.CHINESE)
        status, headers, body = _get(server, pki_workspace, with_cert=True)
        assert status == 200 and headers.get("content-language") == "zh-CN"
        assert "练习负载均衡器的后端收到了以下客户端证书请求头" in body and "X-Forwarded-Clientcert-serialnumber: " in body
        assert "mutual TLS works" not in body
        status, headers, body = _get(server, pki_workspace, with_cert=False)
        assert status == 400 and "No required SSL certificate was sent" in body and "content-language" not in headers

        i18n.set_language(i18n.ENGLISH)
        status, headers, body = _get(server, pki_workspace, with_cert=True)
        assert status == 200 and headers.get("content-language") == "en"
        assert body.startswith("Hello CN=client,O=ELB: mutual TLS works.\n")


NO_CLOUD_EXTRA = """
import sys
for name in ("huaweicloudsdkcore", "huaweicloudsdkelb", "huaweicloudsdkccm"):
    sys.modules[name] = None  # as if the cloud extra were not installed: importing it fails
from pathlib import Path
from wizard import elb
from wizard.handshake import probe
from wizard.practice import records
from wizard.session import Session
from wizard.workspace import Workspace
ws = Workspace(Path(sys.argv[1]))
result = records.practise(ws, records.choices_from(Session(workspace=str(ws.root)), ws, port=int(sys.argv[2])))
with records.balancer_for(ws, result.records["listener"]) as server:
    verdict = probe(server.host, server.port, ws, timeout=5)
print(elb.sdk_available(), verdict.status, sorted(result.steps_done))
"""


def test_the_practice_route_needs_no_cloud_extra(pki_workspace: Workspace, tmp_path: Path) -> None:
    """From a fresh install without the cloud extra: steps 4-6 on the practice load balancer, and
    step 7's test against it passes."""
    root = tmp_path / "workspace"
    shutil.copytree(pki_workspace.root, root)
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    done = subprocess.run([sys.executable, "-c", NO_CLOUD_EXTRA, str(root), str(port)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "pass", "[4,", "5,", "6]"], done.stdout
