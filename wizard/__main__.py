"""`python -m wizard`: the same as the `mtls-wizard` command."""

import sys

from wizard.cli import main

# Guarded: worker processes (a batch of clients) start by importing the main module again.
if __name__ == "__main__":
    sys.exit(main())
