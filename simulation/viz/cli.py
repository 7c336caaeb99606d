"""``talentflow viz [CONFIG] [--port N] [--host H]``: the live demo page (entry point of ``talentflow.commands``)."""

from __future__ import annotations

import argparse
import importlib.util
from typing import Any

from simulation.viz.server import DEFAULT_HOST, DEFAULT_PORT

MAX_PORT = 65_535
#: Packages the page needs beyond the model's own (the viz extra).
VIZ_MODULES: tuple[str, ...] = ("solara", "solara_assets", "ipyvuetify")


def port_number(text: str) -> int:
    """An argparse type: a TCP port, 0 (any free port) to 65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number from 0 to {MAX_PORT}, got {text!r}") from None
    if not 0 <= port <= MAX_PORT:
        raise argparse.ArgumentTypeError(f"must be a whole number from 0 to {MAX_PORT}, got {text!r}")
    return port


def check_address(host: str, port: int) -> None:
    """Raise UsageError unless the server could listen on ``host``:``port`` now (a name that does not resolve, an
    address not on this machine, a port in use), so that the command says so in one line before it starts."""
    import errno
    import socket

    from simulation.cli import UsageError

    family = socket.AF_INET6 if ":" in host else socket.AF_INET  # as the server (uvicorn) chooses it
    try:
        socket.getaddrinfo(host, port, family=family, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as err:
        raise UsageError(f"--host {host}: not an address of this machine ({err})") from None
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server does
        try:
            sock.bind((host, port))
        except OSError as err:
            if err.errno == errno.EADDRNOTAVAIL:
                raise UsageError(f"--host {host}: not an address of this machine ({err.strerror})") from None
            raise UsageError(f"--port {port}: cannot listen on {host}:{port} ({err.strerror or err}); choose "
                             "another port, or 0 for any free one") from None


def command_viz(args: argparse.Namespace) -> int:
    """Check CONFIG, then serve the demo until Ctrl-C; bad input raises ConfigError before the server starts."""
    from simulation.cli import UsageError
    from simulation.config import load_config

    missing = [name for name in VIZ_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise UsageError(f"viz needs {', '.join(missing)}: install the viz extra, pip install -e '.[viz]'")
    if args.config is not None:
        load_config(args.config)
    check_address(args.host, args.port)
    from simulation.viz.server import serve

    return serve(host=args.host, port=args.port, config=args.config)


def register(subparsers: Any) -> None:
    """Add the ``viz`` subcommand to the ``talentflow`` command line."""
    viz = subparsers.add_parser(
        "viz", help="start the live demo page (SolaraViz) in the browser",
        description="Serve the live demo page: policy sliders and live charts of a policy run against its "
                    "no-policy baseline. Open the printed address in a browser. Works offline.")
    viz.add_argument("config", metavar="CONFIG", nargs="?",
                     help="scenario TOML file the page opens with (default: configs/calibrated.toml)")
    viz.add_argument("--port", type=port_number, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    viz.add_argument("--host", default=DEFAULT_HOST,
                     help=f"address to listen on (default {DEFAULT_HOST}: this machine only)")
    viz.set_defaults(handler=command_viz)
