"""``talentflow viz``: arguments, bad input (one line, exit 2, no server) and the server it would start."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from simulation import cli
from simulation.viz import server
from simulation.viz.demo import CONFIG_ENV

BASELINE = Path(__file__).resolve().parent.parent / "configs" / "baseline.toml"


@pytest.fixture()
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """Record calls to the server instead of starting one."""
    calls: list[dict] = []
    monkeypatch.setattr(server, "serve", lambda **kw: calls.append(kw) or 0)
    return calls


def test_viz_serves_on_127_0_0_1_by_default(served) -> None:
    assert cli.main(["viz"]) == 0
    assert served == [{"host": "127.0.0.1", "port": server.DEFAULT_PORT, "config": None}]


def test_viz_passes_config_port_and_host_to_the_server(served) -> None:
    assert cli.main(["viz", str(BASELINE), "--port", "9001", "--host", "0.0.0.0"]) == 0
    assert served == [{"host": "0.0.0.0", "port": 9001, "config": str(BASELINE)}]


@pytest.mark.parametrize("port", ["-1", "65536", "http"])
def test_a_bad_port_is_one_line_and_exit_code_2_without_a_server(served, capsys, port) -> None:
    assert cli.main(["viz", "--port", port]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("talentflow: error:") and "--port" in err
    assert served == []


def test_a_port_in_use_is_one_line_and_exit_code_2_without_a_server(served, capsys) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert cli.main(["viz", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"--port {port}" in err and "in use" in err, err
    assert served == []


@pytest.mark.parametrize("host", ["999.1.1.1", "192.0.2.1"])  # no such name; an address of another machine
def test_a_host_this_machine_cannot_listen_on_is_one_line_and_exit_code_2_without_a_server(served, capsys,
                                                                                          host) -> None:
    assert cli.main(["viz", "--host", host]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"--host {host}: not an address of this machine" in err, err
    assert served == []


def test_a_bad_config_is_one_line_naming_the_file_and_exit_code_2_without_a_server(served, capsys,
                                                                                  tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(f'extends = "{BASELINE.as_posix()}"\n[simulation]\nyears = 0\n')
    assert cli.main(["viz", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(bad) in err and "simulation.years" in err
    assert cli.main(["viz", str(tmp_path / "missing.toml")]) == 2
    assert "missing.toml" in capsys.readouterr().err
    assert served == []


def test_the_server_command_runs_the_demo_app_in_production_mode_on_the_given_address() -> None:
    command = server.server_command("127.0.0.1", 8123)
    assert command[:4] == [sys.executable, "-m", "solara", "run"]
    assert "simulation.viz.app" in command and "--production" in command
    assert command[command.index("--host") + 1] == "127.0.0.1"
    assert command[command.index("--port") + 1] == "8123"


def test_the_server_environment_turns_telemetry_off_and_names_the_opening_scenario(tmp_path: Path) -> None:
    env = server.server_environment("configs/baseline.toml", base={"PATH": "/bin", CONFIG_ENV: "stale"})
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "false"
    assert env[CONFIG_ENV] == str(Path("configs/baseline.toml").resolve())
    assert env["PATH"] == "/bin"
    assert CONFIG_ENV not in server.server_environment(None, base={CONFIG_ENV: "stale"})


def test_without_the_viz_extra_the_command_says_how_to_install_it(served, capsys, monkeypatch) -> None:
    from simulation.viz import cli as viz_cli

    monkeypatch.setattr(viz_cli, "VIZ_MODULES", ("solara", "no_such_module_for_talentflow"))
    assert cli.main(["viz"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no_such_module_for_talentflow" in err and "'.[viz]'" in err
    assert served == []


def test_talentflow_viz_serves_the_page_and_stops_on_a_signal() -> None:
    pytest.importorskip("solara", reason="the viz extra is not installed")
    import socket
    import subprocess
    import time
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    talentflow = Path(sys.executable).with_name("talentflow")
    process = subprocess.Popen([str(talentflow), "viz", str(BASELINE), "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        body = b""
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    body = response.read()
                    break
            except OSError:
                time.sleep(0.5)
        assert b"solara" in body.lower()
    finally:
        process.terminate()
        process.wait(timeout=20)
    with pytest.raises(OSError):  # the server itself stopped: nothing answers on the port
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5)
