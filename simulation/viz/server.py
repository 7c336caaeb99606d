"""Start the demo page: a Solara server for :mod:`simulation.viz.app`, offline, bound to one host and port.

``talentflow viz`` replaces itself with ``python -m solara run`` (exec), so that Ctrl-C
and kill reach the server; a test starts the same command as a child process.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

APP = "simulation.viz.app"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def server_command(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> list[str]:
    """The command line that serves the demo on ``host``:``port`` (production mode: no reloader)."""
    return [sys.executable, "-m", "solara", "run", APP, "--host", host, "--port", str(port), "--production",
            "--no-open", "--log-level", "warning"]


def server_environment(config: str | Path | None = None, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The server's environment: ``base`` (default: this process's) with telemetry off and the opening scenario."""
    from simulation.viz.demo import CONFIG_ENV  # here, not at the top: the demo imports the model

    env = dict(os.environ if base is None else base)
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "false"
    env.pop(CONFIG_ENV, None)
    if config is not None:
        env[CONFIG_ENV] = str(Path(config).resolve())
    return env


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, config: str | Path | None = None) -> int:
    """Become the demo server (exec): Ctrl-C and kill reach the server itself, and no child is left behind."""
    print(f"talentflow viz: serving on http://{host}:{port} (Ctrl-C stops)", file=sys.stderr, flush=True)
    command = server_command(host, port)
    os.execve(command[0], command, server_environment(config))
    return 0  # not reached: execve replaces this process
