"""Shared constants: the program name, the certificate defaults. Light on purpose, so the
session, the argument parser and the first screen can read them without loading the crypto library."""

KEY_TYPES: tuple[str, ...] = ("rsa2048", "rsa3072", "rsa4096", "ec-p256", "ec-p384")
DEFAULT_KEY_TYPE = "rsa2048"
DEFAULT_ORG = "ELB"
DEFAULT_SERVER_CN = "www.test.com"
DEFAULT_CLIENT_CN = "client"
CA_DAYS = 3650
SERVER_DAYS = 825
CLIENT_DAYS = 825

# The command's name, in every hint that tells the user what to run next.
PROG = "mtls-wizard"
# Seconds a password pipe (--p12-password-file <(pass show x)) may take; `pass` may ask GPG first.
PASSWORD_WAIT = 30.0
