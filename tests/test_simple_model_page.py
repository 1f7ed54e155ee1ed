"""The Simple big-push model page under AppTest, on a private copy of the demo database.

Figures shown are compared with the model package's own results (whose numbers tests/test_simple_model.py
checks against independent computations); here the point is the page: defaults and their sources, the
verdict, the four panels, the buttons, and plain messages for inputs outside the model.
"""

from __future__ import annotations

import dataclasses
import math

import pytest
from page_fixtures import demo_db, demo_template, new_app, open_page  # noqa: F401 - pytest fixtures

from models import simple_big_push as sbp
from workbench import direct_effects
from workbench import state_keys as keys
from workbench import ui_simple_model as usm


def _ok(at) -> None:
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


@pytest.fixture
def page(demo_db):
    return open_page(new_app().run(), "simple_model")


def _page_with(monkeypatch, module, stored) -> object:
    """The page with ``module``'s newest stored estimate replaced by ``stored``."""
    name = "latest_direct_gain" if module is direct_effects else "latest_spillover"
    monkeypatch.setattr(module, name, lambda db: stored)
    at = open_page(new_app().run(), "simple_model")
    _ok(at)
    return at


def test_without_stored_estimates_the_page_uses_the_papers_values_and_says_so(page):
    _ok(page)
    assert [t.value for t in page.title] == ["Simple big-push model"]
    assert page.number_input(key=keys.SIMPLE_MODEL_ETA).value == pytest.approx(sbp.PAPER["eta"])
    assert page.number_input(key=keys.SIMPLE_MODEL_DELTA).value == pytest.approx(sbp.PAPER["delta"])
    text = _markdown(page)
    assert "**η = 1.25** from the paper's value" in text and "no direct-effects estimate is stored yet" in text
    assert "**δ = 0.68** from the paper's value" in text
    spec = sbp.paper_spec()
    interval = sbp.delta_interval(spec)
    assert ("At η = 1.25, δ = 0.68 (σ = 5, θ = 4.24, L/F^T = 10) the model has one steady state" in text
            and f"several steady states need δ between {interval.low:.4g} and {interval.high:.4g}" in text)
    metrics = _metrics(page)
    assert metrics["Steady states"] == "1"
    assert metrics["Lowest steady state"] == f"{sbp.steady_states(spec).states[0].share:.4f}"
    assert metrics["S^U"] == "—"
    assert len(page.get("vega_lite_chart")) == 4  # panels A-D; the market-size chart needs several steady states
    assert any("no value of L/F^T gives several steady states" in c.value for c in page.caption)


def test_eta_follows_the_newest_stored_estimate_with_its_interval(demo_db, monkeypatch):
    gain = direct_effects.StoredGain(estimate_id=7, eta=1.3, eta_se=0.02, beta=1.05, sigma=5.0,
                                     note="β_7 of log_sales", outcome="log_sales", created_at="2026-01-02 03:04:05",
                                     links="final", data_version=1, stale=False, synthetic_demo=True,
                                     sources=("change set 1: demo",))
    at = _page_with(monkeypatch, direct_effects, gain)
    assert at.number_input(key=keys.SIMPLE_MODEL_ETA).value == pytest.approx(1.3)
    text = _markdown(at)
    low, high = 1.3 - usm.Z95 * 0.02, 1.3 + usm.Z95 * 0.02
    assert f"**η = 1.3**, 95 % CI [{low:.3f}, {high:.3f}] from direct-effects estimate 7" in text
    assert "**synthetic demo**" in text
    assert sbp.analyze(sbp.paper_spec(eta=1.3)).verdict()[0] in text
    # a hand-set value is labelled as such, and Reset brings back the estimate
    at.number_input(key=keys.SIMPLE_MODEL_ETA).set_value(1.4).run()
    assert "**η = 1.4**, set here (the default is 1.3" in _markdown(at)
    at.button(key=keys.SIMPLE_MODEL_RESET).click().run()
    assert at.number_input(key=keys.SIMPLE_MODEL_ETA).value == pytest.approx(1.3)
    # the estimate was mapped with σ = 5: at another σ the page says what the same β̄ gives
    at.number_input(key=keys.SIMPLE_MODEL_SIGMA).set_value(5.2).run()
    _ok(at)
    assert f"gives η = {math.exp(math.log(1.3) * 4 / 4.2):.4g}" in _markdown(at)


def test_an_estimate_without_eta_falls_back_to_the_paper_and_gives_the_reason(demo_db, monkeypatch):
    gain = direct_effects.StoredGain(estimate_id=3, eta=None, eta_se=None, beta=None, sigma=5.0,
                                     note="β_7 is not identified", outcome="log_sales", created_at="2026-01-02",
                                     links="truth", data_version=1, stale=False, synthetic_demo=True, sources=())
    at = _page_with(monkeypatch, direct_effects, gain)
    assert at.number_input(key=keys.SIMPLE_MODEL_ETA).value == pytest.approx(sbp.PAPER["eta"])
    assert "the newest direct-effects estimate (3) has no η: β_7 is not identified" in _markdown(at)


def test_delta_follows_the_newest_stored_spillover_estimate(demo_db, monkeypatch):
    from workbench import spillovers

    stored = spillovers.StoredSpillover(estimate_id=4, delta=1.9, delta_se=0.3, beta=7.6, sigma=5.0,
                                        note="IV column 8", created_at="2026-01-02 03:04:05", links="final",
                                        data_version=1, stale=True, synthetic_demo=False, sources=())
    at = _page_with(monkeypatch, spillovers, stored)
    assert at.number_input(key=keys.SIMPLE_MODEL_DELTA).value == pytest.approx(1.9)
    text = _markdown(at)
    assert (f"**δ = 1.9**, 95 % CI [{1.9 - usm.Z95 * 0.3:.3f}, {1.9 + usm.Z95 * 0.3:.3f}] from spillover estimate 4"
            in text and "the data changed since" in text)
    assert _metrics(at)["Steady states"] == str(len(sbp.steady_states(sbp.paper_spec(delta=1.9)).states))


def test_several_steady_states_thresholds_and_the_big_push(page):
    page.button(key=keys.SIMPLE_MODEL_INTO_INTERVAL).click().run()
    _ok(page)
    interval = sbp.delta_interval(sbp.paper_spec())
    delta = page.number_input(key=keys.SIMPLE_MODEL_DELTA).value
    assert delta == pytest.approx(round((interval.low + interval.high) / 2, 4))
    spec = sbp.paper_spec(delta=delta)
    report = sbp.analyze(spec)
    metrics = _metrics(page)
    assert metrics["Steady states"] == "3"
    assert metrics["S^U"] == f"{report.states.unstable.share:.4f}"
    assert metrics["Threshold s̲, fixed costs"] == f"{report.thresholds['fixed_cost'].rate:.1%}"
    assert metrics["Threshold s̲, input costs"] == "none"  # no one-period input subsidy suffices here
    assert "**δ = 1.984**, set here" in _markdown(page)
    assert len(page.get("vega_lite_chart")) == 5        # and the market-size chart
    # the default 25 % falls short; the button sets the rate just above the threshold and the push works
    assert any("the economy falls back to S^Pre" in c.value for c in page.caption)
    page.button(key=keys.SIMPLE_MODEL_AT_THRESHOLD).click().run()
    rate = page.slider(key=keys.SIMPLE_MODEL_SUBSIDY_RATE).value
    assert report.thresholds["fixed_cost"].rate < rate <= report.thresholds["fixed_cost"].rate + 0.01
    assert any("the economy keeps climbing to S^Ind" in c.value for c in page.caption)
    # from a chosen share the threshold is recomputed
    page.radio(key=keys.SIMPLE_MODEL_START).set_value("a share I choose").run()
    page.number_input(key=keys.SIMPLE_MODEL_LAMBDA0).set_value(0.6).run()
    _ok(page)
    expected = sbp.threshold_subsidy(spec, "fixed_cost", 0.6).rate
    assert any(f"The threshold is {expected:.2%}." in c.value for c in page.caption)


def test_inputs_outside_the_model_give_a_plain_message(page):
    page.number_input(key=keys.SIMPLE_MODEL_THETA).set_value(3.9).run()
    assert not page.exception
    assert any("θ > σ − 1" in e.value for e in page.error)
    assert not page.get("vega_lite_chart")


def test_panel_b_grid_is_the_full_grid_and_its_band_matches_the_intervals():
    spec = sbp.paper_spec()
    band, grid = usm.panel_b(dataclasses.replace(spec, delta=0.0), 4.0, 1.9)
    assert len(grid) == usm.PANEL_B_SIZE ** 2 and set(grid["steady_states"]) <= {1, 2, 3}
    row = band.iloc[len(band) // 2]
    interval = sbp.delta_interval(dataclasses.replace(spec, eta=float(row["eta"])))
    assert (row["delta_low"], row["delta_high"]) == pytest.approx((interval.low, interval.high))
