"""Speed of the lesson-08 computations a student waits on (``cidlab.privacy``, ``cidlab.cleanroom``).

* ``privacy_hash_rate_per_s``: SHA-256 hashes per second in ``dictionary_attack`` over a block of 10^6 numbers
  (one core); ``privacy_full_space_hours`` the time that rate gives for the whole mobile space in use.
* ``privacy_attack_1e6_s``: wall time of that attack (goal <= 5 s: a notebook cell).
* ``privacy_normalize_hash_10k_ms``: normalising and hashing 10,000 phone numbers, median of 5.
* ``privacy_sharing_summary_ms``: one ``sharing_summary`` of the lesson's 2,000,000-user week (simulation not
  timed), median of 5 (goal <= 1000 ms: the lesson runs eight of them).
* ``privacy_widget_update_ms``: one move of ``privacy_explorer``'s ε slider (state, readout and plot), median of
  30 moves (goal <= 100 ms).
"""
from __future__ import annotations

import statistics
import time

import numpy as np
from _timing import median_ms as _median_ms

GOALS = {"privacy_attack_1e6_s": "<= 5", "privacy_sharing_summary_ms": "<= 1000", "privacy_widget_update_ms": "<= 100"}


def run() -> dict[str, float]:
    import cidlab
    from cidlab import privacy
    from cidlab.cleanroom import sharing_summary

    out = {}
    phones = privacy.fake_phones(200, seed=1, block="10000")
    attack = privacy.dictionary_attack(privacy.hash_identifier(phones), "10000")
    out["privacy_hash_rate_per_s"] = attack.rate
    out["privacy_full_space_hours"] = attack.full_space_hours
    out["privacy_attack_1e6_s"] = attack.seconds
    typed = ("+86 " + privacy.fake_phones(10_000, seed=2).str.slice(0, 3) + "-"
             + privacy.fake_phones(10_000, seed=2).str.slice(3)).astype("str")
    out["privacy_normalize_hash_10k_ms"] = _median_ms(lambda: privacy.hash_identifier(privacy.normalize_phone(typed)), 5)
    log = cidlab.simulate_cid(n_users=2_000_000, seed=2)
    sharing_summary(log, k=1)
    out["privacy_sharing_summary_ms"] = _median_ms(lambda: sharing_summary(log, k=1), 5)
    try:
        from cidlab.widgets.privacy import privacy_explorer
    except ImportError:
        return out
    cidlab.set_theme()
    w = privacy_explorer()
    w.set(epsilon=1.0)
    times = []
    for x in np.linspace(w.slider.min, w.slider.max, 30).round(2):
        t = time.perf_counter()
        w.set(epsilon=float(x))
        times.append(time.perf_counter() - t)
    out["privacy_widget_update_ms"] = 1000 * statistics.median(times)
    return out
