"""Many clients: named client certificates (one or a batch), the client list, and revocation
that backends can enforce (a CRL and a list of revoked serials).

- `names`: client names and where each client's files live;
- `issue`: issuing named clients, on every core for a batch;
- `registry`: the list with expiry and state;
- `revocation`: ca/crl.pem and ca/revoked-serials.txt, and rebuilding the record from the CRL;
- `revocation_record`: ca/revoked.json, checked on every read.
"""

from wizard.clients.issue import BatchResult, ClientOptions, IssuedClient, issue_clients
from wizard.clients.names import (
    NAME_RULE, TUTORIAL_CLIENT, ClientFiles, client_files, known_clients, read_names_file, validate_client_name,
    validate_client_names,
)
from wizard.clients.registry import STATE_WORDS, STATES, ClientInfo, client_info, list_clients
from wizard.clients.revocation import (
    REASONS, Rebuilt, Revocation, crl_path, rebuild_record, record_path, refresh_crl, revocation_of, revoke, serial_text, serials_path,
)
from wizard.clients.revocation_record import RecordDamaged, read_record

__all__ = [
    "NAME_RULE", "REASONS", "STATE_WORDS", "STATES", "TUTORIAL_CLIENT", "BatchResult", "ClientFiles", "ClientInfo", "ClientOptions",
    "IssuedClient", "Rebuilt", "RecordDamaged", "Revocation", "client_files", "client_info", "crl_path", "issue_clients", "known_clients",
    "list_clients", "read_names_file", "read_record", "rebuild_record", "record_path", "refresh_crl", "revocation_of", "revoke", "serial_text",
    "serials_path", "validate_client_name",
    "validate_client_names",
]
