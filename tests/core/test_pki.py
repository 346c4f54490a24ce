"""The certificate profile, validation, .p12, inspection and ELB readiness of wizard.pki."""

from __future__ import annotations

import datetime as dt
import ipaddress

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from wizard import pki
from wizard.cli.certificates import format_inspection
from wizard.errors import InputError

PASSWORD = "correct horse battery"

# A self-signed X.509 v1 certificate signed with ECDSA-SHA1, made with the tutorial's own
# `openssl x509 -req -sha1 -days 5000 -signkey` (cryptography refuses to sign with SHA-1).
SHA1_CERT = """-----BEGIN CERTIFICATE-----
MIIBQjCB6gIUeeWQqwD29HBHcKCzJgsNh/qv34MwCQYHKoZIzj0EATAlMQwwCgYD
VQQKDANFTEIxFTATBgNVBAMMDHd3dy50ZXN0LmNvbTAeFw0yNjExMjkwNDE4MjVa
Fw00MDA4MDcwNDE4MjVaMCUxDDAKBgNVBAoMA0VMQjEVMBMGA1UEAwwMd3d3LnRl
c3QuY29tMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqYbcHwshtBasuxQmXalD
M0YR1wL38xcTFcJOcBmoxKp7RL8gA4hRxsvHRKnLI8/WoevyGxHQW/z2rDD4T/8o
qjAJBgcqhkjOPQQBA0gAMEUCIQDjsuyUYFODje7WOiuizxsCMG053A8jXwPEe0Pc
KgFFlgIgWK/XhZXfIgbBJXBZSU6H3CFrkKVZa+N0n8OSE+yRygw=
-----END CERTIFICATE-----
"""


# ---------------------------------------------------------------------------
# Fixtures: one EC PKI and one RSA PKI for the module (keys are the slow part)
# ---------------------------------------------------------------------------


class Pki:
    def __init__(self, key_type: str, server_cn: str = "www.test.com", sans: tuple[str, ...] = ()) -> None:
        self.ca = pki.create_ca(pki.generate_key(key_type))
        self.server = pki.issue_server(self.ca.key, self.ca.cert, pki.generate_key(key_type), cn=server_cn, sans=sans)
        self.client = pki.issue_client(self.ca.key, self.ca.cert, pki.generate_key(key_type))


@pytest.fixture(scope="module")
def ec_pki() -> Pki:
    return Pki("ec-p256", sans=("api.test.com", "10.0.0.7"))


@pytest.fixture(scope="module")
def rsa_pki() -> Pki:
    return Pki("rsa2048")


@pytest.fixture(scope="module")
def p384_pki() -> Pki:
    return Pki("ec-p384", server_cn="192.168.1.20")


def ext(cert: x509.Certificate | x509.CertificateSigningRequest, cls: type) -> x509.Extension:
    return cert.extensions.get_extension_for_class(cls)


def cn(name: x509.Name) -> str:
    return str(name.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)


def org(name: x509.Name) -> str:
    return str(name.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value)


def validity_days(cert: x509.Certificate) -> float:
    return (cert.not_valid_after_utc - cert.not_valid_before_utc) / dt.timedelta(days=1)


# ---------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key_type", "kind", "size"),
    [("rsa2048", rsa.RSAPrivateKey, 2048), ("rsa3072", rsa.RSAPrivateKey, 3072), ("rsa4096", rsa.RSAPrivateKey, 4096),
     ("ec-p256", ec.EllipticCurvePrivateKey, 256), ("ec-p384", ec.EllipticCurvePrivateKey, 384)],
)
def test_every_offered_key_type_generates_that_key(key_type: str, kind: type, size: int) -> None:
    key = pki.generate_key(key_type)
    assert isinstance(key, kind)
    assert key.key_size == size
    assert pki.key_type_of(key) == key_type
    if isinstance(key, rsa.RSAPrivateKey):
        assert key.public_key().public_numbers().e == 65537


def test_the_offered_key_types_are_exactly_the_five_and_rsa2048_is_the_default() -> None:
    assert pki.KEY_TYPES == ("rsa2048", "rsa3072", "rsa4096", "ec-p256", "ec-p384")
    assert pki.DEFAULT_KEY_TYPE == "rsa2048"


@pytest.mark.parametrize("weak", ["rsa1024", "rsa512", "ec-p192", "ec-p224", "dsa", "ed25519", "RSA2048", "", "rsa"])
def test_weaker_or_unknown_key_types_are_refused(weak: str) -> None:
    with pytest.raises(InputError, match="unknown key type"):
        pki.generate_key(weak)
    with pytest.raises(InputError, match="rsa2048, rsa3072, rsa4096, ec-p256, ec-p384"):
        pki.validate_key_type(weak)


# ---------------------------------------------------------------------------
# Step 1: the CA
# ---------------------------------------------------------------------------


def test_ca_profile(ec_pki: Pki) -> None:
    cert = ec_pki.ca.cert
    assert cert.version == x509.Version.v3
    assert isinstance(cert.signature_hash_algorithm, hashes.SHA256)
    assert cert.subject == cert.issuer
    assert org(cert.subject) == "ELB"
    assert cn(cert.subject) == "ELB mTLS Root CA"
    basic = ext(cert, x509.BasicConstraints)
    assert basic.critical and basic.value.ca is True and basic.value.path_length == 0
    usage = ext(cert, x509.KeyUsage)
    assert usage.critical
    assert usage.value.key_cert_sign and usage.value.crl_sign
    assert not usage.value.digital_signature and not usage.value.key_encipherment
    with pytest.raises(x509.ExtensionNotFound):
        ext(cert, x509.ExtendedKeyUsage)
    ski = ext(cert, x509.SubjectKeyIdentifier).value
    assert ski == x509.SubjectKeyIdentifier.from_public_key(ec_pki.ca.key.public_key())
    assert ext(cert, x509.AuthorityKeyIdentifier).value.key_identifier == ski.digest
    cert.verify_directly_issued_by(cert)
    assert pki.is_ca(cert)


def test_ca_subject_follows_the_org_and_a_given_cn() -> None:
    key = pki.generate_key("ec-p256")
    assert cn(pki.create_ca(key, org="Acme").cert.subject) == "Acme mTLS Root CA"
    named = pki.create_ca(key, org="Acme", cn="Acme Test CA").cert
    assert (org(named.subject), cn(named.subject)) == ("Acme", "Acme Test CA")


def test_validity_defaults_are_3650_825_825(ec_pki: Pki) -> None:
    assert (pki.CA_DAYS, pki.SERVER_DAYS, pki.CLIENT_DAYS) == (3650, 825, 825)
    assert validity_days(ec_pki.ca.cert) == 3650
    assert validity_days(ec_pki.server.cert) == 825
    assert validity_days(ec_pki.client.cert) == 825


def test_certificates_start_a_little_in_the_past() -> None:
    now = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    cert = pki.create_ca(pki.generate_key("ec-p256"), days=10, now=now).cert
    assert cert.not_valid_before_utc == now - pki.BACKDATE
    assert cert.not_valid_after_utc == now - pki.BACKDATE + dt.timedelta(days=10)


def test_serials_are_random_positive_and_differ(ec_pki: Pki, rsa_pki: Pki) -> None:
    serials = [c.cert.serial_number for p in (ec_pki, rsa_pki) for c in (p.ca, p.server, p.client)]
    assert len(set(serials)) == len(serials)
    for serial in serials:
        # RFC 5280: positive, at most 20 octets; a random one is far above a counter's values.
        assert 0 < serial < 2**159
        assert serial.bit_length() > 64


# ---------------------------------------------------------------------------
# Step 2: the server certificate
# ---------------------------------------------------------------------------


def test_server_profile_with_a_name_cn_and_extra_sans(ec_pki: Pki) -> None:
    cert, ca = ec_pki.server.cert, ec_pki.ca.cert
    assert cert.version == x509.Version.v3
    assert isinstance(cert.signature_hash_algorithm, hashes.SHA256)
    assert (org(cert.subject), cn(cert.subject)) == ("ELB", "www.test.com")
    assert cert.issuer == ca.subject
    san = ext(cert, x509.SubjectAlternativeName)
    assert not san.critical
    assert san.value.get_values_for_type(x509.DNSName) == ["www.test.com", "api.test.com"]
    assert san.value.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("10.0.0.7")]
    assert ext(cert, x509.ExtendedKeyUsage).value == x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH])
    basic = ext(cert, x509.BasicConstraints)
    assert basic.critical and basic.value.ca is False
    usage = ext(cert, x509.KeyUsage).value
    assert usage.digital_signature and not usage.key_encipherment  # an EC key cannot encipher
    assert not usage.key_cert_sign
    # SKID of its own key; AKID pointing at the CA's SKID
    assert ext(cert, x509.SubjectKeyIdentifier).value == x509.SubjectKeyIdentifier.from_public_key(ec_pki.server.key.public_key())
    ca_ski = ext(ca, x509.SubjectKeyIdentifier).value.digest
    assert ext(cert, x509.AuthorityKeyIdentifier).value.key_identifier == ca_ski
    cert.verify_directly_issued_by(ca)
    assert pki.verify_issued_by(cert, ca)
    assert not pki.is_ca(cert)


def test_rsa_server_certificate_also_allows_key_encipherment(rsa_pki: Pki) -> None:
    usage = ext(rsa_pki.server.cert, x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and usage.value.key_encipherment
    assert pki.key_type_of(rsa_pki.server.cert.public_key()) == "rsa2048"
    assert isinstance(rsa_pki.server.cert.signature_hash_algorithm, hashes.SHA256)


def test_server_subject_defaults_to_the_tutorials() -> None:
    assert (pki.DEFAULT_ORG, pki.DEFAULT_SERVER_CN, pki.DEFAULT_CLIENT_CN) == ("ELB", "www.test.com", "client")


def test_an_ip_cn_becomes_an_ip_san_never_a_dns_san(p384_pki: Pki) -> None:
    san = ext(p384_pki.server.cert, x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("192.168.1.20")]
    assert san.get_values_for_type(x509.DNSName) == []
    assert cn(p384_pki.server.cert.subject) == "192.168.1.20"


def test_an_ipv6_cn_is_compressed_and_becomes_an_ip_san() -> None:
    ca = pki.create_ca(pki.generate_key("ec-p256"))
    server = pki.issue_server(ca.key, ca.cert, pki.generate_key("ec-p256"), cn="2001:DB8:0:0::1", sans=["WWW.Example.COM."])
    san = ext(server.cert, x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("2001:db8::1")]
    assert san.get_values_for_type(x509.DNSName) == ["www.example.com"]
    assert cn(server.cert.subject) == "2001:db8::1"


def test_server_sans_put_the_cn_first_and_drop_duplicates() -> None:
    assert pki.server_sans("www.test.com", ["WWW.TEST.COM", "*.test.com", "10.0.0.1", "10.0.0.1"]) == ["www.test.com", "*.test.com", "10.0.0.1"]


def test_a_wildcard_san_is_a_dns_san() -> None:
    assert pki.general_name("*.example.com") == x509.DNSName("*.example.com")


def test_p384_keys_sign_with_sha384(p384_pki: Pki) -> None:
    for issued in (p384_pki.ca, p384_pki.server, p384_pki.client):
        assert isinstance(issued.cert.signature_hash_algorithm, hashes.SHA384)
        assert isinstance(issued.csr.signature_hash_algorithm, hashes.SHA384)
        assert pki.key_type_of(issued.cert.public_key()) == "ec-p384"


def test_the_signing_hash_follows_the_ca_key_not_the_leaf_key(p384_pki: Pki) -> None:
    leaf = pki.issue_client(p384_pki.ca.key, p384_pki.ca.cert, pki.generate_key("ec-p256"))
    assert isinstance(leaf.cert.signature_hash_algorithm, hashes.SHA384)
    assert isinstance(leaf.csr.signature_hash_algorithm, hashes.SHA256)


def test_a_cn_over_64_characters_is_refused_with_advice_to_use_a_san() -> None:
    long_name = ("a" * 60) + ".example.com"
    ca = pki.create_ca(pki.generate_key("ec-p256"))
    with pytest.raises(InputError, match="--san"):
        pki.issue_server(ca.key, ca.cert, pki.generate_key("ec-p256"), cn=long_name)
    # ... while the same long name is fine as an extra SAN
    server = pki.issue_server(ca.key, ca.cert, pki.generate_key("ec-p256"), cn="www.example.com", sans=[long_name])
    assert long_name in ext(server.cert, x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)


# ---------------------------------------------------------------------------
# Step 3: the client certificate
# ---------------------------------------------------------------------------


def test_client_profile(ec_pki: Pki) -> None:
    cert = ec_pki.client.cert
    assert cert.version == x509.Version.v3
    assert (org(cert.subject), cn(cert.subject)) == ("ELB", "client")
    assert ext(cert, x509.ExtendedKeyUsage).value == x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH])
    usage = ext(cert, x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and not usage.value.key_cert_sign
    assert ext(cert, x509.BasicConstraints).value.ca is False
    assert ext(cert, x509.AuthorityKeyIdentifier).value.key_identifier == ext(ec_pki.ca.cert, x509.SubjectKeyIdentifier).value.digest
    assert ext(cert, x509.SubjectKeyIdentifier).value == x509.SubjectKeyIdentifier.from_public_key(ec_pki.client.key.public_key())
    cert.verify_directly_issued_by(ec_pki.ca.cert)


def test_client_cn_is_taken_as_given() -> None:
    ca = pki.create_ca(pki.generate_key("ec-p256"))
    client = pki.issue_client(ca.key, ca.cert, pki.generate_key("ec-p256"), cn="Alice's laptop", org="Acme")
    assert (org(client.cert.subject), cn(client.cert.subject)) == ("Acme", "Alice's laptop")


# ---------------------------------------------------------------------------
# CSRs are produced, as in the tutorial
# ---------------------------------------------------------------------------


def test_every_step_keeps_a_valid_csr_for_its_key(ec_pki: Pki) -> None:
    for issued in (ec_pki.ca, ec_pki.server, ec_pki.client):
        assert issued.csr.is_signature_valid
        assert issued.csr.subject == issued.cert.subject
        assert pki.keys_match(issued.key, issued.cert)
        assert issued.csr.public_key().public_numbers() == issued.key.public_key().public_numbers()
    assert pki.san_strings(ec_pki.server.csr) == ["DNS:www.test.com", "DNS:api.test.com", "IP:10.0.0.7"]


# ---------------------------------------------------------------------------
# Validation of the answers
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("good", ["www.test.com", "localhost", "a-b.example.org", "*.example.com", "10.0.0.1", "::1",
                                  "2001:db8::1", "xn--bcher-kva.example", "bücher.example", "WWW.TEST.COM."])
def test_good_server_names_pass(good: str) -> None:
    assert pki.name_problem(good) is None
    pki.normalise_name(good)


@pytest.mark.parametrize(
    ("bad", "words"),
    [("", "empty"), ("   ", "empty"), ("https://www.test.com", "URL"), ("www.test.com/path", "URL"),
     ("www.test.com:443", "port"), ("bad_name", "not a valid host name"), ("-bad.example.com", "not a valid host name"),
     ("a..b", "not a valid host name"), ("*.com", "wildcard"), ("www.*.com", "wildcard"), ("f*o.example.com", "wildcard"),
     ("*.*.example.com", "not a valid host name"), ("1.2.3.999", "mistyped IP"), ("a" * 64 + ".com", "not a valid host name"),
     (("abcdefghi." * 26) + "com", "253"), ("two words.com", "not a valid host name")],
)
def test_bad_server_names_are_refused_with_a_reason(bad: str, words: str) -> None:
    problem = pki.name_problem(bad)
    assert problem is not None and words in problem
    with pytest.raises(InputError) as raised:
        pki.normalise_name(bad)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize("days", [0, -1, -3650, pki.MAX_DAYS + 1, 10**9])
def test_implausible_days_are_refused(days: int) -> None:
    with pytest.raises(InputError, match="validity"):
        pki.validate_days(days, "server certificate")
    key = pki.generate_key("ec-p256")
    with pytest.raises(InputError):
        pki.create_ca(key, days=days)


def test_plausible_days_pass() -> None:
    assert pki.validate_days(1, "CA") == 1
    assert pki.validate_days(pki.MAX_DAYS, "CA") == pki.MAX_DAYS


def test_org_and_cn_limits() -> None:
    assert pki.validate_org("O" * 64) == "O" * 64
    with pytest.raises(InputError, match="65 characters"):
        pki.validate_org("O" * 65)
    with pytest.raises(InputError, match="empty"):
        pki.validate_org("  ")
    with pytest.raises(InputError, match="control characters"):
        pki.validate_org("ELB\nInc")
    with pytest.raises(InputError, match="at most 64"):
        pki.validate_common_name("c" * 65, "client")
    with pytest.raises(InputError, match="empty"):
        pki.validate_common_name("", "client")


def test_server_validity_over_825_days_is_warned_about_but_allowed(ec_pki: Pki) -> None:
    assert pki.leaf_validity_warnings("server", 825) == []
    warning = pki.leaf_validity_warnings("server", 826)
    assert len(warning) == 1 and "Apple" in warning[0] and "825" in warning[0]
    # the client certificate has no Apple limit
    assert pki.leaf_validity_warnings("client", 3000) == []
    server = pki.issue_server(ec_pki.ca.key, ec_pki.ca.cert, pki.generate_key("ec-p256"), cn="x.test.com", days=1000)
    assert validity_days(server.cert) == 1000


def test_a_leaf_outliving_the_ca_is_warned_about(ec_pki: Pki) -> None:
    warnings = pki.leaf_validity_warnings("client", 4000, ec_pki.ca.cert)
    assert any("outlive the CA" in w for w in warnings)


# ---------------------------------------------------------------------------
# .p12
# ---------------------------------------------------------------------------


def test_p12_default_is_modern_and_opens_with_its_password(ec_pki: Pki) -> None:
    data = pki.export_p12(ec_pki.client.key, ec_pki.client.cert, PASSWORD)
    assert pki.p12_protection(data) == {"cipher": "AES-256-CBC (PBES2)", "mac": "SHA-256", "mode": "modern"}
    bundle = pki.load_p12(data, PASSWORD)
    assert bundle.cert is not None and bundle.cert.certificate == ec_pki.client.cert
    assert bundle.cert.friendly_name == b"client"
    assert pki.keys_match(bundle.key, ec_pki.client.cert)


def test_p12_legacy_is_3des_with_sha1_mac(rsa_pki: Pki) -> None:
    data = pki.export_p12(rsa_pki.client.key, rsa_pki.client.cert, PASSWORD, legacy=True, friendly_name="my laptop")
    protection = pki.p12_protection(data)
    assert protection["mode"] == "legacy" and protection["mac"] == "SHA-1" and protection["cipher"].startswith("3DES")
    assert pkcs12.load_pkcs12(data, PASSWORD.encode()).cert.friendly_name == b"my laptop"


@pytest.mark.parametrize("legacy", [False, True])
def test_p12_wrong_password_is_a_clear_input_error(ec_pki: Pki, legacy: bool) -> None:
    data = pki.export_p12(ec_pki.client.key, ec_pki.client.cert, PASSWORD, legacy=legacy)
    with pytest.raises(InputError, match="wrong password"):
        pki.load_p12(data, "not the password")
    with pytest.raises(InputError, match="password-protected"):
        pki.load_p12(data, None)


def test_p12_empty_password_is_refused_and_a_short_one_warned_about(ec_pki: Pki) -> None:
    with pytest.raises(InputError, match="must not be empty"):
        pki.export_p12(ec_pki.client.key, ec_pki.client.cert, "")
    with pytest.raises(InputError, match="must not be empty"):
        pki.validate_p12_password("")
    assert pki.validate_p12_password("short") and "8" in pki.validate_p12_password("short")[0]
    assert pki.validate_p12_password("long enough") == []


# ---------------------------------------------------------------------------
# Inspection (PEM and DER)
# ---------------------------------------------------------------------------


def test_inspect_pem_certificate_gives_every_fact(ec_pki: Pki) -> None:
    result = pki.inspect_bytes(pki.cert_to_pem(ec_pki.server.cert))
    assert result.kind == "certificate"
    (summary,) = result.certificates
    assert summary.subject == "CN=www.test.com,O=ELB"
    assert summary.issuer == "CN=ELB mTLS Root CA,O=ELB"
    assert summary.sans == ["DNS:www.test.com", "DNS:api.test.com", "IP:10.0.0.7"]
    assert summary.key_usage == ["digitalSignature"]
    assert summary.extended_key_usage == ["serverAuth"]
    assert summary.key_type == "ec-p256" and summary.signature_hash == "SHA-256" and summary.version == 3
    assert summary.sha256_fingerprint == pki.fingerprint(ec_pki.server.cert)
    assert summary.sha256_fingerprint == ec_pki.server.cert.fingerprint(hashes.SHA256()).hex(":").upper()
    assert summary.is_ca is False and summary.self_signed is False
    assert summary.not_after == ec_pki.server.cert.not_valid_after_utc.isoformat()
    text = format_inspection(result)
    for words in ("Subject:", "Issuer:", "SANs:", "IP:10.0.0.7", "serverAuth", "Valid from:", "Valid until:",
                  "ec-p256", summary.sha256_fingerprint, "Is a CA:      no"):
        assert words in text


def test_inspect_ca_says_it_is_a_ca(ec_pki: Pki) -> None:
    (summary,) = pki.inspect_bytes(pki.cert_to_pem(ec_pki.ca.cert)).certificates
    assert summary.is_ca and summary.self_signed
    assert summary.key_usage == ["keyCertSign", "cRLSign"]


def test_inspect_der_certificate_notes_der(ec_pki: Pki) -> None:
    result = pki.inspect_bytes(ec_pki.client.cert.public_bytes(serialization.Encoding.DER))
    assert result.kind == "certificate"
    assert result.certificates[0].extended_key_usage == ["clientAuth"]
    assert any("DER" in note for note in result.notes)


def test_inspect_chain(ec_pki: Pki) -> None:
    result = pki.inspect_bytes(pki.cert_to_pem(ec_pki.server.cert) + pki.cert_to_pem(ec_pki.ca.cert))
    assert result.kind == "certificate chain"
    assert [c.is_ca for c in result.certificates] == [False, True]
    assert "certificate 2 of 2" in format_inspection(result)


@pytest.mark.parametrize("encoding", ["PEM", "DER"])
def test_inspect_keys(rsa_pki: Pki, encoding: str) -> None:
    enc = getattr(serialization.Encoding, encoding)
    plain = rsa_pki.server.key.private_bytes(enc, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    result = pki.inspect_bytes(plain)
    assert (result.kind, result.key_type, result.key_encrypted) == ("private key", "rsa2048", False)
    locked = rsa_pki.server.key.private_bytes(enc, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw"))
    result = pki.inspect_bytes(locked)
    assert (result.kind, result.key_encrypted) == ("private key", True)
    assert "Encrypted:    yes" in format_inspection(result)


def test_inspect_traditional_encrypted_pem_key(ec_pki: Pki) -> None:
    locked = ec_pki.server.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                             serialization.BestAvailableEncryption(b"pw"))
    assert pki.inspect_bytes(locked).key_encrypted


@pytest.mark.parametrize("encoding", ["PEM", "DER"])
def test_inspect_csr(ec_pki: Pki, encoding: str) -> None:
    result = pki.inspect_bytes(ec_pki.server.csr.public_bytes(getattr(serialization.Encoding, encoding)))
    assert result.kind == "CSR"
    assert result.csr_subject == "CN=www.test.com,O=ELB"
    assert result.csr_sans == ["DNS:www.test.com", "DNS:api.test.com", "IP:10.0.0.7"]
    assert result.csr_signature_valid is True and result.key_type == "ec-p256"


@pytest.mark.parametrize("legacy", [False, True])
def test_inspect_p12(ec_pki: Pki, legacy: bool) -> None:
    data = pki.export_p12(ec_pki.client.key, ec_pki.client.cert, PASSWORD, legacy=legacy)
    result = pki.inspect_bytes(data, PASSWORD)
    assert result.kind == "PKCS#12" and result.key_type == "ec-p256"
    assert result.certificates[0].subject == "CN=client,O=ELB"
    assert result.p12["mode"] == ("legacy" if legacy else "modern")
    assert result.p12["friendly_name"] == "client"
    assert result.notes == []
    text = format_inspection(result)
    assert "Protection:" in text and "Name:         client" in text
    with pytest.raises(InputError, match="password"):
        pki.inspect_bytes(data, None)
    with pytest.raises(InputError, match="wrong password"):
        pki.inspect_bytes(data, "nope")


@pytest.mark.parametrize("junk", [b"", b"hello world\n", b"\x00\x01\x02garbage", b"0\x82\x01\x00not der at all"])
def test_inspect_unknown_content_is_a_clear_input_error(junk: bytes) -> None:
    with pytest.raises(InputError, match="not a certificate, key, CSR or .p12"):
        pki.inspect_bytes(junk, what="junk.bin")


def test_inspect_unsupported_pem_block_is_named() -> None:
    with pytest.raises(InputError, match="X509 CRL"):
        pki.inspect_bytes(b"-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n")


# ---------------------------------------------------------------------------
# ELB readiness
# ---------------------------------------------------------------------------


def severities(findings: list[pki.Finding]) -> dict[str, str]:
    """check -> worst severity seen for it."""
    order = {"ok": 0, "warning": 1, "error": 2}
    worst: dict[str, str] = {}
    for f in findings:
        if order[f.severity] >= order[worst.get(f.check, "ok")]:
            worst[f.check] = f.severity
    return worst


def pem(cert: x509.Certificate) -> str:
    return pki.cert_to_pem(cert).decode()


def key_pem(key: pki.PrivateKey) -> str:
    return pki.key_to_pem(key).decode()


def test_a_good_server_pair_is_ready(ec_pki: Pki) -> None:
    findings = pki.elb_readiness(pem(ec_pki.server.cert), key_pem(ec_pki.server.key))
    assert [f for f in findings if f.severity != "ok"] == []
    assert {"pem", "size", "validity", "signature", "key"} <= {f.check for f in findings}
    # every finding says something; blocking ones say how to fix
    assert all(f.message for f in findings)


def test_a_good_ca_is_ready_and_errors_carry_a_fix(ec_pki: Pki) -> None:
    assert all(f.severity == "ok" for f in pki.elb_readiness(pem(ec_pki.ca.cert), purpose="ca"))
    findings = pki.elb_readiness(pem(ec_pki.server.cert), purpose="ca")
    assert severities(findings)["ca"] == "error"
    assert all(f.fix and "\n" not in f.fix for f in findings if f.blocking)
    with_key = pki.elb_readiness(pem(ec_pki.ca.cert), key_pem(ec_pki.ca.key), purpose="ca")
    assert severities(with_key)["key"] == "error"


def test_der_certificate_is_not_pem(ec_pki: Pki) -> None:
    der_text = ec_pki.server.cert.public_bytes(serialization.Encoding.DER).decode("latin-1")
    findings = pki.elb_readiness(der_text, key_pem(ec_pki.server.key))
    assert severities(findings)["pem"] == "error"
    assert "openssl x509 -inform der" in findings[0].fix


def test_damaged_pem_certificate(ec_pki: Pki) -> None:
    text = pem(ec_pki.server.cert)
    damaged = text.replace(text.splitlines()[3], "!!!!")
    assert severities(pki.elb_readiness(damaged, key_pem(ec_pki.server.key)))["pem"] == "error"


def test_encrypted_key_is_refused(ec_pki: Pki) -> None:
    locked = ec_pki.server.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                             serialization.BestAvailableEncryption(b"pw")).decode()
    findings = pki.elb_readiness(pem(ec_pki.server.cert), locked)
    bad = [f for f in findings if f.check == "key"]
    assert bad[0].severity == "error" and "encrypted" in bad[0].message and "openssl pkey" in bad[0].fix


def test_missing_or_der_key(ec_pki: Pki) -> None:
    assert severities(pki.elb_readiness(pem(ec_pki.server.cert), None))["key"] == "error"
    der = ec_pki.server.key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()).decode("latin-1")
    assert severities(pki.elb_readiness(pem(ec_pki.server.cert), der))["key"] == "error"


def test_key_that_does_not_match(ec_pki: Pki) -> None:
    findings = pki.elb_readiness(pem(ec_pki.server.cert), key_pem(ec_pki.client.key))
    (key_finding,) = [f for f in findings if f.check == "key"]
    assert key_finding.severity == "error" and "does not belong" in key_finding.message


def test_expired_and_not_yet_valid(ec_pki: Pki) -> None:
    cert = ec_pki.server.cert
    later = cert.not_valid_after_utc + dt.timedelta(days=1)
    expired = [f for f in pki.elb_readiness(pem(cert), key_pem(ec_pki.server.key), now=later) if f.check == "validity"]
    assert expired[0].severity == "error" and "expired" in expired[0].message
    earlier = cert.not_valid_before_utc - dt.timedelta(days=1)
    early = [f for f in pki.elb_readiness(pem(cert), key_pem(ec_pki.server.key), now=earlier) if f.check == "validity"]
    assert early[0].severity == "error" and "not valid until" in early[0].message
    soon = cert.not_valid_after_utc - dt.timedelta(days=10)
    assert severities(pki.elb_readiness(pem(cert), key_pem(ec_pki.server.key), now=soon))["validity"] == "warning"


def test_sha1_signature_is_refused() -> None:
    findings = pki.elb_readiness(SHA1_CERT, purpose="ca")
    (signature,) = [f for f in findings if f.check == "signature"]
    assert signature.severity == "error" and "SHA-1" in signature.message
    assert pki.inspect_bytes(SHA1_CERT.encode()).certificates[0].signature_hash == "SHA-1"


def test_the_tutorials_v1_certificate_has_no_san_and_counts_as_a_ca() -> None:
    cert = pki.load_cert_pem(SHA1_CERT.encode())
    assert cert.version == x509.Version.v1 and pki.is_ca(cert)
    findings = pki.elb_readiness(SHA1_CERT)
    assert severities(findings)["san"] == "warning" and severities(findings)["key"] == "error"


def test_size_limits(ec_pki: Pki) -> None:
    server, ca = pem(ec_pki.server.cert), pem(ec_pki.ca.cert)
    huge_chain = server + ca * (pki.ELB_MAX_CERT_CHARS // len(ca) + 1)
    assert len(huge_chain) > pki.ELB_MAX_CERT_CHARS
    size = [f for f in pki.elb_readiness(huge_chain, key_pem(ec_pki.server.key)) if f.check == "size"]
    assert size[0].severity == "error" and str(pki.ELB_MAX_CERT_CHARS) in size[0].message
    # A key text over 8,192 characters (explanatory text before the PEM block still counts).
    long_key = "# note\n" * 1200 + key_pem(ec_pki.server.key)
    assert len(long_key) > pki.ELB_MAX_KEY_CHARS
    key_findings = [f for f in pki.elb_readiness(server, long_key) if f.check == "key"]
    assert any(f.severity == "error" and "8192" in f.message for f in key_findings)
    # the limits themselves are not errors: one trailing newline is not counted
    assert severities(pki.elb_readiness(server, key_pem(ec_pki.server.key)))["size"] == "ok"


def test_chain_order(ec_pki: Pki) -> None:
    server, ca, key = pem(ec_pki.server.cert), pem(ec_pki.ca.cert), key_pem(ec_pki.server.key)
    assert severities(pki.elb_readiness(server + ca, key))["chain"] == "ok"
    backwards = [f for f in pki.elb_readiness(ca + server, key) if f.check == "chain"]
    assert backwards[0].severity == "error" and "leaf first" in backwards[0].fix


def test_client_certificate_is_not_a_server_certificate(ec_pki: Pki) -> None:
    findings = pki.elb_readiness(pem(ec_pki.client.cert), key_pem(ec_pki.client.key))
    assert severities(findings)["purpose"] == "error"
    assert severities(findings)["san"] == "warning"


def test_pem_helpers_refuse_clearly(ec_pki: Pki) -> None:
    assert pki.load_key_pem(pki.key_to_pem(ec_pki.ca.key)).private_numbers() == ec_pki.ca.key.private_numbers()
    assert pki.load_cert_pem(pki.cert_to_pem(ec_pki.ca.cert)) == ec_pki.ca.cert
    with pytest.raises(InputError, match="not a readable PEM private key"):
        pki.load_key_pem(b"nope")
    with pytest.raises(InputError, match="encrypted"):
        pki.load_key_pem(ec_pki.ca.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                     serialization.BestAvailableEncryption(b"pw")))
    with pytest.raises(InputError, match="not a readable PEM certificate"):
        pki.load_cert_pem(b"nope")


def test_cert_info_has_the_short_facts(ec_pki: Pki) -> None:
    info = pki.cert_info(ec_pki.server.cert)
    assert info == {"subject": "CN=www.test.com,O=ELB", "fingerprint": pki.fingerprint(ec_pki.server.cert),
                    "not_after": ec_pki.server.cert.not_valid_after_utc.isoformat()}


def test_an_ipv6_zone_is_refused_not_half_kept() -> None:
    problem = pki.name_problem("fe80::1%eth0")
    assert problem is not None and "fe80::1" in problem and "zone" in problem
