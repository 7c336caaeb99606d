"""Yearly outputs against the agent rows they summarise."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import build_small_config, run_model


@pytest.fixture(scope="module")
def model():
    return run_model(build_small_config(researchers=3000, years=8), 4, record_agents=True)


def test_phd_graduates_and_the_share_staying_at_graduation_are_those_of_the_agent_rows(model):
    y = model.yearly().set_index("year")
    rows = model.agent_rows()
    w = model.config.people_per_agent
    graduates = rows[(rows["phd_country"] == "US") & (rows["phd_year"] == rows["year"])]
    by_year = graduates.groupby("year")
    for year in y.index[1:]:
        cohort = graduates[graduates["year"] == year]
        assert y.loc[year, "phd_graduates_US"] == pytest.approx(len(cohort) * w)
        if len(cohort):
            assert y.loc[year, "stay_rate_at_phd_US"] == pytest.approx((cohort["country"] == "US").mean())
    assert by_year.size().sum() > 0


def test_top_percentile_counts_are_within_the_top_decile_counts(model):
    y = model.yearly()
    for code in ("KR", "US"):
        assert (y[f"top1_talent_{code}"] <= y[f"top_talent_{code}"]).all()
    assert (y["top1_talent_KR"] + y["top1_talent_US"]).iloc[0] == pytest.approx(
        0.01 * (y["researchers_total"].iloc[0] - sum(y[f"researchers_{c}_academia_{s}"].iloc[0]
                                                     for c in ("KR", "US") for s in ("student", "phd"))),
        rel=0.25)


def test_the_faculty_return_rate_is_a_share(model):
    rate = model.yearly()["faculty_return_rate"].dropna()
    assert ((rate >= 0) & (rate <= 1)).all() and len(rate) > 0
    assert np.isnan(model.yearly()["faculty_return_rate"].iloc[0])
