"""The command line's grammar: every command, option and its help text (argparse).

Handlers are named by module and imported only when their command runs, so `--help` and
the TUI start without loading the crypto library.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from wizard import __version__, defaults, i18n
from wizard.cli.argparse_text import speak_our_language
from wizard.cli.argument_types import (
    days_ahead,
    listen_host,
    port_number,
    positive_days,
    timeout_seconds,
    workspace_folder,
)
from wizard.cli.layout import cells, fill, wrap
from wizard.cli.partial_grammar import OnlyCommand, OptionsLeftOut, command_named
from wizard.defaults import PROG
from wizard.environment import CA_PASSWORD_ENV, LANGUAGE_ENV, PASSWORD_ENV
from wizard.i18n import N_, _


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's help wrapped by terminal cells: a Chinese character takes two, and
    textwrap alone would run the lines past the terminal's width."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return wrap(self._whitespace_matcher.sub(" ", text).strip(), width)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return fill(self._whitespace_matcher.sub(" ", text).strip(), width, initial_indent=indent, subsequent_indent=indent)

    def _format_usage(self, usage, actions, groups, prefix) -> str:  # noqa: ANN001 - argparse's own signature
        shown = _("usage: ") if prefix is None else prefix
        extra = cells(shown) - len(shown)  # argparse measures the prefix ("用法：") in characters
        if extra <= 0:
            return super()._format_usage(usage, actions, groups, prefix)
        self._width -= extra  # the usage, laid out as if the prefix took no more than its characters...
        try:
            text = super()._format_usage(usage, actions, groups, prefix)
        finally:
            self._width += extra
        first, *rest = text.split("\n")  # ... then its next lines moved under the program's name
        return "\n".join([first, *(" " * extra + line if line.strip() else line for line in rest)])


class _Parser(argparse.ArgumentParser):
    """argparse that reports errors in our one-line style (still exit 2) and wraps its help by cells."""

    options_left_out = False  # a command not being run: named, its options never built (partial_grammar)

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003 - argparse's own
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)

    def parse_known_args(self, args=None, namespace=None):  # argparse's own signature
        if self.options_left_out:
            raise OptionsLeftOut
        return super().parse_known_args(args, namespace)

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, _("{prog}: error: {message} (see {prog} --help)").format(prog=self.prog, message=message) + "\n")


class _RefusePassword(argparse.Action):
    """A password given on the command line: refuse it without echoing it.

    Without this, argparse would take `--password X` as an abbreviation of `--password-file`
    and print X (the password) back in a "file not found" error.
    """

    def __call__(self, parser, namespace, values, option_string=None):  # noqa: ANN001
        message = _("{prog}: error: never give a password on the command line (other users can see it): use {instead}")
        parser.exit(2, message.format(prog=parser.prog, instead=self.const) + "\n")


def _refuse_password_option(parser: argparse.ArgumentParser, instead: str, *names: str) -> None:
    parser.add_argument(*names, action=_RefusePassword, const=instead, metavar="PASSWORD", help=argparse.SUPPRESS)


def _ca_password_arg(parser: argparse.ArgumentParser, help_text: str | None = None) -> None:
    """Where the CA key's passphrase comes from (wizard.cli.passphrase): a file, else the variable, else a prompt."""
    parser.add_argument("--ca-password-file", metavar="FILE", help=help_text or _(
        "the CA key's passphrase, when ca/ca.key has one, read from FILE (else ${variable}, else a prompt)").format(variable=CA_PASSWORD_ENV))
    _refuse_password_option(parser, _("--ca-password-file FILE or {variable}").format(variable=CA_PASSWORD_ENV), "--ca-password", "--ca-passphrase")


def _workspace_arg(parser: argparse.ArgumentParser, required: bool = False, top_level: bool = False) -> None:
    help_text = _("the workspace folder") if required else _("the workspace folder (default: the last session's, else ./mtls-workspace)")
    # A command's own default must not hide a --workspace given before the command name.
    default = None if top_level else argparse.SUPPRESS
    parser.add_argument("--workspace", "-w", metavar="DIR", type=workspace_folder, required=required, default=default, help=help_text)


def parse_arguments(arguments: list[str]) -> argparse.Namespace:
    """The command line, parsed with the grammar of its command only (see partial_grammar)."""
    only = command_named(arguments)
    if only is not None:
        try:
            return build_parser(only).parse_args(arguments)
        except OptionsLeftOut:
            pass
    return build_parser().parse_args(arguments)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """Every command's grammar; with `only`, every command named but only that one's options built."""
    speak_our_language()
    parser = _Parser(prog=PROG, description=_("HTTPS mutual authentication on a cloud load balancer, step by step. Without a command, starts the wizard."))
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}", help=_("show program's version number and exit"))
    _workspace_arg(parser, top_level=True)
    commands = OnlyCommand(parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser), only)

    _add_generate_parser(commands)

    insp = commands.add_parser("inspect", help=_("describe a certificate, key, CSR or .p12 (or a client of the workspace)"))
    insp.add_argument("file", metavar="FILE", nargs="?", help=_("the file (or give --client NAME)"))
    insp.add_argument("--client", metavar="NAME", help=_("a client of the workspace, by name: its certificate, with its state and days left"))
    _workspace_arg(insp)
    insp.add_argument("--password-file", metavar="FILE", help=_("the .p12 password, read from FILE"))
    _refuse_password_option(insp, "--password-file FILE", "--password")
    insp.add_argument("--json", action="store_true", help=_("machine-readable output"))
    insp.set_defaults(handler=_lazy("wizard.cli.certificates", "inspect_command"))

    scr = commands.add_parser("script", help=_("print the equivalent modern openssl commands as a runnable script"))
    _workspace_arg(scr)
    scr.set_defaults(handler=_lazy("wizard.cli.certificates", "script_command"))

    _add_client_parser(commands)
    _add_lifecycle_parsers(commands)
    _add_check_parser(commands)
    _add_practice_parser(commands)
    _add_serve_parser(commands)
    _add_web_parser(commands)
    _add_elb_parser(commands)
    _add_backend_parser(commands)
    _add_rotate_parser(commands)
    _add_ca_passphrase_parser(commands)
    for index, each in enumerate(_every_parser(parser)):
        _language_arg(each, top_level=index == 0)
    return parser


def _add_generate_parser(commands: OnlyCommand) -> None:
    gen = commands.add_parser("generate", help=_("steps 1-3: CA, server and client certificates, client .p12"))
    _workspace_arg(gen, required=True)
    gen.add_argument("--server-cn", required=True, metavar="NAME", help=_("the site's domain name or IP address"))
    gen.add_argument("--san", action="append", default=[], metavar="NAME", help=_("an extra name or IP for the server certificate (repeatable)"))
    gen.add_argument("--client-cn", default=defaults.DEFAULT_CLIENT_CN, metavar="NAME", help=_("client certificate CN (default {default})").format(default=defaults.DEFAULT_CLIENT_CN))
    gen.add_argument("--ca-cn", default="", metavar="NAME", help=_("CA common name (default '<org> mTLS Root CA')"))
    gen.add_argument("--org", default=defaults.DEFAULT_ORG, help=_("organisation, O= in every subject (default {default})").format(default=defaults.DEFAULT_ORG))
    gen.add_argument("--key-type", default=defaults.DEFAULT_KEY_TYPE, metavar="TYPE", help=_("{key_types} (default {default})").format(key_types=", ".join(defaults.KEY_TYPES), default=defaults.DEFAULT_KEY_TYPE))
    gen.add_argument("--ca-days", type=positive_days, default=defaults.CA_DAYS, metavar="N", help=_("CA validity (default {default})").format(default=defaults.CA_DAYS))
    gen.add_argument("--server-days", type=positive_days, default=defaults.SERVER_DAYS, metavar="N", help=_("server certificate validity (default {default}; more is refused by Apple clients)").format(default=defaults.SERVER_DAYS))
    gen.add_argument("--client-days", type=positive_days, default=defaults.CLIENT_DAYS, metavar="N", help=_("client certificate validity (default {default})").format(default=defaults.CLIENT_DAYS))
    gen.add_argument("--legacy-p12", action="store_true", help=_("3DES + SHA-1 .p12 for macOS Keychain, older Windows, Java 8, IE 11"))
    gen.add_argument("--p12-password-file", metavar="FILE", help=_("read the .p12 password from FILE (else ${variable}, else a prompt)").format(variable=PASSWORD_ENV))
    _refuse_password_option(gen, _("--p12-password-file FILE or {variable}").format(variable=PASSWORD_ENV), "--p12-password", "--password")
    gen.add_argument("--force", action="store_true", help=_("replace existing server/client files (moved to backup-<timestamp>/ first)"))
    gen.add_argument("--new-ca", action="store_true", help=_("replace the CA too (everything old is moved to backup-<timestamp>/ first)"))
    gen.add_argument("--ca-cert", metavar="FILE", help=_("use an existing CA: its certificate (checked, then copied into ca/)"))
    gen.add_argument("--ca-key", metavar="FILE", help=_("... and its key (an encrypted one asks for its password on a terminal)"))
    gen.add_argument("--server-cert", metavar="FILE", help=_("use a server certificate you have (a purchased one): checked, then copied into server/"))
    gen.add_argument("--server-key", metavar="FILE", help=_("... and its key"))
    gen.add_argument("--server-chain", metavar="FILE", help=_("... and its chain (intermediates, leaf's issuer first)"))
    gen.add_argument("--protect-ca-key", action="store_true",
                     help=_("put a new CA's key under a passphrase (AES-256), asked for on a terminal; recommended for a server others can reach"))
    _ca_password_arg(gen, _("the CA key's passphrase, read from FILE (else ${variable}, else a prompt): opens an existing ca/ca.key "
                            "that has one, and puts a new CA's key under it").format(variable=CA_PASSWORD_ENV))
    _add_ccm_generate_args(gen)
    gen.set_defaults(handler=_lazy("wizard.cli.certificates", "generate_command"))


CCM_KEYS = ("auto", "local", "ccm")


def _ccm_target_args(parser: argparse.ArgumentParser) -> None:
    """Where CCM is: the same options as `elb upload`, with the account (domain) ID CCM takes instead of a project ID."""
    group = parser.add_argument_group(_("CCM (Certificate Manager) Private CA"),
                                      _("Credentials come only from the environment: HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK."))
    group.add_argument("--region", default=None, help=_("CCM's region, e.g. cn-north-4 (default: the one recorded in the workspace)"))
    group.add_argument("--account", "--domain-id", dest="account", metavar="ID", default=None,
                       help=_("the account (domain) ID; CCM is a global service and takes no project ID"))
    group.add_argument("--endpoint", metavar="URL", default=None, help=_("CCM's API endpoint (default: the region's)"))


def _ccm_keys_arg(parser: argparse.ArgumentParser, default: str) -> None:
    parser.add_argument("--ccm-keys", choices=CCM_KEYS, default=default,
                        help=_("with a CA in CCM, who makes the keys: auto (default: CCM for the server, whose names a CSR cannot carry, "
                               "this machine for clients), local (every key made here, only CSRs sent) or ccm (CCM makes them, exported once)"))


def _add_ccm_generate_args(gen: argparse.ArgumentParser) -> None:
    gen.add_argument("--ccm-ca", metavar="ID", default=None, help=_("step 1 in CCM: issue with this private CA of the account (no CA key on this machine)"))
    gen.add_argument("--ccm-create-ca", action="store_true", help=_("step 1 in CCM: create a private CA (a root, or a subordinate with --ccm-issuer); it is billed from creation"))
    gen.add_argument("--ccm-issuer", metavar="ID", default=None, help=_("with --ccm-create-ca: create a subordinate CA under this CA of the account"))
    gen.add_argument("--ccm-ca-subject", metavar="C=..,ST=..,L=..,OU=..", default=None,
                     help=_("with --ccm-create-ca: the country, state, locality and unit CCM requires in a root CA's name"))
    gen.add_argument("--i-accept-ccm-charges", action="store_true", help=_("with --ccm-create-ca: agree to the charges a private CA brings"))
    _ccm_keys_arg(gen, "auto")
    _ccm_target_args(gen)


# The revocation reasons `client revoke` takes (wizard.clients.revocation.REASONS; a test keeps them equal).
REVOCATION_REASONS = ("unspecified", "keyCompromise", "superseded", "cessationOfOperation")
CLIENT_NAME_RULE = N_("letters, digits, '.', '_', '-', '@'; 1-64 characters")


def _add_client_parser(commands: OnlyCommand) -> None:
    client = commands.add_parser("client", help=_("named client certificates: issue, list, revoke"))
    group = client.add_subparsers(dest="client_command", metavar="CLIENT_COMMAND", required=True, parser_class=_Parser)
    issue = group.add_parser("issue", help=_("issue named client certificates, each with its own .p12"))
    issue.add_argument("names", nargs="*", metavar="NAME", help=_("client names ({rule})").format(rule=_(CLIENT_NAME_RULE)))
    issue.add_argument("--from", dest="from_file", metavar="FILE", help=_("read names from FILE, one per line (# comments)"))
    _workspace_arg(issue)
    issue.add_argument("--days", type=positive_days, default=defaults.CLIENT_DAYS, metavar="N", help=_("validity (default {default})").format(default=defaults.CLIENT_DAYS))
    issue.add_argument("--key-type", metavar="TYPE", help=_("key type (default: the workspace's client key type)"))
    issue.add_argument("--legacy-p12", action="store_true", help=_("3DES + SHA-1 .p12 for macOS Keychain, older Windows, Java 8"))
    issue.add_argument("--p12-password-file", metavar="FILE", help=_("one password for every .p12, read from FILE (else ${variable}, else a prompt)").format(variable=PASSWORD_ENV))
    issue.add_argument("--random-passwords", action="store_true", help=_("a strong password per client, saved beside its .p12 (0600)"))
    issue.add_argument("--force", action="store_true", help=_("replace existing clients of these names (backed up first)"))
    _refuse_password_option(issue, _("--p12-password-file FILE or --random-passwords"), "--p12-password", "--password")
    _ca_password_arg(issue)
    _ccm_keys_arg(issue, "auto")
    _ccm_target_args(issue)
    issue.set_defaults(handler=_lazy("wizard.cli.clients", "issue_command"))
    listing = group.add_parser("list", help=_("every client with its expiry and state"))
    _workspace_arg(listing)
    listing.add_argument("--json", action="store_true", help=_("machine-readable output"))
    listing.set_defaults(handler=_lazy("wizard.cli.clients", "list_command"))
    revoke = group.add_parser("revoke", help=_("revoke a client: a CRL and a revoked-serials list for the backends"))
    revoke.add_argument("name", metavar="NAME")
    revoke.add_argument("--reason", choices=REVOCATION_REASONS, default="unspecified")
    _workspace_arg(revoke)
    revoke.add_argument("--crl-days", type=positive_days, default=30, metavar="N", help=_("the CRL's nextUpdate, in days (default 30)"))
    revoke.add_argument("--crl-bucket", metavar="BUCKET", default=None,
                        help=_("with a CA in CCM: also turn on CCM's CRL, published to this OBS bucket every --crl-days days"))
    _ca_password_arg(revoke)
    _ccm_target_args(revoke)
    revoke.set_defaults(handler=_lazy("wizard.cli.clients", "revoke_command"))
    crl = group.add_parser("crl", help=_("sign the CRL again with a fresh nextUpdate"))
    _workspace_arg(crl)
    crl.add_argument("--crl-days", type=positive_days, default=30, metavar="N", help=_("validity in days (default 30)"))
    _ca_password_arg(crl)
    crl.set_defaults(handler=_lazy("wizard.cli.clients", "crl_command"))
    rebuild = group.add_parser("rebuild-record", help=_("write a damaged or lost ca/revoked.json again from ca/crl.pem (checked against the CA)"))
    _workspace_arg(rebuild)
    rebuild.set_defaults(handler=_lazy("wizard.cli.clients", "rebuild_record_command"))


def _add_lifecycle_parsers(commands: OnlyCommand) -> None:
    status = commands.add_parser("status", help=_("every certificate's expiry (and what ELB holds); exit 1 when one expires soon"))
    _workspace_arg(status)
    status.add_argument("--warn-days", type=days_ahead, default=30, metavar="N", help=_("warn about what expires within N days (default 30)"))
    status.add_argument("--json", action="store_true", help=_("machine-readable output"))
    status.set_defaults(handler=_lazy("wizard.cli.lifecycle", "status_command"))
    renew = commands.add_parser("renew", help=_("a new certificate from the same CA (or the CA renewed for its own key)"))
    renew.add_argument("what", choices=("server", "client", "ca"), metavar="{server,client,ca}", help=_("server, client [NAME] or ca"))
    renew.add_argument("name", nargs="?", metavar="NAME", help=_("the client's name (default: the tutorial's client)"))
    _workspace_arg(renew)
    renew.add_argument("--days", type=positive_days, metavar="N", help=_("validity (default: server and client 825, CA 3650)"))
    renew.add_argument("--keep-key", action="store_true", help=_("keep the private key (default: a new one)"))
    renew.add_argument("--p12-password-file", metavar="FILE", help=_("a client's new .p12 password, from FILE (else ${variable}, else a prompt)").format(variable=PASSWORD_ENV))
    _refuse_password_option(renew, _("--p12-password-file FILE or {variable}").format(variable=PASSWORD_ENV), "--p12-password", "--password")
    _ca_password_arg(renew)
    renew.set_defaults(handler=_lazy("wizard.cli.lifecycle", "renew_command"))
    recover = commands.add_parser("recover", help=_("finish or roll back a replacement a killed run left (any writing command does it first)"))
    _workspace_arg(recover)
    recover.set_defaults(handler=_lazy("wizard.cli.lifecycle", "recover_command"))
    restore = commands.add_parser("restore", help=_("put a backup's files back (what they replace goes to a new backup)"))
    restore.add_argument("backup", metavar="BACKUP", help=_("one of the workspace's backup-<timestamp> folders"))
    _workspace_arg(restore)
    restore.set_defaults(handler=_lazy("wizard.cli.lifecycle", "restore_command"))


def _add_check_parser(commands: OnlyCommand) -> None:
    check = commands.add_parser("check", help=_("step 7: prove the listener demands and accepts the client certificate"))
    check.add_argument("address", metavar="ADDRESS", help=_("host:port, [v6]:port or https://host:port"))
    _workspace_arg(check)
    check.add_argument("--sni", metavar="NAME", help=_("server name to send and verify (default: the workspace's server CN)"))
    check.add_argument("--timeout", type=timeout_seconds, default=10.0, metavar="S", help=_("per attempt (default 10)"))
    check.add_argument("--insecure", action="store_true", help=_("do not verify the server certificate (like curl -k); mTLS is still checked"))
    check.add_argument("--trust", choices=("auto", "workspace", "system"), default="auto",
                       help=_("verify the server against the workspace CA or the system store (default auto: the system store for a server certificate you brought)"))
    check.add_argument("--client", metavar="NAME", help=_("present this named client's certificate instead of the tutorial's (a revoked one must be refused)"))
    check.add_argument("--backend-echo", action="store_true",
                       help=_("then read the backend kit's echo through the listener: our client's serial arrives, a forged serial header "
                              "does not, a revoked --client is refused by the backend's deny-list"))
    check.add_argument("--json", action="store_true", help=_("machine-readable output"))
    check.set_defaults(handler=_lazy("wizard.cli.check", "check_command"))


def _add_serve_parser(commands: OnlyCommand) -> None:
    serve = commands.add_parser("serve", help=_("the practice load balancer with a listener built from the workspace as it is, nothing "
                                                "recorded (for scripts; see practice)"))
    _workspace_arg(serve)
    serve.add_argument("--host", type=listen_host, default="127.0.0.1",
                       help=_("address to listen on (default 127.0.0.1; one other machines can reach needs --public)"))
    serve.add_argument("--public", action="store_true",
                       help=_("allow an address other machines can reach (0.0.0.0, ::, a LAN address): anyone there can connect"))
    serve.add_argument("--port", type=port_number, default=8443, help=_("port (default 8443; 0 picks a free one)"))
    serve.add_argument("--reject-with", choices=("alert", "http400", "app400"), default="alert",
                       help=_("refuse clients without a certificate with a TLS alert (default) or HTTP 400, like nginx; "
                              "app400 lets them through TLS to an application's 400, the mistake check must FAIL"))
    serve.add_argument("--client-auth", choices=("handshake", "post-handshake"), default="handshake",
                       help=_("ask for the client certificate during the handshake (default, like a load balancer) or after the request, "
                            "by TLS 1.3 post-handshake authentication (like Apache httpd per location)"))
    serve.add_argument("--forward-client-cert", action="append", metavar="FIELD[=ALIAS]",
                       help=_("the client-certificate headers ELB would forward to the backend, shown in each reply (default: the fields chosen in step 6)"))
    serve.set_defaults(handler=_lazy("wizard.cli.serve", "serve_command"))


def _add_web_parser(commands: OnlyCommand) -> None:
    web = commands.add_parser("web", help=_("the wizard in a browser, for a training room: each browser tab runs its own wizard (needs the web extra)"),
                              description=_("Serves the wizard to a browser with textual-serve: pip install 'mtls-wizard[web]'. "
                                            "It listens on 127.0.0.1 only; from another computer, forward the port over SSH."))
    _workspace_arg(web)
    web.add_argument("--host", type=listen_host, default="127.0.0.1",
                     help=_("address to listen on (default 127.0.0.1; any other needs --i-understand-anyone-can-connect)"))
    web.add_argument("--port", type=port_number, default=8000, help=_("port (default 8000; 0 picks a free one)"))
    web.add_argument("--i-understand-anyone-can-connect", dest="anyone_can_connect", action="store_true",
                     help=_("allow an address other machines can reach: there is no password, and whoever reaches the page can "
                            "issue certificates from this CA and download its private keys"))
    web.set_defaults(handler=_lazy("wizard.cli.web", "web_command"))
def _add_practice_parser(commands: OnlyCommand) -> None:
    practice = commands.add_parser(
        "practice", help=_("steps 4-6 on the practice load balancer (no cloud account), recorded; then it serves that listener here"),
        description=_("Adds the server and CA certificates to the practice load balancer, creates its listener from the options "
                      "(the session's choices where one is left out), records them like uploads (marked as practice), serves the "
                      "listener on this machine and prints the check line to run. Ctrl+C stops it."))
    _workspace_arg(practice)
    practice.add_argument("--host", type=listen_host, default="127.0.0.1", help=_("loopback address to listen on (default 127.0.0.1, or ::1)"))
    practice.add_argument("--port", type=port_number, default=None, help=_("the listener's port (default: the session's, 8443; 0 picks a free one)"))
    practice.add_argument("--ssl-auth", choices=("mutual", "one-way"), default=None,
                          help=_("SSL authentication: mutual (default) or one-way, the mistake check must FAIL"))
    practice.add_argument("--ca", choices=("yours", "other"), default=None,
                          help=_("the CA certificate the listener trusts: yours (step 5, default) or other (another team's: check must FAIL)"))
    practice.add_argument("--tls-policy", default=None, metavar="POLICY", help=_("ELB's TLS policy (default: the session's, tls-1-2-strict)"))
    practice.add_argument("--forward-client-cert", metavar="FIELD[=ALIAS]", action="append", default=None,
                          help=_("forward a client certificate field to the backend as a header (repeatable; default: the session's): cert, "
                                 "subjectdn, issuerdn, fingerprint, serialnumber, clientverify, end, ciphers; 'none' forwards nothing"))
    practice.add_argument("--backend", metavar="URL", default=None,
                          help=_("forward to a web server on this machine, e.g. http://127.0.0.1:8080 (default: the recorded one, else the "
                                 "built-in backend that answers with the headers it received)"))
    practice.set_defaults(handler=_lazy("wizard.cli.practice", "practice_command"))


def _add_elb_parser(commands: OnlyCommand) -> None:
    elb = commands.add_parser("elb", help=_("steps 4-6: upload-ready files, API payloads, optional upload"))
    elb_commands = elb.add_subparsers(dest="elb_command", metavar="ELB_COMMAND", required=True, parser_class=_Parser)
    export = elb_commands.add_parser("export", help=_("write the paste-ready texts and the v3 API bodies to WORKSPACE/elb/"))
    _workspace_arg(export)
    _elb_name_args(export)
    export.add_argument("--loadbalancer-id", metavar="ID", help=_("fill the load balancer id into listener.json (default: the session's, else a placeholder)"))
    export.add_argument("--lb-type", choices=("shared", "dedicated"), default=None, help=_("the load balancer's type, for the TLS policies it takes (default: the session's, else unknown)"))
    export.add_argument("--port", type=port_number, default=None, help=_("listener port in listener.json (default 443)"))
    export.set_defaults(handler=_lazy("wizard.cli.elb", "export_command"))
    upload = elb_commands.add_parser("upload", help=_("upload both certificates (and create the listener) with the official SDK"),
                                     description=_("Credentials come only from the environment: HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK."))
    _workspace_arg(upload)
    upload.add_argument("--region", help=_("e.g. cn-north-4 (default: the recorded upload's region, project and endpoint)"))
    upload.add_argument("--project-id", metavar="ID", help=_("the project (default: the recorded upload's)"))
    upload.add_argument("--endpoint", metavar="URL", help=_("API endpoint (default: the region's; http:// only on 127.0.0.1, ::1 or localhost)"))
    place = upload.add_mutually_exclusive_group()
    place.add_argument("--loadbalancer-id", metavar="ID", help=_("create or move the mutual-auth HTTPS listener on this load balancer (default: move the recorded listener)"))
    place.add_argument("--no-listener", action="store_true", help=_("upload the certificates only; the recorded listener is left as it is"))
    upload.add_argument("--port", type=port_number, default=None, help=_("listener port (default: the recorded listener's, else 443)"))
    upload.add_argument("--enterprise-project-id", metavar="ID", help=_("the enterprise project the certificates go into (default: the recorded one, else ELB's default project)"))
    upload.add_argument("--timeout", type=timeout_seconds, default=None, metavar="S",
                        help=_("the deadline of each API call, connecting, sending and reading together (default 60; connecting at most 10)"))
    upload.add_argument("--delete-replaced", action="store_true",
                        help=_("after a renewal, delete the certificates this upload replaced, once the listener moved and nothing uses them"))
    _elb_name_args(upload)
    upload.set_defaults(handler=_lazy("wizard.cli.elb", "upload_command"))
    for command in (export, upload):  # the listener's options, the same in both
        command.add_argument("--tls-policy", default=None, metavar="POLICY", help=_("listener TLS policy (default: the session's, tls-1-2-strict); shared load balancers take tls-1-0-inherit, tls-1-0, tls-1-1, tls-1-2, tls-1-2-strict"))
        command.add_argument("--security-policy-id", metavar="ID", default=None, help=_("a custom security policy instead of --tls-policy (dedicated load balancers only)"))
        command.add_argument("--pool-id", metavar="ID", default=None, help=_("the backend server group the listener forwards to (default: the session's; without one ELB answers 5xx)"))
        command.add_argument("--forward-client-cert", metavar="FIELD[=ALIAS]", action="append", default=None,
                             help=_("forward a client certificate field to the backends as a header (repeatable): cert, subjectdn, issuerdn, "
                                  "fingerprint, serialnumber, clientverify, end, ciphers; 'none' forwards nothing"))


def _add_backend_parser(commands: OnlyCommand) -> None:
    kit = commands.add_parser("backend", help=_("a backend kit (nginx, HAProxy, Apache) that refuses revoked and forged client certificates behind ELB"),
                              description=_("ELB checks no CRL: the backend refuses revoked clients from the headers the listener forwards, "
                                            "and believes those headers only from the load balancer's addresses."))
    kit.add_argument("server", choices=("nginx", "haproxy", "apache"), help=_("the backend's web server"))
    kit.add_argument("--out", required=True, metavar="DIR", help=_("the folder for the kit's files (created if missing)"))
    kit.add_argument("--lb-source", action="append", metavar="CIDR",
                     help=_("an address range of the load balancer, whose client-certificate headers are believed (repeatable): shared "
                            "load balancers reach backends from 100.125.0.0/16 (the default), dedicated ones from their backend subnet"))
    kit.add_argument("--forward-client-cert", action="append", metavar="FIELD[=ALIAS]",
                     help=_("a header the listener forwards (repeatable; default: the fields chosen in step 6, else serialnumber, fingerprint, clientverify)"))
    _workspace_arg(kit)
    kit.set_defaults(handler=_lazy("wizard.cli.backend", "backend_command"))


def _add_rotate_parser(commands: OnlyCommand) -> None:
    rotate = commands.add_parser("rotate", help=_("unattended: renew what expires soon, upload it, move the listener, delete the old, prove it"),
                                 description=_("Safe from cron: a second run does nothing. Exit 0: nothing to do, or done; 1: needs a person; 2: bad usage."))
    _workspace_arg(rotate)
    rotate.add_argument("--within-days", type=days_ahead, default=30, metavar="N", help=_("renew what expires within N days (default 30)"))
    rotate.add_argument("--dry-run", action="store_true", help=_("say what would be done; change nothing, call no API"))
    rotate.add_argument("--client", action="append", default=[], metavar="NAME", help=_("renew this client too when due (repeatable); its .p12 must reach its holder"))
    rotate.add_argument("--p12-password-file", metavar="FILE",
                        help=_("the .p12 password for named clients without their own NAME.p12-password (else ${variable})").format(variable=PASSWORD_ENV))
    _refuse_password_option(rotate, _("--p12-password-file FILE or {variable}").format(variable=PASSWORD_ENV), "--p12-password", "--password")
    _ca_password_arg(rotate, _("the CA key's passphrase, when ca/ca.key has one, read from FILE (else ${variable}; never asked for: "
                               "without either, a renewal needs a person)").format(variable=CA_PASSWORD_ENV))
    proof = rotate.add_mutually_exclusive_group()
    proof.add_argument("--check", metavar="ADDRESS", help=_("prove the result here with the handshake test (default: the address step 7 tested)"))
    proof.add_argument("--no-check", action="store_true", help=_("do not run the handshake test"))
    rotate.add_argument("--check-wait", type=timeout_seconds, default=60.0, metavar="S", help=_("how long the test waits for ELB to apply the move (default 60)"))
    rotate.add_argument("--timeout", type=timeout_seconds, default=None, metavar="S", help=_("the deadline of each API call (default 60)"))
    rotate.set_defaults(handler=_lazy("wizard.cli.rotate", "rotate_command"))


def _add_ca_passphrase_parser(commands: OnlyCommand) -> None:
    passphrase = commands.add_parser("ca-passphrase", help=_("add, change or remove the passphrase on the CA key (ca/ca.key), with a backup"),
                                     description=_("The passphrase comes from --ca-password-file FILE, else ${variable}, else a hidden "
                                                   "prompt; never from the command line.").format(variable=CA_PASSWORD_ENV))
    passphrase.add_argument("action", choices=("add", "change", "remove"), metavar="{add,change,remove}",
                            help=_("add one, change it, or remove it"))
    _workspace_arg(passphrase)
    _ca_password_arg(passphrase, _("the passphrase (the one to add, or the current one), read from FILE (else ${variable}, else a prompt)").format(
        variable=CA_PASSWORD_ENV))
    passphrase.add_argument("--new-ca-password-file", metavar="FILE", help=_("with change: the new passphrase, read from FILE (else a prompt)"))
    passphrase.set_defaults(handler=_lazy("wizard.cli.passphrase", "ca_passphrase_command"))


def _elb_name_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--server-cert-name", metavar="NAME", help=_("ELB name of the server certificate (default <server CN>-server)"))
    parser.add_argument("--ca-cert-name", metavar="NAME", help=_("ELB name of the CA certificate (default <server CN>-ca)"))
    parser.add_argument("--sni-domain", metavar="NAMES", default=None,
                        help=_("send the server certificate's 'domain' (for SNI certificates only): comma-separated names, or 'auto' for its DNS names (default: left out)"))


def _language_arg(parser: argparse.ArgumentParser, top_level: bool = False) -> None:
    # Read before argparse runs (wizard.cli.requested_language); declared so it is accepted
    # and listed on every command.
    parser.add_argument("--lang", choices=sorted(i18n.LANGUAGES), default=None if top_level else argparse.SUPPRESS,
                        help=_("the language: {languages} (default: ${variable}, else the locale)").format(
                            languages=", ".join(sorted(i18n.LANGUAGES)), variable=LANGUAGE_ENV))


def _every_parser(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = [parser]
    for action in parser._actions:  # noqa: SLF001 - argparse offers no public walk of its subcommands
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            for sub in dict.fromkeys(action.choices.values()):
                if not sub.options_left_out:
                    found += _every_parser(sub)
    return found


def _lazy(module: str, function: str) -> Callable[[argparse.Namespace], int]:
    """A handler imported only when its command runs (keeps start-up lean)."""

    def handler(args: argparse.Namespace) -> int:
        import importlib

        return int(getattr(importlib.import_module(module), function)(args))

    return handler
