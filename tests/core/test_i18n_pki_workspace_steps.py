"""The core's messages are all marked for translation: under the pseudo-locale (qps) every
error, warning, readiness finding and inspection note of wizard/pki, the workspace, the
session and the steps comes out accented, with only data (names, paths, numbers) left as
it was. An unmarked message in those modules fails here."""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import P12_PASSWORD, make_pki
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from support.i18n_helpers import untranslated_words

from wizard import i18n, pki, steps, workspace
from wizard.errors import WizardError
from wizard.session import Session, SessionStore, SessionWriter
from wizard.workspace import Workspace

NOW = dt.datetime(2030, 6, 1, tzinfo=dt.timezone.utc)


@pytest.fixture(autouse=True)
def pseudo_locale() -> Iterator[None]:
    i18n.set_language(i18n.PSEUDO)
    yield
    i18n.set_language(i18n.ENGLISH)


def assert_marked(message: str, *data: str) -> None:
    """`message` is wholly translated, apart from the data words given."""
    assert message, "no message"
    assert untranslated_words(message, allowed=data) == [], message


def error_of(action: Callable[[], object], kind: type[Exception] = WizardError) -> str:
    with pytest.raises(kind) as caught:
        action()
    return str(caught.value)


def certificate(key: ec.EllipticCurvePrivateKey, *, start: dt.datetime, end: dt.datetime, ca: bool = True) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Odd CA")])
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end))
    if ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
    return builder.sign(key, hashes.SHA256())


def pem(cert: x509.Certificate) -> str:
    return pki.cert_to_pem(cert).decode()


# ---------------------------------------------------------------------------
# names, validity, key types
# ---------------------------------------------------------------------------


def test_name_and_answer_errors_are_marked() -> None:
    assert_marked(error_of(lambda: pki.validate_key_type("dsa1024")), "dsa1024")
    assert_marked(error_of(lambda: pki.validate_days(0, i18n._("server certificate"))))
    assert_marked(error_of(lambda: pki.validate_days(20000, "CA")))
    assert_marked(error_of(lambda: pki.validate_org("  ")))
    assert_marked(error_of(lambda: pki.validate_org("O" * 70)))
    assert_marked(error_of(lambda: pki.validate_org("bad\x01org")))
    assert_marked(error_of(lambda: pki.validate_common_name("", i18n._("client"))))
    assert_marked(error_of(lambda: pki.validate_common_name("c" * 70, "CA")))
    assert_marked(error_of(lambda: pki.validate_common_name("bad\x07cn", i18n._("client"))))
    long_name = "a" * 60 + ".example.com"
    assert_marked(error_of(lambda: pki.issue_server(*_ca(), ec.generate_private_key(ec.SECP256R1()), cn=long_name)), long_name)


@pytest.mark.parametrize(("name", "data"), [
    ("", ()),
    ("fe80::1%eth0", ("eth0",)),
    ("https://www.example.com/", ()),
    ("www.example.com:443", ()),
    ("*.com", ("com",)),
    ("a*.example.com", ()),
    ("-bad-.example.com", ()),
    ("10.0.0.300", ()),
    ("0.0.0.0", ()),
    ("224.0.0.1", ()),
    ("a" * 63 + "." + "b" * 63 + "." + "c" * 63 + "." + "d" * 63 + ".com", ()),
])
def test_server_name_problems_are_marked(name: str, data: tuple[str, ...]) -> None:
    problem = pki.name_problem(name)
    assert problem is not None
    assert_marked(problem, *data)


def _ca() -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    return key, pki.create_ca(key, days=30).cert


def test_validity_warnings_are_marked() -> None:
    assert_marked(pki.leaf_validity_warnings("server", 900)[0], "Apple")
    _key, ca_cert = _ca()
    for kind in ("server", "client"):
        assert_marked(pki.leaf_validity_warnings(kind, 400, ca_cert)[-1])


def test_a_ca_that_cannot_sign_is_described_in_marked_words() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    expired = certificate(key, start=NOW - dt.timedelta(days=400), end=NOW - dt.timedelta(days=5))
    future = certificate(key, start=NOW + dt.timedelta(days=5), end=NOW + dt.timedelta(days=400))
    no_usage = certificate(key, start=NOW - dt.timedelta(days=5), end=NOW + dt.timedelta(days=400))
    for cert in (expired, future, no_usage):
        assert_marked(pki.ca_signing_problem(cert, now=NOW) or "")


# ---------------------------------------------------------------------------
# keys, .p12, inspection
# ---------------------------------------------------------------------------


def test_key_certificate_and_p12_errors_are_marked() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    encrypted = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.BestAvailableEncryption(b"secret-pass"))
    odd = ed25519.Ed25519PrivateKey.generate()
    odd_pem = odd.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    assert_marked(error_of(lambda: pki.load_key_pem(b"junk")))
    assert_marked(error_of(lambda: pki.load_key_pem(encrypted)))
    assert_marked(error_of(lambda: pki.load_key_pem(odd_pem)), "ed25519")
    assert_marked(error_of(lambda: pki.load_cert_pem(b"junk")))
    from wizard.pki.keys import key_to_traditional_pem
    assert_marked(error_of(lambda: key_to_traditional_pem(odd)), "ed25519")  # type: ignore[arg-type]
    assert_marked(error_of(lambda: pki.validate_p12_password("")))
    assert_marked(pki.validate_p12_password("short")[0])
    ca_key, ca_cert = _ca()
    bundle = pki.export_p12(ca_key, ca_cert, P12_PASSWORD)
    assert_marked(error_of(lambda: pki.load_p12(bundle, None)), "FILE")
    assert_marked(error_of(lambda: pki.load_p12(bundle, "wrong password")))


def test_inspection_errors_and_notes_are_marked() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    ca_key, ca_cert = _ca()
    assert_marked(error_of(lambda: pki.inspect_bytes(b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")), "PUBLIC", "KEY")
    assert_marked(error_of(lambda: pki.inspect_bytes(b"no certificate here at all")))
    encrypted = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.BestAvailableEncryption(b"secret-pass"))
    notes = [
        *pki.inspect_bytes(encrypted).notes,
        *pki.inspect_bytes(ca_cert.public_bytes(serialization.Encoding.DER)).notes,
        *pki.inspect_bytes(key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption())).notes,
        *pki.inspect_bytes(pkcs12.serialize_key_and_certificates(b"x", ca_key, ca_cert, None, serialization.NoEncryption())).notes,
    ]
    assert len(notes) == 4
    for note in notes:
        assert_marked(note)


# ---------------------------------------------------------------------------
# readiness findings
# ---------------------------------------------------------------------------


def assert_findings_marked(findings: list[pki.Finding], *data: str) -> None:
    assert findings
    for finding in findings:
        assert_marked(finding.message, *data)
        if finding.fix:
            assert_marked(finding.fix, *data)


def test_readiness_findings_on_a_workspace_are_marked(pki_workspace: Workspace) -> None:
    server_cert = pki_workspace.cert("server").read_text()
    server_key = pki_workspace.key("server").read_text()
    ca_cert = pki_workspace.cert("ca").read_text()
    client_key = pki_workspace.key("client").read_text()
    assert_findings_marked(pki.elb_readiness(server_cert, server_key), "ec")
    assert_findings_marked(pki.elb_readiness(ca_cert, None, purpose="ca"))
    assert_findings_marked(pki.elb_readiness(server_cert, "key", purpose="ca"))
    assert_findings_marked(pki.elb_readiness(server_cert, None))
    assert_findings_marked(pki.elb_readiness(server_cert, "-----BEGIN ENCRYPTED PRIVATE KEY-----"))
    assert_findings_marked(pki.elb_readiness(server_cert, "not a key"))
    assert_findings_marked(pki.elb_readiness(server_cert, client_key))
    assert_findings_marked(pki.elb_readiness(server_cert, "-----BEGIN PRIVATE KEY-----\n" + "A" * 9000 + "\n-----END PRIVATE KEY-----\n"))
    assert_findings_marked(pki.elb_readiness(server_cert + ca_cert, server_key), "ec")  # a chain in order
    assert_findings_marked(pki.elb_readiness(ca_cert + server_cert, server_key))  # out of order
    assert_findings_marked(pki.elb_readiness(ca_cert, server_key))  # a CA as the server certificate
    assert_findings_marked(pki.elb_readiness(pki_workspace.cert("client").read_text(), client_key))  # no serverAuth
    assert_findings_marked(pki.elb_readiness(server_cert * 12, server_key))  # too long a chain
    assert_findings_marked(pki.elb_readiness(server_cert * 100, server_key))  # too much text
    assert_findings_marked(pki.elb_readiness("no PEM here"))
    assert_findings_marked(pki.elb_readiness("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
    odd = ed25519.Ed25519PrivateKey.generate().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                            serialization.NoEncryption()).decode()
    assert_findings_marked(pki.elb_readiness(server_cert, odd), "ed25519")


def test_validity_findings_are_marked() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    for start, end in ((NOW + dt.timedelta(days=1), NOW + dt.timedelta(days=90)),
                       (NOW - dt.timedelta(days=90), NOW - dt.timedelta(days=1)),
                       (NOW - dt.timedelta(days=90), NOW + dt.timedelta(days=10))):
        findings = pki.elb_readiness(pem(certificate(key, start=start, end=end, ca=False)), None, purpose="ca", now=NOW)
        assert_findings_marked([f for f in findings if f.check == "validity"])


# ---------------------------------------------------------------------------
# the workspace, its lock, reading files
# ---------------------------------------------------------------------------


def test_workspace_errors_are_marked(tmp_path: Path) -> None:
    assert_marked(error_of(lambda: Workspace("  ")))
    ws = Workspace(tmp_path / "ws")
    ws.ensure()
    for path in ws.artifacts("server"):
        path.write_text("x")
    assert_marked(error_of(lambda: ws.refuse_existing(ws.artifacts("server")[:1], i18n._(steps.LEAF_HINT))))
    assert_marked(error_of(lambda: ws.refuse_existing(ws.artifacts("server"), i18n._(steps.LEAF_HINT))))
    assert_marked(error_of(lambda: workspace.read_bytes(tmp_path / "missing.pem")))
    assert_marked(error_of(lambda: workspace.read_text(tmp_path / "missing.pem", i18n._("server certificate"))))
    assert_marked(error_of(lambda: workspace.read_bytes(tmp_path)))  # a folder
    os.mkfifo(tmp_path / "pipe")
    assert_marked(error_of(lambda: workspace.read_bytes(tmp_path / "pipe")))
    big = tmp_path / "big.pem"
    big.write_bytes(b"0" * (workspace.MAX_FILE_BYTES + 1))
    assert_marked(error_of(lambda: workspace.read_bytes(big)))
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert_marked(error_of(lambda: Workspace(blocker / "inner" / "ws").create_root()))
    assert_marked(error_of(lambda: Workspace(blocker).ensure()))


@pytest.mark.parametrize("code", [errno.EACCES, errno.ENOSPC, errno.ENOENT, errno.ENOTDIR, errno.EIO])
def test_write_failures_are_described_in_marked_words(code: int, tmp_path: Path) -> None:
    reason = os.strerror(code)
    assert_marked(workspace._describe_os_error(OSError(code, reason), tmp_path / "x"), *reason.split())  # noqa: SLF001


def test_lock_notices_and_refusals_are_marked(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    ws.ensure()
    (ws.folder("ca") / ".ca.key.abcd1234.tmp").write_text("left over")
    os.chmod(ws.root, 0o755)
    with ws.locked() as hold:
        assert len(hold.notices) == 2
        for notice in hold.notices:
            assert_marked(notice)
    os.chmod(ws.root, 0o700)
    (ws.root / workspace.LOCK_NAME).unlink()
    (ws.root / workspace.LOCK_NAME).symlink_to(tmp_path / "elsewhere")
    assert_marked(error_of(lambda: ws.locked().__enter__()))


# ---------------------------------------------------------------------------
# sessions
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("content", ["{not json", "[]", '{"session": {}}', '{"version": 99, "session": {}}',
                                     '{"version": 1}', '{"version": 1, "session": {"workspace": "w", "ca_days": "x"}}'])
def test_unusable_session_files_are_reported_in_marked_words(content: str, tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "data")
    path = store.path_for(tmp_path / "ws")
    path.parent.mkdir(parents=True)
    path.write_text(content)
    os.chmod(path, 0o600)
    assert_marked(error_of(lambda: store.load(tmp_path / "ws")), "ca_days")


def test_session_files_others_could_write_are_reported_in_marked_words(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "data")
    store.save(Session(workspace=str(tmp_path / "ws")))
    os.chmod(store.pointer, 0o666)
    assert_marked(error_of(store.last))
    store.pointer.write_text(str(tmp_path / "elsewhere.json") + "\n")
    os.chmod(store.pointer, 0o600)
    assert_marked(error_of(store.last))
    store.pointer.unlink()
    store.pointer.symlink_to(tmp_path / "elsewhere")
    assert_marked(error_of(store.last))
    store.pointer.unlink()
    store.pointer.mkdir()
    assert_marked(error_of(store.last))
    if os.geteuid() == 0:  # only root can give a file to another user
        os.chown(store.path_for(tmp_path / "ws"), 54321, -1)
        assert_marked(error_of(lambda: store.load(tmp_path / "ws")))


def test_a_session_that_cannot_be_saved_is_reported_in_marked_words(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    errors: list[str] = []
    writer = SessionWriter(SessionStore(blocker / "data"), errors.append)
    writer.submit(Session(workspace=str(tmp_path / "ws")))
    assert writer.flush()
    assert len(errors) == 1
    assert_marked(errors[0], *os.strerror(errno.ENOTDIR).split(), *os.strerror(errno.EEXIST).split())  # the system's words


# ---------------------------------------------------------------------------
# the steps
# ---------------------------------------------------------------------------


def test_step_refusals_and_warnings_are_marked(tmp_path: Path) -> None:
    ws = make_pki(tmp_path / "ws")
    session = Session(workspace=str(ws.root), org="Other", ca_key_type="ec-p384", server_key_type="ec-p256", client_key_type="ec-p256")
    assert_marked(error_of(lambda: steps.generate(ws, session, P12_PASSWORD)))
    assert_marked(error_of(lambda: steps.issue_server(ws, session, key=ec.generate_private_key(ec.SECP256R1()))))
    assert_marked(steps.create_ca(ws, session).warnings[0], "Other", "mTLS", "Root")
    long_name = Session(workspace=str(ws.root), server_cn="a" * 60 + ".example.com")
    assert_marked(error_of(lambda: steps.validate_answers(long_name, ("server",))), long_name.server_cn)
    assert_marked(error_of(lambda: steps.validate_answers(Session(workspace=str(ws.root), client_days=0), ("client",))))
    before = steps.files_state(ws)  # noqa: SLF001
    ws.cert("server").write_bytes(ws.cert("server").read_bytes() + b"\n")
    assert_marked(error_of(lambda: steps.refuse_if_changed(ws, before)))  # noqa: SLF001
    ws.key("client").write_bytes(ws.key("server").read_bytes())
    assert_marked(error_of(lambda: steps.adopt(ws, "client")))
    ws.p12.unlink()
    assert_marked(error_of(lambda: steps.adopt(ws, "client")))


def test_a_certificate_from_another_ca_is_refused_in_marked_words(tmp_path: Path, foreign_workspace: Workspace) -> None:
    ws = make_pki(tmp_path / "ws")
    for path in (foreign_workspace.cert("server"), foreign_workspace.key("server")):
        (ws.root / foreign_workspace.relative(path)).write_bytes(path.read_bytes())
    assert_marked(error_of(lambda: steps.adopt(ws, "server")))


def test_ca_refusals_are_marked(tmp_path: Path, foreign_workspace: Workspace) -> None:
    ws = make_pki(tmp_path / "ws")
    ws.key("ca").write_bytes(foreign_workspace.key("ca").read_bytes())
    assert_marked(error_of(lambda: steps.load_ca(ws)))
    ws.cert("ca").write_bytes(ws.cert("server").read_bytes())
    ws.key("ca").write_bytes(ws.key("server").read_bytes())
    assert_marked(error_of(lambda: steps.load_ca(ws)))
    ws.cert("ca").unlink()
    assert_marked(error_of(lambda: steps.load_ca(ws)))
    assert_marked(error_of(lambda: steps.create_ca(ws, Session(workspace=str(ws.root)))))
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.timezone.utc)
    ws.key("ca").write_bytes(pki.key_to_pem(key))
    ws.cert("ca").write_text(pem(certificate(key, start=now - dt.timedelta(days=90), end=now - dt.timedelta(days=1))))
    assert_marked(error_of(lambda: steps.load_ca(ws)))  # expired
    ws.key("ca").write_text("junk")
    ws.cert("ca").write_bytes(foreign_workspace.cert("ca").read_bytes())
    assert_marked(error_of(lambda: steps.load_ca(ws)))


def test_english_is_unchanged_after_the_pseudo_locale() -> None:
    i18n.set_language(i18n.ENGLISH)
    assert pki.name_problem("") == "the name is empty: give a domain name (www.example.com) or an IP address"
    assert json.dumps(pki.validate_p12_password("short")) == '["the .p12 password has only 5 characters: 8 or more is advisable"]'
