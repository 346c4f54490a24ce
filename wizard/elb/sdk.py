"""The official Huawei Cloud SDK (`huaweicloudsdkelb`, the optional `cloud` extra), behind a
few calls that each turn any SDK failure into one WizardError line.

Credentials come only from HUAWEICLOUD_SDK_AK / HUAWEICLOUD_SDK_SK and are checked before any
SDK client exists: without them the SDK would quietly ask the cloud's metadata service (a
link-local address). They are never stored, logged or printed. The SDK is imported only
when a call is made, and its own logger is silenced: errors are reported in our words.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from wizard.elb.hints import hint_for, tls_to_endpoint
from wizard.environment import ENV_AK, ENV_SK
from wizard.errors import InputError, WizardError
from wizard.i18n import _

# Client._init_logger names it 'HuaweiCloud-SDK-' + the client class name.
SDK_LOGGER = "HuaweiCloud-SDK-ElbClient"
INSTALL_HINT = "pip install 'mtls-wizard[cloud]'"

# Seconds: (connect, read). A refused or silent endpoint fails within these, no retries.
DEFAULT_TIMEOUT = (10.0, 60.0)
# ListCertificatesRequest takes limit 0-2000 (v3/model/list_certificates_request.py); a bound on
# the pages keeps a misbehaving endpoint from looping us forever.
PAGE_SIZE = 200
MAX_PAGES = 50


def sdk_available() -> bool:
    """True when the `cloud` extra (huaweicloudsdkelb) is installed; nothing is imported."""
    try:
        return importlib.util.find_spec("huaweicloudsdkelb") is not None and importlib.util.find_spec("huaweicloudsdkcore") is not None
    except (ImportError, ValueError):
        return False


def credentials_present() -> bool:
    return bool(os.environ.get(ENV_AK)) and bool(os.environ.get(ENV_SK))


def credentials() -> tuple[str, str]:
    ak, sk = os.environ.get(ENV_AK, ""), os.environ.get(ENV_SK, "")
    if not ak or not sk:
        missing = [name for name, value in ((ENV_AK, ak), (ENV_SK, sk)) if not value]
        if len(missing) == 1:
            raise InputError(_("no API credentials: set {ak} and {sk} in the environment ({missing} is not set); they are never "
                               "taken as arguments").format(ak=ENV_AK, sk=ENV_SK, missing=missing[0]))
        raise InputError(_("no API credentials: set {ak} and {sk} in the environment; they are never taken as arguments").format(
            ak=ENV_AK, sk=ENV_SK))
    return ak, sk


def quiet_sdk_logger() -> None:
    """The SDK logs errors (with details) itself; keep that away from the user's terminal."""
    logger = logging.getLogger(SDK_LOGGER)
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())
    logger.propagate = False



@dataclass
class ApiTarget:
    region: str
    project_id: str
    endpoint: str  # "" = the region's public endpoint

    def matches(self, record: dict[str, str]) -> bool:
        return (record.get("project_id"), record.get("region"), record.get("endpoint", "")) == (self.project_id, self.region, self.endpoint)

    def describe(self) -> str:
        return self.endpoint or _("the {region} endpoint").format(region=self.region)


def _short(text: object, limit: int = 240) -> str:
    flat = " ".join(str(text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def describe_sdk_error(error: BaseException, action: str, target: ApiTarget, timeout: tuple[float, float], *,
                       uploading: bool | None = None) -> WizardError:
    """One line for any failure of an SDK call. `action` is already in the user's language;
    `uploading` says the call uploaded a certificate (see `hint_for`)."""
    from huaweicloudsdkcore.exceptions import exceptions as sdk_errors

    if isinstance(error, sdk_errors.ServiceResponseException):
        return WizardError(_refusal(error, action, uploading))
    import requests

    if isinstance(error, (sdk_errors.SslHandShakeException, requests.exceptions.SSLError)):
        reason = re.search(r"\[SSL[^\]]*\][^'\")(]*", str(getattr(error, "error_msg", "") or error))
        detail = f" ({reason.group(0).strip()})" if reason else ""
        return WizardError(_("{action} failed: no TLS connection to {target}{detail}; {hint}").format(
            action=action, target=target.describe(), detail=detail, hint=tls_to_endpoint()))

    if isinstance(error, (requests.Timeout, sdk_errors.RequestTimeoutException)) or "timed out" in str(error).lower():
        if isinstance(error, (requests.ConnectTimeout, sdk_errors.ConnectionException)):
            text = _("{action} failed: could not connect to {target} within {seconds:g} s; check --endpoint/--region and the "
                     "network, then run the command again")
            return WizardError(text.format(action=action, target=target.describe(), seconds=timeout[0]))
        text = _("{action} failed: {target} did not answer within {seconds:g} s; check --endpoint/--region and the network, "
                 "then run the command again")
        return WizardError(text.format(action=action, target=target.describe(), seconds=timeout[1]))
    if isinstance(error, (sdk_errors.ConnectionException, requests.ConnectionError)):
        raw = str(getattr(error, "error_msg", "") or error)
        reason = re.search(r"\[Errno -?\d+\][^'\")]*", raw)
        detail = reason.group(0).strip() if reason else _short(raw.split(":")[-1], 120)
        return WizardError(_("{action} failed: cannot reach {target} ({detail}); check --endpoint/--region, the network and "
                             "any proxy").format(action=action, target=target.describe(), detail=detail))
    if isinstance(error, sdk_errors.SdkException):
        return WizardError(_("{action} failed: {detail}").format(action=action, detail=_short(error.error_msg)))
    return WizardError(_("{action} failed: {kind}: {detail}").format(action=action, kind=type(error).__name__, detail=_short(error)))


def _refusal(error: Any, action: str, uploading: bool | None) -> str:
    """The API answered with an error: its status, code and message, and what to do."""
    status = int(error.status_code or 0)
    code, message = _short(error.error_code, 60), _short(error.error_msg)
    hint = hint_for(status, code, message, action, uploading=uploading)
    if error.request_id:
        return _("{action} failed: HTTP {status} {code}: {message}, request id {request_id}; {hint}").format(
            action=action, status=status, code=code, message=message, request_id=error.request_id, hint=hint)
    return _("{action} failed: HTTP {status} {code}: {message}; {hint}").format(
        action=action, status=status, code=code, message=message, hint=hint)


def as_json(model: object) -> dict[str, Any]:
    """An SDK model as the API's JSON fields (None fields left out). A private key the API
    echoes is dropped here, so nothing after this point can keep or print it."""
    if model is None:
        return {}
    from huaweicloudsdkcore.utils.http_utils import sanitize_for_serialization

    data = sanitize_for_serialization(model)
    if not isinstance(data, dict):
        return {}
    data.pop("private_key", None)
    data.pop("enc_private_key", None)
    return data


def _with_header_model(option: dict[str, Any]) -> dict[str, Any]:
    """`insert_headers` given in the API's JSON names becomes the SDK's ListenerInsertHeaders."""
    if "insert_headers" not in option:
        return dict(option)
    from huaweicloudsdkelb.v3 import ListenerInsertHeaders

    by_json_name = {json_name: attr for attr, json_name in ListenerInsertHeaders.attribute_map.items()}
    headers = ListenerInsertHeaders(**{by_json_name[name]: value for name, value in option["insert_headers"].items()})
    return {**option, "insert_headers": headers}


class ElbApi:
    """The few SDK calls we make, each turning SDK failures into one WizardError line."""

    def __init__(self, target: ApiTarget, ak: str, sk: str, timeout: tuple[float, float]) -> None:
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
        basic_credentials = BasicCredentials(ak, sk, target.project_id)
        builder = ElbClient.new_builder().with_http_config(config).with_credentials(basic_credentials)
        if target.endpoint:
            builder = builder.with_endpoint(target.endpoint)
        else:
            try:
                builder = builder.with_region(ElbRegion.value_of(target.region))
            except KeyError:
                raise InputError(_("the SDK does not know the region {region!r}: check --region (e.g. cn-north-4), or give "
                                   "--endpoint URL").format(region=target.region)) from None
        try:
            self.client = builder.build()
        except Exception as error:  # noqa: BLE001 - anything the builder raises becomes one line
            raise describe_sdk_error(error, _("preparing the API client"), target, timeout) from None

    def _call(self, action: str, method: str, request: object) -> Any:
        try:
            return getattr(self.client, method)(request)
        except Exception as error:  # noqa: BLE001 - SDK, requests and urllib3 errors alike
            raise describe_sdk_error(error, action, self.target, self.timeout, uploading=method == "create_certificate") from None

    def _find(self, action: str, method: str, request: object) -> Any:
        """The answer of a show call, or None when the resource is not there (404 from ELB;
        the gateway's 404, APIGW.0101, means the API itself is not at this endpoint)."""
        from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException

        try:
            return getattr(self.client, method)(request)
        except ClientRequestException as error:
            if error.status_code == 404 and not str(error.error_code or "").startswith("APIGW."):
                return None
            raise describe_sdk_error(error, action, self.target, self.timeout, uploading=False) from None
        except Exception as error:  # noqa: BLE001 - SDK, requests and urllib3 errors alike
            raise describe_sdk_error(error, action, self.target, self.timeout, uploading=False) from None

    def show_load_balancer(self, lb_id: str, action: str) -> dict[str, Any] | None:
        """The load balancer as JSON fields (`guaranteed`, `l7_flavor_id`, ...), None when not found."""
        from huaweicloudsdkelb.v3 import ShowLoadBalancerRequest

        response = self._find(action, "show_load_balancer", ShowLoadBalancerRequest(loadbalancer_id=lb_id))
        return None if response is None else as_json(response.loadbalancer)

    def create_certificate(self, body: dict[str, Any], action: str) -> dict[str, Any]:
        from huaweicloudsdkelb.v3 import CreateCertificateOption, CreateCertificateRequest, CreateCertificateRequestBody

        option = CreateCertificateOption(**body["certificate"])
        response = self._call(action, "create_certificate", CreateCertificateRequest(body=CreateCertificateRequestBody(certificate=option)))
        return as_json(response.certificate)

    def show_certificate(self, cert_id: str, action: str) -> dict[str, Any] | None:
        from huaweicloudsdkelb.v3 import ShowCertificateRequest

        response = self._find(action, "show_certificate", ShowCertificateRequest(certificate_id=cert_id))
        return None if response is None else as_json(response.certificate)

    def list_certificates(self, action: str, *, kind: str, common_name: str = "") -> Iterator[dict[str, Any]]:
        """Every certificate of `kind` ("server" or "client"), filtered by common name when given;
        follows the pages (ListCertificatesRequest: `marker` = the last id seen, `limit`)."""
        from huaweicloudsdkelb.v3 import ListCertificatesRequest

        marker: str | None = None
        for _page in range(MAX_PAGES):
            request = ListCertificatesRequest(limit=PAGE_SIZE, marker=marker, type=[kind], common_name=[common_name] if common_name else None)
            page = [as_json(item) for item in self._call(action, "list_certificates", request).certificates or []]
            yield from page
            if len(page) < PAGE_SIZE:
                return
            marker = page[-1].get("id")

    def show_listener(self, listener_id: str, action: str) -> dict[str, Any] | None:
        from huaweicloudsdkelb.v3 import ShowListenerRequest

        response = self._find(action, "show_listener", ShowListenerRequest(listener_id=listener_id))
        return None if response is None else as_json(response.listener)

    def listeners_on_port(self, lb_id: str, port: int, action: str) -> list[dict[str, Any]]:
        """The listeners of `lb_id` on `port` (ListListenersRequest filters; at most one in practice)."""
        from huaweicloudsdkelb.v3 import ListListenersRequest

        request = ListListenersRequest(loadbalancer_id=[lb_id], protocol_port=[str(port)])
        return [as_json(item) for item in self._call(action, "list_listeners", request).listeners or []]

    def listeners_using(self, cert_id: str, action: str) -> list[dict[str, Any]]:
        """Every listener of the project that refers to `cert_id`: as its server or CA certificate,
        or among its SNI certificates. ListListeners filters no SNI list, so every page is read
        and checked here (without enterprise_project_id it covers every enterprise project)."""
        from huaweicloudsdkelb.v3 import ListListenersRequest

        found: list[dict[str, Any]] = []
        marker: str | None = None
        for _page in range(MAX_PAGES):
            response = self._call(action, "list_listeners", ListListenersRequest(limit=PAGE_SIZE, marker=marker))
            page = [as_json(item) for item in response.listeners or []]
            found += [listener for listener in page if _refers_to(listener, cert_id)]
            if len(page) < PAGE_SIZE:
                break
            marker = page[-1].get("id")
        return found

    def delete_certificate(self, cert_id: str, action: str) -> None:
        from huaweicloudsdkelb.v3 import DeleteCertificateRequest

        self._call(action, "delete_certificate", DeleteCertificateRequest(certificate_id=cert_id))

    def create_listener(self, body: dict[str, Any], action: str) -> dict[str, Any]:
        from huaweicloudsdkelb.v3 import CreateListenerOption, CreateListenerRequest, CreateListenerRequestBody

        option = CreateListenerOption(**_with_header_model(body["listener"]))
        response = self._call(action, "create_listener", CreateListenerRequest(body=CreateListenerRequestBody(listener=option)))
        return as_json(response.listener)

    def update_listener(self, listener_id: str, changes: dict[str, Any], action: str) -> dict[str, Any]:
        """Change only the given fields (UpdateListenerOption names; insert_headers in JSON names)."""
        from huaweicloudsdkelb.v3 import UpdateListenerOption, UpdateListenerRequest, UpdateListenerRequestBody

        option = UpdateListenerOption(**_with_header_model(changes))
        request = UpdateListenerRequest(listener_id=listener_id, body=UpdateListenerRequestBody(listener=option))
        return as_json(self._call(action, "update_listener", request).listener)

    def close(self) -> None:
        try:
            self.client.close()
            self.client.get_http_client().executor.shutdown(wait=False)  # its signing threads
        except Exception:  # noqa: BLE001 - closing is best effort
            pass


def _refers_to(listener: dict[str, Any], cert_id: str) -> bool:
    return cert_id in (listener.get("default_tls_container_ref"), listener.get("client_ca_tls_container_ref")) \
        or cert_id in (listener.get("sni_container_refs") or [])
