"""Career stages and sectors: the fixed vocabulary every other module shares.

Stages run in order; the three training stages are spent in academia under a
mentor, the two working stages in academia or industry.
"""

from __future__ import annotations

from typing import Final

STAGES: Final[tuple[str, ...]] = ("student", "phd", "postdoc", "junior", "senior")
STUDENT, PHD, POSTDOC, JUNIOR, SENIOR = range(5)
TRAINING_STAGES: Final[tuple[int, ...]] = (STUDENT, PHD, POSTDOC)
WORKING_STAGES: Final[tuple[int, ...]] = (JUNIOR, SENIOR)

SECTORS: Final[tuple[str, ...]] = ("academia", "industry")
ACADEMIA, INDUSTRY = range(2)
