"""Step 4: hand the server certificate and its key to the load balancer."""

from __future__ import annotations

from screens.handoff import HandOffScreen


class ServerHandOffScreen(HandOffScreen):
    STEP = 4
    PURPOSE = "server"
    PARTS = [("server_cert", "Certificate Content (server/server.crt)"), ("server_key", "Private Key (server/server.key)")]
    ID_FIELD = "server_cert_id"
    DONE_LABEL = "Done: the server certificate is added"
