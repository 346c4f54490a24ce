"""Backend kits: web-server configuration (nginx, HAProxy, Apache httpd) that refuses revoked and
forged client certificates behind ELB, which checks no CRL and no OCSP itself.

- `spec`: what a kit is built from (server, folder, the load balancer's addresses, forwarded headers);
- `denylist`: the revoked serials and fingerprints, in every spelling a header may carry;
- `nginx`, `haproxy`, `apache`: the files of each kit (pure text generation);
- `echo`: the echo location's answer format, for `check --backend-echo`;
- `kits`: writing kits, their record in the workspace, and `refresh_kits` after a revocation.
"""

from wizard.lazy import exported, lazy_names

# Each submodule loads when one of its names is first used, so a command pays only for its own path.
_EXPORTS = {
    "denylist": ("DenyList", "deny_list_of", "minimal_serial", "read_deny_list", "serial_spellings"),
    "echo": ("ECHO_MAGIC", "ECHO_PATH", "parse_echo"),
    "kits": ("RECORD_NAME", "RefreshedKit", "WrittenKit", "read_kit_record", "refresh_kits", "reload_command", "write_kit"),
    "refusals": ("FORGED", "REVOKED", "UNVERIFIED"),
    "spec": ("DEFAULT_FIELDS", "SERVERS", "SHARED_LB_SOURCE", "KitSpec", "make_spec", "validate_lb_sources"),
}

__getattr__ = lazy_names(__name__, _EXPORTS)
__all__ = exported(_EXPORTS)
