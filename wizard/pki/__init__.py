"""The crypto backend, on `cryptography` alone: a private CA, server and client certificates,
the .p12 bundle, inspection and the load balancer's readiness checks.

- `names`: validating names, organisation, validity and key type (no key touched);
- `keys`: generating, serialising, loading and matching keys;
- `issue`: the certificate profile (DESIGN.md) for the CA, server and client;
- `p12`: the client bundle; `certificates`: facts read off a certificate;
- `inspection`: what a file holds; `readiness`: what ELB will accept.

The names are re-exported here, so callers write `pki.issue_server(...)`.
"""

from wizard.defaults import CA_DAYS, CLIENT_DAYS, DEFAULT_CLIENT_CN, DEFAULT_KEY_TYPE, DEFAULT_ORG, DEFAULT_SERVER_CN, KEY_TYPES, SERVER_DAYS
from wizard.pki.names import MAX_CN, MAX_DAYS, MAX_ORG, SERVER_DAYS_APPLE_LIMIT, default_ca_cn, general_name, name_length_problem, name_problem, normalise_name, server_sans, validate_common_name, validate_days, validate_key_type, validate_org
from wizard.pki.keys import PrivateKey, cert_to_pem, csr_to_pem, generate_key, key_pem_matches, key_to_pem, key_type_of, keys_match, load_cert_pem, load_key_pem, public_keys_equal, signing_hash
from wizard.pki.certificates import attribute_of, ca_signing_problem, cert_info, cn_of, extended_key_usages, fingerprint, is_ca, key_usages, san_strings, signature_hash_name, utc_now, verify_issued_by
from wizard.pki.issue import BACKDATE, Issued, create_ca, issue_client, issue_server, leaf_validity_warnings
from wizard.pki.p12 import P12Mode, export_p12, load_p12, p12_protection, validate_p12_password
from wizard.pki.inspection import CertificateSummary, Inspection, inspect_bytes, summarise_certificate
from wizard.pki.readiness import ELB_MAX_CERT_CHARS, ELB_MAX_CHAIN, ELB_MAX_KEY_CHARS, Finding, Severity, elb_readiness

__all__ = [
    "BACKDATE", "CA_DAYS", "CLIENT_DAYS", "CertificateSummary", "DEFAULT_CLIENT_CN", "DEFAULT_KEY_TYPE",
    "DEFAULT_ORG", "DEFAULT_SERVER_CN", "ELB_MAX_CERT_CHARS", "ELB_MAX_CHAIN", "ELB_MAX_KEY_CHARS", "Finding", "Inspection",
    "Issued", "KEY_TYPES", "MAX_CN", "MAX_DAYS", "MAX_ORG", "P12Mode", "PrivateKey", "SERVER_DAYS",
    "SERVER_DAYS_APPLE_LIMIT", "Severity", "attribute_of", "ca_signing_problem", "cert_info", "cert_to_pem", "cn_of", "create_ca",
    "csr_to_pem", "default_ca_cn", "elb_readiness", "export_p12", "extended_key_usages", "fingerprint",
    "general_name", "generate_key", "inspect_bytes", "is_ca", "issue_client", "issue_server", "key_to_pem",
    "key_pem_matches", "key_type_of", "key_usages", "keys_match", "leaf_validity_warnings", "load_cert_pem", "load_key_pem",
    "load_p12", "name_length_problem", "name_problem", "normalise_name", "p12_protection", "public_keys_equal", "san_strings",
    "server_sans", "signature_hash_name", "signing_hash", "summarise_certificate", "utc_now",
    "validate_common_name", "validate_days", "validate_key_type", "validate_org", "validate_p12_password",
    "verify_issued_by",
]
