"""Rotation: after a renewal, the certificate a listener no longer uses is deleted from ELB.

Only with `--delete-replaced`, only after the listener has moved to the new certificate, and
never while any listener of the project still refers to it (as its server, CA or SNI
certificate): ELB would refuse, and another site may depend on it. Something else may still
use it that the listeners do not show (another service); ELB then refuses the delete with a
conflict, and the certificate is kept with that reason instead of failing the upload.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from wizard.elb.failures import ApiRefusal
from wizard.elb.sdk import ElbApi
from wizard.i18n import _

if TYPE_CHECKING:
    from wizard.elb.uploader import UploadResult


def retire_replaced(api: ElbApi, replaced: Iterable[str], result: UploadResult, log: Callable[[str], None]) -> None:
    """Delete each replaced certificate no listener uses any more; keep (and say why) the others."""
    current = {result.server_cert_id, result.ca_cert_id}
    for cert_id in dict.fromkeys(cert_id for cert_id in replaced if cert_id and cert_id not in current):
        users = api.listeners_using(cert_id, _("checking who still uses the replaced certificate {cert_id}").format(cert_id=cert_id))
        if users:
            names = ", ".join(str(listener.get("id")) for listener in users)
            result.kept[cert_id] = names
            log(_("replaced certificate {cert_id}: kept, still used by listener {listeners}").format(cert_id=cert_id, listeners=names))
            continue
        try:
            api.delete_certificate(cert_id, _("deleting the replaced certificate {cert_id}").format(cert_id=cert_id))
        except ApiRefusal as refusal:
            if refusal.status == 404:
                log(_("replaced certificate {cert_id}: already gone from ELB").format(cert_id=cert_id))
                continue
            if refusal.status != 409 and refusal.code != "ELB.8907":
                raise
            result.kept[cert_id] = _("in use (ELB)")
            log(_("replaced certificate {cert_id}: kept, ELB refuses to delete it as still in use (HTTP {status} {code}; by "
                  "another service?)").format(cert_id=cert_id, status=refusal.status, code=refusal.code or "-"))
            continue
        result.deleted.append(cert_id)
        log(_("replaced certificate {cert_id}: deleted from ELB (no listener uses it any more)").format(cert_id=cert_id))
