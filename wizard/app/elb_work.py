"""The App's work for steps 4-6: the readiness checks with elb/'s request bodies, the texts
saved to files, the listener's request body, and the optional upload through the ELB API.

Everything here writes into the workspace (elb/), so it runs in the App's threads, never in a
page's: the pages only read the files they show.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on, work

from wizard.app.outcomes import UploadFinished, UploadStopped
from wizard.app.work import WorkBase, attempt, unexpected
from wizard.i18n import _

if TYPE_CHECKING:
    from screens.base import StepScreen
    from screens.handoff import HandOffScreen
    from screens.step6_listener import ListenerScreen
    from screens.upload_modal import UploadRequest
    from wizard.session import Session
    from wizard.workspace import Workspace


def export_for_the_api(ws: Workspace, answers: Session) -> tuple[str, str]:
    """Write elb/ (the API request bodies, as `mtls-wizard elb export` does): (the request
    files written, "") or ("", why they could not be). Worded by the page when shown, in the
    language of that moment."""
    from wizard import elb
    from wizard.errors import WizardError

    try:
        written = elb.export(ws, answers)
    except WizardError as error:
        return "", str(error)
    return ", ".join(ws.relative(path) for path in written.paths if path.suffix == ".json"), ""


class ElbWork(WorkBase):
    """Steps 4-6, for WizardApp (see wizard.app)."""

    # -- steps 4-5: readiness, and the request bodies for the API route -----------------------
    def on_hand_off_screen_readiness_requested(self, message: HandOffScreen.ReadinessRequested) -> None:
        if self.ws is not None and self.session is not None:
            self._readiness_worker(message.page, message.purpose, self.ws, copy.deepcopy(self.session))

    @work(thread=True, exclusive=True, group="readiness", description="ELB readiness checks")
    def _readiness_worker(self, page: HandOffScreen, purpose: str, ws: Workspace, answers: Session) -> None:
        from wizard import elb
        from wizard.pki import Finding

        checked, error = attempt(lambda: elb.readiness(ws, purpose))
        findings = checked if error is None else [Finding("error", "file", error, "")]  # a failure shown as a finding
        ready = not any(f.blocking for f in findings)
        exported = export_for_the_api(ws, answers) if ready and not answers.practising else None  # no API on the practice route
        self._post_from_thread(page.ReadinessChecked(findings, exported), to=page)

    def on_hand_off_screen_save_requested(self, message: HandOffScreen.SaveRequested) -> None:
        from wizard import elb

        ws, part = self.ws, message.part
        if ws is None:
            return

        def saved(path: Path) -> None:
            mode = elb.PASTE_FILES[part][1]
            self.notify(f"{path}", title=_("Saved (mode {mode})").format(mode=f"{mode:04o}"), timeout=10)

        self.save_in_workspace(lambda: elb.save_paste_text(ws, part)[0], saved)

    # -- step 6: the listener's request body ---------------------------------------------------
    def on_listener_screen_export_requested(self, _message: ListenerScreen.ExportRequested) -> None:
        """elb/listener.json (and the other request bodies) with step 6's port and policy."""
        from wizard import elb

        if self.ws is None or self.session is None:
            return
        ws, answers = self.ws, copy.deepcopy(self.session)
        self.save_in_workspace(
            lambda: elb.export(ws, answers, port=answers.lb_port), lambda _export: None,
            lambda error: self.notify(_("elb/listener.json could not be written: {error}").format(error=error),
                                      severity="warning", timeout=10))

    # -- steps 4-6: the optional API upload ---------------------------------------------------
    def on_step_screen_upload_requested(self, message: StepScreen.UploadRequested) -> None:
        self.start_upload(message.request)

    def start_upload(self, request: UploadRequest) -> None:
        """Upload both certificates (steps 4-5) and, with a load balancer id, create or move the
        listener (step 6, a rotation after a renewal); the listener options are the session's."""
        label = (_("creating or moving the listener through the ELB API…") if request.loadbalancer_id
                 else _("uploading both certificates through the ELB API…"))
        if self.session is not None and self.ws is not None and self._start("upload", label):
            self._upload_worker(copy.deepcopy(self.session), self.ws, request)

    def on_step_screen_move_requested(self, _message: StepScreen.MoveRequested) -> None:
        self.start_move()

    def start_move(self) -> None:
        """Upload what changed and move the recorded listener to it, deleting what it replaced: the
        region, project, endpoint, load balancer and port all come from the record (nothing typed)."""
        if self.session is not None and self.ws is not None and self._start("upload", _("moving the recorded listener through the ELB API…")):
            self._upload_worker(copy.deepcopy(self.session), self.ws, None)

    def move_after_renewal(self) -> bool:
        """After a renewal, move the listener to the new certificate where that needs nothing typed:
        the practice listener at once; ELB's recorded listener when the SDK and credentials are
        there. True when a move started."""
        from wizard import elb

        if self.session is None or self.ws is None:
            return False
        if self.session.practising:
            if not self.session.practice.get("listener"):
                return False
            self.refresh_practice()
            return True
        if not (elb.sdk_available() and elb.credentials_present() and elb.recorded_listener(self.session, self.ws)):
            return False
        self.start_move()
        return True

    @work(thread=True, group="upload", description="certificate upload through the ELB API")
    def _upload_worker(self, answers: Session, ws: Workspace, request: UploadRequest | None) -> None:
        from wizard import elb
        from wizard.errors import WizardError

        try:
            if request is None:  # the recorded listener, moved with nothing typed again
                result = elb.move_recorded_listener(ws, answers, delete_replaced=True, timeout=elb.DEFAULT_TIMEOUT)
            else:
                result = elb.upload(ws, answers, region=request.region, project_id=request.project_id,
                                    endpoint=request.endpoint or None, loadbalancer_id=request.loadbalancer_id or None,
                                    port=answers.lb_port, tls_policy=answers.tls_policy, delete_replaced=request.delete_replaced,
                                    forward_client_cert=list(answers.forward_client_cert) or None)
        except elb.UploadFailed as failure:
            self._post_from_thread(UploadStopped(ws.root, str(failure), failure.partial))
        except WizardError as error:
            self._post_from_thread(UploadStopped(ws.root, str(error), None))
        except Exception as error:  # noqa: BLE001
            self._post_from_thread(UploadStopped(ws.root, unexpected(error), None))
        else:
            self._post_from_thread(UploadFinished(ws.root, result))

    def _record_upload(self, workspace: Path, result: Any) -> None:
        if result is not None and result.records:
            self._record(workspace, result)

    @on(UploadFinished)
    def _upload_finished(self, message: UploadFinished) -> None:
        self.busy.pop("upload", None)
        self._record_upload(message.workspace, message.result)
        if self._is_open(message.workspace):
            result = message.result
            self.gone_listener = result.listener_gone
            if result.listener_gone:
                self.show_error(_("The recorded listener {listener_id} is gone from ELB: nothing was moved. Create a listener with the "
                                  "API in step 6 (give the load balancer id), or in the console.").format(listener_id=result.listener_gone),
                                _("Listener gone"))
            else:
                self.notify(self._uploaded_words(result), title=_("Uploaded"), timeout=10)
            for warning in result.warnings:
                self.warn_once(warning)
        self.sync_screen()

    @staticmethod
    def _uploaded_words(result: Any) -> str:
        """What an upload did, in one notification: the ids, the listener moved, what was deleted or kept."""
        lines = [_("server certificate {server_id}, CA certificate {ca_id}").format(server_id=result.server_cert_id, ca_id=result.ca_cert_id)]
        if result.listener_id:
            moved = result.listener_updated or result.listener_recorded == result.listener_id
            lines.append((_("listener {listener_id} moved to them") if moved else _("listener {listener_id}")).format(
                listener_id=result.listener_id))
        if result.deleted:
            lines.append(_("deleted the replaced {ids}").format(ids=", ".join(result.deleted)))
        for cert_id, why in result.kept.items():
            lines.append(_("kept {cert_id}: {why}").format(cert_id=cert_id, why=why))
        return "\n".join(lines)

    @on(UploadStopped)
    def _upload_stopped(self, message: UploadStopped) -> None:
        self.busy.pop("upload", None)
        # The core records ids only for what really reached the API: keep them.
        self._record_upload(message.workspace, message.partial)
        if self._is_open(message.workspace):
            self.show_error(message.error, _("Upload failed"))
        self.sync_screen()
