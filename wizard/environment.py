"""The environment variables the wizard reads, by name: one home for them all, so the code
that reads one and every text that names it agree. Plain strings: importing this loads nothing."""

# The language of the texts (else the locale): `--lang` wins over it.
LANGUAGE_ENV = "MTLS_WIZARD_LANG"
# The .p12 password for `generate` and the client commands when no file is given; the exported
# openssl scripts read it too.
PASSWORD_ENV = "MTLS_WIZARD_P12_PASSWORD"
# The CA key's passphrase (ca/ca.key under AES-256) when no --ca-password-file is given: a new
# CA is protected with it, and every command that signs opens the key with it.
CA_PASSWORD_ENV = "MTLS_WIZARD_CA_PASSWORD"
# Seconds a password pipe may take to deliver (wizard.defaults.PASSWORD_WAIT unless set).
PASSWORD_WAIT_ENV = "MTLS_WIZARD_PASSWORD_WAIT"
# Where sessions are kept (else the platform's user data directory).
DATA_DIR_ENV = "MTLS_WIZARD_DATA_DIR"
# The cloud API's credentials, under the Huawei Cloud SDK's own names (never taken as arguments).
ENV_AK = "HUAWEICLOUD_SDK_AK"
ENV_SK = "HUAWEICLOUD_SDK_SK"
# Tests only: stop the process with SIGKILL right after this many writes, renames or removals of
# a replacement (wizard.replacement), to prove a run killed at any point leaves one complete set.
KILL_AFTER_ENV = "MTLS_WIZARD_TEST_KILL_AFTER"
