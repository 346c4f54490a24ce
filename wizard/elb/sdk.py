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
from dataclasses import dataclass
from typing import Any

from wizard.defaults import PROG
from wizard.errors import InputError, WizardError

ENV_AK = "HUAWEICLOUD_SDK_AK"
ENV_SK = "HUAWEICLOUD_SDK_SK"
# Client._init_logger names it 'HuaweiCloud-SDK-' + the client class name.
SDK_LOGGER = "HuaweiCloud-SDK-ElbClient"
INSTALL_HINT = "pip install 'mtls-wizard[cloud]'"

# Seconds: (connect, read). A refused or silent endpoint fails within these, no retries.
DEFAULT_TIMEOUT = (10.0, 60.0)


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
class ApiTarget:
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


def describe_sdk_error(error: BaseException, action: str, target: ApiTarget, timeout: tuple[float, float]) -> WizardError:
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
                raise InputError(f"the SDK does not know the region {target.region!r}: check --region (e.g. cn-north-4), or give --endpoint URL") from None
        try:
            self.client = builder.build()
        except Exception as error:  # noqa: BLE001 - anything the builder raises becomes one line
            raise describe_sdk_error(error, "preparing the API client", target, timeout) from None

    def _call(self, action: str, method: str, request: object) -> Any:
        try:
            return getattr(self.client, method)(request)
        except Exception as error:  # noqa: BLE001 - SDK, requests and urllib3 errors alike
            raise describe_sdk_error(error, action, self.target, self.timeout) from None

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
            raise describe_sdk_error(error, action, self.target, self.timeout) from None
        except Exception as error:  # noqa: BLE001 - SDK, requests and urllib3 errors alike
            raise describe_sdk_error(error, action, self.target, self.timeout) from None

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

