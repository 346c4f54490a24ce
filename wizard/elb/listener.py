"""The mutual-auth listener as it should be, compared with the one ELB holds, and ELB's answer
compared with what was asked.

Field names are the v3 API's (CreateListenerOption / UpdateListenerOption in huaweicloudsdkelb
v3/model/). An update is read-modify-write: the listener is read, only the fields this tool
owns are changed (its certificates, the TLS policy, the backend server group and the
client-certificate headers), and `insert_headers` goes whole, the user's other headers in it as
they were. Whatever ELB answers is what is recorded; a field it kept otherwise than asked is
reported once and remembered (`ignored_*` in the record), so it is not sent again on every run.
"""

from __future__ import annotations

from typing import Any

from wizard.elb.headers import fields_of, merged_insert_headers
from wizard.elb.payloads import ListenerChoices
from wizard.elb.policies import SHARED
from wizard.i18n import N_, _

# UpdateListenerOption fields in words, for the log (English; `changed_fields` translates them).
FIELD_WORDS = {
    "default_tls_container_ref": N_("server certificate"), "client_ca_tls_container_ref": N_("CA certificate"),
    "sni_container_refs": N_("SNI certificates"),
    "tls_ciphers_policy": N_("TLS policy"), "security_policy_id": N_("custom security policy"),
    "default_pool_id": N_("backend server group"), "insert_headers": N_("forwarded client certificate fields"),
}
# The options this tool owns on a listener: the API's field -> its key in the upload record.
RECORD_KEYS = {
    "tls_ciphers_policy": "tls_policy", "security_policy_id": "security_policy_id", "default_pool_id": "pool_id",
    "insert_headers": "forward_client_cert",
}
CERTIFICATE_REFS = ("default_tls_container_ref", "client_ca_tls_container_ref")
IGNORED = "ignored_"  # record key prefix: what ELB kept otherwise than asked


def changed_fields(changes: dict[str, Any]) -> str:
    """The changed fields in words, as a list in the current language."""
    # TRANSLATORS: the separator between the items of a list of words.
    return _(", ").join(_(FIELD_WORDS[name]) for name in changes)


def _text(value: object) -> str:
    return "" if value is None else str(value)


def record_value(field: str, value: object) -> str:
    """An owned field's value as the upload record keeps it."""
    return ",".join(fields_of(value)) if field == "insert_headers" else _text(value)  # type: ignore[arg-type]


def _moved_sni(held: list[str], server_id: str, replaced: tuple[str, ...]) -> list[str]:
    """The SNI list with each replaced server certificate swapped for the new one (once)."""
    moved: list[str] = []
    for ref in held:
        new = server_id if ref in replaced else ref
        if new not in moved:
            moved.append(new)
    return moved


def listener_changes(
    actual: dict[str, Any], server_id: str, ca_id: str, choices: ListenerChoices, *,
    owned: frozenset[str] | None = None, replaced: tuple[str, ...] = (), ignored: dict[str, str] | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """The UpdateListenerOption fields that bring `actual` (as just read) to what is wanted, and
    notes to log. `owned`: the options (RECORD_KEYS values) to enforce, None all; `replaced`:
    server certificates this upload replaces (moved in the SNI list too); `ignored`: record
    keys -> the value ELB kept otherwise before (not asked for again)."""
    owned = frozenset(RECORD_KEYS.values()) if owned is None else owned
    ignored = ignored or {}

    def wants(field: str, value: object) -> bool:
        key = RECORD_KEYS[field]
        return key in owned and ignored.get(key) != record_value(field, value) and record_value(field, actual.get(field)) != record_value(field, value)

    changes: dict[str, Any] = {ref: value for ref, value in zip(CERTIFICATE_REFS, (server_id, ca_id), strict=True) if _text(actual.get(ref)) != value}
    held_sni = [str(ref) for ref in actual.get("sni_container_refs") or []]
    if _moved_sni(held_sni, server_id, replaced) != held_sni:
        changes["sni_container_refs"] = _moved_sni(held_sni, server_id, replaced)
    notes: list[str] = []
    if choices.security_policy_id:
        if wants("security_policy_id", choices.security_policy_id):
            changes["security_policy_id"] = choices.security_policy_id
    else:
        if wants("tls_ciphers_policy", choices.tls_policy):
            changes["tls_ciphers_policy"] = choices.tls_policy
        if actual.get("security_policy_id") and "tls_policy" in owned:
            # The API applies a custom policy over the system one; clearing it is a console action.
            notes.append(_("the listener keeps its custom security policy {policy_id}, which wins over {tls_policy}: remove it "
                           "in the console to use {tls_policy}").format(policy_id=actual["security_policy_id"], tls_policy=choices.tls_policy))
    if choices.pool_id and wants("default_pool_id", choices.pool_id):
        changes["default_pool_id"] = choices.pool_id
    forwarded = fields_of(actual.get("insert_headers"))
    if choices.forward_given:
        wanted_headers = merged_insert_headers(actual.get("insert_headers"), choices.forward_client_cert)
        if wants("insert_headers", wanted_headers):
            changes["insert_headers"] = wanted_headers
    elif forwarded:
        notes.append(_("the listener forwards client certificate fields {fields} (kept; choose 'none' as the forwarded fields to "
                       "turn them off)").format(fields=", ".join(forwarded)))
    return changes, notes


def differences(asked: dict[str, Any], answer: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """field -> (asked, answered) for each certificate, SNI list or owned option that ELB's
    answer holds otherwise than asked."""
    found: dict[str, tuple[str, str]] = {}
    for field, value in asked.items():
        if field == "sni_container_refs":
            wanted, held = ",".join(value), ",".join(str(ref) for ref in answer.get(field) or [])
        elif field in CERTIFICATE_REFS or field in RECORD_KEYS:
            wanted, held = record_value(field, value), record_value(field, answer.get(field))
        else:
            continue
        if wanted != held:
            found[field] = (wanted, held)
    return found


_KEPT = N_("listener: {listener_id} kept its {what} as {held} (asked: {asked}); recorded as ELB holds it, and not asked for again")
_KEPT_ON_SHARED = N_("listener: {listener_id} kept its TLS policy {held} (asked: {asked}): the v3 API applies a TLS policy on "
                     "dedicated load balancers only; set it in the console if it matters (not asked for again)")


def kept_notes(listener_id: str, kept: dict[str, tuple[str, str]], lb_type: str) -> list[str]:
    """One line per option ELB kept otherwise than asked (the certificates are not options)."""
    notes = []
    for field, (asked, held) in kept.items():
        template = _KEPT_ON_SHARED if field == "tls_ciphers_policy" and lb_type == SHARED else _KEPT
        notes.append(_(template).format(listener_id=listener_id, what=_(FIELD_WORDS[field]), held=held or _("none"), asked=asked or _("none")))
    return notes


def listener_state(answer: dict[str, Any], ignored: dict[str, str] | None = None) -> dict[str, str]:
    """The fields kept in the upload record, as ELB answered them; `ignored`: record key -> the
    value asked for that ELB kept otherwise (remembered so it is not sent again)."""
    state = {
        "protocol": _text(answer.get("protocol")) or "HTTPS",
        "port": _text(answer.get("protocol_port")),
        **{key: record_value(field, answer.get(field)) for field, key in RECORD_KEYS.items()},
    }
    if not state["port"]:
        del state["port"]
    return {**state, **{IGNORED + key: value for key, value in (ignored or {}).items()}}


def ignored_in(record: dict[str, str]) -> dict[str, str]:
    """The `ignored_*` entries of a listener record, by record key."""
    return {key[len(IGNORED):]: value for key, value in record.items() if key.startswith(IGNORED)}
