"""Many clients: named client certificates (one or a batch), the client list, and revocation
that backends can enforce (a CRL and a list of revoked serials).

- `names`: client names and where each client's files live;
- `issue`: issuing named clients, on every core for a batch;
- `registry`: the list with expiry and state;
- `revocation`: ca/crl.pem and ca/revoked-serials.txt, and rebuilding the record from the CRL;
- `revocation_record`: ca/revoked.json, checked on every read.
"""

from wizard.lazy import exported, lazy_names

# Each submodule loads when one of its names is first used, so a command pays only for its own path.
_EXPORTS = {
    "issue": ("BatchResult", "ClientOptions", "IssuedClient", "issue_clients"),
    "names": (
        "NAME_RULE", "TUTORIAL_CLIENT", "ClientFiles", "client_files", "known_clients", "read_names_file",
        "validate_client_name", "validate_client_names"
    ),
    "registry": ("STATE_WORDS", "STATES", "ClientInfo", "client_info", "list_clients"),
    "revocation": (
        "REASONS", "Rebuilt", "Revocation", "crl_path", "rebuild_record", "record_path", "refresh_crl", "revocation_of",
        "revoke", "serial_text", "serials_path"
    ),
    "revocation_record": ("RecordDamaged", "read_record"),
}

__getattr__ = lazy_names(__name__, _EXPORTS)
__all__ = exported(_EXPORTS)
