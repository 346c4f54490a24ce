"""One line for every failure of a CCM call, chosen by what went wrong.

The API answers `{error_code, error_msg}`. Known codes decide first: PCA.00020xxx (documented:
a parameter the service refused), PCA.10010002 (documented: the CA or certificate does not
exist, answered as a 400), APIGW.0301 (the signature did not verify), APIGW.0101 (no such API at
this endpoint). The service's codes for a used-up quota, a CA that cannot issue, or a missing
permission are not published where we could read them, so those are told apart by HTTP status
(403: permission) and by the service's own English message (quota; disabled, expired, pending).
Failures before an answer (TLS, timeouts, no connection) are worded by wizard.elb.sdk.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from wizard.elb.hints import hint_for
from wizard.elb.sdk import ApiTarget, describe_sdk_error
from wizard.errors import WizardError
from wizard.i18n import N_, _

if TYPE_CHECKING:
    from wizard.ccm.api import CcmTarget

NOT_FOUND_CODE = "PCA.10010002"
KINDS = ("signature", "not_published", "permission", "not_found", "quota", "ca_state", "revoked", "parameter", "throttled", "server", "other")
# kind -> what to do, shown after the API's own message
_HINTS = {
    "not_published": N_("this endpoint does not offer the CCM API: check --region (CCM is offered in a few regions, e.g. "
                        "cn-north-4, ap-southeast-3) and --endpoint"),
    "permission": N_("the account or IAM user may not do this in CCM: ask for the CCM FullAccess policy (or a custom policy "
                     "with the pca:* action named above), then run the command again"),
    "not_found": N_("CCM does not know it here: each private CA lives in one region and one account, so check the region or "
                    "endpoint, the account ID and the id"),
    "quota": N_("the account's CCM quota is used up: revoke and delete private certificates (or CAs) you no longer need in "
                "the CCM console, or ask for a higher quota; nothing was issued"),
    "ca_state": N_("the private CA cannot issue now (disabled, expired or not activated): enable it in the CCM console, or "
                   "use another private CA"),
    "revoked": N_("the certificate is revoked in CCM, which no longer exports it: issue a new one"),
    "parameter": N_("CCM refused a value of the request: check the names (CCM takes letters, digits, spaces and - _ . , "
                    "in a name), the key type and the validity"),
    "throttled": N_("too many requests: wait a minute and run the same command again"),
    "server": N_("a fault on the cloud's side: try again later, quoting the request id if it persists"),
    "other": N_("see the message above; the workspace was not changed"),
}
_CA_STATE_WORDS = re.compile(r"disabled|expired|not (in the )?activ|pending|not active", re.IGNORECASE)


def kind_of(status: int, code: str, message: str) -> str:
    """What an API refusal means, one of KINDS."""
    if code == "APIGW.0301" or status == 401:
        return "signature"
    if code == "APIGW.0101":
        return "not_published"
    if status == 403:
        return "permission"
    if code == NOT_FOUND_CODE or status == 404:
        return "not_found"
    lowered = message.lower()
    if "quota" in lowered or "limit exceeded" in lowered:
        return "quota"
    if _CA_STATE_WORDS.search(message) and " ca" in f" {lowered}":
        return "ca_state"
    if "revoked" in lowered:
        return "revoked"
    if code.startswith("PCA.0002"):
        return "parameter"
    if status == 429:
        return "throttled"
    return "server" if status >= 500 else "other"


def hint(kind: str, message: str, action: str) -> str:
    """What to do about a refusal of this kind, in the user's language."""
    if kind == "signature":  # the same words as ELB's: the same AK/SK and the same clock
        return hint_for(401, "APIGW.0301", message, action, uploading=False)
    return _(_HINTS[kind])


def refusal_line(status: int, code: str, message: str, request_id: str, action: str) -> str:
    kind = kind_of(status, code, message)
    values = {"action": action, "status": status, "code": _short(code, 60), "message": _short(message),
              "request_id": request_id, "hint": hint(kind, message, action)}
    if request_id:
        return _("{action} failed: HTTP {status} {code}: {message}, request id {request_id}; {hint}").format(**values)
    return _("{action} failed: HTTP {status} {code}: {message}; {hint}").format(**values)


class CcmRefusal(WizardError):
    """The API answered with an error; `kind` (one of KINDS) says what it means."""

    def __init__(self, line: str, kind: str, status: int, code: str) -> None:
        super().__init__(line)
        self.kind, self.status, self.code = kind, status, code


def describe_ccm_error(error: BaseException, action: str, target: CcmTarget, timeout: tuple[float, float]) -> WizardError:
    """One line for any failure of an SDK call; `action` is already in the user's language."""
    from huaweicloudsdkcore.exceptions import exceptions as sdk_errors

    if isinstance(error, sdk_errors.ServiceResponseException):
        status, code, message = int(error.status_code or 0), str(error.error_code or ""), str(error.error_msg or "")
        line = refusal_line(status, code, message, str(error.request_id or ""), action)
        return CcmRefusal(line, kind_of(status, code, message), status, code)
    return describe_sdk_error(error, action, ApiTarget(target.region, target.account, target.endpoint), timeout)


def is_not_found(error: Any) -> bool:
    """A refusal that says the resource is not there (not that the API itself is missing)."""
    from huaweicloudsdkcore.exceptions.exceptions import ServiceResponseException

    if not isinstance(error, ServiceResponseException):
        return False
    return str(error.error_code or "") == NOT_FOUND_CODE or (error.status_code == 404 and not str(error.error_code or "").startswith("APIGW."))


def no_answer(action: str, target: CcmTarget, seconds: float) -> WizardError:
    return WizardError(_("{action} failed: {target} gave no answer within {seconds:g} s; whatever it did is found and adopted "
                         "when you run the same command again").format(action=action, target=target.describe(), seconds=seconds))


def _short(text: object, limit: int = 240) -> str:
    flat = " ".join(str(text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
