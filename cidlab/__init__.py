"""cidlab — closed-loop (闭环电商) versus CID traffic-diversion (CID引流电商) e-commerce, as a course.

Public names are re-exported flat from here; implementations live in modules named after the course's
ideas (``cidlab.funnel``, ``cidlab.economics``, ``cidlab.cid``, ``cidlab.simulation``, ``cidlab.matching``,
...). The expected-value model and the simulators are imported eagerly (they need only numpy and
pandas); everything that pulls in matplotlib, seaborn, ipywidgets or nbclient is imported on first use,
so ``import cidlab`` stays about as cheap as ``import pandas``.
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

# name -> module; loaded on first attribute access (PEP 562).
_LAZY: dict[str, str] = {}


def _lazy(module: str, *names: str) -> None:
    for name in names:
        _LAZY[name] = module


_lazy("cidlab.scenario", "Scenario", "PARAMETERS", "parameter_table")
_lazy("cidlab.funnel", "ctr", "cvr", "cpm", "cpc", "cpa", "gmv", "roi", "roi_from_rates", "funnel_metrics")
_lazy("cidlab.economics", "contribution_margin", "break_even_roi", "profit")
_lazy("cidlab.cid", "cid_click_cvr", "reported_gmv", "expected_funnel", "delay_cdf",
      "effective_match_rate", "extract_click_id", "fill_landing_url")
_lazy("cidlab.simulation", "simulate", "simulate_closed_loop", "simulate_cid", "EventLog")
_lazy("cidlab.matching", "match_last_click")
_lazy("cidlab.metrics", "funnel_from_logs")
_lazy("cidlab.schema", "SCHEMA", "describe_schema")
_lazy("cidlab.campaign", "load_campaign")
_lazy("cidlab.datasets", "load_hillstrom")
_lazy("cidlab.theme", "set_theme", "PALETTE", "percent_axis")
_lazy("cidlab.checking", "check")
_lazy("cidlab.i18n", "set_language")
_lazy("cidlab.diagrams", "draw_two_models")
_lazy("cidlab.widgets", "funnel_explorer", "sample_size_explorer", "cid_gap_explorer")
_lazy("cidlab.sampling", "proportion_ci", "clicks_needed", "detection_power")
_lazy("cidlab.repurchase", "simulate_repurchase")
_lazy("cidlab.delay", "chapelle_fit", "chapelle_loglik", "ChapelleFit", "as_of_view", "naive_cvr_by_day",
      "wait_estimate", "estimates_over_time", "fit_as_of")
_lazy("cidlab.widgets", "as_of_explorer")
_lazy("cidlab.attribution", "heuristic_attribution", "markov_attribution", "shapley_attribution",
      "removal_effects", "parse_paths")
_lazy("cidlab.journeys", "simulate_journeys", "compare_methods")
_lazy("cidlab.widgets", "credit_explorer")
_lazy("cidlab.incrementality", "rct_lift", "iroas", "holdout_power", "holdout_size", "simulate_ghost_ads",
      "ghost_ads_estimates")
_lazy("cidlab.budget", "hill", "adstock", "response", "marginal_roi", "curve_from_roi", "allocate_budget",
      "allocation_table")
_lazy("cidlab.archetypes", "ARCHETYPES", "archetype_parameters", "path_economics", "response_curves",
      "compare_paths", "archetype_summary", "value_capture", "value_capture_table", "loop_break_even_gmv")
_lazy("cidlab.widgets", "budget_split_explorer")
_lazy("cidlab.auction", "ecpm", "equilibrium_bids")
_lazy("cidlab.bidding", "Advertiser", "default_segments", "lesson_market", "simulate_market",
      "pcvr_bias", "compensating_target", "targeting_gain")
_lazy("cidlab.agents", "Agent", "TruthfulOCPA", "FixedBid", "BudgetPacer")
_lazy("cidlab.tournament", "practice_market")
_lazy("cidlab.widgets", "learning_curve_explorer")
_lazy("cidlab.privacy", "normalize_phone", "normalize_device_id", "dictionary_attack", "apply_threshold",
      "laplace_scale", "laplace_mechanism", "randomized_response", "rr_estimate", "privacy_tradeoff", "skan_window",
      "skan_postbacks")
_lazy("cidlab.cleanroom", "cleanroom_join", "sharing_summary")
_lazy("cidlab.widgets", "privacy_explorer")
_lazy("cidlab.capstone", "load_capstone", "capstone_curves", "capstone_roi")
_lazy("cidlab.widgets", "capstone_split_explorer")

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cidlab' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


# The core model needs only numpy and pandas: load it now so that errors surface at import.
from cidlab import cid, economics, funnel, scenario, simulation  # noqa: E402,F401
