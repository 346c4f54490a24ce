"""Steps 4-6: hand the server and CA certificates to Huawei Cloud ELB and create the listener.

Two ways, same material: `export` writes paste-ready texts (for the web console) and the v3
API request bodies (for any REST client) into WORKSPACE/elb/; `upload` sends them with the
official SDK and records the ids it gets. The parts:

- `material`: the workspace files ELB gets, read once, and the readiness checks;
- `payloads`: names, policies, the v3 request bodies and the export;
- `sdk`: the SDK client, credentials from the environment only, errors in one line;
- `upload`: the upload flow and its idempotency record (elb/uploaded.json).

Safety rules kept throughout: the CA body never carries a key; the only files holding a
key are mode 0600; a certificate whose fingerprint was already uploaded (same project and
endpoint) is reused, never uploaded twice.
"""

from wizard.elb.material import Material, console_text, load_material, paste_text, readiness
from wizard.elb.payloads import (
    API_CALLS, CA_BODY, DEDICATED_ONLY_POLICIES, DEFAULT_TLS_POLICY, LISTENER_BODY, PASTE_FILES,
    PLACEHOLDER_CA_CERT_ID, PLACEHOLDER_LOADBALANCER_ID, PLACEHOLDER_SERVER_CERT_ID, SERVER_BODY, TLS_POLICIES,
    UPLOADED, Export, ca_certificate_body, default_names, export, listener_body, placeholders_in, rest_calls,
    server_certificate_body, tls_policy_warnings, validate_endpoint, validate_listener_port, validate_name,
    validate_tls_policy,
)
from wizard.elb.sdk import DEFAULT_TIMEOUT, ENV_AK, ENV_SK, SDK_LOGGER, credentials_present, sdk_available
from wizard.elb.uploader import UploadFailed, UploadResult, upload

__all__ = [
    "API_CALLS", "CA_BODY", "DEDICATED_ONLY_POLICIES", "DEFAULT_TIMEOUT", "DEFAULT_TLS_POLICY", "ENV_AK", "ENV_SK",
    "LISTENER_BODY", "PASTE_FILES", "PLACEHOLDER_CA_CERT_ID", "PLACEHOLDER_LOADBALANCER_ID", "PLACEHOLDER_SERVER_CERT_ID",
    "SDK_LOGGER", "SERVER_BODY", "TLS_POLICIES", "UPLOADED", "Export", "Material", "UploadFailed", "UploadResult",
    "ca_certificate_body", "console_text", "credentials_present", "default_names", "export", "listener_body",
    "load_material", "paste_text", "placeholders_in", "readiness", "rest_calls", "sdk_available",
    "server_certificate_body", "tls_policy_warnings", "upload", "validate_endpoint", "validate_listener_port",
    "validate_name", "validate_tls_policy",
]
