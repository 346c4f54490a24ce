"""CAs and a root -> intermediate -> leaf chain made by openssl itself, for the tests that bring their own."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509

from support.tools import run


def cert_of(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificates(path.read_bytes())[0]


def _openssl_ca(folder: Path, name: str, *, digest: str = "-sha256", key_args: tuple[str, ...] = ()) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    key, cert = folder / f"{name}.key", folder / f"{name}.crt"
    run("openssl", "genpkey", "-quiet", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", *key_args, "-out", str(key)).check_returncode()
    password = ["-passin", "pass:key-password"] if key_args else []
    run("openssl", "req", "-x509", "-new", "-key", str(key), *password, digest, "-days", "30", "-subj", f"/O=Corp/CN={name}",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", str(cert)).check_returncode()
    return cert, key


@pytest.fixture
def chain(tmp_path: Path) -> dict[str, Path]:
    """root -> intermediate -> leaf (shop.example.com), made with openssl."""
    folder = tmp_path / "corp"
    root, root_key = _openssl_ca(folder, "Corp Root")
    files = {"root": root}
    for name, parent, parent_key, ext in (
        ("intermediate", root, root_key, ["basicConstraints=critical,CA:TRUE,pathlen:0", "keyUsage=critical,keyCertSign,cRLSign"]),
    ):
        key, csr, cert = folder / f"{name}.key", folder / f"{name}.csr", folder / f"{name}.crt"
        run("openssl", "genpkey", "-quiet", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", str(key)).check_returncode()
        run("openssl", "req", "-new", "-key", str(key), "-subj", f"/O=Corp/CN={name}", "-out", str(csr)).check_returncode()
        extfile = folder / f"{name}.ext"
        extfile.write_text("\n".join(ext) + "\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n")
        run("openssl", "x509", "-req", "-in", str(csr), "-CA", str(parent), "-CAkey", str(parent_key), "-sha256", "-days", "30",
            "-set_serial", "0x1001", "-extfile", str(extfile), "-out", str(cert)).check_returncode()
        files[name], files[f"{name}_key"] = cert, key
    leaf_key, leaf_csr, leaf = folder / "leaf.key", folder / "leaf.csr", folder / "leaf.crt"
    run("openssl", "genpkey", "-quiet", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", str(leaf_key)).check_returncode()
    run("openssl", "req", "-new", "-key", str(leaf_key), "-subj", "/CN=shop.example.com", "-out", str(leaf_csr)).check_returncode()
    (folder / "leaf.ext").write_text("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
                                     "subjectAltName=DNS:shop.example.com,DNS:www.shop.example.com\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n")
    run("openssl", "x509", "-req", "-in", str(leaf_csr), "-CA", str(files["intermediate"]), "-CAkey", str(files["intermediate_key"]),
        "-sha256", "-days", "20", "-set_serial", "0x2002", "-extfile", str(folder / "leaf.ext"), "-out", str(leaf)).check_returncode()
    files.update(leaf=leaf, leaf_key=leaf_key)
    return files
