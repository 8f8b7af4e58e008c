"""``python -m aesara_cas``: the command line (see :mod:`aesara_cas.cli`)."""

import sys

from aesara_cas.cli import main

sys.exit(main())
