"""Any failure of an API call as one line: what was being done, what went wrong, what to do.

An answer from the API (an error code) becomes an `ApiRefusal`, which keeps the status, the
code and the call so a caller can tell "still in use" from "not found". A call that ran out of
time says which part did: connecting, sending the request, waiting for the answer or reading it.
"""

from __future__ import annotations

import re
from typing import Any

from wizard.elb.hints import hint_for, tls_to_endpoint
from wizard.elb.target import ApiTarget
from wizard.errors import WizardError
from wizard.i18n import N_, _


# Where a call stood when it ran out of time (wizard.elb.deadline reports them).
CONNECT, SEND, WAIT, READ = "connect", "send", "wait", "read"


class ApiRefusal(WizardError):
    """The API answered a call with an error."""

    def __init__(self, message: str, status: int, code: str, call: str) -> None:
        super().__init__(message)
        self.status, self.code, self.call = status, code, call


# What ran out of time, by the phase the call was in (deadline.CONNECT...); whole sentences.
_OUT_OF_TIME = {
    CONNECT: N_("{action} failed: could not connect to {target} within {seconds:g} s; check --endpoint/--region and the "
                "network, then run the command again"),
    SEND: N_("{action} failed: connected to {target}, but it did not take the request within {seconds:g} s; check "
             "--endpoint and any proxy, then run the command again"),
    WAIT: N_("{action} failed: {target} took the request but sent no answer within {seconds:g} s; check --endpoint and "
             "any proxy, then run the command again"),
    READ: N_("{action} failed: {target} began to answer but did not finish within {seconds:g} s; check --endpoint and "
             "any proxy, then run the command again"),
}


def out_of_time(action: str, target: ApiTarget, phase: str, seconds: float) -> WizardError:
    return WizardError(_(_OUT_OF_TIME.get(phase, _OUT_OF_TIME[WAIT])).format(action=action, target=target.describe(), seconds=seconds))


def _short(text: object, limit: int = 240) -> str:
    flat = " ".join(str(text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def describe_sdk_error(error: BaseException, action: str, target: ApiTarget, timeout: tuple[float, float], *,
                       uploading: bool | None = None, call: str = "", phase: str = "") -> WizardError:
    """One line for any failure of an SDK call. `action` is already in the user's language;
    `call` is the SDK method (it chooses the hint); `phase` where a timed-out call stood
    ("" unknown: guessed from the error)."""
    from huaweicloudsdkcore.exceptions import exceptions as sdk_errors

    if isinstance(error, sdk_errors.ServiceResponseException):
        return _refusal(error, action, uploading, call)
    import requests

    if isinstance(error, (sdk_errors.SslHandShakeException, requests.exceptions.SSLError)):
        reason = re.search(r"\[SSL[^\]]*\][^'\")(]*", str(getattr(error, "error_msg", "") or error))
        detail = f" ({reason.group(0).strip()})" if reason else ""
        return WizardError(_("{action} failed: no TLS connection to {target}{detail}; {hint}").format(
            action=action, target=target.describe(), detail=detail, hint=tls_to_endpoint()))
    if isinstance(error, (requests.Timeout, sdk_errors.RequestTimeoutException)) or "timed out" in str(error).lower():
        if not phase:
            connecting = isinstance(error, (requests.ConnectTimeout, sdk_errors.ConnectionException))
            phase = CONNECT if connecting else WAIT
        return out_of_time(action, target, phase, timeout[0] if phase == CONNECT else timeout[1])
    if isinstance(error, (sdk_errors.ConnectionException, requests.ConnectionError)):
        raw = str(getattr(error, "error_msg", "") or error)
        reason = re.search(r"\[Errno -?\d+\][^'\")]*", raw)
        detail = reason.group(0).strip() if reason else _short(raw.split(":")[-1], 120)
        return WizardError(_("{action} failed: cannot reach {target} ({detail}); check --endpoint/--region, the network and "
                             "any proxy").format(action=action, target=target.describe(), detail=detail))
    if isinstance(error, sdk_errors.SdkException):
        return WizardError(_("{action} failed: {detail}").format(action=action, detail=_short(error.error_msg)))
    return WizardError(_("{action} failed: {kind}: {detail}").format(action=action, kind=type(error).__name__, detail=_short(error)))


def _refusal(error: Any, action: str, uploading: bool | None, call: str) -> ApiRefusal:
    """The API answered with an error: its status, code and message, and what to do."""
    status = int(error.status_code or 0)
    code, message = _short(error.error_code, 60), _short(error.error_msg)
    hint = hint_for(status, code, message, action, uploading=uploading, call=call)
    if error.request_id:
        text = _("{action} failed: HTTP {status} {code}: {message}, request id {request_id}; {hint}").format(
            action=action, status=status, code=code, message=message, request_id=error.request_id, hint=hint)
    else:
        text = _("{action} failed: HTTP {status} {code}: {message}; {hint}").format(
            action=action, status=status, code=code, message=message, hint=hint)
    return ApiRefusal(text, status, str(error.error_code or ""), call)


def unreadable_answer(action: str, target: ApiTarget, body: bytes) -> WizardError:
    """An answer that is not the JSON object the API sends: stop before anything else is sent."""
    shown = _short(body[:80].decode("utf-8", "replace"), 60) or _("an empty body")
    return WizardError(_("{action} failed: {target} answered with something that is not the ELB API's JSON ({shown}); nothing "
                         "more was sent: check --endpoint and any proxy").format(action=action, target=target.describe(), shown=shown))
