"""``python -m experiments.named NAME --out DIR``."""

import sys

from experiments.named.cli import main

sys.exit(main())
