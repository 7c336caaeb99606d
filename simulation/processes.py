"""Whether a process of this machine still runs: for clearing what killed processes left, and for workers that
watch their parent."""

from __future__ import annotations

import os
from pathlib import Path


def process_runs(pid: int) -> bool:
    """Whether a process ``pid`` runs (ours or another user's; a zombie has ended)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"
