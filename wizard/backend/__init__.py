"""Backend kits: web-server configuration (nginx, HAProxy, Apache httpd) that refuses revoked and
forged client certificates behind ELB, which checks no CRL and no OCSP itself.

- `spec`: what a kit is built from (server, folder, the load balancer's addresses, forwarded headers);
- `denylist`: the revoked serials and fingerprints, in every spelling a header may carry;
- `nginx`, `haproxy`, `apache`: the files of each kit (pure text generation);
- `echo`: the echo location's answer format, for `check --backend-echo`;
- `kits`: writing kits, their record in the workspace, and `refresh_kits` after a revocation.
"""

from wizard.backend.denylist import (
    DenyList,
    deny_list_of,
    minimal_serial,
    read_deny_list,
    serial_spellings,
)
from wizard.backend.echo import ECHO_MAGIC, ECHO_PATH, parse_echo
from wizard.backend.kits import (
    RECORD_NAME,
    RefreshedKit,
    WrittenKit,
    read_kit_record,
    refresh_kits,
    reload_command,
    write_kit,
)
from wizard.backend.refusals import FORGED, REVOKED, UNVERIFIED
from wizard.backend.spec import (
    DEFAULT_FIELDS,
    SERVERS,
    SHARED_LB_SOURCE,
    KitSpec,
    make_spec,
    validate_lb_sources,
)

__all__ = [
    "DEFAULT_FIELDS", "ECHO_MAGIC", "ECHO_PATH", "FORGED", "RECORD_NAME", "REVOKED", "SERVERS", "SHARED_LB_SOURCE", "UNVERIFIED",
    "DenyList", "KitSpec", "RefreshedKit", "WrittenKit", "deny_list_of", "make_spec", "minimal_serial", "parse_echo",
    "read_deny_list", "read_kit_record", "refresh_kits", "reload_command", "serial_spellings", "validate_lb_sources", "write_kit",
]
