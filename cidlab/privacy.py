"""Privacy: matching people without exposing them — hashing, thresholds, noise and SKAdNetwork.

CID needs identifiers: the media platform must learn which of its clicks became orders in another company's
store. This module models the tools the industry uses to share that while exposing less, and what each one
costs in measurement accuracy:

* **normalisation and hashing** (:func:`normalize_phone`, :func:`normalize_device_id`, :func:`hash_identifier`,
  :func:`hmac_identifier`): both sides must write an identifier the same way before hashing it (MD5 or SHA-256,
  lower-case hex), or nothing matches; a salt or a key shared only by the two parties stops outsiders from
  matching;
* **hashing is not anonymity** (:func:`phone_space`, :func:`dictionary_attack`): a phone number has so few
  possible values that anyone holding its unsalted hash can enumerate them all;
* **aggregation thresholds** (:func:`apply_threshold`): report a row only when at least k users stand behind it;
* **noise** (:func:`laplace_scale`, :func:`laplace_mechanism`, :func:`randomized_response`,
  :func:`rr_estimate`) and the error each adds to a measured ROI (:func:`laplace_roi_error`,
  :func:`rr_roi_error`, :func:`privacy_tradeoff`);
* **SKAdNetwork 4** (:func:`skan_window`, :func:`skan_postbacks`): three conversion windows, a fine value only in
  the first postback, coarse values after, crowd-anonymity tiers and random delays.

Phone numbers in this course are *generated* (:func:`fake_phones`) in the ``100`` block, which is not a mobile
prefix in China: no generated number belongs to anyone.

Used in: lesson 08 (``lessons/08_privacy_and_data_sharing.ipynb``). Sources: MD5 (RFC 1321), SHA-256 (FIPS 180-4),
HMAC (RFC 2104); the Laplace mechanism (Dwork, McSherry, Nissim & Smith, TCC 2006; Dwork & Roth, *The Algorithmic
Foundations of Differential Privacy*, 2014, §3.3); randomised response (Warner, JASA 1965; Dwork & Roth §3.2);
aggregation thresholds (Google Ads Data Hub ≈ 50 users per row, COURSE.md §4 — **W**); SKAdNetwork 4 (Apple
developer documentation, "Receiving postbacks in multiple conversion windows"; the postback delays of 24–48 h
and 24–144 h are from Apple's WWDC 2022 session as relayed by attribution vendors — **W**).
"""
from __future__ import annotations

import hashlib
import hmac as _hmac
import math
import re
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cidlab import _validate as v

__all__ = [
    "normalize_phone", "normalize_device_id", "hash_identifier", "hmac_identifier", "fake_phones", "phone_space",
    "dictionary_attack", "AttackResult", "apply_threshold", "laplace_scale", "laplace_mechanism",
    "randomized_response", "rr_keep_probability", "rr_estimate", "laplace_roi_error", "rr_roi_error",
    "privacy_tradeoff", "skan_window", "skan_postbacks", "skan_tier", "SKAN_WINDOWS", "SKAN_DELAY_HOURS",
    "SKAN_TIER_INSTALLS", "CHINA_MOBILE_PREFIXES",
]

ALGORITHMS = ("md5", "sha256")

#: China's mobile number space: 11 digits, the first three (1[3-9]x) name the network. A generous count of the
#: three-digit prefixes in use (130–139, 145–149, 150–159 but 154, 162, 165–167, 170–178, 180–189, 190–199 —
#: MIIT numbering plan as summarised by Wikipedia, "Telephone numbers in China"; **W**). Each prefix holds 10^8
#: numbers.
CHINA_MOBILE_PREFIXES = 55

_PHONE_SEPARATORS = re.compile(r"[\s\-().]")


def _text_values(name: str, values: Any) -> tuple[list, pd.Index | None, bool]:
    """(list of values, index if a Series, was-scalar) — strings only; anything else names ``name``."""
    if isinstance(values, str):
        return [values], None, True
    if isinstance(values, pd.Series):
        items, index = values.tolist(), values.index
    elif isinstance(values, (list, tuple, np.ndarray)):
        arr = np.asarray(values, dtype=object)
        if arr.ndim != 1:
            raise ValueError(f"{name} must be a string or a 1-D list/array/Series of strings, got a "
                             f"{arr.ndim}-D array")
        items, index = list(arr), None
    else:
        raise TypeError(f"{name} must be a string or a list/array/Series of strings, got {type(values).__name__}")
    if not items:
        raise ValueError(f"{name} must hold at least one value, got an empty {type(values).__name__}")
    for x in items:
        if not isinstance(x, str):
            raise TypeError(f"{name} must hold strings only (write phone numbers and IDs as text, so that leading "
                            f"zeros survive), got {type(x).__name__} {v._short(x)}")
    return items, index, False


def _out(results: list, index: pd.Index | None, scalar: bool, name: str | None = None) -> Any:
    if scalar:
        return results[0]
    if index is not None:
        return pd.Series(results, index=index, dtype="str", name=name)
    return results


def normalize_phone(phone: Any, country_code: bool = False) -> Any:
    """A Chinese mobile number written the one way both parties hash it.

    Spaces, dashes, dots and brackets are removed, then a leading ``+86``, ``0086`` or ``86`` in front of the
    11 digits. What remains must be 11 digits starting with ``1``.

    Parameters
    ----------
    phone : str, list of str, numpy array or pandas Series of str
        Numbers as people type them: ``"+86 100-0000-1234"``, ``"0086 10000001234"``, ``"(100) 0000 1234"``.
    country_code : bool, default False
        ``False``: the 11 national digits (``"10000001234"``); ``True``: with the country code in front and no
        ``+`` (``"8610000001234"``, the form Meta's Conversions API asks for). Which one a platform wants is in its
        documentation; what matters is that both sides use the same.

    Returns
    -------
    str, list of str or Series of str (same shape as ``phone``)

    Raises
    ------
    TypeError
        If ``phone`` is not text (a number loses leading zeros: write numbers as strings).
    ValueError
        If a number is not 11 digits starting with 1 after normalising; the message quotes it.

    Used in: lesson 08. Source: Meta Conversions API customer-information parameters (normalise, then hash);
    Tencent Ads user actions carry hashed phone numbers (COURSE.md §4, "Tencent click IDs").
    """
    if not isinstance(country_code, (bool, np.bool_)):
        raise TypeError(f"country_code must be True or False, got {v._short(country_code)}")
    items, index, scalar = _text_values("phone", phone)
    out = []
    for raw in items:
        s = _PHONE_SEPARATORS.sub("", raw.strip())
        if s.startswith("+86"):
            s = s[3:]
        elif s.startswith("0086"):
            s = s[4:]
        elif s.startswith("86") and len(s) == 13:
            s = s[2:]
        if not (len(s) == 11 and s.isascii() and s.isdigit() and s[0] == "1"):
            raise ValueError(f"phone {raw!r} is not a Chinese mobile number: after removing spaces, dashes and a "
                             "+86/0086 prefix it must be 11 digits starting with 1")
        out.append("86" + s if country_code else s)
    return _out(out, index, scalar, getattr(phone, "name", None))


_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_ZERO_UUID = "00000000-0000-0000-0000-000000000000"
DEVICE_KINDS = ("idfa", "oaid", "imei")


def normalize_device_id(device_id: Any, kind: str = "idfa") -> Any:
    """A device ID written the one way both parties hash it: trimmed, lower-case, checked; zeros become None.

    Parameters
    ----------
    device_id : str, list of str, numpy array or pandas Series of str
    kind : {"idfa", "oaid", "imei"}, default "idfa"
        ``"idfa"`` (Apple's advertising ID) and ``"oaid"`` (the Android advertising ID of China's MSA alliance)
        are UUIDs, 8-4-4-4-12 hex digits; ``"imei"`` is 14 or 15 digits.

    Returns
    -------
    str, list or Series of the normalised IDs; an all-zero advertising ID becomes ``None`` — under ATT an app
    without permission reads the IDFA as zeros (iOS 14.5, COURSE.md §4): hashing it would "match" every user who
    refused.

    Raises
    ------
    TypeError, ValueError
        If ``device_id`` is not text, ``kind`` is unknown, or an ID does not have the kind's format.

    Used in: lesson 08. Source: Apple, "App Tracking Transparency" (the zeroed IDFA); the case convention
    (lower-case here) is one each platform fixes in its documentation — both sides must follow the same one.
    """
    v.choice("kind", kind, DEVICE_KINDS)
    items, index, scalar = _text_values("device_id", device_id)
    out: list = []
    for raw in items:
        s = raw.strip().lower()
        if kind == "imei":
            ok = s.isascii() and s.isdigit() and len(s) in (14, 15)
        else:
            ok = bool(_UUID.match(s))
        if not ok:
            form = "14 or 15 digits" if kind == "imei" else "a UUID of 8-4-4-4-12 hex digits"
            raise ValueError(f"device_id {raw!r} is not a valid {kind.upper()}: it must be {form}")
        out.append(None if s == _ZERO_UUID or set(s) <= {"0"} else s)
    if index is not None:
        return pd.Series(out, index=index, dtype="str", name=getattr(device_id, "name", None))
    return out[0] if scalar else out


def _algorithm(algorithm: Any):
    v.choice("algorithm", algorithm, ALGORITHMS)
    return hashlib.md5 if algorithm == "md5" else hashlib.sha256


def hash_identifier(value: Any, algorithm: str = "sha256", salt: str = "") -> Any:
    """MD5 or SHA-256 of each (already normalised) identifier, as lower-case hex; optionally salted.

    Parameters
    ----------
    value : str, list of str, numpy array or pandas Series of str
        Identifiers, normalised first (:func:`normalize_phone`, :func:`normalize_device_id`): the hash of
        ``"+86 100 0000 1234"`` and of ``"10000001234"`` have nothing in common. Missing values (None/NA) stay
        missing.
    algorithm : {"sha256", "md5"}, default "sha256"
    salt : str, default ""
        Text put in front of each identifier before hashing (``hash(salt + value)``). A salt agreed by the two
        parties and kept from others stops an outsider's dictionary attack — but not the parties' own. For a
        keyed hash use :func:`hmac_identifier`.

    Returns
    -------
    str, list or Series of str: 32 (MD5) or 64 (SHA-256) lower-case hex digits.

    Used in: lesson 08. Sources: MD5 (RFC 1321), SHA-256 (FIPS 180-4); lower-case hex is what ad platforms'
    upload formats ask for (COURSE.md §4, "Tencent click IDs").
    """
    fn = _algorithm(algorithm)
    if not isinstance(salt, str):
        raise TypeError(f"salt must be a string, got {type(salt).__name__}")
    items, index, scalar = _hash_inputs("value", value)
    out = [None if x is None else fn((salt + x).encode("utf-8")).hexdigest() for x in items]
    return _out(out, index, scalar, getattr(value, "name", None))


def _hash_inputs(name: str, value: Any) -> tuple[list, pd.Index | None, bool]:
    if isinstance(value, pd.Series):
        value = value.astype(object).where(value.notna(), None)
    if isinstance(value, (list, tuple, np.ndarray, pd.Series)):
        items = list(value)
        present = [x for x in items if x is not None]
        if present:
            _text_values(name, present)
        if isinstance(value, pd.Series):
            return items, value.index, False
        arr = np.asarray(value, dtype=object)
        if arr.ndim != 1:
            raise ValueError(f"{name} must be a string or a 1-D list/array/Series of strings")
        return items, None, False
    return _text_values(name, value)


def hmac_identifier(value: Any, key: Any, algorithm: str = "sha256") -> Any:
    """HMAC (keyed hash) of each identifier, as lower-case hex.

    Only holders of ``key`` can compute it, so only they can match — and only they can run a dictionary attack.
    A clean room keeps the key away from both parties.

    Parameters
    ----------
    value : str, list of str, numpy array or pandas Series of str (normalised identifiers; None/NA stay missing)
    key : str or bytes, not empty
    algorithm : {"sha256", "md5"}, default "sha256"

    Returns
    -------
    str, list or Series of lower-case hex digests.

    Used in: lesson 08. Source: HMAC, RFC 2104 (test vectors: RFC 4231 for HMAC-SHA-256, RFC 2202 for HMAC-MD5).
    """
    fn = _algorithm(algorithm)
    if isinstance(key, str):
        key = key.encode("utf-8")
    if not isinstance(key, bytes) or not key:
        raise TypeError("key must be a non-empty string or bytes (the secret shared by the parties that match)")
    items, index, scalar = _hash_inputs("value", value)
    out = [None if x is None else _hmac.new(key, x.encode("utf-8"), fn).hexdigest() for x in items]
    return _out(out, index, scalar, getattr(value, "name", None))


# ------------------------------------------------------------------------------ hashing is not anonymity

#: Generated numbers use this three-digit block: "100" is not a mobile prefix in China, so no generated number
#: is a real person's.
FAKE_PREFIX = "100"


def fake_phones(n: int, seed: int = 0, block: str = FAKE_PREFIX + "0000") -> pd.Series:
    """``n`` distinct generated phone numbers ``block`` + random digits (11 digits in all), as str.

    Parameters
    ----------
    n : int, 1 to 10**(11 − len(block))
    seed : int, default 0
    block : str, default ``"1000000"``
        The leading digits shared by all numbers (starts with ``"100"``, not a mobile prefix, so no number
        is anyone's); a short block leaves a larger space.

    Used in: lesson 08 (the course's users' phone numbers, and the dictionary attack's targets).
    """
    if not isinstance(block, str) or not block.isdigit() or not block.startswith(FAKE_PREFIX) or not 3 <= len(block) <= 10:
        raise ValueError(f"block must be 3–10 digits starting with {FAKE_PREFIX!r} (not a mobile prefix), got "
                         f"{v._short(block)}")
    free = 11 - len(block)
    n = v.count("n", n, low=1, high=min(10 ** free, 10_000_000))
    seed = v.count("seed", seed)
    rng = np.random.default_rng(seed)
    tails = rng.choice(10 ** free, size=n, replace=False)
    return pd.Series([f"{block}{t:0{free}d}" for t in tails], dtype="str", name="phone")


def phone_space(known_digits: int = 3) -> int:
    """How many 11-digit mobile numbers remain once an attacker knows the first ``known_digits`` digits.

    ``known_digits = 0`` counts the whole space in use: ``CHINA_MOBILE_PREFIXES`` × 10^8 (about 5.5·10^9).
    From 3 on it is 10^(11 − known_digits).

    Used in: lesson 08 (the full space a dictionary attack must cover).
    """
    k = v.count("known_digits", known_digits, low=0, high=10)
    if k == 0:
        return CHINA_MOBILE_PREFIXES * 10 ** 8
    if k < 3:
        raise ValueError(f"known_digits must be 0 (the whole space in use) or 3–10 (a known prefix), got {k}")
    return 10 ** (11 - k)


@dataclass
class AttackResult:
    """What a dictionary attack over a restricted number space found, and what the full space would cost.

    Attributes
    ----------
    recovered : pandas.Series — the numbers found, indexed by the target hash they produce
    targets : int — how many distinct target hashes were attacked
    candidates : int — numbers tried (the restricted space)
    seconds : float — measured wall time of the enumeration
    rate : float — hashes per second measured
    full_space : int — numbers in the whole mobile space (:func:`phone_space` (0))
    full_space_hours : float — ``full_space / rate / 3600``: the same attack over every mobile number, on the
        same single core
    """

    recovered: pd.Series
    targets: int
    candidates: int
    seconds: float
    rate: float
    full_space: int
    full_space_hours: float

    @property
    def share_recovered(self) -> float:
        """Share of the target hashes turned back into phone numbers."""
        return len(self.recovered) / self.targets if self.targets else 0.0


def dictionary_attack(target_hashes: Any, block: str, algorithm: str = "sha256", salt: str = "",
                      country_code: bool = False) -> AttackResult:
    """Turn phone-number hashes back into numbers by hashing every number that starts with ``block``.

    Parameters
    ----------
    target_hashes : list, array or Series of hex str
        Hashes of normalised numbers, as a data partner would receive them.
    block : str
        The digits the attacker assumes every number starts with (3–10 digits starting with 1): the space tried is
        10^(11 − len(block)) numbers. At most 10^7 candidates (a few seconds).
    algorithm : {"sha256", "md5"}, default "sha256"
    salt : str, default ""
        The salt the attacker *believes* was used. With the right salt the attack works as well as without one;
        with a wrong guess it finds nothing.
    country_code : bool, default False
        Whether the targets were hashed with the ``86`` in front (:func:`normalize_phone`).

    Returns
    -------
    AttackResult
        Numbers recovered, the measured hashing rate and the time the full mobile space would take at that rate
        (one CPU core of Python's hashlib; a GPU is thousands of times faster).

    Used in: lesson 08 ("hashing is not anonymity"). Source: the enumeration argument of Demir, Kumar, Cunche &
    Lauradoux, "The pitfalls of hashing for privacy", IEEE Communications Surveys & Tutorials 20(1), 2018, and the
    US FTC's Technology Blog, "No, hashing still doesn't make your data anonymous" (2024): a hash of a value from a
    small space is a pseudonym, not anonymity.
    """
    if not isinstance(block, str) or not block.isascii() or not block.isdigit() or not block.startswith("1") \
            or not 4 <= len(block) <= 10:
        raise ValueError(f"block must be 4–10 digits starting with 1 (at most 10^7 numbers to try), got "
                         f"{v._short(block)}")
    fn = _algorithm(algorithm)
    if not isinstance(salt, str):
        raise TypeError(f"salt must be a string, got {type(salt).__name__}")
    items, _, _ = _text_values("target_hashes", target_hashes)
    targets = {h.strip().lower() for h in items}
    if not targets:
        raise ValueError("target_hashes must hold at least one hash")
    free = 11 - len(block)
    head = (salt + ("86" if country_code else "") + block).encode("ascii")
    fmt = f"%0{free}d"
    found: dict[str, str] = {}
    t0 = time.perf_counter()
    for i in range(10 ** free):
        tail = (fmt % i).encode("ascii")
        h = fn(head + tail).hexdigest()
        if h in targets:
            found[h] = block + tail.decode("ascii")
    seconds = time.perf_counter() - t0
    n = 10 ** free
    rate = n / seconds if seconds > 0 else math.inf
    full = phone_space(0)
    recovered = pd.Series(found, dtype="str", name="phone")
    recovered.index.name = "hash"
    return AttackResult(recovered=recovered, targets=len(targets), candidates=n, seconds=seconds, rate=rate,
                        full_space=full, full_space_hours=full / rate / 3600)


# ------------------------------------------------------------------------------------------ thresholds

def apply_threshold(table: Any, k: Any, users: str = "users") -> pd.DataFrame:
    """The rows of an aggregate report that at least ``k`` users stand behind; the others are suppressed.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per reported group, with a column counting the distinct users behind it.
    k : int >= 1
        The threshold. Google Ads Data Hub uses about 50 users per row (about 20 with noise injection;
        COURSE.md §4, **W**).
    users : str, default "users"
        The column holding the user counts.

    Returns
    -------
    pandas.DataFrame
        The rows kept (same columns and index); ``len(table) − len(result)`` rows were suppressed.

    Used in: lesson 08. Source: aggregation thresholds (Google Ads Data Hub privacy checks; Chrome Attribution
    Reporting docs).
    """
    v.frame("table", table, [users] if isinstance(users, str) else [], allow_empty=True)
    if not isinstance(users, str):
        raise TypeError(f"users must be a column name (str), got {type(users).__name__}")
    k = v.count("k", k, low=1)
    counts = table[users]
    if not pd.api.types.is_numeric_dtype(counts) or pd.api.types.is_bool_dtype(counts):
        raise ValueError(f"table[{users!r}] must hold user counts (numbers), got dtype {counts.dtype}")
    if counts.isna().any() or (counts < 0).any():
        raise ValueError(f"table[{users!r}] must hold user counts >= 0 with no missing values")
    return table[counts >= k]


# ------------------------------------------------------------------------------------------------ noise

def laplace_scale(sensitivity: Any, epsilon: Any) -> Any:
    """The scale b = Δ/ε of the Laplace noise that makes a query ε-differentially private.

    Parameters
    ----------
    sensitivity : float > 0 (or array)
        Δ: how much one person can change the query's answer (1 for a count of users; the largest order value
        one user can add for a sum of GMV).
    epsilon : float > 0 (or array)
        ε, the privacy loss: smaller is more private and noisier.

    Returns
    -------
    float or array: b; the noise has standard deviation √2·b.

    Used in: lesson 08. Source: Dwork, McSherry, Nissim & Smith (TCC 2006); Dwork & Roth (2014), Theorem 3.6.
    """
    (d, e), index = v.aligned(("sensitivity", v.positive("sensitivity", sensitivity)),
                              ("epsilon", v.positive("epsilon", epsilon)))
    return v.like(v.finite_result(d / e, "sensitivity / epsilon"), index)


def _rng(seed: Any) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(v.count("seed", seed))


def laplace_mechanism(values: Any, sensitivity: Any, epsilon: Any, seed: Any = 0) -> Any:
    """``values`` plus Laplace noise of scale Δ/ε, drawn independently for each value.

    Parameters
    ----------
    values : float, array or Series — the true aggregates (conversions per row, GMV per row)
    sensitivity, epsilon : float > 0 — see :func:`laplace_scale`
    seed : int or numpy Generator, default 0

    Returns
    -------
    float, array or Series (like ``values``): the noisy report. Counts may come out negative or fractional —
    rounding or clipping them afterwards is post-processing and costs no privacy, but it biases the totals.

    Used in: lesson 08. Source: Dwork & Roth (2014), Definition 3.3.
    """
    (x,), index = v.aligned(("values", values))
    b = laplace_scale(v.positive("sensitivity", sensitivity), v.positive("epsilon", epsilon))
    if np.ndim(b) != 0:
        raise ValueError("sensitivity and epsilon must be single numbers here (one mechanism for the whole report)")
    noisy = x + _rng(seed).laplace(0.0, float(b), size=x.shape)
    return v.like(noisy, index, getattr(values, "name", None))


def rr_keep_probability(epsilon: Any) -> Any:
    """Probability p = e^ε / (1 + e^ε) that randomised response reports a person's true answer.

    Used in: lesson 08. Source: Warner (JASA 1965); Dwork & Roth (2014), §3.2 (ε = ln(p / (1 − p))).
    """
    (e,), index = v.aligned(("epsilon", v.number("epsilon", epsilon, low=0.0)))
    return v.like(1.0 / (1.0 + np.exp(-e)), index)


def _bools(name: str, values: Any) -> np.ndarray:
    try:
        return np.asarray(values.to_numpy() if isinstance(values, pd.Series) else values)
    except (ValueError, TypeError):
        raise TypeError(f"{name} must be a 1-D array or Series of booleans") from None


def randomized_response(truth: Any, epsilon: Any, seed: Any = 0) -> Any:
    """Each person's yes/no, reported truthfully with probability e^ε/(1+e^ε) and flipped otherwise.

    Parameters
    ----------
    truth : bool array or Series (e.g. "this click converted")
    epsilon : float >= 0 — ε = 0 is a fair coin (no information), large ε the truth
    seed : int or numpy Generator, default 0

    Returns
    -------
    bool array or Series (like ``truth``)

    Used in: lesson 08. Source: Warner (1965); Dwork & Roth (2014), §3.2.
    """
    if isinstance(truth, (bool, np.bool_)):
        raise TypeError("truth must be an array or Series of booleans (one per person), got a single boolean")
    arr = _bools("truth", truth)
    if arr.dtype != bool or arr.ndim != 1:
        raise TypeError(f"truth must be a 1-D array or Series of booleans, got dtype {arr.dtype} with {arr.ndim} "
                        "dimension(s)")
    p = float(rr_keep_probability(v.number("epsilon", epsilon, low=0.0)))
    flip = _rng(seed).random(arr.shape) >= p
    out = arr ^ flip
    if isinstance(truth, pd.Series):
        return pd.Series(out, index=truth.index, name=truth.name)
    return out


def rr_estimate(reported: Any, epsilon: Any) -> float:
    """Unbiased estimate of the true share of "yes" from randomised responses: (r̄ − (1 − p)) / (2p − 1).

    Parameters
    ----------
    reported : bool array or Series — the randomised answers
    epsilon : float > 0 (at ε = 0 the answers carry no information)

    Returns
    -------
    float — may fall outside [0, 1] for small samples; that is the price of unbiasedness.

    Used in: lesson 08. Source: Warner (1965).
    """
    arr = _bools("reported", reported)
    if arr.dtype != bool or arr.ndim != 1 or arr.size == 0:
        raise TypeError("reported must be a non-empty 1-D array or Series of booleans")
    p = float(rr_keep_probability(v.positive("epsilon", epsilon)))
    return float((arr.mean() - (1 - p)) / (2 * p - 1))


def laplace_roi_error(spend: Any, epsilon: Any, value_cap: Any) -> Any:
    """Standard deviation of the ROI error when the GMV of a report gets Laplace noise: √2·(cap/ε) / spend.

    ROI = GMV / spend; with GMV noised at sensitivity ``value_cap`` (the most one user can add: orders are
    capped at it before summing), the measured ROI is off by noise / spend, of standard deviation
    √2·b / spend with b = cap/ε.

    Parameters
    ----------
    spend : float > 0 — the row's ad spend, RMB (smaller rows suffer more)
    epsilon : float > 0
    value_cap : float > 0 — RMB per user

    Used in: lesson 08. Source: Var(Laplace(b)) = 2b² (Dwork & Roth 2014, §3.3).
    """
    (s, e, c), index = v.aligned(("spend", v.positive("spend", spend)), ("epsilon", v.positive("epsilon", epsilon)),
                                 ("value_cap", v.positive("value_cap", value_cap)))
    return v.like(v.finite_result(np.sqrt(2.0) * c / e / s, "the ROI error"), index)


def rr_roi_error(clicks: Any, epsilon: Any, aov: Any, spend: Any) -> Any:
    """Standard deviation of the ROI error when each click's "converted?" is reported by randomised response.

    The platform estimates conversions as clicks·π̂ (:func:`rr_estimate`) and GMV as conversions·AOV. Given the
    true answers, each report is flipped independently with probability 1 − p, so the reported share has
    variance p(1 − p)/n whatever the true CVR, and π̂ = (r̄ − (1 − p))/(2p − 1) has standard deviation
    √(p(1 − p)/n) / (2p − 1). The ROI's is clicks·AOV times that, over spend. (The sampling noise of the
    conversions themselves is left out: this is the error the privacy mechanism *adds*.)

    Parameters
    ----------
    clicks : float > 0 ; epsilon : float > 0 ; aov, spend : float > 0 (RMB)

    Used in: lesson 08. Source: Warner (JASA 1965), variance of the randomised-response estimator.
    """
    (n, e, a, s), index = v.aligned(("clicks", v.positive("clicks", clicks)),
                                    ("epsilon", v.positive("epsilon", epsilon)), ("aov", v.positive("aov", aov)),
                                    ("spend", v.positive("spend", spend)))
    p = 1.0 / (1.0 + np.exp(-e))
    sd_share = np.sqrt(p * (1 - p) / n) / (2 * p - 1)
    return v.like(v.finite_result(n * a * sd_share / s, "the ROI error"), index)


def privacy_tradeoff(epsilons: Any, spend: float, roi: float, clicks: float, aov: float,
                     value_cap: float) -> pd.DataFrame:
    """The accuracy–privacy curve: the relative ROI error each mechanism adds, for each ε.

    Returns
    -------
    pandas.DataFrame indexed by ``epsilon`` with ``laplace`` (report-level noise on GMV) and
    ``randomized_response`` (click-level noise on "converted?"), each the standard deviation of the measured
    ROI divided by the true ``roi``.

    Used in: lesson 08. Source: :func:`laplace_roi_error`, :func:`rr_roi_error`.
    """
    eps = np.atleast_1d(np.asarray(v.positive("epsilons", epsilons), dtype=float))
    v.positive("roi", roi)
    lap = np.asarray(laplace_roi_error(spend, eps, value_cap)) / roi
    rr = np.asarray(rr_roi_error(clicks, eps, aov, spend)) / roi
    return pd.DataFrame({"laplace": lap, "randomized_response": rr}, index=pd.Index(eps, name="epsilon"))


# ------------------------------------------------------------------------------------------ SKAdNetwork

#: SKAdNetwork 4's conversion windows, in whole days after the first launch (day 0 is the first 24 h): the first
#: postback covers days 0–2, the second 3–7, the third 8–35 (Apple developer documentation; **S**).
SKAN_WINDOWS: tuple[tuple[int, int], ...] = ((0, 2), (3, 7), (8, 35))
#: Random delay (hours) after a window closes before its postback is sent: 24–48 h for the first, 24–144 h for the
#: second and third (Apple WWDC 2022, as relayed by attribution vendors; **W**). Drawn uniformly here (**E**).
SKAN_DELAY_HOURS: tuple[tuple[float, float], ...] = ((24.0, 48.0), (24.0, 144.0), (24.0, 144.0))
#: Installs per campaign and day at which the crowd-anonymity tier reaches 1, 2 and 3. Apple does not publish
#: them; these are the course's estimates (**E**).
SKAN_TIER_INSTALLS: tuple[int, int, int] = (10, 50, 200)


def skan_window(day: Any) -> Any:
    """Which SKAdNetwork 4 postback (1, 2 or 3) a conversion ``day`` days after first launch falls into.

    Parameters
    ----------
    day : float >= 0 (or array/Series) — time since first launch in days; day 0 is the first 24 h, so
        ``day = 2.9`` is still on day 2 (window 1) and ``day = 5`` is window 2.

    Returns
    -------
    int (or int array/Series): 1 for days 0–2, 2 for days 3–7, 3 for days 8–35, 0 after day 35 (no postback).

    Used in: lesson 08. Source: Apple developer documentation, "Receiving postbacks in multiple conversion
    windows" (**S**).
    """
    (d,), index = v.aligned(("day", v.nonnegative("day", day)))
    whole = np.floor(d)
    out = np.where(whole <= 2, 1, np.where(whole <= 7, 2, np.where(whole <= 35, 3, 0))).astype(int)
    if index is not None:
        return pd.Series(out, index=index, name="postback")
    return int(np.asarray(out).reshape(-1)[0]) if np.ndim(day) == 0 else out


def skan_tier(installs: Any) -> Any:
    """Crowd-anonymity tier (0–3) for a campaign with ``installs`` installs a day (thresholds
    ``SKAN_TIER_INSTALLS``, **E**). Used in: lesson 08. Source: Apple, SKAdNetwork 4 crowd anonymity."""
    (n,), index = v.aligned(("installs", v.nonnegative("installs", installs)))
    out = np.searchsorted(np.asarray(SKAN_TIER_INSTALLS, dtype=float), n, side="right").astype(int)
    if index is not None:
        return pd.Series(out, index=index, name="tier")
    return int(np.asarray(out).reshape(-1)[0]) if np.ndim(installs) == 0 else out


def _fine_value(value: np.ndarray, cap: float) -> np.ndarray:
    """0–63: the GMV in 63 equal buckets of ``cap``/63 RMB (0 means no purchase)."""
    return np.where(value > 0, np.clip(np.ceil(value / cap * 63), 1, 63), 0).astype(int)


def _coarse_value(value: np.ndarray, low_high: tuple[float, float]) -> np.ndarray:
    lo, hi = low_high
    return np.where(value <= 0, "none", np.where(value < lo, "low", np.where(value < hi, "medium", "high")))


def skan_postbacks(purchases: pd.DataFrame, installs_per_day: float, seed: int = 0, value_cap: float = 630.0,
                   coarse_cuts: tuple[float, float] = (50.0, 200.0)) -> pd.DataFrame:
    """The SKAdNetwork 4 postbacks one campaign's buyers produce: three windows, fine then coarse, late.

    Each installing user (one row of ``purchases``) sends up to three postbacks. Postback 1 carries the user's
    GMV in days 0–2 as a *fine* value 0–63 (buckets of ``value_cap``/63 RMB) when the campaign's tier is ≥ 2, as
    a coarse value (low/medium/high) at tier 1 and no value at tier 0. Postbacks 2 and 3 carry only a coarse
    value of the GMV in their window (none at tier 0). Each is sent a random delay after its window closes.

    Parameters
    ----------
    purchases : pandas.DataFrame
        One row per purchase with ``user`` (id), ``day`` (days after first launch, >= 0) and ``amount`` (RMB).
    installs_per_day : float >= 0
        Sets the crowd-anonymity tier (:func:`skan_tier`).
    seed : int, default 0
    value_cap : float > 0, default 630 — the GMV at fine value 63 (10 RMB a step; the app's own mapping, **E**)
    coarse_cuts : (low/medium, medium/high) RMB, default (50, 200) — the app's coarse mapping (**E**)

    Returns
    -------
    pandas.DataFrame
        One row per user and postback with ``user``, ``postback`` (1–3), ``gmv`` (true GMV in the window),
        ``fine_value`` (0–63, or -1 when the postback carries none), ``coarse_value`` ("none", "low", "medium",
        "high", or "" when it carries none), ``tier``, ``sent_day`` (days after first launch the postback
        arrives: window end + delay).

    Used in: lesson 08. Source: Apple developer documentation (windows, fine/coarse values, crowd anonymity);
    delays **W**, value mappings **E**.
    """
    v.frame("purchases", purchases, ["user", "day", "amount"], allow_empty=True)
    v.nonnegative("purchases['day']", purchases["day"].to_numpy(dtype=float))
    v.nonnegative("purchases['amount']", purchases["amount"].to_numpy(dtype=float))
    v.positive("value_cap", value_cap)
    if not (isinstance(coarse_cuts, (tuple, list)) and len(coarse_cuts) == 2 and 0 < coarse_cuts[0] < coarse_cuts[1]):
        raise ValueError(f"coarse_cuts must be two increasing positive amounts (low/medium, medium/high), got "
                         f"{v._short(coarse_cuts)}")
    v.nonnegative("installs_per_day", installs_per_day)
    tier = skan_tier(installs_per_day)
    if np.ndim(tier) != 0:
        raise ValueError("installs_per_day must be a single number")
    rng = _rng(seed)
    p = purchases.assign(postback=skan_window(purchases["day"].to_numpy(dtype=float)))
    p = p[p["postback"] > 0]
    users = pd.Index(pd.unique(purchases["user"]), name="user")
    gmv = p.pivot_table(index="user", columns="postback", values="amount", aggfunc="sum", fill_value=0.0)
    gmv = gmv.reindex(index=users, columns=[1, 2, 3], fill_value=0.0)
    rows = []
    for k, (lo, hi) in zip((1, 2, 3), SKAN_DELAY_HOURS):
        g = gmv[k].to_numpy(dtype=float)
        if k == 1 and tier >= 2:
            fine, coarse = _fine_value(g, value_cap), np.full(len(g), "", dtype=object)
        elif tier >= 1:
            fine, coarse = np.full(len(g), -1), _coarse_value(g, tuple(coarse_cuts)).astype(object)
        else:
            fine, coarse = np.full(len(g), -1), np.full(len(g), "", dtype=object)
        end = SKAN_WINDOWS[k - 1][1] + 1                         # the window closes at the end of its last day
        sent = end + rng.uniform(lo, hi, size=len(g)) / 24
        rows.append(pd.DataFrame({"user": users, "postback": k, "gmv": g, "fine_value": fine,
                                  "coarse_value": pd.array(coarse, dtype="str"), "tier": int(tier),
                                  "sent_day": sent}))
    return pd.concat(rows, ignore_index=True)
