"""The CCM Private CA API (v1) through the official SDK, `huaweicloudsdkccm` (the `cloud` extra).

CCM is a global service: its client takes `GlobalCredentials(ak, sk, domain_id)`, an account
(domain) id, not a project id. Credentials come only from HUAWEICLOUD_SDK_AK / _SK and are checked
before any client exists (without them the SDK would ask the cloud's metadata service, a
link-local address). With the account id given, the SDK asks IAM for nothing. A plain-HTTP
endpoint is accepted on loopback only (the test stand-in); the cloud's own are HTTPS.

Every call has a deadline of its own (the SDK's timeouts bound each socket operation, not the
whole call), the SDK's retries are off, and its logger is silenced: errors come back as one
WizardError line (wizard.ccm.errors). Request bodies are given as the API's JSON (what the
teaching panel shows) and turned into the SDK's models here.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from wizard.ccm.errors import describe_ccm_error, is_not_found, no_answer
from wizard.elb.sdk import credentials
from wizard.errors import InputError, WizardError
from wizard.i18n import _

SDK_LOGGER = "HuaweiCloud-SDK-CcmClient"  # Client._init_logger: 'HuaweiCloud-SDK-' + the client class name
DEFAULT_TIMEOUT = (10.0, 60.0)  # seconds: (connect, read), per socket operation
DEADLINE = 90.0  # seconds for a whole call, answer included
PAGE_SIZE = 50  # ListCertificateRequest.limit (the service's default is 10)
MAX_PAGES = 40  # a misbehaving endpoint cannot keep us paging forever


def sdk_available() -> bool:
    """True when huaweicloudsdkccm is installed; nothing is imported."""
    try:
        return importlib.util.find_spec("huaweicloudsdkccm") is not None and importlib.util.find_spec("huaweicloudsdkcore") is not None
    except (ImportError, ValueError):
        return False


@dataclass(frozen=True)
class CcmTarget:
    """Where the private CA lives: the region (or an explicit endpoint) and the account id."""

    region: str
    account: str
    endpoint: str = ""  # "": the region's public endpoint

    def describe(self) -> str:
        return self.endpoint or _("the CCM endpoint of {region}").format(region=self.region)

    def to_record(self) -> dict[str, str]:
        return {"region": self.region, "account": self.account, "endpoint": self.endpoint}

    @classmethod
    def from_record(cls, data: object) -> CcmTarget | None:
        if not isinstance(data, dict) or not data.get("account"):
            return None
        return cls(str(data.get("region") or ""), str(data["account"]), str(data.get("endpoint") or ""))


def check_endpoint(endpoint: str) -> str:
    """An https URL, or http on loopback only (the test stand-in): keys never cross a network in clear."""
    if not endpoint:
        return ""
    parts = urlsplit(endpoint)
    if parts.scheme == "https" and parts.hostname:
        return endpoint.rstrip("/")
    if parts.scheme == "http" and parts.hostname and _loopback(parts.hostname):
        return endpoint.rstrip("/")
    raise InputError(_("--endpoint {endpoint}: give an https:// URL (plain http only to this machine, 127.0.0.1 or ::1)").format(
        endpoint=endpoint))


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def quiet_sdk_logger() -> None:
    """The SDK logs failures (with details) itself; keep them away from the user's terminal."""
    logger = logging.getLogger(SDK_LOGGER)
    if not any(isinstance(handler, logging.NullHandler) for handler in logger.handlers):
        logger.addHandler(logging.NullHandler())
    logger.propagate = False


def model(cls: type, data: dict[str, Any]) -> Any:
    """An SDK model from the API's JSON names, nested models built from `openapi_types`."""
    import huaweicloudsdkccm.v1 as v1

    by_json = {json_name: attr for attr, json_name in cls.attribute_map.items()}  # type: ignore[attr-defined]
    values: dict[str, Any] = {}
    for name, value in data.items():
        attr = by_json[name]
        kind = cls.openapi_types[attr]  # type: ignore[attr-defined]
        inner = kind[5:-1] if kind.startswith("list[") else kind
        nested = getattr(v1, inner, None)
        if nested is not None and hasattr(nested, "openapi_types") and value is not None:
            value = [model(nested, item) for item in value] if kind.startswith("list[") else model(nested, value)
        values[attr] = value
    return cls(**values)


def as_json(response: object) -> dict[str, Any]:
    """A response (or a model in it) as the API's JSON fields. Not used for an export's answer,
    whose private key is read from the answer directly and kept in memory only."""
    from huaweicloudsdkcore.utils.http_utils import sanitize_for_serialization

    data = sanitize_for_serialization(response)
    return data if isinstance(data, dict) else {}


class CcmApi:
    """The CCM calls the wizard makes. Build it with `CcmApi.connect(target)`."""

    def __init__(self, target: CcmTarget, client: Any, timeout: tuple[float, float], deadline: float) -> None:
        self.target, self.client, self.timeout, self.deadline = target, client, timeout, deadline

    @classmethod
    def connect(cls, target: CcmTarget, timeout: tuple[float, float] = DEFAULT_TIMEOUT, deadline: float = DEADLINE) -> CcmApi:
        """Check the SDK and the credentials (nothing is sent before both are there), then build the client."""
        if not sdk_available():
            raise WizardError(_("the CCM SDK is not installed: {command}").format(command="pip install 'mtls-wizard[cloud]'"))
        ak, sk = credentials()
        check_endpoint(target.endpoint)  # a recorded target too: plain http to this machine only
        quiet_sdk_logger()
        from huaweicloudsdkccm.v1 import CcmClient
        from huaweicloudsdkccm.v1.region.ccm_region import CcmRegion
        from huaweicloudsdkcore.auth.credentials import GlobalCredentials
        from huaweicloudsdkcore.http.http_config import HttpConfig

        config = HttpConfig.get_default_config()
        config.timeout, config.retry_times = timeout, 0
        builder = CcmClient.new_builder().with_http_config(config).with_credentials(GlobalCredentials(ak, sk, target.account))
        if target.endpoint:
            builder = builder.with_endpoint(target.endpoint)
        else:
            try:
                builder = builder.with_region(CcmRegion.value_of(target.region))
            except KeyError:
                raise InputError(_("CCM is not offered in the region {region!r} the SDK knows: use one of {regions}, or give --endpoint URL").format(
                    region=target.region, regions=", ".join(sorted(CcmRegion.static_fields)))) from None
        try:
            return cls(target, builder.build(), timeout, deadline)
        except Exception as error:  # noqa: BLE001 - anything the builder raises becomes one line
            raise describe_ccm_error(error, _("preparing the CCM client"), target, timeout) from None

    # -- the plumbing -------------------------------------------------------------------
    def _run(self, action: str, call: Callable[[], Any]) -> Any:
        """`call` within the deadline; any failure as one WizardError line."""
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ccm-call")
        try:
            return pool.submit(call).result(timeout=self.deadline)
        except FutureTimeout:
            raise no_answer(action, self.target, self.deadline) from None
        except WizardError:
            raise
        except Exception as error:  # noqa: BLE001 - SDK, requests and urllib3 errors alike
            raise describe_ccm_error(error, action, self.target, self.timeout) from None
        finally:
            pool.shutdown(wait=False)  # a stalled call's thread ends with its socket timeout

    def _call(self, action: str, method: str, request: object) -> Any:
        return self._run(action, lambda: getattr(self.client, method)(request))

    def _find(self, action: str, method: str, request: object) -> Any:
        """A show call's answer, or None when the resource is not there."""
        def call() -> Any:
            try:
                return getattr(self.client, method)(request)
            except Exception as error:  # noqa: BLE001 - sorted out below
                if is_not_found(error):
                    return None
                raise
        return self._run(action, call)

    def close(self) -> None:
        try:
            self.client.get_http_client().executor.shutdown(wait=False)  # its signing threads
        except Exception:  # noqa: BLE001 - closing is best effort
            pass

    # -- private CAs ----------------------------------------------------------------------
    def show_ca(self, ca_id: str) -> dict[str, Any] | None:
        from huaweicloudsdkccm.v1 import ShowCertificateAuthorityRequest

        found = self._find(_("reading the private CA {ca_id}").format(ca_id=ca_id), "show_certificate_authority",
                           ShowCertificateAuthorityRequest(ca_id=ca_id))
        return None if found is None else as_json(found)

    def list_cas(self, common_name: str, kind: str = "ROOT") -> Iterator[dict[str, Any]]:
        from huaweicloudsdkccm.v1 import ListCertificateAuthorityRequest

        action = _("looking for the private CA {name}").format(name=common_name)
        for page in range(MAX_PAGES):
            request = ListCertificateAuthorityRequest(limit=PAGE_SIZE, offset=page * PAGE_SIZE, name=common_name, type=kind)
            found = as_json(self._call(action, "list_certificate_authority", request)).get("certificate_authorities") or []
            yield from found
            if len(found) < PAGE_SIZE:
                return

    def create_ca(self, body: dict[str, Any]) -> str:
        from huaweicloudsdkccm.v1 import CreateCertificateAuthorityRequest, CreateCertificateAuthorityRequestBody

        request = CreateCertificateAuthorityRequest(body=model(CreateCertificateAuthorityRequestBody, body))
        return str(self._call(_("creating the private CA"), "create_certificate_authority", request).ca_id)

    def export_ca(self, ca_id: str) -> tuple[str, str]:
        """The CA's certificate and its chain (up to the root; empty for a root), as PEM."""
        from huaweicloudsdkccm.v1 import ExportCertificateAuthorityCertificateRequest

        answer = self._call(_("exporting the certificate of the private CA"), "export_certificate_authority_certificate",
                            ExportCertificateAuthorityCertificateRequest(ca_id=ca_id))
        return str(answer.certificate or ""), str(answer.certificate_chain or "")

    def ca_quota(self) -> tuple[int, int]:
        from huaweicloudsdkccm.v1 import ShowCertificateAuthorityQuotaRequest

        return _quota(as_json(self._call(_("reading the private CA quota"), "show_certificate_authority_quota",
                                         ShowCertificateAuthorityQuotaRequest())), "CERTIFICATE_AUTHORITY")

    def obs_agency_granted(self) -> bool:
        from huaweicloudsdkccm.v1 import ShowCertificateAuthorityObsAgencyRequest

        answer = self._call(_("reading whether CCM may write to OBS"), "show_certificate_authority_obs_agency",
                            ShowCertificateAuthorityObsAgencyRequest())
        return str(answer.agency_granted).lower() == "true"

    def enable_crl(self, ca_id: str, body: dict[str, Any]) -> None:
        from huaweicloudsdkccm.v1 import EnableCertificateAuthorityCrlRequest, EnableCertificateAuthorityCrlRequestBody

        request = EnableCertificateAuthorityCrlRequest(ca_id=ca_id, body=model(EnableCertificateAuthorityCrlRequestBody, body))
        self._call(_("turning on the CRL of the private CA"), "enable_certificate_authority_crl", request)

    # -- private certificates -----------------------------------------------------------
    def create_certificate(self, body: dict[str, Any], action: str) -> str:
        """The service makes the key (`body`: CreateCertificateRequestBody in JSON names)."""
        from huaweicloudsdkccm.v1 import CreateCertificateRequest, CreateCertificateRequestBody

        request = CreateCertificateRequest(body=model(CreateCertificateRequestBody, body))
        return str(self._call(action, "create_certificate", request).certificate_id)

    def create_certificate_by_csr(self, body: dict[str, Any], action: str) -> str:
        from huaweicloudsdkccm.v1 import CreateCertificateByCsrRequest, CreateCertificateByCsrRequestBody

        request = CreateCertificateByCsrRequest(body=model(CreateCertificateByCsrRequestBody, body))
        return str(self._call(action, "create_certificate_by_csr", request).certificate_id)

    def export_certificate(self, cert_id: str, action: str) -> dict[str, str]:
        """`certificate`, `certificate_chain` and, when CCM made the key, `private_key` (PEM)."""
        from huaweicloudsdkccm.v1 import ExportCertificateRequest, ExportCertificateRequestBody

        request = ExportCertificateRequest(certificate_id=cert_id, body=ExportCertificateRequestBody(type="OTHER", is_compressed="false"))
        answer = self._call(action, "export_certificate", request)
        return {"certificate": str(answer.certificate or ""), "certificate_chain": str(answer.certificate_chain or ""),
                "private_key": str(answer.private_key or "")}

    def show_certificate(self, cert_id: str) -> dict[str, Any] | None:
        from huaweicloudsdkccm.v1 import ShowCertificateRequest

        found = self._find(_("reading the certificate {cert_id} in CCM").format(cert_id=cert_id), "show_certificate",
                           ShowCertificateRequest(certificate_id=cert_id))
        return None if found is None else as_json(found)

    def list_certificates(self, common_name: str) -> Iterator[dict[str, Any]]:
        """The account's certificates whose CN contains `common_name`, newest first."""
        from huaweicloudsdkccm.v1 import ListCertificateRequest

        action = _("looking for the certificates of {name} in CCM").format(name=common_name)
        for page in range(MAX_PAGES):
            request = ListCertificateRequest(limit=PAGE_SIZE, offset=page * PAGE_SIZE, name=common_name, sort_key="create_time", sort_dir="DESC")
            found = as_json(self._call(action, "list_certificate", request)).get("certificates") or []
            yield from found
            if len(found) < PAGE_SIZE:
                return

    def revoke_certificate(self, cert_id: str, reason: str, action: str) -> None:
        from huaweicloudsdkccm.v1 import RevokeCertificateRequest, RevokeCertificateRequestBody

        request = RevokeCertificateRequest(certificate_id=cert_id, body=RevokeCertificateRequestBody(reason=reason))
        self._call(action, "revoke_certificate", request)

    def certificate_quota(self) -> tuple[int, int]:
        from huaweicloudsdkccm.v1 import ShowCertificateQuotaRequest

        return _quota(as_json(self._call(_("reading the private certificate quota"), "show_certificate_quota",
                                         ShowCertificateQuotaRequest())), "CERTIFICATE")


def _quota(answer: dict[str, Any], kind: str) -> tuple[int, int]:
    """(used, quota) of one resource type in a Quotas answer; a missing entry counts as unlimited."""
    for entry in (answer.get("quotas") or {}).get("resources") or []:
        if entry.get("type") == kind:
            return int(entry.get("used") or 0), int(entry.get("quota") or 0)
    return 0, 1 << 31
