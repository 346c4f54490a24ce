"""The openssl commands equivalent to the actions after setup: named clients, revocation,
renewals, and the checks made on a CA or server certificate brought in.

For the wizard's "Show the openssl commands" panels (and `mtls-wizard script`), so what the
wizard does stays learnable. Every value put into a command is shell-quoted.

The commands are a program and stay as they are in every language; the remarks for the
reader (the `#` comments) and what `echo` says to a person are translated, and quoted so
that no translation can change what runs.
"""

from __future__ import annotations

from shlex import quote

from wizard.defaults import CLIENT_DAYS, SERVER_DAYS
from wizard.environment import CA_PASSWORD_ENV, PASSWORD_ENV
from wizard.i18n import _


def remark(text: str) -> str:
    """A remark for a `#` comment: on one line, so a line break in a translation cannot end
    the comment and turn the rest of it into a command."""
    return " ".join(text.splitlines())


def comment(text: str) -> str:
    """A whole-line `#` comment."""
    return f"# {remark(text)}"


def commented(command: str, text: str) -> str:
    """A command with a `#` remark after it."""
    return f"{command}    # {remark(text)}"


def ca_passin(protected: bool) -> str:
    """What a command that uses ca/ca.key adds when the key is under a passphrase (read from the
    variable, never typed into the command line)."""
    return f" -passin env:{CA_PASSWORD_ENV}" if protected else ""


def _genpkey(key_type: str, out: str) -> str:
    if key_type.startswith("rsa"):
        return f"openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:{key_type[3:]} -out {quote(out)}"
    curve = "P-256" if key_type == "ec-p256" else "P-384"
    return f"openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:{curve} -out {quote(out)}"


def _subject(org: str, cn: str) -> str:
    """-subj for openssl req: '/' and '\\' in a value are backslash-escaped."""
    def escape(value: str) -> str:
        return value.replace("\\", "\\\\").replace("/", "\\/")

    return quote(f"/O={escape(org)}/CN={escape(cn)}")


CLIENT_EXTENSIONS = ("basicConstraints = critical, CA:FALSE\\nkeyUsage = critical, digitalSignature\\n"
                     "extendedKeyUsage = clientAuth\\nsubjectKeyIdentifier = hash\\nauthorityKeyIdentifier = keyid")


def client_commands(name: str, *, org: str = "ELB", key_type: str = "ec-p256", days: int = CLIENT_DAYS, legacy: bool = False,
                    digest: str = "-sha256", ca_protected: bool = False) -> str:
    """`client issue NAME`: key, CSR, certificate (clientAuth) and .p12 in clients/NAME/
    (`ca_protected`: ca/ca.key is under a passphrase)."""
    folder = f"clients/{name}"
    base = quote(f"{folder}/{name}")
    protection = "-keypbe PBE-SHA1-3DES -certpbe PBE-SHA1-3DES -macalg sha1" if legacy else \
        "-keypbe AES-256-CBC -certpbe AES-256-CBC -macalg sha256 -iter 100000"
    return "\n".join([
        comment(_("A named client: {name}").format(name=name)),
        f"mkdir -p {quote(folder)} && chmod 700 {quote(folder)}",
        _genpkey(key_type, f"{folder}/{name}.key"),
        f"openssl req -new -key {base}.key -subj {_subject(org, name)} -out {base}.csr",
        f"printf '{CLIENT_EXTENSIONS}\\n' > {base}.ext",
        f"openssl x509 -req -in {base}.csr -CA ca/ca.crt -CAkey ca/ca.key{ca_passin(ca_protected)} -set_serial \"0x$(openssl rand -hex 16)\" "
        f"{digest} -days {days} -extfile {base}.ext -out {base}.crt",
        f"openssl pkcs12 -export -in {base}.crt -inkey {base}.key -name {quote(name)} {protection} "
        f"-passout env:{PASSWORD_ENV} -out {base}.p12",
    ])


def revoke_commands(name: str, reason: str = "unspecified", crl_days: int = 30, *, ca_protected: bool = False) -> str:
    """`client revoke NAME`: openssl's own CA tool keeps the same record (index.txt) and signs the CRL."""
    cert = quote(f"clients/{name}/{name}.crt" if name != "client" else "client/client.crt")
    return "\n".join([
        comment(_("Revoke {name} and sign the CRL (openssl ca keeps its record in ca/index.txt)").format(name=name)),
        "touch ca/index.txt && [ -f ca/crlnumber ] || echo 01 > ca/crlnumber",
        "printf '[ ca ]\\ndefault_ca = wizard\\n[ wizard ]\\ndatabase = ca/index.txt\\ncrlnumber = ca/crlnumber\\n"
        "certificate = ca/ca.crt\\nprivate_key = ca/ca.key\\ndefault_md = sha256\\ncrl_extensions = crl_ext\\n"
        "[ crl_ext ]\\nauthorityKeyIdentifier = keyid:always\\n' > ca/openssl-ca.conf",
        f"openssl ca -config ca/openssl-ca.conf{ca_passin(ca_protected)} -revoke {cert} -crl_reason {quote(reason)}",
        f"openssl ca -config ca/openssl-ca.conf{ca_passin(ca_protected)} -gencrl -crldays {crl_days} -out ca/crl.pem",
        commented("openssl crl -in ca/crl.pem -CAfile ca/ca.crt -noout -text", _("check it: verify OK, the serial listed")),
        comment(_("A backend that loads it refuses the client: {directive}  (ELB itself checks no CRL)").format(
            directive="nginx  ssl_crl /path/to/ca/crl.pem;")),
    ])


def renew_server_commands(*, keep_key: bool = False, days: int = SERVER_DAYS, key_type: str = "ec-p256", ca_protected: bool = False) -> str:
    """`renew server`: the same subject and names (read from the current certificate, so the
    commands need no file of their own), a new serial and validity; the old files kept first."""
    lines = [comment(_("Renew the server certificate: keep the old files, then the same subject and names, a new serial")),
             "mkdir -p backup && cp -p server/server.* backup/",
             "printf 'subjectKeyIdentifier = hash\\nauthorityKeyIdentifier = keyid\\n' > server/renew.ext"]
    if not keep_key:
        lines.append(_genpkey(key_type, "server/server.key"))
    lines += [commented("openssl x509 -x509toreq -in backup/server.crt -key server/server.key -copy_extensions copyall -out server/server.csr",
                        _("the request: the old certificate's subject and extensions, the key's public key")),
              f"openssl x509 -req -in server/server.csr -CA ca/ca.crt -CAkey ca/ca.key{ca_passin(ca_protected)} -set_serial \"0x$(openssl rand -hex 16)\" "
              f"-sha256 -days {days} -copy_extensions copyall -extfile server/renew.ext -out server/server.crt"]
    return "\n".join(lines)


def renew_ca_commands(days: int = 3650, *, ca_protected: bool = False) -> str:
    """`renew ca`: a new self-signed certificate for the same key and subject."""
    return "\n".join([
        comment(_("Renew the CA for its own key: everything it signed stays valid")),
        "cp -p ca/ca.crt ca/ca.crt.old",
        f"openssl req -x509 -new -key ca/ca.key{ca_passin(ca_protected)} -subj \"$(openssl x509 -in ca/ca.crt.old -noout -subject -nameopt compat | sed 's/^subject=//')\" "
        f"-addext 'basicConstraints=critical,CA:TRUE,pathlen:0' -addext 'keyUsage=critical,keyCertSign,cRLSign' "
        f"-sha256 -days {days} -set_serial \"0x$(openssl rand -hex 16)\" -out ca/ca.crt",
        commented("openssl verify -CAfile ca/ca.crt server/server.crt client/client.crt", _("still OK")),
    ])


def bring_checks_commands(role: str) -> str:
    """The checks made on a CA (`ca`) or server certificate (`server`) brought in, by hand."""
    cert, key = ("my-ca.crt", "my-ca.key") if role == "ca" else ("my-server.crt", "my-server.key")
    lines = [comment(_("The checks on {file} before it is copied in").format(file=cert)),
             f"openssl x509 -in {cert} -noout -subject -issuer -dates -ext basicConstraints,keyUsage,extendedKeyUsage,subjectAltName",
             f"[ \"$(openssl x509 -in {cert} -noout -pubkey | openssl sha256)\" = \"$(openssl pkey -in {key} -pubout | openssl sha256)\" ] "
             "&& echo " + quote(_("the key matches")),
             commented(f"openssl x509 -in {cert} -noout -text | grep -E 'Signature Algorithm' | head -1", _("not sha1 or md5"))]
    if role == "server":
        lines.append(commented("openssl verify -untrusted my-chain.pem my-server.crt", _("the chain leads to a trusted root, in order")))
    return "\n".join(lines)
