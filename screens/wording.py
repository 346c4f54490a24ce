"""The core's messages in the TUI's own words.

The core speaks to both faces, and its fixes often name a command-line option ("give the
long name with --san"). In the wizard there is no option to type: the same fix is a field
or a button. `for_tui` rewrites every option the core may mention; tests/tui/test_screens_text.py
checks that no option used in the core's messages is missing here.
"""

from __future__ import annotations

import re
from functools import lru_cache

from wizard.i18n import N_, _

# option (as the core writes it, with its argument if any) -> what to do in the wizard (translated
# when the message is shown: a translated core message keeps the option, so it is found the same way)
TUI_WORDS: dict[str, str] = {
    "--workspace DIR": N_("the Workspace folder on the first page"),
    "--workspace": N_("the Workspace folder on the first page"),
    "--org ELB": N_("the Organisation field (e.g. ELB)"),
    "--org": N_("the Organisation field"),
    "--san": N_("the Extra names (SAN) field"),
    "--server-cn NAME": N_("the server name of step 2"),
    "--server-days": N_("the Validity field of step 2"),
    "--client-days": N_("the Validity field of step 3"),
    "--ca-days": N_("the Validity field of step 1"),
    "--new-ca": N_("Replace the CA… in step 1"),
    "--force": N_("Reissue… (the old files are kept in a backup folder)"),
    "--sni NAME": N_("the Name (SNI) field"),
    "--sni": N_("the Name (SNI) field"),
    "--trust system": N_("the trust choice 'the system's trusted CAs'"),
    "--insecure": N_("the trust choice 'do not verify'"),
    "--timeout": N_("a longer wait (run the test again)"),
    "--password-file FILE": N_("the password field"),
    "--p12-password-file FILE": N_("the .p12 password fields of step 3"),
    "--legacy-p12": N_("the .p12 format choice 'Legacy' in step 3"),
    "--region": N_("the Region field of the upload"),
    "--project-id": N_("the Project id field of the upload"),
    "--endpoint": N_("the Endpoint field of the upload"),
    "--loadbalancer-id": N_("the load balancer id of step 6"),
    "--port": N_("the Listener port of step 6"),
    "--from FILE": N_("the Names field of the Clients page"),
    "--ca-cert FILE --ca-key FILE --new-ca": N_("'Use an existing CA…' in step 1"),
    "--server-chain": N_("the Chain field of 'Use a certificate I already have…' in step 2"),
    "--keep-key": N_("a renewal that keeps the key"),
    "--warn-days": N_("the warning threshold"),
    "--pool-id": N_("the Backend server group of step 6"),
    "--forward-client-cert": N_("the forwarded client certificate fields of step 6"),
    "--sni-domain": N_("the SNI domain names"),
    "--tls-policy": N_("the Security policy of step 6"),
    "--delete-replaced": N_("'remove the certificates it replaces' of the upload"),
    "--lb-type": N_("the load balancer type of step 6"),
    "--random-passwords": N_("'a random password for each' on the Clients page"),
    "--reject-with http400": N_("a refusal by HTTP 400"),
    "--client-auth handshake": N_("client authentication during the handshake"),
    "--out DIR": N_("the kit's folder (the backend command's output folder)"),
    "--out": N_("the kit's folder (the backend command's output folder)"),
    "--lb-source": N_("the load balancer's source addresses given to the backend command"),
    "--backend": N_("the backend the practice load balancer forwards to"),
    "--ca-password-file FILE": N_("the CA passphrase the wizard asks for"),
    "--ca-password-file": N_("the CA passphrase the wizard asks for"),
}
_OPTION = "|".join(re.escape(option) for option in sorted(TUI_WORDS, key=len, reverse=True)) + r"(?![\w-])"
# the command with its arguments, up to the end of the clause (in a translated message, up to the
# next CJK character or full-width punctuation: the words after a command are not its arguments)
_COMMAND = r"\bmtls-wizard (generate|elb export|elb upload|check)\b[^;:)\u3000-\u9fff\uff00-\uffef]*"
_COMMAND_WORDS = {
    "generate": N_("steps 1-3 of the wizard"),
    "elb export": N_("steps 4-6 of the wizard"),
    "elb upload": N_("Upload with the API… in step 4"),
    "check": N_("the handshake test of step 7"),
}


def for_tui(message: str) -> str:
    """`message` with command-line options and commands replaced by the wizard's fields and actions."""
    option, command = _patterns()
    message = command.sub(lambda match: _(_COMMAND_WORDS[match.group(1)]), message)
    return option.sub(lambda match: _(TUI_WORDS[match.group(0)]), message)


@lru_cache(maxsize=1)
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    # Compiled on first use, not at import: the first page paints before any message is shown.
    return re.compile(_OPTION), re.compile(_COMMAND)
