"""`elb export` and `elb upload`: steps 4-6 by hand (files for the console and the API) or
through the official SDK."""

from __future__ import annotations

import argparse

from wizard import elb
from wizard.cli.common import open_session, resolve_workspace, save_session, warn
from wizard.defaults import PROG
from wizard.errors import WizardError
from wizard.i18n import _
from wizard.record import record_upload
from wizard.session import Session, SessionStore
from wizard.workspace import SECRET_MODE, Workspace


def _open(args: argparse.Namespace) -> tuple[Workspace, SessionStore, Session]:
    ws = Workspace(resolve_workspace(getattr(args, "workspace", None)))
    if not ws.cert("server").exists() and not ws.cert("ca").exists():
        raise WizardError(_("no certificates in {path} yet: run {prog} generate (or the wizard) first").format(path=ws.root, prog=PROG))
    store, session = open_session(ws.root)
    return ws, store, session


def _listener_options(args: argparse.Namespace) -> dict[str, object]:
    """The listener options both commands take, as keyword arguments (None: the session's)."""
    return {
        "tls_policy": getattr(args, "tls_policy", None), "security_policy_id": getattr(args, "security_policy_id", None),
        "pool_id": getattr(args, "pool_id", None), "forward_client_cert": getattr(args, "forward_client_cert", None),
        "sni_domain": getattr(args, "sni_domain", None),
    }


def _remember_choices(session: Session, args: argparse.Namespace, choices: elb.ListenerChoices | None) -> bool:
    """Keep the options given on the command line (validated) so the TUI and later runs start
    from them; True when the session changed."""
    if choices is None:
        return False
    given = {
        "tls_policy": (getattr(args, "tls_policy", None), choices.tls_policy),
        "lb_type": (getattr(args, "lb_type", None), choices.lb_type),
        "security_policy_id": (getattr(args, "security_policy_id", None), choices.security_policy_id),
        "pool_id": (getattr(args, "pool_id", None), choices.pool_id),
        "forward_client_cert": (getattr(args, "forward_client_cert", None), list(choices.forward_client_cert)),
        "sni_domain": (getattr(args, "sni_domain", None), choices.sni_domain),
    }
    changed = False
    for name, (option, value) in given.items():
        if option is not None and getattr(session, name) != value:
            setattr(session, name, value)
            changed = True
    return changed


def export_command(args: argparse.Namespace) -> int:
    ws, store, session = _open(args)
    loadbalancer_id = getattr(args, "loadbalancer_id", None)
    done = elb.export(
        ws, session, server_cert_name=getattr(args, "server_cert_name", None), ca_cert_name=getattr(args, "ca_cert_name", None),
        loadbalancer_id=loadbalancer_id, port=getattr(args, "port", None), lb_type=getattr(args, "lb_type", None),
        **_listener_options(args),  # type: ignore[arg-type]
    )
    listener = done.listener["listener"]
    changed = _remember_choices(session, args, done.choices)
    if loadbalancer_id:
        session.loadbalancer_id = listener["loadbalancer_id"]
    if changed or loadbalancer_id:
        save_session(store, session)
    print(_("Wrote to {path}:").format(path=ws.elb_dir))
    for path in done.paths:
        mode = path.stat().st_mode & 0o777
        note = "  " + _("(holds the private key: keep it private)") if mode == SECRET_MODE else ""
        print(f"  {ws.relative(path):40} {oct(mode)[2:]}{note}")
    left = elb.placeholders_in(done.listener)
    if left:
        print(_("{file}: fill in {placeholders} (marked <...>) once known, or run {prog} elb upload").format(
            file=elb.LISTENER_BODY, placeholders=", ".join(left), prog=PROG))
    for warning in done.warnings:
        warn(warning)
    print()
    print(_("Console: paste the paste-*.txt texts into the certificate forms (steps 4 and 5);\n"
            "the key text is in the traditional PEM form ELB takes (PKCS#1 for RSA, SEC1 for EC)."))
    print(_("API: the documented REST calls using these files (also in elb/api-calls.txt):"))
    print(elb.rest_calls(ws), end="")
    return 0


def _resume_step(session: Session) -> int:
    """Where the TUI should resume after an upload: the first of steps 4-6 not done, else 7."""
    open_step = next((step for step in (4, 5, 6) if not session.is_done(step)), 0)
    return open_step or max(session.current_step, 7)


def _log(line: str) -> None:
    if line.startswith("warning: "):
        warn(line[len("warning: "):])
    else:
        print(line, flush=True)


def api_timeout(seconds: float | None) -> tuple[float, float]:
    """--timeout S: the whole call within S seconds, connecting within at most 10 of them."""
    return (min(elb.DEFAULT_TIMEOUT[0], seconds), seconds) if seconds else elb.DEFAULT_TIMEOUT


def upload_command(args: argparse.Namespace) -> int:
    ws, store, session = _open(args)
    try:
        result = elb.upload(
            ws, session, region=args.region, project_id=args.project_id, endpoint=args.endpoint,
            loadbalancer_id=args.loadbalancer_id, port=args.port, no_listener=args.no_listener,
            enterprise_project_id=getattr(args, "enterprise_project_id", None),
            server_cert_name=getattr(args, "server_cert_name", None), ca_cert_name=getattr(args, "ca_cert_name", None),
            timeout=api_timeout(getattr(args, "timeout", None)),
            log=_log, delete_replaced=args.delete_replaced, **_listener_options(args),  # type: ignore[arg-type]
        )
    except elb.UploadFailed as failure:
        # Whatever was uploaded before the failure is kept, so the next run does not repeat it;
        # the options are not remembered (one of them may be what was refused).
        _remember(store, session, failure.partial, argparse.Namespace())
        raise
    _remember(store, session, result, args)
    print(_("Recorded in {path}.").format(path=ws.relative(result.uploaded_file or ws.elb_dir / elb.UPLOADED)))
    print(_next_step(result))
    return 0


def _next_step(result: elb.UploadResult) -> str:
    """What to do next, by where the listener stands: never "create" when one is recorded."""
    if result.listener_id:
        port = result.choices.port if result.choices else 443
        return _("Next: {prog} check <load balancer address>:{port}  (step 7: prove mutual authentication)").format(prog=PROG, port=port)
    if result.listener_gone:
        return _("Next: the recorded listener {listener_id} is gone from ELB: create one with {prog} elb upload --loadbalancer-id ID "
                 "(or in the console, step 6)").format(listener_id=result.listener_gone, prog=PROG)
    if result.listener_recorded:
        return _("Next: the listener {listener_id} still uses the earlier certificates: run {prog} elb upload again without "
                 "--no-listener to move it").format(listener_id=result.listener_recorded, prog=PROG)
    return _("Next: create the HTTPS listener with mutual authentication in the console (step 6), or run again with --loadbalancer-id ID")


def _remember(store: SessionStore, session: Session, result: elb.UploadResult, args: argparse.Namespace) -> None:
    changed = _remember_choices(session, args, result.choices)
    if result.records or result.lb_type:
        record_upload(session, result)
        session.current_step = _resume_step(session) if result.records else session.current_step
        changed = True
    if changed:
        save_session(store, session)
