"""Start the demo page: a Solara server for :mod:`simulation.viz.app`, offline, bound to one host and port.

``talentflow viz`` replaces itself with ``python -m solara run`` (exec), so that Ctrl-C
and kill reach the server; a test starts the same command as a child process.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
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


def free_port(host: str = DEFAULT_HOST) -> int:
    """A TCP port free on ``host`` now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def started(command: list[str], env: Mapping[str, str], log: Path, *, cwd: Path, url: str,
            timeout: float = 90.0) -> Iterator[str]:
    """Run a server with ``command`` (output to the file ``log``); yield ``url`` once it answers 200 and stop the
    server afterwards. Raises RuntimeError if it exits or does not answer within ``timeout`` seconds."""
    with log.open("w") as out:
        process = subprocess.Popen(command, env=dict(env), stdout=out, stderr=subprocess.STDOUT, cwd=cwd)
        try:
            deadline = time.monotonic() + timeout
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"server exited with code {process.returncode}; see {log}")
                with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"server did not answer within {timeout:.0f} s; see {log}")
                time.sleep(0.5)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
