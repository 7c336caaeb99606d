"""``python -m simulation``: the ``talentflow`` command line."""

import sys

from simulation.cli import main

sys.exit(main())
