"""``python -m experiments``: the sweep and status commands."""

import sys

from experiments.cli import main

sys.exit(main())
