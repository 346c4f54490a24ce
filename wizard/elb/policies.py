"""Load-balancer types and the TLS policies each one takes.

Sources (huaweicloudsdkelb 3.1.219):
- v3 `CreateListenerOption.tls_ciphers_policy` (v3/model/create_listener_option.py): the ten
  system policies below; the API's own default is tls-1-2, ours the stricter tls-1-2-strict.
  The same page says a `security_policy_id` (a custom policy) applies to dedicated load
  balancers only and wins over `tls_ciphers_policy` when both are sent.
- v2 `CreateListenerReq.tls_ciphers_policy` (v2/model/create_listener_req.py), the shared load
  balancers' listener: tls-1-0 to tls-1-2-strict; `tls-1-0-inherit` is the legacy policy the
  v3 list keeps for listeners created with it.
- v3 `LoadBalancer.guaranteed` (v3/model/load_balancer.py): false = shared, true = dedicated.
- v3 `ListSystemSecurityPolicies` (v3/model/system_security_policy.py): the policies a region
  really offers (some have no TLS 1.3 ones); an upload asks for them before it makes a listener,
  and the list above is only the fallback where the call is not available.
"""

from __future__ import annotations

import re

from wizard.errors import InputError
from wizard.i18n import N_, _

SHARED = "shared"
DEDICATED = "dedicated"
LB_TYPES = (SHARED, DEDICATED)

SHARED_POLICIES = ("tls-1-0-inherit", "tls-1-0", "tls-1-1", "tls-1-2", "tls-1-2-strict")
DEDICATED_ONLY_POLICIES = (
    "tls-1-2-fs", "tls-1-0-with-1-3", "tls-1-2-fs-with-1-3", "hybrid-policy-1-0", "tls-1-2-strict-no-cbc",
)
TLS_POLICIES = (*SHARED_POLICIES, *DEDICATED_ONLY_POLICIES)
DEFAULT_TLS_POLICY = "tls-1-2-strict"  # on both types

# Short words for a picker (the TUI's step 6), read from ELB's "TLS Security Policy" page
# (support.huaweicloud.com/intl/en-us/usermanual-elb/elb_ug_jt_0022.html), which also lists
# the cipher suites of each. English here (catalog texts): `policy_label` gives them translated.
POLICY_LABELS = {
    "tls-1-0-inherit": N_("TLS 1.0-1.2, the older cipher list"),
    "tls-1-0": N_("TLS 1.0-1.2, broad compatibility"),
    "tls-1-1": N_("TLS 1.1-1.2"),
    "tls-1-2": N_("TLS 1.2 (the API's default)"),
    "tls-1-2-strict": N_("TLS 1.2, strong ciphers (recommended)"),
    "tls-1-2-fs": N_("forward-secret ciphers only"),
    "tls-1-0-with-1-3": N_("TLS 1.0-1.3, broad compatibility"),
    "tls-1-2-fs-with-1-3": N_("TLS 1.2-1.3, forward-secret only"),
    "hybrid-policy-1-0": N_("TLS 1.0-1.2, hybrid cipher list"),
    "tls-1-2-strict-no-cbc": N_("TLS 1.2, strong ciphers, no CBC"),
}

# A custom policy id as the console shows it (a UUID-like id); kept loose, the API checks it.
_POLICY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
# A system policy's name as ELB writes them (tls-1-2-strict, hybrid-policy-1-0).
_POLICY_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{0,63}$")


def policy_label(policy: str) -> str:
    """The picker's short words for `policy`, in the current language ("" for an unknown one)."""
    label = POLICY_LABELS.get(policy, "")
    return _(label) if label else ""  # never _(""): gettext answers that with the catalog's header


def validate_lb_type(lb_type: str) -> str:
    """"" (unknown), "shared" or "dedicated"; anything else is InputError."""
    cleaned = lb_type.strip().lower()
    if cleaned and cleaned not in LB_TYPES:
        raise InputError(_("unknown load balancer type {given!r}: use shared or dedicated (or leave it out)").format(given=lb_type))
    return cleaned


def policies_for(lb_type: str = "") -> tuple[str, ...]:
    """The system TLS policies a load balancer of `lb_type` takes ("" unknown: all of them)."""
    return SHARED_POLICIES if validate_lb_type(lb_type) == SHARED else TLS_POLICIES


def validate_tls_policy(policy: str, lb_type: str = "", offered: tuple[str, ...] | list[str] | None = None) -> str:
    """A policy that `lb_type` takes, else InputError (exit 2) listing them. `offered` is the
    region's list (ListSystemSecurityPolicies); None: the documented ten above."""
    known = tuple(offered) if offered is not None else TLS_POLICIES
    if policy not in known:
        if offered is not None:
            raise InputError(_("this region does not offer the TLS policy {policy!r}: use one of {policies}").format(
                policy=policy, policies=", ".join(known)))
        raise InputError(_("unknown TLS policy {policy!r}: use one of {policies}").format(policy=policy, policies=", ".join(known)))
    return check_type_takes(policy, lb_type, known)


def check_type_takes(policy: str, lb_type: str, known: tuple[str, ...] = TLS_POLICIES) -> str:
    """InputError when a load balancer of `lb_type` cannot take `policy` (a shared one takes
    the shared policies only), listing those of `known` that fit."""
    if validate_lb_type(lb_type) == SHARED and policy not in SHARED_POLICIES:
        fitting = [name for name in SHARED_POLICIES if name in known]
        raise InputError(_("a shared load balancer does not take the TLS policy {policy}: use one of {policies} (the others need "
                           "a dedicated load balancer)").format(policy=policy, policies=", ".join(fitting)))
    return policy


def validate_tls_policy_name(policy: str) -> str:
    """Only the form of a policy name, for when the region's list is not known yet (it is asked
    for before a listener is made, see `validate_tls_policy`)."""
    if not _POLICY_NAME.match(policy):
        raise InputError(_("the TLS policy {policy!r} is not a policy name: use one such as tls-1-2-strict").format(policy=policy))
    return policy


def tls_policy_warnings(policy: str, lb_type: str = "") -> list[str]:
    """A warning when the load balancer's type is not known and `policy` needs a dedicated one."""
    if policy in DEDICATED_ONLY_POLICIES and not validate_lb_type(lb_type):
        return [_("the TLS policy {policy} works on dedicated load balancers only; a shared one refuses it: use tls-1-2-strict "
                  "there").format(policy=policy)]
    return []


def validate_security_policy_id(policy_id: str, lb_type: str = "") -> str:
    """A custom security policy id ("" none); only dedicated load balancers take one."""
    cleaned = policy_id.strip()
    if not cleaned:
        return ""
    if not _POLICY_ID.match(cleaned):
        raise InputError(_("the security policy id {policy_id!r} is not valid: give the id as the console shows it").format(
            policy_id=policy_id))
    if validate_lb_type(lb_type) == SHARED:
        raise InputError(_("a custom security policy needs a dedicated load balancer: leave it out and pick one of the shared "
                           "TLS policies"))
    return cleaned
