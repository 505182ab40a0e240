"""``python -m gamekit``: the command line (:mod:`gamekit.cli`)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
