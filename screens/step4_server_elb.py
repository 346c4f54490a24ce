"""Step 4: hand the server certificate and its key to the load balancer."""

from __future__ import annotations

from screens.handoff import HandOffScreen
from wizard.i18n import N_


class ServerHandOffScreen(HandOffScreen):
    STEP = 4
    PURPOSE = "server"
    # The console's field names (证书内容, 私钥): what to paste where.
    PARTS = [("server_cert", N_("Certificate Content (server/server.crt)")), ("server_key", N_("Private Key (server/server.key)"))]
    ID_FIELD = "server_cert_id"
    DONE_LABEL = N_("Done: the server certificate is added")
