"""What to do about an ELB API refusal: by ELB's error code first, then by the HTTP status.

Codes from the ELB API reference, appendix "Error Codes"
(support.huaweicloud.com/intl/en-us/api-elb/ErrorCode.html) and the API gateway's own codes
(APIGW.0301: the AK/SK signature did not verify, which includes a request dated too far from
the gateway's clock; APIGW.0101: no such API at this endpoint). Pure: no SDK needed.
"""

from __future__ import annotations

from wizard.defaults import PROG

ENV_AK = "HUAWEICLOUD_SDK_AK"
ENV_SK = "HUAWEICLOUD_SDK_SK"

KEY_CONVERSION = "openssl pkey -in server/server.key -traditional -out server-elb.key"
PORT_IN_USE = "that port is already used on this load balancer: choose another --port, or delete the old listener in the console"
QUOTA = "the project's quota is used up: delete certificates or listeners you no longer need, or ask for a higher quota"
CREDENTIALS = (f"the cloud did not accept the signature: check {ENV_AK} / {ENV_SK}, and this machine's clock "
               "(signed requests are refused when the clock is off by more than a few minutes)")
NOT_PUBLISHED = ("this endpoint does not offer the ELB v3 API: check --region (e.g. cn-north-4) and --endpoint "
                 "(https://elb.REGION.myhuaweicloud.com)")
CERTIFICATE_REFUSED = (f"ELB refused the certificate or its key: check them with {PROG} inspect server/server.crt; "
                       f"a key in another form can be converted with: {KEY_CONVERSION}")
CA_REFUSED = (f"ELB refused the CA certificate: give the PEM CA certificate (ca/ca.crt, a CA:TRUE certificate, no key); "
              f"check it with {PROG} inspect ca/ca.crt")
TLS_TO_ENDPOINT = ("the TLS connection to the API endpoint failed: a proxy that inspects TLS, or a missing CA: "
                   "point REQUESTS_CA_BUNDLE at the proxy's CA file, or check HTTPS_PROXY / NO_PROXY")

BY_CODE = {
    "ELB.8907": PORT_IN_USE,  # conflict: port in use (dedicated)
    "ELB.6200": PORT_IN_USE,  # port already used (shared)
    "ELB.5151": QUOTA,
    "ELB.9807": QUOTA,
    "ELB.1011": CERTIFICATE_REFUSED,  # "Invalid private key or certificate content."
    "ELB.5013": CERTIFICATE_REFUSED,
    "ELB.5051": CA_REFUSED,
    "ELB.5053": CA_REFUSED,
    "APIGW.0301": CREDENTIALS,
    "APIGW.0101": NOT_PUBLISHED,
}


def hint_for(status: int, code: str, message: str, action: str) -> str:
    """The fix to suggest for an API refusal: the error code's own, else by status and message."""
    if code in BY_CODE:
        return BY_CODE[code]
    lowered = message.lower()
    if "quota" in lowered or "limit exceeded" in lowered:
        return QUOTA
    if status == 401:
        return CREDENTIALS
    if status == 403:
        return "the account lacks ELB permissions in this project, or --project-id belongs to another region: check both"
    if status == 404:
        return "check --project-id, --region/--endpoint and --loadbalancer-id"
    if status == 409:
        return PORT_IN_USE
    if status == 429:
        return "too many requests: wait a minute and run the same command again"
    if status >= 500:
        return "a fault on the cloud's side: try again later, quoting the request id if it persists"
    if "private key" in lowered or "private_key" in lowered:
        return f"the private key was refused: check it with {PROG} inspect server/server.key, or convert it: {KEY_CONVERSION}"
    if "certificate" in lowered and action.startswith("upload"):
        return f"the certificate was refused: check it with {PROG} inspect, or re-issue it"
    return "see the message above; nothing else was changed"
