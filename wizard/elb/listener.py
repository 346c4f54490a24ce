"""The mutual-auth listener as it should be, compared with one ELB already has.

Field names are the v3 API's (CreateListenerOption / UpdateListenerOption in huaweicloudsdkelb
v3/model/): an update sends only what differs, so a backend server group or headers set in the
console are not touched unless asked for.
"""

from __future__ import annotations

from typing import Any

from wizard.elb.headers import fields_of, insert_headers
from wizard.elb.payloads import ListenerChoices
from wizard.i18n import N_, _


# UpdateListenerOption fields in words, for the log (English; `changed_fields` translates them).
FIELD_WORDS = {
    "default_tls_container_ref": N_("server certificate"), "client_ca_tls_container_ref": N_("CA certificate"),
    "tls_ciphers_policy": N_("TLS policy"), "security_policy_id": N_("custom security policy"),
    "default_pool_id": N_("backend server group"), "insert_headers": N_("forwarded client certificate fields"),
}


def changed_fields(changes: dict[str, Any]) -> str:
    """The changed fields in words, as a list in the current language."""
    # TRANSLATORS: the separator between the items of a list of words.
    return _(", ").join(_(FIELD_WORDS[name]) for name in changes)


def _text(value: object) -> str:
    return "" if value is None else str(value)


def listener_changes(
    actual: dict[str, Any], server_id: str, ca_id: str, choices: ListenerChoices,
) -> tuple[dict[str, Any], list[str]]:
    """The UpdateListenerOption fields that bring `actual` to what is wanted, and notes to log."""
    changes: dict[str, Any] = {}
    notes: list[str] = []
    if _text(actual.get("default_tls_container_ref")) != server_id:
        changes["default_tls_container_ref"] = server_id
    if _text(actual.get("client_ca_tls_container_ref")) != ca_id:
        changes["client_ca_tls_container_ref"] = ca_id
    if choices.security_policy_id:
        if _text(actual.get("security_policy_id")) != choices.security_policy_id:
            changes["security_policy_id"] = choices.security_policy_id
    else:
        if _text(actual.get("tls_ciphers_policy")) != choices.tls_policy:
            changes["tls_ciphers_policy"] = choices.tls_policy
        if actual.get("security_policy_id"):
            # The API applies a custom policy over the system one; clearing it is a console action.
            notes.append(_("the listener keeps its custom security policy {policy_id}, which wins over {tls_policy}: remove it "
                           "in the console to use {tls_policy}").format(policy_id=actual["security_policy_id"], tls_policy=choices.tls_policy))
    if choices.pool_id and _text(actual.get("default_pool_id")) != choices.pool_id:
        changes["default_pool_id"] = choices.pool_id
    forwarded = fields_of(actual.get("insert_headers"))
    if choices.forward_given and forwarded != list(choices.forward_client_cert):
        changes["insert_headers"] = insert_headers(choices.forward_client_cert, switch_off_others=True)
    elif not choices.forward_given and forwarded:
        notes.append(_("the listener forwards client certificate fields {fields} (kept; choose 'none' as the forwarded fields to "
                       "turn them off)").format(fields=", ".join(forwarded)))
    return changes, notes


def listener_state(actual: dict[str, Any], changes: dict[str, Any], choices: ListenerChoices) -> dict[str, str]:
    """What the listener holds after `changes`: the fields kept in the upload record."""
    merged = {**actual, **{k: v for k, v in changes.items() if k != "insert_headers"}}
    forwarded = list(choices.forward_client_cert) if "insert_headers" in changes else fields_of(actual.get("insert_headers"))
    return {
        "protocol": _text(merged.get("protocol")) or "HTTPS",
        "tls_policy": _text(merged.get("tls_ciphers_policy")) or choices.tls_policy,
        "security_policy_id": _text(merged.get("security_policy_id")),
        "pool_id": _text(merged.get("default_pool_id")),
        "forward_client_cert": ",".join(forwarded),
    }
