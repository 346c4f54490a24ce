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

from wizard.lazy import exported, lazy_names

# Each submodule loads when one of its names is first used, so a command pays only for its own path.
_EXPORTS = {
    "domains": ("validate_sni_domain",),
    "headers": (
        "FIELD_LABELS", "FORWARDABLE_FIELDS", "field_label", "forwarded_headers", "header_names",
        "validate_forward_fields"
    ),
    "material": ("Material", "console_text", "elb_key_text", "load_material", "paste_text", "readiness"),
    "payloads": (
        "API_CALLS", "CA_BODY", "LISTENER_BODY", "NO_POOL_WARNING", "PASTE_FILES", "PLACEHOLDER_CA_CERT_ID",
        "PLACEHOLDER_LOADBALANCER_ID", "PLACEHOLDER_SERVER_CERT_ID", "SERVER_BODY", "UPLOADED", "Export",
        "ListenerChoices", "ca_certificate_body", "default_names", "export", "listener_body", "listener_choices",
        "no_pool_warning", "placeholders_in", "rest_calls", "save_paste_text", "server_certificate_body",
        "validate_listener_port", "validate_name"
    ),
    "policies": (
        "DEDICATED", "DEDICATED_ONLY_POLICIES", "DEFAULT_TLS_POLICY", "LB_TYPES", "POLICY_LABELS", "SHARED",
        "SHARED_POLICIES", "TLS_POLICIES", "policies_for", "policy_label", "tls_policy_warnings", "validate_lb_type",
        "validate_security_policy_id", "validate_tls_policy"
    ),
    "records": ("recorded_listener", "recorded_target"),
    "sdk": ("DEFAULT_TIMEOUT", "ENV_AK", "ENV_SK", "SDK_LOGGER", "credentials_present", "missing_credentials", "sdk_available"),
    "target": ("ApiTarget", "validate_endpoint"),
    "uploader": ("UploadFailed", "UploadResult", "move_recorded_listener", "upload"),
}

__getattr__ = lazy_names(__name__, _EXPORTS)
__all__ = exported(_EXPORTS)
