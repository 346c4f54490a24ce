"""A stand-in for the CCM Private CA API (v1) on 127.0.0.1, for the official SDK
(`huaweicloudsdkccm`) to talk to in tests, as tests/support/fake_elb_api.py does for ELB.

The HTTP side, the request record, the signature check (the same SDK-HMAC-SHA256 scheme) and
configured failures and stalls are FakeElbApi's; this class answers the CCM routes instead. It
really signs (tests/support/fake_ccm_pki.py), keeps CAs and certificates per account (the
X-Domain-Id header GlobalCredentials sends: another account's resource is not found), and
refuses as the service does: a quota used up, a CA not active, a revoked certificate exported,
a call the account has no permission for, a CRL without its OBS bucket or agency.

Error codes: PCA.00020xxx are the documented parameter codes and PCA.10010002 the documented
"not found" (a 400, as the service answers it); the codes for quota, CA state, permission and
OBS are assumed, and the client under test classifies those by HTTP status and message.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from support import fake_ccm_pki as pki
from support.fake_elb_api import FakeElbApi, RecordedRequest, _error, _Failure

ROUTES = (
    "list_cas", "create_ca", "ca_quota", "obs_agency", "show_ca", "enable_ca", "disable_ca", "export_ca", "enable_crl",
    "list_certificates", "create_certificate", "certificate_quota", "create_certificate_by_csr", "show_certificate",
    "delete_certificate", "export_certificate", "revoke_certificate",
)
_CAS, _CERTS = "/v1/private-certificate-authorities", "/v1/private-certificates"
_TABLE = [  # (method, pattern, route), the fixed paths before the ones with an id
    ("GET", rf"{_CAS}", "list_cas"), ("POST", rf"{_CAS}", "create_ca"), ("GET", rf"{_CAS}/quotas", "ca_quota"),
    ("GET", rf"{_CAS}/obs/agencies", "obs_agency"), ("GET", rf"{_CAS}/(?P<id>[^/]+)", "show_ca"),
    ("POST", rf"{_CAS}/(?P<id>[^/]+)/enable", "enable_ca"), ("POST", rf"{_CAS}/(?P<id>[^/]+)/disable", "disable_ca"),
    ("POST", rf"{_CAS}/(?P<id>[^/]+)/export", "export_ca"), ("POST", rf"{_CAS}/(?P<id>[^/]+)/crl/enable", "enable_crl"),
    ("GET", rf"{_CERTS}", "list_certificates"), ("POST", rf"{_CERTS}", "create_certificate"),
    ("GET", rf"{_CERTS}/quotas", "certificate_quota"), ("POST", rf"{_CERTS}/csr", "create_certificate_by_csr"),
    ("GET", rf"{_CERTS}/(?P<id>[^/]+)", "show_certificate"), ("DELETE", rf"{_CERTS}/(?P<id>[^/]+)", "delete_certificate"),
    ("POST", rf"{_CERTS}/(?P<id>[^/]+)/export", "export_certificate"), ("POST", rf"{_CERTS}/(?P<id>[^/]+)/revoke", "revoke_certificate"),
]
_MATCHERS = [(method, re.compile(f"^{pattern}$"), route) for method, pattern, route in _TABLE]
REVOCATION_REASONS = ("UNSPECIFIED", "KEY_COMPROMISE", "CERTIFICATE_AUTHORITY_COMPROMISE", "AFFILIATION_CHANGED", "SUPERSEDED",
                      "CESSATION_OF_OPERATION", "CERTIFICATE_HOLD", "PRIVILEGE_WITHDRAWN", "ATTRIBUTE_AUTHORITY_COMPROMISE")
NOT_FOUND = "PCA.10010002"  # documented (and seen by Terraform's provider): a missing resource is a 400 with this code
QUOTA = "PCA.10010007"  # assumed
CA_STATE = "PCA.10010012"  # assumed
DENIED = "PCA.10010003"  # assumed; a 403 either way
NO_BUCKET, NO_AGENCY, REVOKED = "PCA.10010030", "PCA.10010031", "PCA.10010020"  # assumed


class LostResponse(Exception):
    """The call was carried out, then the connection dropped before the answer (a lost response)."""


@dataclass
class FakeCcmApi(FakeElbApi):
    """`with FakeCcmApi(secret_key=..., access_key=..., account=...) as api:`; `api.endpoint` for the SDK."""

    account: str = "domain-0001"
    ca_quota: int = 100
    certificate_quota: int = 100000
    cas: dict[str, dict] = field(default_factory=dict)
    issued: dict[str, dict] = field(default_factory=dict)  # certificate id -> record (with its key, when the service made it)
    buckets: set[str] = field(default_factory=set)  # OBS buckets that exist
    obs_agency: bool = False  # PCA granted access to OBS
    denied: set[str] = field(default_factory=set)  # routes the account has no permission for
    _lost: dict[str, int] = field(default_factory=dict)

    # -- configuration ----------------------------------------------------------------
    def fail(self, route: str, status: int, error_code: str, error_msg: str, *, times: int | None = None, skip: int = 0) -> None:
        assert route in ROUTES, route
        self._failures[route] = _Failure(status, error_code, error_msg, times, skip)

    def stall(self, route: str, seconds: float) -> None:
        assert route in ROUTES, route
        self._stalls[route] = seconds

    def lose_response(self, route: str, times: int = 1) -> None:
        """Carry out the next `times` calls of `route`, then drop the connection unanswered."""
        assert route in ROUTES, route
        self._lost[route] = times

    def deny(self, *routes: str) -> None:
        assert all(route in ROUTES for route in routes), routes
        self.denied.update(routes)

    def add_root_ca(self, common_name: str = "Test Root CA", key_algorithm: str = "EC256", *, account: str | None = None, days: int = 3650) -> str:
        """A root CA the account already has (made outside the wizard); its id."""
        body = {"type": "ROOT", "key_algorithm": key_algorithm, "signature_algorithm": "SHA256", "validity": {"type": "DAY", "value": days},
                "distinguished_name": {"common_name": common_name, "country": "CN", "state": "Beijing", "locality": "Beijing",
                                       "organization": "Test", "organizational_unit": "Ops"}}
        with self._lock:
            return self._create_ca(account or self.account, None, body, {}, "setup")[1]["ca_id"]

    def set_ca_status(self, ca_id: str, status: str) -> None:
        self.cas[ca_id]["status"] = status

    def certificates_of(self, ca_id: str) -> list[dict]:
        return [record for record in self.issued.values() if record["issuer_id"] == ca_id]

    def crl(self, ca_id: str) -> x509.CertificateRevocationList:
        """The CRL the CA would publish now (every certificate it revoked)."""
        revoked = [(r["cert"].serial_number, r["revoked_at"]) for r in self.certificates_of(ca_id) if r["status"] == "REVOKED"]
        return self.cas[ca_id]["signer"].crl(revoked, _now(), 7)

    def start(self) -> FakeCcmApi:
        super().start()
        # A LostResponse leaves the handler: the server closes the connection; keep its traceback out of the test output.
        self._server.handle_error = lambda request, address: None  # type: ignore[union-attr, method-assign]
        return self

    # -- the API ------------------------------------------------------------------------
    def _dispatch(self, method: str, raw_path: str, headers: list[tuple[str, str]], body: bytes) -> tuple[int, dict | None]:
        request_id = uuid.uuid4().hex
        parts = urlsplit(raw_path)
        recorded = RecordedRequest(method, parts.path, headers, body, parse_qs(parts.query))
        with self._lock:
            self.requests.append(recorded)
        found = next(((route, match) for verb, pattern, route in _MATCHERS if verb == method and (match := pattern.match(parts.path))), None)
        if found is None:
            return 404, _error("APIGW.0101", "The API does not exist or has not been published in the environment", request_id)
        route, match = found
        recorded.route = route
        if self.secret_key is not None:
            recorded.signature_ok = self._signature_ok(recorded, raw_path)
            if not recorded.signature_ok:
                return 401, _error("APIGW.0301", "Incorrect IAM authentication information: verify aksk signature fail", request_id)
        account = recorded.header("X-Domain-Id") or ""
        if route in self.denied:
            return 403, _error(DENIED, f"Policy doesn't allow pca:{route} to be performed.", request_id)
        refusal = self._configured_failure(route, request_id)
        if refusal is not None:
            return refusal
        try:
            payload = json.loads(body) if body else {}
        except ValueError:
            return 400, _error("PCA.00020001", "Incorrect parameter.", request_id)
        item = match.groupdict().get("id")
        with self._lock:
            try:
                answer = getattr(self, f"_{route}")(account, item, payload, recorded.query, request_id)
            except pki.Refused as refused:
                return refused.status, _error(refused.code, refused.message, request_id)
            if self._lost.get(route):
                self._lost[route] -= 1
                raise LostResponse(route)
        return answer

    # -- CAs -------------------------------------------------------------------------
    def _ca(self, account: str, ca_id: str | None) -> dict:
        record = self.cas.get(ca_id or "")
        if record is None or record["account"] != account:
            raise pki.Refused(400, NOT_FOUND, f"The CA {ca_id} does not exist.")
        return record

    def _create_ca(self, account: str, _item: str | None, payload: dict, _query: dict, request_id: str) -> tuple[int, dict]:
        kind = payload.get("type")
        if kind not in ("ROOT", "SUBORDINATE"):
            raise pki.Refused(400, "PCA.00020202", "Invalid CA type. Only root CA and subordinate CA are supported.")
        if sum(1 for ca in self.cas.values() if ca["account"] == account and ca["status"] != "DELETED") >= self.ca_quota:
            raise pki.Refused(400, QUOTA, "The number of private CAs exceeds the quota.")
        key = pki.make_key(payload.get("key_algorithm", ""))
        digest = pki.signature_hash(payload.get("signature_algorithm"))
        days = pki.validity_days(payload.get("validity"), most_years=30 if kind == "ROOT" else 20)
        subject = pki.subject_of(payload.get("distinguished_name") or {}, all_required=kind == "ROOT")
        now = _now()
        if kind == "ROOT":
            signer = pki.self_signed_root(key, subject, days, now, digest)
        else:
            parent = self._active_ca(account, payload.get("issuer_id"))
            path_length = int(payload.get("path_length") or 0)
            cert = parent["signer"].sign_ca(subject, key.public_key(), days, now, path_length, digest)
            signer = pki.Signer(key, cert, [parent["signer"].cert, *parent["signer"].chain])
        ca_id = str(uuid.uuid4())
        self.cas[ca_id] = {
            "ca_id": ca_id, "account": account, "type": kind, "status": "ACTIVED", "signer": signer, "issuer_id": payload.get("issuer_id"),
            "key_algorithm": payload["key_algorithm"], "signature_algorithm": payload["signature_algorithm"],
            "create_time": pki.millis(now), "crl_configuration": {"enabled": False},
            "distinguished_name": {k: v for k, v in (payload.get("distinguished_name") or {}).items() if v is not None},
        }
        return 200, {"ca_id": ca_id}

    def _active_ca(self, account: str, ca_id: str | None) -> dict:
        record = self._ca(account, ca_id)
        if record["status"] != "ACTIVED":
            raise pki.Refused(400, CA_STATE, f"The CA {ca_id} is not in the activated state: {record['status']}.")
        if record["signer"].cert.not_valid_after_utc <= _now():
            raise pki.Refused(400, CA_STATE, f"The CA {ca_id} has expired.")
        return record

    def _ca_view(self, record: dict) -> dict:
        cert = record["signer"].cert
        return {
            "ca_id": record["ca_id"], "type": record["type"], "status": record["status"], "path_length": 7 if record["type"] == "ROOT" else 0,
            "issuer_id": record["issuer_id"], "key_algorithm": record["key_algorithm"], "signature_algorithm": record["signature_algorithm"],
            "freeze_flag": 0, "gen_mode": "GENERATE", "serial_number": format(cert.serial_number, "x"), "create_time": record["create_time"],
            "not_before": pki.millis(cert.not_valid_before_utc), "not_after": pki.millis(cert.not_valid_after_utc),
            "distinguished_name": record["distinguished_name"], "crl_configuration": record["crl_configuration"],
            "charging_mode": 1, "domain_id": record["account"], "enterprise_project_id": "0",
        }

    def _show_ca(self, account: str, item: str | None, _payload: dict, _query: dict, _request_id: str) -> tuple[int, dict]:
        return 200, self._ca_view(self._ca(account, item))

    def _list_cas(self, account: str, _item: str | None, _payload: dict, query: dict, _request_id: str) -> tuple[int, dict]:
        found = [self._ca_view(ca) for ca in self.cas.values() if ca["account"] == account
                 and _matches(query, "name", ca["distinguished_name"].get("common_name", ""))
                 and all(ca[k] in query[k] for k in ("type", "status") if k in query)]
        page = _paged(found, query)
        return 200, {"total": len(found), "certificate_authorities": page}

    def _enable_ca(self, account: str, item: str | None, *_: object) -> tuple[int, None]:
        record = self._ca(account, item)
        if record["status"] != "DISABLED":
            raise pki.Refused(400, CA_STATE, f"Only a disabled CA can be enabled: {record['status']}.")
        record["status"] = "ACTIVED"
        return 204, None

    def _disable_ca(self, account: str, item: str | None, *_: object) -> tuple[int, None]:
        self._ca(account, item)["status"] = "DISABLED"
        return 204, None

    def _export_ca(self, account: str, item: str | None, *_: object) -> tuple[int, dict]:
        signer = self._ca(account, item)["signer"]
        chain = "".join(pki.pem(cert) for cert in signer.chain) or None  # a root has no chain (null)
        return 200, {"certificate": pki.pem(signer.cert), "certificate_chain": chain}

    def _ca_quota(self, account: str, *_: object) -> tuple[int, dict]:
        used = sum(1 for ca in self.cas.values() if ca["account"] == account and ca["status"] != "DELETED")
        return 200, {"quotas": {"resources": [{"type": "CERTIFICATE_AUTHORITY", "used": used, "quota": self.ca_quota}]}}

    def _obs_agency(self, *_: object) -> tuple[int, dict]:
        return 200, {"agency_granted": "true" if self.obs_agency else "false"}

    def _enable_crl(self, account: str, item: str | None, payload: dict, *_: object) -> tuple[int, None]:
        record = self._ca(account, item)
        bucket, days = payload.get("obs_bucket_name"), payload.get("valid_days")
        if not self.obs_agency:
            raise pki.Refused(400, NO_AGENCY, "PCA has no agency to access OBS: create the agency first.")
        if bucket not in self.buckets:
            raise pki.Refused(400, NO_BUCKET, f"The OBS bucket {bucket} does not exist.")
        if not isinstance(days, int) or not 7 <= days <= 30:
            raise pki.bad_parameter("Incorrect parameter: valid_days")
        name = payload.get("crl_name") or record["ca_id"]
        record["crl_configuration"] = {"enabled": True, "crl_name": name, "obs_bucket_name": bucket, "valid_days": days,
                                       "crl_dis_point": f"http://{bucket}.obs.example.invalid/{name}.crl"}
        return 204, None

    # -- certificates ------------------------------------------------------------------
    def _count_certificates(self, account: str) -> int:
        return sum(1 for record in self.issued.values() if record["account"] == account)

    def _certificate(self, account: str, cert_id: str | None) -> dict:
        record = self.issued.get(cert_id or "")
        if record is None or record["account"] != account:
            raise pki.Refused(400, NOT_FOUND, f"The certificate {cert_id} does not exist.")
        return record

    def _new_certificate(self, account: str, ca: dict, cert: x509.Certificate, key: object, mode: str, algorithm: str) -> tuple[int, dict]:
        cert_id = str(uuid.uuid4())
        self.issued[cert_id] = {"certificate_id": cert_id, "account": account, "issuer_id": ca["ca_id"], "status": "ISSUED", "cert": cert,
                                "key": key, "gen_mode": mode, "key_algorithm": algorithm, "create_time": pki.millis(_now()), "revoked_at": None}
        return 200, {"certificate_id": cert_id}

    def _leaf_checks(self, account: str, payload: dict) -> tuple[dict, int]:
        ca = self._active_ca(account, payload.get("issuer_id"))
        if self._count_certificates(account) >= self.certificate_quota:
            raise pki.Refused(400, QUOTA, "The number of private certificates exceeds the quota.")
        days = pki.validity_days(payload.get("validity"), most_years=20)
        if _now() + dt.timedelta(days=days) > ca["signer"].cert.not_valid_after_utc:
            raise pki.Refused(400, "PCA.00020109", "Invalid validity period type or value. Only year, month, or day supported.")
        return ca, days

    def _create_certificate(self, account: str, _item: str | None, payload: dict, *_: object) -> tuple[int, dict]:
        ca, days = self._leaf_checks(account, payload)
        key = pki.make_key(payload.get("key_algorithm", ""))
        subject = pki.subject_of(payload.get("distinguished_name") or {}, ca["signer"].cert.subject)
        usage = pki.key_usage(payload["key_usages"]) if payload.get("key_usages") else pki.key_usage(["digitalSignature", "keyAgreement"])
        ekus = [oid for name, oid in pki.EKU_FIELDS.items() if (payload.get("extended_key_usage") or {}).get(name)]
        cert = ca["signer"].sign_leaf(subject, key.public_key(), days, _now(), usage=usage, ekus=ekus,
                                      sans=pki.general_names(payload.get("subject_alternative_names")),
                                      digest=pki.signature_hash(payload.get("signature_algorithm")))
        return self._new_certificate(account, ca, cert, key, "GENERATE", payload["key_algorithm"])

    def _create_certificate_by_csr(self, account: str, _item: str | None, payload: dict, *_: object) -> tuple[int, dict]:
        ca, days = self._leaf_checks(account, payload)
        if payload.get("type", "ENTITY_CERT") != "ENTITY_CERT":
            raise pki.bad_parameter("Incorrect parameter: type")
        csr = pki.read_csr(str(payload.get("csr", "")))
        pki.subject_of({f: _attr(csr.subject, oid) for f, oid in pki.DN_FIELDS.items()})  # the same name rules as a request's
        usage = pki.csr_extension(csr, x509.KeyUsage) or pki.key_usage(["digitalSignature", "keyAgreement"])
        eku = pki.csr_extension(csr, x509.ExtendedKeyUsage)
        cert = ca["signer"].sign_leaf(csr.subject, csr.public_key(), days, _now(), usage=usage,  # type: ignore[arg-type]
                                      ekus=list(eku) if eku else [], sans=[], digest=pki.signature_hash("SHA384"))
        return self._new_certificate(account, ca, cert, None, "CSR", "")

    def _certificate_view(self, record: dict) -> dict:
        cert = record["cert"]
        return {
            "certificate_id": record["certificate_id"], "status": record["status"], "issuer_id": record["issuer_id"],
            "issuer_name": _attr(cert.issuer, x509.NameOID.COMMON_NAME), "key_algorithm": record["key_algorithm"],
            "signature_algorithm": "SHA256", "freeze_flag": 0, "gen_mode": record["gen_mode"], "serial_number": format(cert.serial_number, "x"),
            "create_time": record["create_time"], "not_before": pki.millis(cert.not_valid_before_utc), "not_after": pki.millis(cert.not_valid_after_utc),
            "distinguished_name": {f: _attr(cert.subject, oid) for f, oid in pki.DN_FIELDS.items() if _attr(cert.subject, oid) is not None},
            "enterprise_project_id": "0",
        }

    def _show_certificate(self, account: str, item: str | None, *_: object) -> tuple[int, dict]:
        return 200, self._certificate_view(self._certificate(account, item))

    def _list_certificates(self, account: str, _item: str | None, _payload: dict, query: dict, _request_id: str) -> tuple[int, dict]:
        found = [self._certificate_view(r) for r in sorted(self.issued.values(), key=lambda r: -r["create_time"])
                 if r["account"] == account and _matches(query, "name", _attr(r["cert"].subject, x509.NameOID.COMMON_NAME) or "")
                 and ("status" not in query or r["status"] in query["status"])]
        return 200, {"total": len(found), "certificates": _paged(found, query)}

    def _delete_certificate(self, account: str, item: str | None, *_: object) -> tuple[int, None]:
        self._certificate(account, item)
        self.issued.pop(item or "")
        return 204, None

    def _export_certificate(self, account: str, item: str | None, payload: dict, *_: object) -> tuple[int, dict]:
        record = self._certificate(account, item)
        if record["status"] == "REVOKED":
            raise pki.Refused(400, REVOKED, f"The certificate {item} has been revoked and cannot be exported.")
        if payload.get("is_compressed") not in ("true", "false") or payload.get("type") not in ("APACHE", "NGINX", "IIS", "TOMCAT", "OTHER"):
            raise pki.bad_parameter("Incorrect parameter: type or is_compressed")
        ca = self.cas[record["issuer_id"]]["signer"]
        chain = "".join(pki.pem(cert) for cert in [ca.cert, *ca.chain])
        return 200, {"certificate": pki.pem(record["cert"]), "certificate_chain": chain,
                     "private_key": pki.key_pem(record["key"]) if record["key"] is not None else None}

    def _revoke_certificate(self, account: str, item: str | None, payload: dict, *_: object) -> tuple[int, None]:
        record = self._certificate(account, item)
        reason = payload.get("reason", "UNSPECIFIED")
        if reason not in REVOCATION_REASONS:
            raise pki.bad_parameter("Incorrect parameter: reason")
        if record["status"] == "REVOKED":
            raise pki.Refused(400, REVOKED, f"The certificate {item} has already been revoked.")
        record.update(status="REVOKED", revoked_at=_now(), reason=reason)
        return 204, None

    def _certificate_quota(self, account: str, *_: object) -> tuple[int, dict]:
        used = self._count_certificates(account)
        return 200, {"quotas": {"resources": [{"type": "CERTIFICATE", "used": used, "quota": self.certificate_quota}]}}


def _attr(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    found = name.get_attributes_for_oid(oid)
    return str(found[0].value) if found else None


def _matches(query: dict, key: str, value: str) -> bool:
    """The list calls' `name` filter: the value contains it."""
    return key not in query or query[key][0] in value


def _paged(items: list[dict], query: dict) -> list[dict]:
    """offset/limit pages (ListCertificateRequest: limit defaults to 10)."""
    offset, limit = int(query.get("offset", ["0"])[0]), int(query.get("limit", ["10"])[0])
    return items[offset:offset + limit]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
