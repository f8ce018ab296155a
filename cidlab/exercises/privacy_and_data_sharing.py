"""Exercises of lesson 08 (``lessons/08_privacy_and_data_sharing.ipynb``): normalise and hash phone numbers so that
they match a platform's hashes, count the rows a threshold suppresses, the Laplace noise scale for an ε, which
SKAdNetwork postback a day-5 conversion falls into, and the ε explorer.

Data: small hand-made inputs; every phone number is generated in the ``100`` block, which is not a mobile prefix in
China (no number is anyone's). The widget reads the course's default CID campaign (:mod:`cidlab.widgets.privacy`).
"""
from __future__ import annotations

import hashlib
import re

import numpy as np
import pandas as pd

from cidlab.exercises import Case, Mistake, Option, choice_exercise, function_exercise, widget_exercise
from cidlab.i18n import _
from cidlab.widgets.privacy import PrivacyExplorer, privacy_explorer

# ------------------------------------------------------------------ 1. normalise and hash phone numbers


def _phones(*numbers: str, index=None) -> pd.Series:
    return pd.Series(list(numbers), index=index, dtype="str", name="phone")


def _norm(raw: str, country: bool = False, separators: str = r"[\s\-().]",
          prefixes: tuple[str, ...] = ("+86", "0086", "86")) -> str:
    s = re.sub(separators, "", raw.strip())
    for prefix in ("+86", "0086"):
        if prefix in prefixes and s.startswith(prefix):
            s = s[len(prefix):]
    if "86" in prefixes and s.startswith("86") and len(s) == 13:
        s = s[2:]
    return ("86" + s) if country else s


def _hashes(phones, algorithm="sha256", normalise=True, upper=False, country=False, separators=r"[\s\-().]",
            prefixes=("+86", "0086", "86")):
    fn = hashlib.md5 if algorithm == "md5" else hashlib.sha256
    out = []
    for raw in phones:
        s = _norm(raw, country, separators, prefixes) if normalise else raw
        h = fn(s.encode("utf-8")).hexdigest()
        out.append(h.upper() if upper else h)
    return pd.Series(out, index=phones.index, dtype="str", name=phones.name)


_PUBLIC_1 = _phones("+86 100-0000-1234", "10000005678", "0086 100 0000 9012")
_PUBLIC_2 = _phones("(100) 1234-5678", "8610012340000", " 100.2222.3333 ", "+86(100)99998888",
                    index=pd.Index([101, 205, 317, 442], name="user"))
_HIDDEN_1 = _phones("+86 100 7777 0001", "0086-100-1111-2222", "10055556666", index=pd.Index([7, 8, 9], name="user"))
_HIDDEN_2 = _phones("8610098765432", "(100)0000 0000")


function_exercise(
    "privacy_and_data_sharing.platform_hash",
    points=3,
    answer="platform_hash",
    reference=_hashes,
    solution='''
        import hashlib
        import re

        def platform_hash(phones):
            def one(raw):
                s = re.sub(r"[\\s\\-().]", "", raw)            # spaces, dashes, dots, brackets
                for prefix in ("+86", "0086"):
                    if s.startswith(prefix):
                        s = s[len(prefix):]
                if s.startswith("86") and len(s) == 13:        # 86 without the +
                    s = s[2:]
                return hashlib.sha256(s.encode("utf-8")).hexdigest()   # lower-case hex
            return phones.map(one)
    ''',
    cases=[Case(_PUBLIC_1), Case(_PUBLIC_2)],
    hidden=[Case(_HIDDEN_1), Case(_HIDDEN_2)],
    mistakes=[
        Mistake("not_normalised", lambda phones: _hashes(phones, normalise=False),
                "You hashed the numbers as they were typed. The hash of '+86 100-0000-1234' has nothing in common with "
                "the hash of '10000001234': remove spaces, dashes, dots, brackets and the +86/0086/86 prefix first."),
        Mistake("upper_case", lambda phones: _hashes(phones, upper=True),
                "Your hashes are in upper-case hex. The platform compares lower-case hex strings: use `.hexdigest()` "
                "as it is."),
        Mistake("md5", lambda phones: _hashes(phones, algorithm="md5"),
                "Those are MD5 hashes (32 hex digits); this platform asks for SHA-256 (64 hex digits)."),
        Mistake("country_code", lambda phones: _hashes(phones, country=True),
                "You kept (or added) the country code 86. This platform hashes the 11 national digits only."),
        Mistake("prefix_kept", lambda phones: _hashes(phones, separators=r"\D", prefixes=()),
                "You kept only the digits, but the country code typed in front stayed: '+86 100…' became "
                "'86100…' and '0086 100…' became '0086100…'. Drop the +86, 0086 or 86 in front, leaving 11 digits."),
        Mistake("plus86_only", lambda phones: _hashes(phones, prefixes=("+86",)),
                "You dropped '+86' but not the other ways the country code is typed: '0086' in front, or '86' "
                "directly before the 11 digits. Handle all three."),
        Mistake("spaces_only", lambda phones: _hashes(phones, separators=r"\s"),
                "You removed the spaces but not the dashes, dots or brackets: every character counts in a hash."),
    ],
    hint="For each number: remove spaces, '-', '.', '(' and ')'; drop a leading '+86' or '0086' (or '86' when 13 digits "
         "remain); then hashlib.sha256(number.encode('utf-8')).hexdigest(). Return a Series on the same index.",
)


# --------------------------------------------------------------------- 2. rows a threshold suppresses

def _table(users, index=None) -> pd.DataFrame:
    return pd.DataFrame({"users": np.asarray(users, dtype="int64"),
                         "gmv": np.round(np.asarray(users, dtype=float) * 97.5, 2)}, index=index)


@function_exercise(
    "privacy_and_data_sharing.suppressed_rows",
    points=2,
    cases=[Case(_table([120, 49, 50, 3, 75]), 50), Case(_table([5, 20, 19, 20, 1, 0]), 20),
           Case(_table([60, 70]), 50)],
    hidden=[Case(_table([10, 9, 11, 10, 100]), 10), Case(_table([1, 2, 3, 4]), 100), Case(_table([50, 51, 49]), 50)],
    mistakes=[
        Mistake("at_k_suppressed", lambda table, k: int((table["users"] <= k).sum()),
                "A row with exactly k users meets the threshold and is reported. Suppress only rows with *fewer* than "
                "k users (`< k`)."),
        Mistake("kept_rows", lambda table, k: int((table["users"] >= k).sum()),
                "You counted the rows that are *kept*. The question asks how many are suppressed."),
        Mistake("users_suppressed", lambda table, k: int(table.loc[table["users"] < k, "users"].sum()),
                "You added up the users in the suppressed rows; the question asks for the number of rows."),
    ],
    hint="A row is reported only when at least k users stand behind it: count the rows with users < k.",
)
def suppressed_rows(table, k):
    """How many rows of an aggregate report a threshold of k users per row suppresses."""
    return int((table["users"] < k).sum())


# ------------------------------------------------------------------------------ 3. the Laplace scale

@function_exercise(
    "privacy_and_data_sharing.noise_scale",
    points=2,
    cases=[Case(sensitivity=1.0, epsilon=0.5), Case(sensitivity=500.0, epsilon=2.0),
           Case(sensitivity=np.array([1.0, 300.0, 300.0]), epsilon=np.array([1.0, 0.1, 3.0]))],
    hidden=[Case(sensitivity=2.0, epsilon=0.25), Case(sensitivity=1000.0, epsilon=5.0),
            Case(sensitivity=np.array([50.0, 1.0]), epsilon=np.array([0.2, 8.0]))],
    mistakes=[
        Mistake("inverted", lambda sensitivity, epsilon: epsilon / sensitivity,
                "You divided ε by the sensitivity. The noise must *grow* as ε shrinks (more privacy): b = Δ / ε."),
        Mistake("times", lambda sensitivity, epsilon: sensitivity * epsilon,
                "You multiplied. A smaller ε means more privacy and so *more* noise: b = Δ / ε."),
        Mistake("std_not_scale", lambda sensitivity, epsilon: np.sqrt(2) * sensitivity / epsilon,
                "That is the noise's standard deviation, √2·b. The question asks for the scale b itself = Δ / ε."),
    ],
    rtol=1e-9,
    hint="Laplace mechanism: add noise from Laplace(0, b) with b = sensitivity / ε. Use `/` so arrays work too.",
)
def noise_scale(sensitivity, epsilon):
    """Scale b of the Laplace noise that makes a query of sensitivity Δ ε-differentially private."""
    return sensitivity / epsilon


# ------------------------------------------------------------------------------ 4. SKAdNetwork windows

choice_exercise(
    "privacy_and_data_sharing.day5_postback",
    points=2,
    answer="prediction",
    question="A user installs the advertised app and buys on day 5 after the first launch. Under SKAdNetwork 4, which "
             "postback reports that purchase, and what can it say about it?",
    options={
        "A": Option("postback 1, with a fine value (0–63)",
                    "No: postback 1 covers days 0–2 only. Day 5 is past its window."),
        "B": Option("postback 2, with a coarse value (low / medium / high)",
                    "Days 3–7 are the second window, and postbacks 2 and 3 carry only a coarse value (and none at "
                    "crowd-anonymity tier 0). It arrives 24–144 hours after the window closes at the end of day 7: "
                    "the platform learns of a day-5 purchase between day 9 and day 14."),
        "C": Option("postback 3, with a coarse value",
                    "No: the third window covers days 8–35."),
        "D": Option("none: SKAdNetwork only reports the install",
                    "That was SKAdNetwork 3 (one postback, about 24 hours of activity). Version 4 sends up to three."),
    },
    correct="B",
    hint="Windows: days 0–2, 3–7, 8–35. Fine values only in the first postback.",
)


# ------------------------------------------------------------------------ 5. the ε explorer

def _smallest_epsilon(state):
    from cidlab.widgets.privacy import EPS_RANGE, _campaign, _state

    eps, spend = state["epsilon"], state["spend"]
    if abs(spend - 5_000.0) > 1e-9:
        return False, _("The spend slider is at {spend:,.0f} RMB; put it back to 5,000 RMB (the lesson's row) and find "
                        "the ε there.").format(spend=spend)
    if not state["within_target"]:
        return False, _("At ε = {eps:.2f} the Laplace noise moves the ROI by ±{error:.1%}, above the {target:.0%} "
                        "target: move ε to the right (less privacy, less noise).").format(
            eps=eps, error=state["laplace_error"], target=state["target"])
    lower = eps - EPS_RANGE[2]
    if lower >= EPS_RANGE[0] - 1e-9:
        below = _state(lower, spend, state["target"], state["value_cap"], _campaign())
        if below["within_target"]:
            return False, _("At ε = {eps:.2f} the error is ±{error:.1%}, within the target — but ε = {lower:.2f} is "
                            "within it too ({lower_error:.1%}) and more private. Move ε left until one more step would "
                            "break the target.").format(eps=eps, error=state["laplace_error"], lower=lower,
                                                        lower_error=below["laplace_error"])
    return True, _("ε = {eps:.2f} is the most private setting that keeps this row's ROI within ±{target:.0%} (Laplace "
                   "error ±{error:.1%}). Randomised response per click would still be off by ±{rr_error:.0%} "
                   "here.").format(eps=eps, target=state["target"], error=state["laplace_error"],
                                   rr_error=state["rr_error"])


widget_exercise(
    "privacy_and_data_sharing.smallest_epsilon",
    points=2,
    answer="explorer",
    goal=_smallest_epsilon,
    widget=PrivacyExplorer,
    factory=privacy_explorer,
    verify=("laplace_error", "rr_error", "laplace_scale", "clicks"),
    solution="""
        # sqrt(2)·500 / (ε·5000·ROI) <= 10% needs ε >= 1.37: the slider's first step above is 1.40
        explorer = cidlab.privacy_explorer().set(epsilon=1.4)
        explorer
    """,
    hint="Keep the spend at 5,000 RMB and drag ε until the readout says 'within'; then step left until one more step "
         "would leave the target.",
)
