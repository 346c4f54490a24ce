"""Steps 4-6: hand the server and CA certificates to Huawei Cloud ELB and create the listener.

Two ways, same material: `export` writes paste-ready texts (for the web console) and the v3
API request bodies (for any REST client) into WORKSPACE/elb/; `upload` sends them with the
official SDK (`huaweicloudsdkelb`, the optional `cloud` extra) and records the ids it gets.

Safety rules this module keeps:
- credentials come only from HUAWEICLOUD_SDK_AK / HUAWEICLOUD_SDK_SK, are checked before any
  SDK client exists (without them the SDK would quietly ask the cloud's metadata service), and
  are never stored, logged or printed;
- the SDK is imported only when an upload runs, and its logger is silenced: errors are
  reported here, in one line each;
- the CA body never carries a key; the only files holding a key are mode 0600;
- a certificate whose fingerprint was already uploaded (same project and endpoint) is reused,
  never uploaded twice.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import logging
import os
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from cryptography import x509

from wizard import pki
from wizard.cli import PROG  # one definition of the command name (cli imports nothing heavy)
from wizard.errors import InputError, WizardError
from wizard.session import Session
from wizard.workspace import DIR_MODE, PUBLIC_MODE, SECRET_MODE, Workspace, atomic_write, read_text

ENV_AK = "HUAWEICLOUD_SDK_AK"
ENV_SK = "HUAWEICLOUD_SDK_SK"
# Client._init_logger names it 'HuaweiCloud-SDK-' + the client class name.
SDK_LOGGER = "HuaweiCloud-SDK-ElbClient"
INSTALL_HINT = "pip install 'mtls-wizard[cloud]'"

# tls_ciphers_policy values the v3 API documents for HTTPS listeners (CreateListenerOption; the
# API's own default is tls-1-2, ours is the stricter one). Some regions accept only tls-1-0 to
# tls-1-2-strict; the API then answers 400, which is reported with its message.
TLS_POLICIES = (
    "tls-1-0", "tls-1-1", "tls-1-2", "tls-1-2-strict", "tls-1-2-fs", "tls-1-0-with-1-3",
    "tls-1-2-fs-with-1-3", "hybrid-policy-1-0", "tls-1-2-strict-no-cbc", "tls-1-0-inherit",
)
DEFAULT_TLS_POLICY = "tls-1-2-strict"
DEDICATED_ONLY_POLICIES = ("tls-1-0-with-1-3", "tls-1-2-fs-with-1-3")

# Seconds: (connect, read). A refused or silent endpoint fails within these, no retries.
DEFAULT_TIMEOUT = (10.0, 60.0)

PLACEHOLDER_SERVER_CERT_ID = "<SERVER_CERTIFICATE_ID: from the server certificate upload>"
PLACEHOLDER_CA_CERT_ID = "<CA_CERTIFICATE_ID: from the CA certificate upload>"
PLACEHOLDER_LOADBALANCER_ID = "<LOADBALANCER_ID: from the ELB console>"

SERVER_BODY = "server-certificate.json"
CA_BODY = "ca-certificate.json"
LISTENER_BODY = "listener.json"
UPLOADED = "uploaded.json"
API_CALLS = "api-calls.txt"
PASTE_FILES = {
    "server_cert": ("paste-server-certificate.txt", PUBLIC_MODE),
    "server_key": ("paste-server-private-key.txt", SECRET_MODE),
    "ca_cert": ("paste-ca-certificate.txt", PUBLIC_MODE),
}
MAX_NAME = 255


# ---------------------------------------------------------------------------
# Text and names
# ---------------------------------------------------------------------------


def console_text(pem: str) -> str:
    """PEM as the console form wants it: Unix newlines, no trailing newline."""
    return pem.replace("\r\n", "\n").strip()


# The three workspace files ELB gets: part -> (role, kind, what).
_PARTS = {
    "server_cert": ("server", "cert", "the server certificate"),
    "server_key": ("server", "key", "the server key"),
    "ca_cert": ("ca", "cert", "the CA certificate"),
}


def _part_path(ws: Workspace, part: str) -> Path:
    role, kind, _ = _PARTS[part]
    return ws.cert(role) if kind == "cert" else ws.key(role)


def paste_text(ws: Workspace, part: str) -> str:
    """The text to paste for `part` ("server_cert", "server_key" or "ca_cert")."""
    if part not in _PARTS:
        raise ValueError(f"unknown part {part!r}: use one of {', '.join(_PARTS)}")
    return console_text(read_text(_part_path(ws, part), _PARTS[part][2]))


def _name_base(cn: str) -> str:
    base = cn.replace("*", "wildcard")
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", base).strip("-.")
    return base[:200] or "mtls"


def _names(server_cn: str, port: int) -> dict[str, str]:
    base = _name_base(server_cn)
    return {"server": f"{base}-server", "ca": f"{base}-ca", "listener": f"{base}-mtls-{port}"}


def default_names(ws: Workspace, port: int = 443) -> dict[str, str]:
    """ELB names derived from the server CN: <cn>-server, <cn>-ca, <cn>-mtls-<port>."""
    cert = pki.load_cert_pem(read_text(ws.cert("server"), "the server certificate").encode(), "server certificate (server/server.crt)")
    return _names(pki.cn_of(cert.subject) or "mtls", port)


def validate_name(name: str, what: str) -> str:
    cleaned = name.strip()
    if not cleaned:
        raise InputError(f"the {what} name is empty: give a name or leave the option out for the default")
    if len(cleaned) > MAX_NAME:
        raise InputError(f"the {what} name is {len(cleaned)} characters; ELB allows {MAX_NAME}: shorten it")
    if any(ord(c) < 32 or ord(c) == 127 for c in cleaned):
        raise InputError(f"the {what} name contains control characters: use letters, digits, '-', '_' or '.'")
    return cleaned


def validate_tls_policy(policy: str) -> str:
    """One of the documented policies, else InputError (exit 2) listing them."""
    if policy not in TLS_POLICIES:
        raise InputError(f"unknown TLS policy {policy!r}: use one of {', '.join(TLS_POLICIES)}")
    return policy


def tls_policy_warnings(policy: str) -> list[str]:
    if policy in DEDICATED_ONLY_POLICIES:
        return [f"the TLS policy {policy} (with TLS 1.3) works on dedicated load balancers only; a shared one refuses it: use tls-1-2-strict there"]
    return []


def validate_listener_port(port: int) -> int:
    if not 1 <= port <= 65535:
        raise InputError(f"listener port {port} is out of range: give a port from 1 to 65535")
    return port


def validate_endpoint(endpoint: str) -> str:
    parts = urlsplit(endpoint.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"--endpoint {endpoint!r} is not a URL: give it as https://HOST[:PORT] (http:// only for local tests)")
    try:
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise InputError(f"--endpoint {endpoint!r} has a bad port number: give https://HOST[:PORT]") from None
    if parts.path.strip("/") or parts.query:
        raise InputError(f"--endpoint {endpoint!r} has a path; give only https://HOST[:PORT], the API paths are added")
    return f"{parts.scheme}://{parts.netloc}"


def _required_id(value: str, what: str, option: str) -> str:
    cleaned = value.strip()
    if not cleaned or any(c.isspace() or c in "/?#" for c in cleaned):
        raise InputError(f"the {what} {value!r} is not valid: give {option} as shown in the console")
    return cleaned


# ---------------------------------------------------------------------------
# Readiness (the core's checks on the workspace files)
# ---------------------------------------------------------------------------


def _read_checked(ws: Workspace, purpose: str) -> tuple[dict[str, str], list[pki.Finding]]:
    """Read the files of `purpose` once and check them; a missing file is a blocking finding."""
    parts = ("server_cert", "server_key") if purpose == "server" else ("ca_cert",)
    step = "step 2 (issue the server certificate)" if purpose == "server" else "step 1 (create the CA)"
    texts: dict[str, str] = {}
    for part in parts:
        path = _part_path(ws, part)
        if not path.exists():
            if texts:  # the certificate is there, its key is lost: only a new pair helps
                fix = f"redo {step}: {PROG} generate --server-cn NAME --force issues a new pair and keeps the old files in a backup folder"
            else:
                fix = f"run {step} first: {PROG} generate --server-cn NAME, or the wizard"
            return {}, [pki.Finding("error", "file", f"{ws.relative(path)} does not exist", fix)]
        texts[part] = read_text(path, _PARTS[part][2])
    checked: Literal["server", "ca"] = "server" if purpose == "server" else "ca"
    return texts, pki.elb_readiness(texts[parts[0]], texts.get("server_key"), purpose=checked)


def readiness(ws: Workspace, purpose: str) -> list[pki.Finding]:
    """Will ELB accept what we would upload? purpose "server" (certificate + key) or "ca"."""
    if purpose not in ("server", "ca"):
        raise ValueError(f"unknown purpose {purpose!r}: use 'server' or 'ca'")
    return _read_checked(ws, purpose)[1]


def _warnings_unless_blocked(purpose: str, findings: list[pki.Finding]) -> list[str]:
    """Raise WizardError on the first blocking finding (with its fix); return the warnings."""
    what = "server certificate" if purpose == "server" else "CA certificate"
    for finding in findings:
        if finding.blocking:
            fix = f": {finding.fix}" if finding.fix else ""
            raise WizardError(f"the {what} is not ready for ELB, {finding.message}{fix}")
    return [f"{what}: {f.message}" + (f" ({f.fix})" if f.fix else "") for f in findings if f.severity == "warning"]


@dataclass(frozen=True)
class Material:
    """What ELB gets from the workspace, read, checked and parsed once per export or upload.

    Texts are console texts (no trailing newline); fingerprints are our SHA-256 ones.
    """

    server_cert: str
    server_key: str
    ca_cert: str
    server_fingerprint: str
    ca_fingerprint: str
    server_cn: str
    server_domain: str  # qualified DNS names, comma-separated ('' when none)
    warnings: tuple[str, ...] = ()

    def text(self, part: str) -> str:
        return {"server_cert": self.server_cert, "server_key": self.server_key, "ca_cert": self.ca_cert}[part]


def load_material(ws: Workspace) -> Material:
    """Read the server certificate, its key and the CA certificate once; a blocking readiness
    finding raises WizardError with its fix, warnings are kept in `Material.warnings`."""
    texts: dict[str, str] = {}
    warnings: list[str] = []
    for purpose in ("server", "ca"):
        part_texts, findings = _read_checked(ws, purpose)
        warnings += _warnings_unless_blocked(purpose, findings)
        texts.update({part: console_text(text) for part, text in part_texts.items()})
    server = pki.load_cert_pem(texts["server_cert"].encode(), "server certificate (server/server.crt)")
    ca = pki.load_cert_pem(texts["ca_cert"].encode(), "CA certificate (ca/ca.crt)")
    return Material(
        server_cert=texts["server_cert"], server_key=texts["server_key"], ca_cert=texts["ca_cert"],
        server_fingerprint=pki.fingerprint(server), ca_fingerprint=pki.fingerprint(ca),
        server_cn=pki.cn_of(server.subject) or "mtls", server_domain=_domain_names(server), warnings=tuple(warnings),
    )


# ---------------------------------------------------------------------------
# Request bodies (v3)
# ---------------------------------------------------------------------------


def _domain_names(cert: x509.Certificate) -> str:
    """Qualified DNS names of the server certificate, comma-separated ('' when none).

    The field matters for SNI only; IP addresses and single-label names are left out
    because the API validates it as a list of domain names.
    """
    names: list[str] = []
    for entry in pki.san_strings(cert):
        if entry.startswith("DNS:") and "." in entry[4:] and entry[4:] not in names:
            names.append(entry[4:])
    return ",".join(names)


def server_certificate_body(material: Material, name: str | None = None) -> dict[str, Any]:
    option: dict[str, Any] = {
        "name": name or _names(material.server_cn, 443)["server"],
        "type": "server",
        "certificate": material.server_cert,
        "private_key": material.server_key,
        "description": f"mTLS server certificate, SHA-256 {material.server_fingerprint[:23]}..., made by {PROG}",
    }
    if material.server_domain:
        option["domain"] = material.server_domain
    return {"certificate": option}


def ca_certificate_body(material: Material, name: str | None = None) -> dict[str, Any]:
    # type "client" is ELB's word for "a CA that verifies client certificates"; never a key.
    return {"certificate": {
        "name": name or _names(material.server_cn, 443)["ca"],
        "type": "client",
        "certificate": material.ca_cert,
        "description": f"mTLS client CA, SHA-256 {material.ca_fingerprint[:23]}..., made by {PROG}",
    }}


def listener_body(
    *, loadbalancer_id: str = "", server_cert_id: str = "", ca_cert_id: str = "", port: int = 443,
    tls_policy: str = DEFAULT_TLS_POLICY, name: str = "mtls-listener",
) -> dict[str, Any]:
    """The mutual-auth HTTPS listener; unknown ids are clearly marked placeholders."""
    return {"listener": {
        "name": name,
        "loadbalancer_id": loadbalancer_id or PLACEHOLDER_LOADBALANCER_ID,
        "protocol": "HTTPS",
        "protocol_port": port,
        "default_tls_container_ref": server_cert_id or PLACEHOLDER_SERVER_CERT_ID,
        "client_ca_tls_container_ref": ca_cert_id or PLACEHOLDER_CA_CERT_ID,
        "tls_ciphers_policy": tls_policy,
    }}


def placeholders_in(body: dict[str, Any]) -> list[str]:
    """The fields of a listener body still holding a placeholder."""
    marks = (PLACEHOLDER_SERVER_CERT_ID, PLACEHOLDER_CA_CERT_ID, PLACEHOLDER_LOADBALANCER_ID)
    return [key for key, value in body.get("listener", {}).items() if value in marks]


def rest_calls(ws: Workspace, region: str = "{region}", project_id: str = "{project_id}") -> str:
    """The documented REST calls that use the exported bodies (token auth, any HTTP client)."""
    base = f"https://elb.{region}.myhuaweicloud.com/v3/{project_id}/elb"
    headers = "-H 'Content-Type: application/json' -H \"X-Auth-Token: $TOKEN\""

    def post(what: str, body: str) -> str:
        return f"curl -sS -X POST '{base}/{what}' {headers} --data @{shlex.quote(str(ws.elb_dir / body))}"

    lines = [
        "# Huawei Cloud ELB API v3, token authentication. Get a token from IAM first:",
        f"#   POST https://iam.{region}.myhuaweicloud.com/v3/auth/tokens  (the token comes in the X-Subject-Token header)",
        "# then export TOKEN=... and run, in this order:",
        "",
        "# 1. the server certificate (step 4): note certificate.id in the answer",
        post("certificates", SERVER_BODY),
        "# 2. the CA certificate (step 5): note certificate.id in the answer",
        post("certificates", CA_BODY),
        f"# 3. the listener (step 6): first replace any <...> placeholders in {LISTENER_BODY} with those ids and the load balancer id",
        post("listeners", LISTENER_BODY),
    ]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------


def _json_bytes(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, indent=2) + "\n").encode()


@dataclass
class _Export:
    paths: list[Path]
    listener: dict[str, Any]  # the listener body as written
    warnings: list[str]


def export(
    ws: Workspace, session: Session, *, server_cert_name: str | None = None, ca_cert_name: str | None = None,
    loadbalancer_id: str | None = None, port: int | None = None, tls_policy: str | None = None,
) -> list[Path]:
    """Write WORKSPACE/elb/: the three v3 bodies, the paste-ready texts and the REST calls.

    The listener body takes the ids recorded in the session (from an upload) and shows
    placeholders for those not known yet. Files holding the private key are 0600.
    """
    return _export(
        ws, session, server_cert_name=server_cert_name, ca_cert_name=ca_cert_name,
        loadbalancer_id=loadbalancer_id, port=port, tls_policy=tls_policy,
    ).paths


def _export(
    ws: Workspace, session: Session, *, server_cert_name: str | None, ca_cert_name: str | None,
    loadbalancer_id: str | None, port: int | None, tls_policy: str | None,
) -> _Export:
    policy = validate_tls_policy(tls_policy or session.tls_policy or DEFAULT_TLS_POLICY)
    listener_record = session.uploaded.get("listener", {})
    port = validate_listener_port(port if port is not None else int(listener_record.get("port") or 443))
    lb_id = _required_id(loadbalancer_id, "load balancer id", "--loadbalancer-id") if loadbalancer_id else session.loadbalancer_id
    server_name = validate_name(server_cert_name, "server certificate") if server_cert_name else ""
    ca_name = validate_name(ca_cert_name, "CA certificate") if ca_cert_name else ""
    material = load_material(ws)
    names = _names(material.server_cn, port)

    # An id recorded for another certificate (since re-issued) would be wrong in the listener.
    server_id = _recorded_id(session, "server", material.server_fingerprint)
    ca_id = _recorded_id(session, "ca", material.ca_fingerprint)
    listener = listener_body(
        loadbalancer_id=lb_id, server_cert_id=server_id, ca_cert_id=ca_id, port=port, tls_policy=policy, name=names["listener"])
    folder = ws.elb_dir
    files: dict[Path, tuple[bytes, int]] = {
        folder / SERVER_BODY: (_json_bytes(server_certificate_body(material, server_name or names["server"])), SECRET_MODE),
        folder / CA_BODY: (_json_bytes(ca_certificate_body(material, ca_name or names["ca"])), PUBLIC_MODE),
        folder / LISTENER_BODY: (_json_bytes(listener), PUBLIC_MODE),
    }
    for part, (file_name, mode) in PASTE_FILES.items():
        files[folder / file_name] = (material.text(part).encode(), mode)
    files[folder / API_CALLS] = (rest_calls(ws).encode(), PUBLIC_MODE)
    _ensure_elb_dir(ws)
    ws.write_files(files)
    return _Export(list(files), listener, [*material.warnings, *tls_policy_warnings(policy)])


def _ensure_elb_dir(ws: Workspace) -> None:
    try:
        ws.elb_dir.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    except OSError as error:
        raise WizardError(f"cannot create {ws.elb_dir}: {error.strerror}; choose a workspace folder you can write to") from None


def _recorded_id(session: Session, role: str, fingerprint: str) -> str:
    record = session.uploaded.get(role, {})
    return record.get("id", "") if record.get("fingerprint") == fingerprint else ""


# ---------------------------------------------------------------------------
# Upload with the official SDK
# ---------------------------------------------------------------------------


def sdk_available() -> bool:
    """True when the `cloud` extra (huaweicloudsdkelb) is installed; nothing is imported."""
    try:
        return importlib.util.find_spec("huaweicloudsdkelb") is not None and importlib.util.find_spec("huaweicloudsdkcore") is not None
    except (ImportError, ValueError):
        return False


def credentials_present() -> bool:
    return bool(os.environ.get(ENV_AK)) and bool(os.environ.get(ENV_SK))


def _credentials() -> tuple[str, str]:
    ak, sk = os.environ.get(ENV_AK, ""), os.environ.get(ENV_SK, "")
    if not ak or not sk:
        missing = [name for name, value in ((ENV_AK, ak), (ENV_SK, sk)) if not value]
        which = f" ({missing[0]} is not set)" if len(missing) == 1 else ""
        raise InputError(f"no API credentials: set {ENV_AK} and {ENV_SK} in the environment{which}; they are never taken as arguments")
    return ak, sk


def quiet_sdk_logger() -> None:
    """The SDK logs errors (with details) itself; keep that away from the user's terminal."""
    logger = logging.getLogger(SDK_LOGGER)
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())
    logger.propagate = False


@dataclass
class UploadResult:
    """What `upload` did; ids are the ELB ids, fingerprints our SHA-256 ones."""

    server_cert_id: str = ""
    ca_cert_id: str = ""
    server_expire_time: str = ""
    ca_expire_time: str = ""
    server_fingerprint: str = ""
    ca_fingerprint: str = ""
    server_reused: bool = False
    ca_reused: bool = False
    listener_id: str = ""
    listener_reused: bool = False
    listener_updated: bool = False
    uploaded_file: Path | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Target:
    region: str
    project_id: str
    endpoint: str  # "" = the region's public endpoint

    def matches(self, record: dict[str, str]) -> bool:
        return (record.get("project_id"), record.get("region"), record.get("endpoint", "")) == (self.project_id, self.region, self.endpoint)

    def describe(self) -> str:
        return self.endpoint or f"the {self.region} endpoint"


def _short(text: object, limit: int = 240) -> str:
    flat = " ".join(str(text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _hint(status: int, message: str, action: str) -> str:
    lowered = message.lower()
    if "quota" in lowered or "limit exceeded" in lowered:
        return "the project's quota is used up: delete certificates or listeners you no longer need, or ask for a higher quota"
    if status == 401:
        return f"the cloud did not accept the credentials: check {ENV_AK} / {ENV_SK} (and this machine's clock: signatures are time-limited)"
    if status == 403:
        return "the account lacks ELB permissions in this project, or --project-id belongs to another region: check both"
    if status == 404:
        return "check --project-id, --region/--endpoint and --loadbalancer-id"
    if status == 409:
        return "that port is already used on this load balancer: choose another --port or remove the old listener"
    if status == 429:
        return "too many requests: wait a minute and run the same command again"
    if status >= 500:
        return "a fault on the cloud's side: try again later, quoting the request id if it persists"
    if "private key" in lowered or "private_key" in lowered:
        return f"the private key was refused: check it with {PROG} inspect server/server.key"
    if "certificate" in lowered and action.startswith("upload"):
        return f"the certificate was refused: check it with {PROG} inspect, or re-issue it"
    return "see the message above; nothing else was changed"


def _describe_sdk_error(error: BaseException, action: str, target: _Target, timeout: tuple[float, float]) -> WizardError:
    """One line for any failure of an SDK call."""
    from huaweicloudsdkcore.exceptions import exceptions as sdk_errors

    if isinstance(error, sdk_errors.ServiceResponseException):
        status = int(error.status_code or 0)
        code, message = _short(error.error_code, 60), _short(error.error_msg)
        request_id = f", request id {error.request_id}" if error.request_id else ""
        return WizardError(f"{action} failed: HTTP {status} {code}: {message}{request_id}; {_hint(status, message, action)}")
    import requests

    if isinstance(error, (requests.Timeout, sdk_errors.RequestTimeoutException)) or "timed out" in str(error).lower():
        connecting = isinstance(error, (requests.ConnectTimeout, sdk_errors.ConnectionException))
        waited = f"could not connect to {target.describe()} within {timeout[0]:g} s" if connecting else f"{target.describe()} did not answer within {timeout[1]:g} s"
        return WizardError(f"{action} failed: {waited}; check --endpoint/--region and the network, then run the command again")
    if isinstance(error, (sdk_errors.ConnectionException, requests.ConnectionError)):
        raw = str(getattr(error, "error_msg", "") or error)
        reason = re.search(r"\[Errno -?\d+\][^'\")]*", raw)
        detail = reason.group(0).strip() if reason else _short(raw.split(":")[-1], 120)
        return WizardError(f"{action} failed: cannot reach {target.describe()} ({detail}); check --endpoint/--region, the network and any proxy")
    if isinstance(error, sdk_errors.SdkException):
        return WizardError(f"{action} failed: {_short(error.error_msg)}")
    return WizardError(f"{action} failed: {type(error).__name__}: {_short(error)}")


class _ElbApi:
    """The few SDK calls we make, each turning SDK failures into one WizardError line."""

    def __init__(self, target: _Target, ak: str, sk: str, timeout: tuple[float, float]) -> None:
        quiet_sdk_logger()
        from huaweicloudsdkcore.auth.credentials import BasicCredentials
        from huaweicloudsdkcore.http.http_config import HttpConfig
        from huaweicloudsdkelb.v3 import ElbClient
        from huaweicloudsdkelb.v3.region.elb_region import ElbRegion

        self.target, self.timeout = target, timeout
        config = HttpConfig.get_default_config()
        config.timeout = timeout
        config.retry_times = 0
        # With the project id given, the SDK asks IAM for nothing; with AK and SK set it never
        # turns to the metadata service.
        credentials = BasicCredentials(ak, sk, target.project_id)
        builder = ElbClient.new_builder().with_http_config(config).with_credentials(credentials)
        if target.endpoint:
            builder = builder.with_endpoint(target.endpoint)
        else:
            try:
                builder = builder.with_region(ElbRegion.value_of(target.region))
            except KeyError:
                raise InputError(f"the SDK does not know the region {target.region!r}: check --region (e.g. cn-north-4), or give --endpoint URL") from None
        try:
            self.client = builder.build()
        except Exception as error:  # noqa: BLE001 - anything the builder raises becomes one line
            raise _describe_sdk_error(error, "preparing the API client", target, timeout) from None

    def _call(self, action: str, method: str, request: object) -> Any:
        try:
            return getattr(self.client, method)(request)
        except Exception as error:  # noqa: BLE001 - SDK, requests and urllib3 errors alike
            raise _describe_sdk_error(error, action, self.target, self.timeout) from None

    def create_certificate(self, body: dict[str, Any], action: str) -> Any:
        from huaweicloudsdkelb.v3 import CreateCertificateOption, CreateCertificateRequest, CreateCertificateRequestBody

        option = CreateCertificateOption(**body["certificate"])
        response = self._call(action, "create_certificate", CreateCertificateRequest(body=CreateCertificateRequestBody(certificate=option)))
        return response.certificate

    def _exists(self, method: str, request: object, action: str) -> bool:
        """True when the show call finds the resource, False on 404; other failures raise."""
        from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException

        try:
            getattr(self.client, method)(request)
            return True
        except ClientRequestException as error:
            if error.status_code == 404:
                return False
            raise _describe_sdk_error(error, action, self.target, self.timeout) from None
        except Exception as error:  # noqa: BLE001 - SDK, requests and urllib3 errors alike
            raise _describe_sdk_error(error, action, self.target, self.timeout) from None

    def certificate_exists(self, cert_id: str, action: str) -> bool:
        from huaweicloudsdkelb.v3 import ShowCertificateRequest

        return self._exists("show_certificate", ShowCertificateRequest(certificate_id=cert_id), action)

    def listener_exists(self, listener_id: str, action: str) -> bool:
        from huaweicloudsdkelb.v3 import ShowListenerRequest

        return self._exists("show_listener", ShowListenerRequest(listener_id=listener_id), action)

    def create_listener(self, body: dict[str, Any], action: str) -> Any:
        from huaweicloudsdkelb.v3 import CreateListenerOption, CreateListenerRequest, CreateListenerRequestBody

        option = CreateListenerOption(**body["listener"])
        response = self._call(action, "create_listener", CreateListenerRequest(body=CreateListenerRequestBody(listener=option)))
        return response.listener

    def update_listener_certificates(self, listener_id: str, server_id: str, ca_id: str, tls_policy: str, action: str) -> Any:
        from huaweicloudsdkelb.v3 import UpdateListenerOption, UpdateListenerRequest, UpdateListenerRequestBody

        option = UpdateListenerOption(default_tls_container_ref=server_id, client_ca_tls_container_ref=ca_id, tls_ciphers_policy=tls_policy)
        request = UpdateListenerRequest(listener_id=listener_id, body=UpdateListenerRequestBody(listener=option))
        return self._call(action, "update_listener", request).listener

    def close(self) -> None:
        try:
            self.client.close()
            self.client.get_http_client().executor.shutdown(wait=False)  # its signing threads
        except Exception:  # noqa: BLE001 - closing is best effort
            pass


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _read_uploaded_file(ws: Workspace) -> dict[str, Any]:
    try:
        data = json.loads((ws.elb_dir / UPLOADED).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _previous(session: Session, ws: Workspace, role: str, target: _Target) -> dict[str, str]:
    """The record of an earlier upload to the same project and endpoint (session first, then the file)."""
    for source in (session.uploaded, _read_uploaded_file(ws)):
        record = source.get(role) if isinstance(source, dict) else None
        if isinstance(record, dict) and record.get("id") and target.matches(record):
            return {str(k): str(v) for k, v in record.items()}
    return {}


def _record(ws: Workspace, session: Session, role: str, record: dict[str, str]) -> None:
    """Keep an id the moment it exists, so a later failure never causes a second upload."""
    session.uploaded = {**session.uploaded, role: record}
    if role == "server":
        session.server_cert_id = record["id"]
    elif role == "ca":
        session.ca_cert_id = record["id"]
    elif role == "listener":
        session.listener_id = record["id"]
        session.loadbalancer_id = record["loadbalancer_id"]
        session.tls_policy = record["tls_policy"]
    # Merge with the file: a fresh session must not drop what an earlier run recorded there.
    records = {k: v for k, v in _read_uploaded_file(ws).items() if isinstance(v, dict)}
    records[role] = record
    data = {"version": 1, "note": "ids returned by the ELB API; written by mtls-wizard elb upload", **records}
    _ensure_elb_dir(ws)
    atomic_write(ws.elb_dir / UPLOADED, _json_bytes(data), PUBLIC_MODE)


def _text(value: object) -> str:
    return "" if value is None else str(value)


def upload(
    ws: Workspace, session: Session, *, region: str, project_id: str, endpoint: str | None = None,
    loadbalancer_id: str | None = None, port: int = 443, tls_policy: str = DEFAULT_TLS_POLICY,
    log: Callable[[str], None] = print, server_cert_name: str | None = None, ca_cert_name: str | None = None,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
) -> UploadResult:
    """Upload both certificates (reusing earlier uploads of the same ones) and, given a load
    balancer id, create or update the mutual-auth listener. Blocking; records every id in the
    session object (the caller saves it) and in elb/uploaded.json as soon as it is known.

    Steps done: 4 once the server certificate is uploaded or reused, 5 the same for the CA,
    6 only once a listener refers to both (a newly uploaded certificate undoes an earlier 6
    until the listener is updated to it).
    """
    # 1. input, cheapest first; nothing touches the network before credentials are known.
    region = region.strip()
    if not region:
        raise InputError("--region is empty: give the load balancer's region, e.g. cn-north-4")
    project_id = _required_id(project_id, "project id", "--project-id")
    target = _Target(region, project_id, validate_endpoint(endpoint) if endpoint else "")
    policy = validate_tls_policy(tls_policy)
    port = validate_listener_port(port)
    lb_id = _required_id(loadbalancer_id, "load balancer id", "--loadbalancer-id") if loadbalancer_id else ""
    server_name = validate_name(server_cert_name, "server certificate") if server_cert_name else ""
    ca_name = validate_name(ca_cert_name, "CA certificate") if ca_cert_name else ""

    result = UploadResult()
    if lb_id:
        result.warnings += tls_policy_warnings(policy)
    # 2. the material, read once, and the readiness checks: a blocking finding stops here, with its fix.
    material = load_material(ws)
    result.warnings += material.warnings
    for warning in result.warnings:
        log(f"warning: {warning}")
    names = _names(material.server_cn, port)
    # 3. the SDK and the credentials, before any client exists.
    if not sdk_available():
        raise WizardError(f"the Huawei Cloud SDK is not installed: {INSTALL_HINT} (or use {PROG} elb export and the console)")
    ak, sk = _credentials()

    api = _ElbApi(target, ak, sk, timeout)
    try:
        server_record, result.server_reused = _certificate(
            api, ws, session, target, "server", server_certificate_body(material, server_name or names["server"]),
            material.server_fingerprint, "server certificate", log)
        result.server_cert_id, result.server_expire_time = server_record["id"], server_record.get("expire_time", "")
        result.server_fingerprint = material.server_fingerprint
        session.mark_done(4)

        ca_record, result.ca_reused = _certificate(
            api, ws, session, target, "ca", ca_certificate_body(material, ca_name or names["ca"]),
            material.ca_fingerprint, "CA certificate", log)
        result.ca_cert_id, result.ca_expire_time = ca_record["id"], ca_record.get("expire_time", "")
        result.ca_fingerprint = material.ca_fingerprint
        session.mark_done(5)

        if lb_id:
            _listener(api, ws, session, result, target, lb_id, port, policy, names["listener"], log)
            session.mark_done(6)
    finally:
        api.close()
    result.uploaded_file = ws.elb_dir / UPLOADED
    return result


def _undo_step(session: Session, step: int) -> None:
    session.steps_done = [done for done in session.steps_done if done != step]


def _certificate(
    api: _ElbApi, ws: Workspace, session: Session, target: _Target, role: str, body: dict[str, Any],
    fingerprint: str, label: str, log: Callable[[str], None],
) -> tuple[dict[str, str], bool]:
    """Upload one certificate unless the same one (by fingerprint) is already there."""
    previous = _previous(session, ws, role, target)
    if previous.get("fingerprint") == fingerprint:
        if api.certificate_exists(previous["id"], f"checking the earlier {label} upload"):
            log(f"{label}: already uploaded as {previous['id']} (same SHA-256 fingerprint), reused")
            _record(ws, session, role, previous)
            return previous, True
        log(f"{label}: the earlier upload {previous['id']} is gone from ELB; uploading again")
    # From here on no listener refers to the certificate that will be current: step 6 is open again.
    _undo_step(session, 6)
    created = api.create_certificate(body, f"uploading the {label}")
    if created is None or not created.id:
        raise WizardError(f"uploading the {label} failed: the API answered without a certificate id; look for it in the console")
    record = {
        "id": _text(created.id), "name": _text(created.name) or body["certificate"]["name"],
        "fingerprint": fingerprint, "elb_fingerprint": _text(created.fingerprint),
        "expire_time": _text(created.expire_time), "common_name": _text(created.common_name),
        "project_id": target.project_id, "region": target.region, "endpoint": target.endpoint, "uploaded_at": _now(),
    }
    _record(ws, session, role, record)
    log(f"{label}: uploaded as {record['id']} ({record['name']}, expires {record['expire_time'] or 'unknown'})")
    return record, False


def _listener(
    api: _ElbApi, ws: Workspace, session: Session, result: UploadResult, target: _Target,
    lb_id: str, port: int, policy: str, name: str, log: Callable[[str], None],
) -> None:
    """Create the listener, update an earlier one to these certificates, or reuse it as it is."""
    previous = _previous(session, ws, "listener", target)
    same_place = previous.get("loadbalancer_id") == lb_id and previous.get("port") == str(port)
    if same_place and not api.listener_exists(previous["id"], "checking the earlier listener"):
        log(f"listener: the earlier listener {previous['id']} is gone from ELB; creating it again")
        same_place = False
    wanted = (result.server_cert_id, result.ca_cert_id, policy)
    if same_place and (previous.get("server_cert_id"), previous.get("ca_cert_id"), previous.get("tls_policy")) == wanted:
        result.listener_id, result.listener_reused = previous["id"], True
        log(f"listener: {previous['id']} on port {port} already uses these certificates, reused")
        _record(ws, session, "listener", previous)
        return
    if same_place:
        api.update_listener_certificates(previous["id"], *wanted, "updating the listener")
        listener_id = previous["id"]
        result.listener_updated = True
        log(f"listener: {listener_id} on port {port} updated to these certificates and {policy}")
    else:
        body = listener_body(loadbalancer_id=lb_id, server_cert_id=result.server_cert_id, ca_cert_id=result.ca_cert_id, port=port, tls_policy=policy, name=name)
        created = api.create_listener(body, "creating the listener")
        listener_id = _text(created.id) if created is not None else ""
        if not listener_id:
            raise WizardError("creating the listener failed: the API answered without a listener id; check it in the console")
        log(f"listener: created {listener_id} on port {port} (HTTPS, client certificates required, {policy})")
    result.listener_id = listener_id
    _record(ws, session, "listener", {
        "id": listener_id, "loadbalancer_id": lb_id, "port": str(port), "tls_policy": policy,
        "server_cert_id": result.server_cert_id, "ca_cert_id": result.ca_cert_id,
        "project_id": target.project_id, "region": target.region, "endpoint": target.endpoint, "created_at": _now(),
    })


# ---------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------


def _open(args: argparse.Namespace) -> tuple[Workspace, Any, Session]:
    from wizard.cli import open_session, resolve_workspace

    ws = Workspace(resolve_workspace(getattr(args, "workspace", None)))
    if not ws.cert("server").exists() and not ws.cert("ca").exists():
        raise WizardError(f"no certificates in {ws.root} yet: run {PROG} generate (or the wizard) first")
    store, session = open_session(ws.root)
    return ws, store, session


def export_command(args: argparse.Namespace) -> int:
    from wizard.cli import save_session, warn

    ws, store, session = _open(args)
    loadbalancer_id, tls_policy = getattr(args, "loadbalancer_id", None), getattr(args, "tls_policy", None)
    done = _export(
        ws, session, server_cert_name=getattr(args, "server_cert_name", None), ca_cert_name=getattr(args, "ca_cert_name", None),
        loadbalancer_id=loadbalancer_id, port=getattr(args, "port", None), tls_policy=tls_policy,
    )
    listener = done.listener["listener"]
    if loadbalancer_id or tls_policy:
        # Remember the (validated) choices so the TUI and a later upload start from them.
        if loadbalancer_id:
            session.loadbalancer_id = listener["loadbalancer_id"]
        if tls_policy:
            session.tls_policy = listener["tls_ciphers_policy"]
        save_session(store, session)
    print(f"Wrote to {ws.elb_dir}:")
    for path in done.paths:
        mode = path.stat().st_mode & 0o777
        note = "  (holds the private key: keep it private)" if mode == SECRET_MODE else ""
        print(f"  {ws.relative(path):40} {oct(mode)[2:]}{note}")
    left = placeholders_in(done.listener)
    if left:
        print(f"{LISTENER_BODY}: fill in {', '.join(left)} (marked <...>) once known, or run {PROG} elb upload")
    for warning in done.warnings:
        warn(warning)
    print()
    print("Console: paste the paste-*.txt texts into the certificate forms (steps 4 and 5).")
    print("API: the documented REST calls using these files (also in elb/api-calls.txt):")
    print(rest_calls(ws), end="")
    return 0


def _resume_step(session: Session) -> int:
    """Where the TUI should resume after an upload: the first of steps 4-6 not done, else 7."""
    open_step = next((step for step in (4, 5, 6) if not session.is_done(step)), 0)
    return open_step or max(session.current_step, 7)


def upload_command(args: argparse.Namespace) -> int:
    from wizard.cli import save_session, warn

    ws, store, session = _open(args)
    try:
        result = upload(
            ws, session, region=args.region, project_id=args.project_id, endpoint=args.endpoint,
            loadbalancer_id=args.loadbalancer_id, port=args.port, tls_policy=args.tls_policy,
            server_cert_name=getattr(args, "server_cert_name", None), ca_cert_name=getattr(args, "ca_cert_name", None),
            timeout=(args.timeout, args.timeout) if getattr(args, "timeout", None) else DEFAULT_TIMEOUT,
            log=lambda line: warn(line[len("warning: "):]) if line.startswith("warning: ") else print(line, flush=True),
        )
    finally:
        # Whatever was uploaded before a failure is kept, so the next run does not repeat it.
        if session.uploaded:
            session.current_step = _resume_step(session)
            save_session(store, session)
    print(f"Recorded in {ws.relative(result.uploaded_file or ws.elb_dir / UPLOADED)} and the session.")
    if result.listener_id:
        print(f"Next: {PROG} check <load balancer address>:{args.port}  (step 7: prove mutual authentication)")
    else:
        print("Next: create the HTTPS listener with mutual authentication in the console (step 6), or run again with --loadbalancer-id ID")
    return 0
