"""The chart of ``talentflow run`` and ``compare``: one seed, said so, on axes that start at zero."""

from __future__ import annotations

import pytest
from conftest import run_model

from simulation.chart import draw_runs, runs_figure


@pytest.fixture(scope="module")
def two_runs(small_config, all_levers_config):
    return {"baseline": (run_model(small_config, 3).yearly(), small_config),
            "levers": (run_model(all_levers_config, 3).yearly(), all_levers_config)}


@pytest.mark.parametrize("runs", [1, 2])
def test_every_panel_starts_at_zero(two_runs, runs):
    fig = runs_figure(dict(list(two_runs.items())[:runs]), title="t", seed=3)
    for ax in fig.axes:
        assert ax.get_ylim()[0] == 0, ax.get_title()  # a change reads against the whole level, not a zoomed band
        assert ax.get_ylim()[1] > 0


def test_the_chart_says_it_shows_one_seed(two_runs, tmp_path):
    fig = runs_figure(two_runs, title="levers against baseline", seed=3)
    texts = " ".join(t.get_text() for t in fig.texts)
    assert "seed 3" in texts and "one seed" in texts and "talentflow sweep" in texts
    assert draw_runs(two_runs, tmp_path / "chart.png", title="t", seed=3).read_bytes()[:4] == b"\x89PNG"
