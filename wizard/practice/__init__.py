"""The practice load balancer: what steps 4-6 configure when there is no cloud account.

One component with one name, for the wizard's practice route, `mtls-wizard practice` and its
older alias `serve`:

- `records`: steps 4 and 5 add the server and CA certificates to it (each gets an id, recorded in
  elb/uploaded.json and the session like an upload, marked as practice), and step 6 creates its
  listener from the same choices as for ELB (port, SSL authentication, CA certificate, TLS policy,
  client-certificate headers);
- `server`: it serves exactly that listener on this machine's loopback, refusing as ELB does
  (nginx's 400 pages), before its built-in backend (which answers with the client-certificate
  headers it received) or a web server on this machine;
- `tls`, `http`, `pages`: its TLS side (pyOpenSSL), its HTTP side (the backend's request, the
  trip to an external backend) and the answers it sends.
"""

from wizard.practice.server import PracticeLoadBalancer

__all__ = ["PracticeLoadBalancer"]
