"""Step 5: hand the CA certificate (never its key) to the load balancer."""

from __future__ import annotations

from screens.handoff import HandOffScreen
from wizard.i18n import N_


class CaHandOffScreen(HandOffScreen):
    STEP = 5
    PURPOSE = "ca"
    PARTS = [("ca_cert", N_("Certificate Content (ca/ca.crt)"))]
    ID_FIELD = "ca_cert_id"
    DONE_LABEL = N_("Done: the CA certificate is added")
