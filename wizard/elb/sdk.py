"""The official Huawei Cloud SDK (`huaweicloudsdkelb`, the optional `cloud` extra), behind a
few calls that each turn any failure into one WizardError line.

Credentials come only from HUAWEICLOUD_SDK_AK / HUAWEICLOUD_SDK_SK and are checked before any
SDK client exists: without them the SDK would quietly ask the cloud's metadata service (a
link-local address). They are never stored, logged or printed. The SDK is imported only
when a call is made, and its own logger is silenced: errors are reported in our words.

Each call has one deadline for connecting, sending and reading together (`deadline`). Its
answer is read as the API's own JSON (the response's raw body), not through the SDK's models:
those drop fields they do not know (a header switch newer than the SDK), and an answer that is
not JSON would come back as an empty model, which reads like "nothing found" and would let an
upload go on. Here it stops the work instead, before anything more is sent.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
from collections.abc import Callable, Iterator
from typing import Any

from wizard.elb.failures import CONNECT, ApiRefusal, describe_sdk_error, out_of_time, unreadable_answer
from wizard.elb.target import ApiTarget
from wizard.environment import ENV_AK, ENV_SK
from wizard.errors import InputError, WizardError
from wizard.i18n import _

__all__ = [
    "DEFAULT_TIMEOUT", "ENV_AK", "ENV_SK", "INSTALL_HINT", "SDK_LOGGER", "ApiRefusal", "ApiTarget", "ElbApi", "credentials",
    "credentials_present", "describe_sdk_error", "missing_credentials", "sdk_available",
]

# Client._init_logger names it 'HuaweiCloud-SDK-' + the client class name.
SDK_LOGGER = "HuaweiCloud-SDK-ElbClient"
INSTALL_HINT = "pip install 'mtls-wizard[cloud]'"

# Seconds: (connect, the whole call). Connecting alone gets at most the first; connecting,
# sending and reading together the second. No retries.
DEFAULT_TIMEOUT = (10.0, 60.0)
# List pages (ListCertificatesRequest / ListListenersRequest take limit 0-2000): followed by
# page_info.next_marker to the end; a bound on their number ends an endpoint that never stops.
PAGE_SIZE = 200
MAX_PAGES = 5000


def sdk_available() -> bool:
    """True when the `cloud` extra (huaweicloudsdkelb) is installed; nothing is imported."""
    try:
        return importlib.util.find_spec("huaweicloudsdkelb") is not None and importlib.util.find_spec("huaweicloudsdkcore") is not None
    except (ImportError, ValueError):
        return False


def missing_credentials() -> list[str]:
    """The credential variables not set in the environment (ELB's and CCM's: nothing is sent without them)."""
    return [name for name in (ENV_AK, ENV_SK) if not os.environ.get(name)]


def credentials_present() -> bool:
    return not missing_credentials()


def credentials() -> tuple[str, str]:
    missing = missing_credentials()
    if missing:
        if len(missing) == 1:
            raise InputError(_("no API credentials: set {ak} and {sk} in the environment ({missing} is not set); they are never "
                               "taken as arguments").format(ak=ENV_AK, sk=ENV_SK, missing=missing[0]))
        raise InputError(_("no API credentials: set {ak} and {sk} in the environment; they are never taken as arguments").format(
            ak=ENV_AK, sk=ENV_SK))
    return os.environ[ENV_AK], os.environ[ENV_SK]


def quiet_sdk_logger() -> None:
    """The SDK logs errors (with details) itself; keep that away from the user's terminal."""
    logger = logging.getLogger(SDK_LOGGER)
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())
    logger.propagate = False


def _without_keys(item: dict[str, Any]) -> dict[str, Any]:
    """A private key the API echoes is dropped here, so nothing after this point can keep or print it."""
    return {k: v for k, v in item.items() if k not in ("private_key", "enc_private_key")}


def _refers_to(listener: dict[str, Any], cert_id: str) -> bool:
    return cert_id in (listener.get("default_tls_container_ref"), listener.get("client_ca_tls_container_ref")) \
        or cert_id in (listener.get("sni_container_refs") or [])


class ElbApi:
    """The few SDK calls we make, each answering the API's JSON or raising one WizardError line."""

    def __init__(self, target: ApiTarget, ak: str, sk: str, timeout: tuple[float, float]) -> None:
        quiet_sdk_logger()
        from huaweicloudsdkcore.auth.credentials import BasicCredentials
        from huaweicloudsdkcore.http.http_config import HttpConfig
        from huaweicloudsdkelb.v3 import ElbClient
        from huaweicloudsdkelb.v3.region.elb_region import ElbRegion

        from wizard.elb.deadline import watch_session

        self.target, self.timeout = target, (min(timeout), timeout[1])
        config = HttpConfig.get_default_config()
        config.timeout = self.timeout  # per socket operation; the whole call is bounded in `_send`
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
            # The SDK keeps its requests session private; our adapter on it makes connections the
            # deadline can see and cut (HttpClient._session, huaweicloudsdkcore/http/http_client.py).
            watch_session(self.client.get_http_client()._session, config.pool_maxsize)  # noqa: SLF001
        except Exception as error:  # noqa: BLE001 - anything the builder raises becomes one line
            raise describe_sdk_error(error, _("preparing the API client"), target, timeout) from None

    # -- one call ----------------------------------------------------------------------
    def _send(self, action: str, method: str, request: object, missing_ok: bool = False) -> Any:
        """The SDK's response, within the deadline; None for a missing resource when `missing_ok`
        (ELB's 404; the gateway's 404, APIGW.0101, means the API itself is not at this endpoint)."""
        from wizard.elb.deadline import DeadlineExceeded, run_bounded

        try:
            return run_bounded(lambda: getattr(self.client, method)(request), self.timeout[1])[0]
        except DeadlineExceeded as late:
            raise out_of_time(action, self.target, late.phase, self.timeout[0] if late.phase == CONNECT else self.timeout[1]) from None
        except Exception as error:  # noqa: BLE001 - SDK, requests and urllib3 errors alike
            watch = getattr(error, "call_watch", None)
            if watch is not None and watch.expired:
                raise out_of_time(action, self.target, watch.phase, self.timeout[1]) from None
            failure = describe_sdk_error(error, action, self.target, self.timeout, call=method, phase=getattr(watch, "phase", ""))
        if missing_ok and isinstance(failure, ApiRefusal) and failure.status == 404 and not failure.code.startswith("APIGW."):
            return None
        raise failure

    def _json(self, action: str, method: str, request: object, missing_ok: bool = False) -> dict[str, Any] | None:
        """The answer's JSON object (None: missing, see `_send`); anything else stops the work."""
        response = self._send(action, method, request, missing_ok)
        if response is None:
            return None
        raw = getattr(response, "raw_content", None) or b""
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            raise unreadable_answer(action, self.target, raw) from None
        if not isinstance(data, dict):
            raise unreadable_answer(action, self.target, raw)
        return data

    def _item(self, action: str, method: str, request: object, key: str, missing_ok: bool = False) -> dict[str, Any] | None:
        data = self._json(action, method, request, missing_ok)
        if data is None:
            return None
        item = data.get(key)
        if not isinstance(item, dict):
            raise unreadable_answer(action, self.target, json.dumps(data)[:80].encode())
        return _without_keys(item)

    def _pages(self, action: str, method: str, request_for: Callable[[str | None], object], key: str) -> Iterator[dict[str, Any]]:
        """Every item of a list call, page after page by `page_info.next_marker` (the last id of
        the page, so the end is an empty page or a page without it)."""
        marker: str | None = None
        seen: set[str] = set()
        for _page in range(MAX_PAGES):
            data = self._json(action, method, request_for(marker)) or {}
            items = data.get(key)
            if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
                raise unreadable_answer(action, self.target, json.dumps(data)[:80].encode())
            yield from (_without_keys(item) for item in items)
            info = data.get("page_info")
            if isinstance(info, dict):
                marker = str(info.get("next_marker") or "")
            else:  # no page information: a full page may have more behind it
                marker = str(items[-1].get("id") or "") if len(items) >= PAGE_SIZE else ""
            if not items or not marker:
                return
            if marker in seen:
                raise WizardError(_("{action} failed: the API gave the same page twice (marker {marker}); try again later").format(
                    action=action, marker=marker))
            seen.add(marker)
        raise WizardError(_("{action} failed: more than {count} pages; narrow the search or try again later").format(
            action=action, count=MAX_PAGES))

    # -- reading -----------------------------------------------------------------------
    def show_load_balancer(self, lb_id: str, action: str) -> dict[str, Any] | None:
        """The load balancer as JSON fields (`guaranteed`, `l7_flavor_id`, ...), None when not found."""
        from huaweicloudsdkelb.v3 import ShowLoadBalancerRequest

        return self._item(action, "show_load_balancer", ShowLoadBalancerRequest(loadbalancer_id=lb_id), "loadbalancer", True)

    def show_certificate(self, cert_id: str, action: str) -> dict[str, Any] | None:
        from huaweicloudsdkelb.v3 import ShowCertificateRequest

        return self._item(action, "show_certificate", ShowCertificateRequest(certificate_id=cert_id), "certificate", True)

    def list_certificates(self, action: str, *, kind: str, common_name: str = "") -> Iterator[dict[str, Any]]:
        """Every certificate of `kind` ("server" or "client"), filtered by common name when given."""
        from huaweicloudsdkelb.v3 import ListCertificatesRequest

        names = [common_name] if common_name else None
        return self._pages(action, "list_certificates", lambda marker: ListCertificatesRequest(
            limit=PAGE_SIZE, marker=marker, type=[kind], common_name=names), "certificates")

    def show_listener(self, listener_id: str, action: str) -> dict[str, Any] | None:
        from huaweicloudsdkelb.v3 import ShowListenerRequest

        return self._item(action, "show_listener", ShowListenerRequest(listener_id=listener_id), "listener", True)

    def listeners_on_port(self, lb_id: str, port: int, protocols: tuple[str, ...], action: str) -> list[dict[str, Any]]:
        """The listeners of `lb_id` on `port` speaking one of `protocols` (ListListenersRequest
        filters by all three: a QUIC or UDP listener may share an HTTPS listener's number)."""
        from huaweicloudsdkelb.v3 import ListListenersRequest

        return list(self._pages(action, "list_listeners", lambda marker: ListListenersRequest(
            limit=PAGE_SIZE, marker=marker, loadbalancer_id=[lb_id], protocol_port=[str(port)], protocol=list(protocols)),
            "listeners"))

    def listeners_using(self, cert_id: str, action: str) -> list[dict[str, Any]]:
        """Every listener of the project that refers to `cert_id`: as its server or CA certificate,
        or among its SNI certificates. ListListeners filters no SNI list, so every page is read
        and checked here (without enterprise_project_id it covers every enterprise project)."""
        from huaweicloudsdkelb.v3 import ListListenersRequest

        every = self._pages(action, "list_listeners", lambda marker: ListListenersRequest(limit=PAGE_SIZE, marker=marker), "listeners")
        return [listener for listener in every if _refers_to(listener, cert_id)]

    def system_security_policies(self, action: str) -> list[str] | None:
        """The names of the region's system TLS policies (ListSystemSecurityPolicies), or None
        when this endpoint does not offer the call (404) or the account may not use it (403)."""
        from huaweicloudsdkelb.v3 import ListSystemSecurityPoliciesRequest

        try:
            data = self._json(action, "list_system_security_policies", ListSystemSecurityPoliciesRequest()) or {}
        except ApiRefusal as refusal:
            if refusal.status in (403, 404):
                return None
            raise
        policies = data.get("system_security_policies")
        if not isinstance(policies, list):
            raise unreadable_answer(action, self.target, json.dumps(data)[:80].encode())
        return [str(item["name"]) for item in policies if isinstance(item, dict) and item.get("name")]

    # -- writing -----------------------------------------------------------------------
    def create_certificate(self, body: dict[str, Any], action: str) -> dict[str, Any]:
        from huaweicloudsdkelb.v3 import CreateCertificateOption, CreateCertificateRequest, CreateCertificateRequestBody

        option = CreateCertificateOption(**body["certificate"])
        request = CreateCertificateRequest(body=CreateCertificateRequestBody(certificate=option))
        return self._item(action, "create_certificate", request, "certificate") or {}

    def delete_certificate(self, cert_id: str, action: str) -> None:
        """Raises ApiRefusal (409 / ELB.8907 while something uses it, 404 once it is gone)."""
        from huaweicloudsdkelb.v3 import DeleteCertificateRequest

        self._send(action, "delete_certificate", DeleteCertificateRequest(certificate_id=cert_id))

    def create_listener(self, body: dict[str, Any], action: str) -> dict[str, Any]:
        """`insert_headers` goes as the JSON object it is: the SDK sends a dict as it is given."""
        from huaweicloudsdkelb.v3 import CreateListenerOption, CreateListenerRequest, CreateListenerRequestBody

        option = CreateListenerOption(**body["listener"])
        request = CreateListenerRequest(body=CreateListenerRequestBody(listener=option))
        return self._item(action, "create_listener", request, "listener") or {}

    def update_listener(self, listener_id: str, changes: dict[str, Any], action: str) -> dict[str, Any] | None:
        """Send only `changes` (UpdateListenerOption names; a whole `insert_headers` object);
        the listener as the answer holds it, or None when the answer has none."""
        from huaweicloudsdkelb.v3 import UpdateListenerOption, UpdateListenerRequest, UpdateListenerRequestBody

        option = UpdateListenerOption(**changes)
        request = UpdateListenerRequest(listener_id=listener_id, body=UpdateListenerRequestBody(listener=option))
        data = self._json(action, "update_listener", request) or {}
        listener = data.get("listener")
        return _without_keys(listener) if isinstance(listener, dict) and listener.get("id") else None

    def close(self) -> None:
        try:
            self.client.close()
            self.client.get_http_client().executor.shutdown(wait=False)  # its signing threads
        except Exception:  # noqa: BLE001 - closing is best effort
            pass
