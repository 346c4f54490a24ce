"""mtls-wizard: HTTPS mutual authentication on a cloud load balancer, step by step."""

__version__ = "0.1.0"
