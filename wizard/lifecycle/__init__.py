"""Life after setup: expiry status, renewal, and bringing your own CA or server certificate.

- `status`: every certificate of the workspace (and what ELB holds) with its days left;
- `renew`: new server and client certificates from the same CA, a CA renewed for its own key;
- `bring`: an existing CA, or a purchased server certificate with its chain, checked and copied in.
"""
