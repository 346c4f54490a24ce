"""What to do about an ELB API refusal: chosen by the call that failed and ELB's error code
first, then by the code alone, then by the HTTP status.

Sources for the codes:
- the ELB API reference, appendix "Error Codes" (support.huaweicloud.com/intl/en-us/api-elb/
  ErrorCode.html): ELB.1011, ELB.5013, ELB.5051, ELB.5053, ELB.5151, ELB.6200, ELB.9807;
- the v3 API's own codes, from answers quoted in public issues and tooling: ELB.8902 invalid
  parameter, ELB.8904 not found, ELB.8907 conflict (terraform-provider-huaweicloud names it the
  data conflict: a port taken, a resource still in use or still changing), ELB.8905 quota (our
  review of the v3 answers); ELB.8903 not permitted and ELB.8906 internal error come from one
  public troubleshooting table only, so their hints say no more than the HTTP status would;
- the API gateway's (APIGW.0301: the AK/SK signature did not verify, which includes a request
  dated too far from the gateway's clock; APIGW.0101: no such API at this endpoint).

A conflict means different things by call: creating a listener, the port is taken; deleting
a certificate, it is still in use; updating a listener, another change is under way. Pure: no
SDK needed. The hints are catalog texts (`N_`), translated when one is given (`hint_for`);
their placeholders are the technical tokens below, filled in after translation.
"""

from __future__ import annotations

from wizard.defaults import PROG
from wizard.environment import ENV_AK, ENV_SK
from wizard.i18n import N_, _

KEY_CONVERSION = "openssl pkey -in server/server.key -traditional -out server-elb.key"
# What the hints' placeholders stand for (never translated).
_TOKENS = {"ak": ENV_AK, "sk": ENV_SK, "prog": PROG, "conversion": KEY_CONVERSION}

_PORT_IN_USE = N_("that port is already used on this load balancer: choose another --port, or delete the old listener in the console")
_QUOTA = N_("the project's quota is used up: delete certificates or listeners you no longer need, or ask for a higher quota")
_CREDENTIALS = N_("the cloud did not accept the signature: check {ak} / {sk}, and this machine's clock "
                  "(signed requests are refused when the clock is off by more than a few minutes)")
_NOT_PUBLISHED = N_("this endpoint does not offer the ELB v3 API: check --region (e.g. cn-north-4) and --endpoint "
                    "(https://elb.REGION.myhuaweicloud.com)")
_CERTIFICATE_REFUSED = N_("ELB refused the certificate or its key: check them with {prog} inspect server/server.crt; "
                          "a key in another form can be converted with: {conversion}")
_CA_REFUSED = N_("ELB refused the CA certificate: give the PEM CA certificate (ca/ca.crt, a CA:TRUE certificate, no key); "
                 "check it with {prog} inspect ca/ca.crt")
_TLS_TO_ENDPOINT = N_("the TLS connection to the API endpoint failed: a proxy that inspects TLS, or a missing CA: "
                      "point REQUESTS_CA_BUNDLE at the proxy's CA file, or check HTTPS_PROXY / NO_PROXY")
_PERMISSIONS = N_("the account lacks ELB permissions in this project, or --project-id belongs to another region: check both")
_CLOUD_FAULT = N_("a fault on the cloud's side: try again later, quoting the request id if it persists")
_CONFLICT = N_("ELB reports a conflict with what it holds (a port taken, a certificate still in use, or a change still "
               "under way): look at the load balancer in the console, then run the same command again")
_CERTIFICATE_IN_USE = N_("ELB still uses that certificate (a listener, or another service): it stays; remove it from there "
                         "first if it should go")
_LISTENER_BUSY = N_("ELB is still applying another change to this listener, or a certificate clashes with one it holds: "
                    "wait a minute and run the same command again")
_LISTENER_OPTION = N_("ELB refused a listener option: check --tls-policy (or the custom security policy), --pool-id and "
                      "--forward-client-cert (not every region offers every option)")
_LISTENER_GONE = N_("the listener is gone from ELB (deleted in the console?): run the command again to create one, with "
                    "--loadbalancer-id ID")
_NOT_FOUND = N_("check --project-id, --region/--endpoint and --loadbalancer-id")


def say(template: str) -> str:
    """A hint in the current language, its technical tokens filled in."""
    return _(template).format(**_TOKENS)


# The English texts, as constants for readers and tests (`hint_for` gives them translated).
PORT_IN_USE, QUOTA, CREDENTIALS, NOT_PUBLISHED, CERTIFICATE_REFUSED, CA_REFUSED, TLS_TO_ENDPOINT = (
    template.format(**_TOKENS) for template in
    (_PORT_IN_USE, _QUOTA, _CREDENTIALS, _NOT_PUBLISHED, _CERTIFICATE_REFUSED, _CA_REFUSED, _TLS_TO_ENDPOINT))
CERTIFICATE_IN_USE, LISTENER_BUSY, CONFLICT = _CERTIFICATE_IN_USE, _LISTENER_BUSY, _CONFLICT

_BY_CODE = {
    "ELB.8907": _CONFLICT,  # the v3 conflict; what it means depends on the call (_BY_CALL)
    "ELB.6200": _PORT_IN_USE,  # port already used (shared)
    "ELB.5151": _QUOTA,
    "ELB.9807": _QUOTA,
    "ELB.8905": _QUOTA,  # v3: quota exceeded
    "ELB.8903": _PERMISSIONS,  # v3: not permitted
    "ELB.8906": _CLOUD_FAULT,  # v3: internal error
    "ELB.1011": _CERTIFICATE_REFUSED,  # "Invalid private key or certificate content."
    "ELB.5013": _CERTIFICATE_REFUSED,
    "ELB.5051": _CA_REFUSED,
    "ELB.5053": _CA_REFUSED,
    "APIGW.0301": _CREDENTIALS,
    "APIGW.0101": _NOT_PUBLISHED,
}
BY_CODE = {code: template.format(**_TOKENS) for code, template in _BY_CODE.items()}

# (the SDK call, a code or an HTTP status) -> the fix; looked up before _BY_CODE.
_BY_CALL: dict[tuple[str, str | int], str] = {
    ("create_listener", "ELB.8907"): _PORT_IN_USE, ("create_listener", 409): _PORT_IN_USE,
    ("delete_certificate", "ELB.8907"): _CERTIFICATE_IN_USE, ("delete_certificate", 409): _CERTIFICATE_IN_USE,
    ("update_listener", "ELB.8907"): _LISTENER_BUSY, ("update_listener", 409): _LISTENER_BUSY,
    ("create_listener", "ELB.8902"): _LISTENER_OPTION, ("update_listener", "ELB.8902"): _LISTENER_OPTION,
    ("update_listener", "ELB.8904"): _LISTENER_GONE, ("update_listener", 404): _LISTENER_GONE,
}
_BY_STATUS = {401: _CREDENTIALS, 403: _PERMISSIONS, 404: _NOT_FOUND, 409: _CONFLICT}


def tls_to_endpoint() -> str:
    return say(_TLS_TO_ENDPOINT)


def hint_for(status: int, code: str, message: str, action: str, *, uploading: bool | None = None, call: str = "") -> str:
    """The fix to suggest for an API refusal of `call` (the SDK method, "" unknown).

    `uploading`: the refused call uploaded a certificate (None: from `call`, else guessed from
    the English `action`; the action may be in another language)."""
    for key in ((call, code), (call, status)):
        if key in _BY_CALL:
            return say(_BY_CALL[key])
    if code in _BY_CODE:
        return say(_BY_CODE[code])
    lowered = message.lower()  # the API's own message: English, whatever our language
    if "quota" in lowered or "limit exceeded" in lowered:
        return say(_QUOTA)
    if status in _BY_STATUS:
        return say(_BY_STATUS[status])
    if status == 429:
        return _("too many requests: wait a minute and run the same command again")
    if status >= 500:
        return say(_CLOUD_FAULT)
    if "private key" in lowered or "private_key" in lowered:
        return say(N_("the private key was refused: check it with {prog} inspect server/server.key, or convert it: {conversion}"))
    if uploading is None:
        uploading = call == "create_certificate" if call else action.startswith("upload")
    if "certificate" in lowered and uploading:
        return _("the certificate was refused: check it with {prog} inspect, or re-issue it").format(prog=PROG)
    return _("see the message above; nothing else was changed")
