"""Step 5: hand the CA certificate (never its key) to the load balancer."""

from __future__ import annotations

from screens.handoff import HandOffScreen


class CaHandOffScreen(HandOffScreen):
    STEP = 5
    PURPOSE = "ca"
    PARTS = [("ca_cert", "Certificate Content (ca/ca.crt)")]
    ID_FIELD = "ca_cert_id"
    DONE_LABEL = "Done: the CA certificate is added"
