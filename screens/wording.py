"""The core's messages in the TUI's own words.

The core speaks to both faces, and its fixes often name a command-line option ("give the
long name with --san"). In the wizard there is no option to type: the same fix is a field
or a button. `for_tui` rewrites every option the core may mention; tests/test_screens_text.py
checks that no option used in the core's messages is missing here.
"""

from __future__ import annotations

import re

# option (as the core writes it, with its argument if any) -> what to do in the wizard
TUI_WORDS: dict[str, str] = {
    "--workspace DIR": "the Workspace folder on the first page",
    "--workspace": "the Workspace folder on the first page",
    "--org ELB": "the Organisation field (e.g. ELB)",
    "--org": "the Organisation field",
    "--san": "the Extra names (SAN) field",
    "--server-cn NAME": "the server name of step 2",
    "--server-days": "the Validity field of step 2",
    "--client-days": "the Validity field of step 3",
    "--ca-days": "the Validity field of step 1",
    "--new-ca": "Replace the CA… in step 1",
    "--force": "Reissue… (the old files are kept in a backup folder)",
    "--sni NAME": "the Name (SNI) field",
    "--sni": "the Name (SNI) field",
    "--trust system": "the trust choice 'the system's trusted CAs'",
    "--insecure": "the trust choice 'do not verify'",
    "--timeout": "a longer wait (run the test again)",
    "--password-file FILE": "the password field",
    "--p12-password-file FILE": "the .p12 password fields of step 3",
    "--legacy-p12": "the .p12 format choice 'Legacy' in step 3",
    "--region": "the Region field of the upload",
    "--project-id": "the Project id field of the upload",
    "--endpoint": "the Endpoint field of the upload",
    "--loadbalancer-id": "the load balancer id of step 6",
    "--port": "the Listener port of step 6",
    "--from FILE": "the Names field of the Clients page",
    "--server-chain": "the Chain field of 'Use a certificate I already have…' in step 2",
    "--keep-key": "a renewal that keeps the key",
    "--warn-days": "the warning threshold",
    "--pool-id": "the Backend server group of step 6",
    "--forward-client-cert": "the forwarded client certificate fields of step 6",
    "--security-policy-id": "the custom security policy of step 6",
    "--sni-domain": "the SNI domain names",
    "--tls-policy": "the Security policy of step 6",
    "--delete-replaced": "'remove the certificates it replaces' of the upload",
    "--lb-type": "the load balancer type of step 6",
    "--random-passwords": "'a random password for each' on the Clients page",
    "--reject-with http400": "a refusal by HTTP 400",
    "--client-auth handshake": "client authentication during the handshake",
}
_OPTION = re.compile("|".join(re.escape(option) for option in sorted(TUI_WORDS, key=len, reverse=True)) + r"(?![\w-])")
_COMMAND = re.compile(r"\bmtls-wizard (generate|elb export|elb upload|check)\b[^;:)]*")
_COMMAND_WORDS = {
    "generate": "steps 1-3 of the wizard",
    "elb export": "steps 4-6 of the wizard",
    "elb upload": "Upload with the API… in step 4",
    "check": "the handshake test of step 7",
}


def for_tui(message: str) -> str:
    """`message` with command-line options and commands replaced by the wizard's fields and actions."""
    message = _COMMAND.sub(lambda match: _COMMAND_WORDS[match.group(1)], message)
    return _OPTION.sub(lambda match: TUI_WORDS[match.group(0)], message)
