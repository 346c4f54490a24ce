"""What to do about an ELB API refusal: by ELB's error code first, then by the HTTP status.

Codes from the ELB API reference, appendix "Error Codes"
(support.huaweicloud.com/intl/en-us/api-elb/ErrorCode.html) and the API gateway's own codes
(APIGW.0301: the AK/SK signature did not verify, which includes a request dated too far from
the gateway's clock; APIGW.0101: no such API at this endpoint). Pure: no SDK needed.

The hints are catalog texts (`N_`), translated when one is given (`hint_for`); their
placeholders are the technical tokens below, filled in after translation.
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


def say(template: str) -> str:
    """A hint in the current language, its technical tokens filled in."""
    return _(template).format(**_TOKENS)


# The English texts, as constants for readers and tests (`hint_for` gives them translated).
PORT_IN_USE, QUOTA, CREDENTIALS, NOT_PUBLISHED, CERTIFICATE_REFUSED, CA_REFUSED, TLS_TO_ENDPOINT = (
    template.format(**_TOKENS) for template in
    (_PORT_IN_USE, _QUOTA, _CREDENTIALS, _NOT_PUBLISHED, _CERTIFICATE_REFUSED, _CA_REFUSED, _TLS_TO_ENDPOINT))

_BY_CODE = {
    "ELB.8907": _PORT_IN_USE,  # conflict: port in use (dedicated)
    "ELB.6200": _PORT_IN_USE,  # port already used (shared)
    "ELB.5151": _QUOTA,
    "ELB.9807": _QUOTA,
    "ELB.1011": _CERTIFICATE_REFUSED,  # "Invalid private key or certificate content."
    "ELB.5013": _CERTIFICATE_REFUSED,
    "ELB.5051": _CA_REFUSED,
    "ELB.5053": _CA_REFUSED,
    "APIGW.0301": _CREDENTIALS,
    "APIGW.0101": _NOT_PUBLISHED,
}
BY_CODE = {code: template.format(**_TOKENS) for code, template in _BY_CODE.items()}


def tls_to_endpoint() -> str:
    return say(_TLS_TO_ENDPOINT)


def hint_for(status: int, code: str, message: str, action: str, *, uploading: bool | None = None) -> str:
    """The fix to suggest for an API refusal: the error code's own, else by status and message.

    `uploading`: the refused call uploaded a certificate (None: guessed from the English
    `action`; the SDK wrapper says it, as the action may be in another language)."""
    if code in _BY_CODE:
        return say(_BY_CODE[code])
    lowered = message.lower()  # the API's own message: English, whatever our language
    if "quota" in lowered or "limit exceeded" in lowered:
        return say(_QUOTA)
    if status == 401:
        return say(_CREDENTIALS)
    if status == 403:
        return _("the account lacks ELB permissions in this project, or --project-id belongs to another region: check both")
    if status == 404:
        return _("check --project-id, --region/--endpoint and --loadbalancer-id")
    if status == 409:
        return say(_PORT_IN_USE)
    if status == 429:
        return _("too many requests: wait a minute and run the same command again")
    if status >= 500:
        return _("a fault on the cloud's side: try again later, quoting the request id if it persists")
    if "private key" in lowered or "private_key" in lowered:
        return say(N_("the private key was refused: check it with {prog} inspect server/server.key, or convert it: {conversion}"))
    if "certificate" in lowered and (action.startswith("upload") if uploading is None else uploading):
        return _("the certificate was refused: check it with {prog} inspect, or re-issue it").format(prog=PROG)
    return _("see the message above; nothing else was changed")
