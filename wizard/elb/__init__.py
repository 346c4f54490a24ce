"""Steps 4-6: hand the server and CA certificates to Huawei Cloud ELB and create the listener.

Two ways, same material: `export` writes paste-ready texts (for the web console) and the v3
API request bodies (for any REST client) into WORKSPACE/elb/; `upload` sends them with the
official SDK and records the ids it gets. The parts:

- `material`: the workspace files ELB gets (the key in the traditional PEM form), read once,
  and the readiness checks;
- `policies`: load-balancer types and the TLS policies each one takes;
- `headers`: the client certificate's details ELB can forward to the backends;
- `domains`: the server certificate's optional SNI `domain` field;
- `payloads`: names, the validated listener choices, the v3 request bodies and the export;
- `target`: where the calls go (region, project, endpoint; plain http only on loopback);
- `sdk`: the SDK client, credentials from the environment only, the API's JSON answers; each
  call within one deadline (`deadline`), every failure in one line (`failures`, `hints`);
- `cloud`: what ELB already holds (the load balancer, certificates by content, the port,
  the region's TLS policies);
- `listener`: the listener as wanted, compared with one that exists and with ELB's answer;
- `records`: the upload record (elb/uploaded.json), and the target and listener it names;
- `listener_step`: where the listener goes (given, or the recorded one), creating or moving it;
- `rotation`: deleting what a renewal replaced; `uploader`: the upload flow.

Safety rules kept throughout: the CA body never carries a key; the only files holding a
key are mode 0600; a certificate already in ELB (recorded, or found there by content) is
reused, never uploaded twice; nothing is uploaded before the load balancer is known to fit.
"""

from wizard.elb.domains import validate_sni_domain
from wizard.elb.headers import (
    FIELD_LABELS, FORWARDABLE_FIELDS, field_label, forwarded_headers, header_names, validate_forward_fields,
)
from wizard.elb.material import Material, console_text, elb_key_text, load_material, paste_text, readiness
from wizard.elb.payloads import (
    API_CALLS, CA_BODY, LISTENER_BODY, NO_POOL_WARNING, PASTE_FILES, PLACEHOLDER_CA_CERT_ID, PLACEHOLDER_LOADBALANCER_ID,
    PLACEHOLDER_SERVER_CERT_ID, SERVER_BODY, UPLOADED, Export, ListenerChoices, ca_certificate_body, default_names, export,
    listener_body, listener_choices, no_pool_warning, placeholders_in, rest_calls, save_paste_text, server_certificate_body,
    validate_listener_port, validate_name,
)
from wizard.elb.policies import (
    DEDICATED, DEDICATED_ONLY_POLICIES, DEFAULT_TLS_POLICY, LB_TYPES, POLICY_LABELS, SHARED, SHARED_POLICIES, TLS_POLICIES,
    policies_for, policy_label, tls_policy_warnings, validate_lb_type, validate_security_policy_id, validate_tls_policy,
)
from wizard.elb.records import recorded_listener, recorded_target
from wizard.elb.sdk import DEFAULT_TIMEOUT, ENV_AK, ENV_SK, SDK_LOGGER, credentials_present, sdk_available
from wizard.elb.target import ApiTarget, validate_endpoint
from wizard.elb.uploader import UploadFailed, UploadResult, move_recorded_listener, upload

__all__ = [
    "API_CALLS", "ApiTarget", "CA_BODY", "DEDICATED", "DEDICATED_ONLY_POLICIES", "DEFAULT_TIMEOUT", "DEFAULT_TLS_POLICY", "ENV_AK",
    "ENV_SK", "FIELD_LABELS", "FORWARDABLE_FIELDS", "LB_TYPES", "LISTENER_BODY", "NO_POOL_WARNING", "PASTE_FILES",
    "PLACEHOLDER_CA_CERT_ID", "PLACEHOLDER_LOADBALANCER_ID", "PLACEHOLDER_SERVER_CERT_ID", "POLICY_LABELS", "SDK_LOGGER",
    "SERVER_BODY", "SHARED", "SHARED_POLICIES", "TLS_POLICIES", "UPLOADED", "Export", "ListenerChoices", "Material",
    "UploadFailed", "UploadResult", "ca_certificate_body", "console_text", "credentials_present", "default_names",
    "elb_key_text", "export", "field_label", "forwarded_headers", "header_names", "listener_body", "listener_choices", "load_material", "move_recorded_listener",
    "no_pool_warning", "paste_text", "placeholders_in", "policies_for", "policy_label", "readiness", "recorded_listener", "recorded_target", "rest_calls", "save_paste_text", "sdk_available", "server_certificate_body",
    "tls_policy_warnings", "upload", "validate_endpoint", "validate_forward_fields", "validate_lb_type",
    "validate_listener_port", "validate_name", "validate_security_policy_id", "validate_sni_domain", "validate_tls_policy",
]
