"""The crypto backend, on `cryptography` alone: a private CA, server and client certificates,
the .p12 bundle, inspection and the load balancer's readiness checks.

- `names`: validating names, organisation, validity and key type (no key touched);
- `keys`: generating, serialising, loading and matching keys;
- `issue`: the certificate profile (DESIGN.md) for the CA, server and client;
- `p12`: the client bundle; `certificates`: facts read off a certificate;
- `inspection`: what a file holds; `readiness`: what ELB will accept.

The names are re-exported here, so callers write `pki.issue_server(...)`.
"""

from wizard.lazy import exported, lazy_names
from wizard.defaults import CA_DAYS, CLIENT_DAYS, DEFAULT_CLIENT_CN, DEFAULT_KEY_TYPE, DEFAULT_ORG, DEFAULT_SERVER_CN, KEY_TYPES, SERVER_DAYS

# Each submodule loads when one of its names is first used, so a command pays only for its own path.
_EXPORTS = {
    "names": (
        "MAX_CN", "MAX_DAYS", "MAX_ORG", "SERVER_DAYS_APPLE_LIMIT", "default_ca_cn", "general_name",
        "name_length_problem", "name_problem", "normalise_name", "server_sans", "validate_common_name", "validate_days",
        "validate_key_type", "validate_org"
    ),
    "keys": (
        "PrivateKey", "cert_to_pem", "csr_to_pem", "generate_key", "key_pem_matches", "key_to_pem", "key_type_of", "keys_match",
        "load_cert_pem", "load_key_pem", "public_keys_equal", "signing_hash"
    ),
    "certificates": (
        "attribute_of", "ca_signing_problem", "cert_info", "cn_of", "extended_key_usages", "fingerprint", "is_ca",
        "IssuedBy", "key_usages", "san_strings", "signature_hash_name", "utc_now", "verify_issued_by"
    ),
    "issue": ("BACKDATE", "Issued", "create_ca", "issue_client", "issue_server", "leaf_validity_warnings"),
    "p12": ("P12Mode", "export_p12", "load_p12", "p12_protection", "validate_p12_password"),
    "inspection": ("CertificateSummary", "Inspection", "inspect_bytes", "summarise_certificate"),
    "readiness": ("ELB_MAX_CERT_CHARS", "ELB_MAX_CHAIN", "ELB_MAX_KEY_CHARS", "Finding", "Severity", "elb_readiness"),
}

__getattr__ = lazy_names(__name__, _EXPORTS)
__all__ = [*exported(_EXPORTS), "CA_DAYS", "CLIENT_DAYS", "DEFAULT_CLIENT_CN", "DEFAULT_KEY_TYPE", "DEFAULT_ORG", "DEFAULT_SERVER_CN", "KEY_TYPES", "SERVER_DAYS"]
