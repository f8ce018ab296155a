"""Interactive explorers (ipywidgets) used in the lessons; ipywidgets is imported only when one is built.

* :func:`funnel_explorer` — lesson 01: CTR, CVR, AOV, CPM, margin and fees against break-even ROI;
* :func:`sample_size_explorer` — lesson 02: how many clicks tell one CVR from another;
* :func:`cid_gap_explorer` — lesson 03: jump success, match rate, window and iOS share against the
  measured-vs-true ROI gap.
* :func:`as_of_explorer` — lesson 04: the moment the data is read, against naive and corrected CVR.
* :func:`credit_explorer` — lesson 06: buyers who would have bought anyway, against the credit each
  attribution method gives each channel and the conversions it caused.
* :func:`budget_split_explorer` — lesson 07: a weekly budget split between closed loop and CID, against the
  two paths' marginal ROIs.
* :func:`learning_curve_explorer` — lesson 05: clicks a day, jump success, match rate and window, against the
  pCVR the platform learns on each path and when its learning phase ends.
* :func:`privacy_explorer` — lesson 08: the privacy budget ε against the error noise adds to a measured ROI.
* :func:`capstone_split_explorer` — lesson 09: next quarter's split for the capstone's brand, on curves from its
  holdout's incremental ROIs.

Every explorer returns a widget object with a ``state()`` method (a JSON-able dict of its current
settings and results), which widget exercises grade.
"""
from __future__ import annotations

import importlib

_WHERE = {
    "funnel_explorer": "cidlab.widgets.funnel",
    "sample_size_explorer": "cidlab.widgets.sampling",
    "cid_gap_explorer": "cidlab.widgets.cid",
    "as_of_explorer": "cidlab.widgets.delay",
    "credit_explorer": "cidlab.widgets.attribution",
    "budget_split_explorer": "cidlab.widgets.budget",
    "learning_curve_explorer": "cidlab.widgets.bidding",
    "privacy_explorer": "cidlab.widgets.privacy",
    "capstone_split_explorer": "cidlab.widgets.capstone",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'cidlab.widgets' has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)
