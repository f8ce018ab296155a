"""Tolerant, step-by-step comparison of an expected answer with what a student produced.

``compare(expected, seen, ...)`` returns ``None`` when the two agree and otherwise a :class:`Difference`
naming the first step that failed, in the order a student should fix them:

``type`` → ``shape`` (length / rows / array shape) → ``columns`` → ``index`` → ``keys`` → ``dtype``
(numbers vs text) → ``values``.

Numbers are compared with ``numpy.isclose`` semantics relative to the expected value
(``|seen - expected| <= atol + rtol * |expected|``), NaN equals NaN, and pandas objects are compared by
their labels and values, never by their ``repr``. Nothing here raises on odd input: comparing an object
whose ``==`` or ``__array__`` misbehaves gives a ``type`` or ``values`` difference.
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

#: The order in which structural problems are reported.
STEPS = ("type", "shape", "columns", "index", "keys", "dtype", "values")


@dataclass
class Difference:
    """The first way in which ``seen`` differs from ``expected``.

    Attributes
    ----------
    step : str
        One of :data:`STEPS`.
    message : str
        A sentence for the student. It never states an expected *value* unless comparison was asked to
        reveal it; it does state expected types, shapes, column names and index labels.
    where : str or None
        Where the first mismatch is (``"row 'douyin', column 'roi'"``, ``"position 3"``), if anywhere.
    expected, seen : object
        The expected and seen element at ``where`` (for the "expected vs seen" example).
    """

    step: str
    message: str
    where: str | None = None
    expected: Any = None
    seen: Any = None


# ----------------------------------------------------------------------------------------- formatting

def _cap(text: str) -> str:
    """Upper-case the first letter only (``str.capitalize`` would lower-case column names)."""
    return text[:1].upper() + text[1:]


def type_name(x: Any) -> str:
    """A short, student-friendly name for the type of ``x``."""
    if x is None:
        return "None"
    if isinstance(x, (bool, np.bool_)):
        return "a boolean (True/False)"
    if isinstance(x, (int, np.integer)):
        return "a whole number (int)"
    if isinstance(x, (float, np.floating)):
        return "a number (float)"
    if isinstance(x, str):
        return "text (str)"
    if isinstance(x, pd.DataFrame):
        return "a pandas DataFrame"
    if isinstance(x, pd.Series):
        return "a pandas Series"
    if isinstance(x, np.ndarray):
        return "a numpy array"
    if isinstance(x, list):
        return "a list"
    if isinstance(x, tuple):
        return "a tuple"
    if isinstance(x, Mapping):
        return "a dict"
    if callable(x):
        return "a function"
    return f"a {type(x).__name__}"


def show(x: Any, limit: int = 120) -> str:
    """A short, readable rendering of ``x`` for messages (numbers without numpy's ``np.float64(...)``)."""
    try:
        if isinstance(x, (bool, np.bool_)):
            text = str(bool(x))
        elif isinstance(x, (int, np.integer)):
            text = str(int(x))
        elif isinstance(x, (float, np.floating)):
            text = _show_float(float(x))
        elif isinstance(x, str):
            text = repr(x)
        elif isinstance(x, (pd.Series, pd.DataFrame)):
            return _show_table(x, limit)
        elif isinstance(x, np.ndarray) and x.ndim == 1 and x.dtype.kind in "biuf":
            items = [show(v) for v in (x if x.size <= 8 else np.concatenate([x[:3], x[-3:]]))]
            if x.size > 8:
                items = items[:3] + ["…"] + items[3:]
            text = f"np.array([{', '.join(items)}])"
        elif isinstance(x, np.ndarray):
            text = np.array2string(x, threshold=8, edgeitems=3, precision=6, separator=", ")
        elif isinstance(x, Mapping):
            text = "{" + ", ".join(f"{show(k, 40)}: {show(v, limit)}" for k, v in x.items()) + "}"
        elif isinstance(x, (list, tuple)):
            inner = ", ".join(show(v, limit) for v in x)
            text = f"[{inner}]" if isinstance(x, list) else f"({inner}{',' if len(x) == 1 else ''})"
        else:
            text = repr(x)
    except BaseException:  # a student's object whose repr raises
        text = f"<{type(x).__name__} object>"
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def _show_table(x: pd.Series | pd.DataFrame, limit: int) -> str:
    """A short table: at most 6 rows and 6 columns, whole lines of at most 100 characters, and its size
    when it is bigger than what is shown (never a long repr cut mid-number)."""
    with pd.option_context("display.max_rows", 6, "display.max_columns", 6, "display.width", 100):
        text = x.to_string(max_rows=6) if isinstance(x, pd.Series) else x.to_string(max_rows=6, max_cols=6)
    lines = [ln if len(ln) <= 100 else ln[:99] + "…" for ln in text.splitlines()]
    budget = max(limit, 200)
    while len(lines) > 2 and sum(len(ln) + 1 for ln in lines) > budget:
        lines = lines[:-1]
    shown = "\n".join(lines)
    rows = len(x)
    if isinstance(x, pd.DataFrame):
        size = f"[{rows} rows × {x.shape[1]} columns]"
        big = rows > 6 or x.shape[1] > 6 or len(lines) < len(text.splitlines())
    else:
        size = f"[{rows} values]"
        big = rows > 6 or len(lines) < len(text.splitlines())
    return shown + ("\n" + size if big else "")


def _show_float(v: float) -> str:
    if math.isnan(v) or math.isinf(v):
        return str(v)
    if v != 0 and (abs(v) >= 1e7 or abs(v) < 1e-4):
        return f"{v:.6g}"
    return f"{v:.6f}".rstrip("0").rstrip(".") if "." in f"{v:.6f}" else f"{v}"


# ------------------------------------------------------------------------------------------ predicates

def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, (bool, np.bool_))


def _is_bool(x: Any) -> bool:
    return isinstance(x, (bool, np.bool_))


def _is_numeric_dtype(values: Any) -> bool:
    try:
        dtype = getattr(values, "dtype", None)
        return dtype is not None and pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
    except BaseException:
        return False


def _numeric_array(values: Any) -> np.ndarray | None:
    """``values`` as a float array, or None if it holds something that is not a number."""
    try:
        if isinstance(values, (pd.Series, pd.Index)):
            if pd.api.types.is_bool_dtype(values.dtype):
                return None
            if pd.api.types.is_numeric_dtype(values.dtype):
                return values.to_numpy(dtype=float, na_value=np.nan)
            values = values.to_numpy(dtype=object)  # numbers held in an object column are fine; text is not
        arr = np.asarray(values)
        if arr.dtype.kind in "iuf":
            return arr.astype(float)
        if arr.dtype.kind == "O" and all(_is_number(v) or _missing(v) for v in arr.ravel()):
            return np.array([float(v) if _is_number(v) else np.nan for v in arr.ravel()]).reshape(arr.shape)
    except BaseException:
        return None
    return None


# ------------------------------------------------------------------------------------------- compare

def compare(expected: Any, seen: Any, *, rtol: float = 1e-6, atol: float = 1e-9, ordered: bool = False,
            reveal: bool = True, what: str = "your answer") -> Difference | None:
    """Compare ``seen`` with ``expected``; ``None`` if they agree, else the first :class:`Difference`.

    Parameters
    ----------
    expected : object
        The reference answer: a number, bool, str, numpy array, pandas Series/DataFrame, list, tuple or
        dict (nested freely); anything else is compared with ``==``.
    seen : object
        What the student produced.
    rtol, atol : float
        Relative and absolute tolerance for numbers.
    ordered : bool
        If False (default), a Series/DataFrame whose index holds the expected labels in another order
        is accepted; if True, the order must match.
    reveal : bool
        Whether messages may state expected values (types, shapes and labels are always stated).
    what : str
        How to call the seen object in messages (``"your answer"``, ``"your function's result"``).

    Used in: every ``check`` (lesson 00 onwards) and by the batch grader.
    """
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            return _compare(expected, seen, rtol, atol, ordered, reveal, what)
        except BaseException as exc:  # a student's object that breaks comparison
            return Difference("values", f"{_cap(what)} could not be compared with the expected answer "
                                        f"({type(exc).__name__}: {exc}).")


def _compare(e, s, rtol, atol, ordered, reveal, what) -> Difference | None:
    if isinstance(e, pd.DataFrame):
        return _compare_frame(e, s, rtol, atol, ordered, reveal, what)
    if isinstance(e, pd.Series):
        return _compare_series(e, s, rtol, atol, ordered, reveal, what)
    if isinstance(e, np.ndarray) and e.ndim > 0:
        return _compare_array(e, s, rtol, atol, reveal, what)
    if isinstance(e, np.ndarray):  # 0-d array: a scalar
        e = e.item()
    if _is_bool(e):
        return _compare_bool(e, s, what)
    if _is_number(e):
        return _compare_number(e, s, rtol, atol, reveal, what)
    if isinstance(e, str):
        return _compare_str(e, s, reveal, what)
    if isinstance(e, Mapping):
        return _compare_mapping(e, s, rtol, atol, ordered, reveal, what)
    if isinstance(e, (list, tuple)):
        return _compare_sequence(e, s, rtol, atol, ordered, reveal, what)
    if e is None:
        if s is None:
            return None
        return Difference("type", f"{_cap(what)} should be None, but it is {type_name(s)}.")
    # Anything else (Timestamp, Timedelta, custom objects): plain equality.
    try:
        same = bool(e == s)
    except BaseException:
        same = False
    if same:
        return None
    if type(s) is not type(e):
        return Difference("type", f"{_cap(what)} should be {type_name(e)}, but it is {type_name(s)}.")
    return Difference("values", f"{_cap(what)} is not the expected {type_name(e)[2:] if type_name(e).startswith('a ') else type_name(e)}"
                      + (f": expected {show(e)}, got {show(s)}." if reveal else "."), expected=e, seen=s)


def _compare_number(e, s, rtol, atol, reveal, what) -> Difference | None:
    if isinstance(s, np.ndarray) and s.ndim == 0:
        s = s.item()
    if _is_bool(s):
        return Difference("type", f"{_cap(what)} is {show(s)} (a boolean), but a number is expected.")
    if isinstance(s, str):
        hint = ""
        try:
            float(s.strip().rstrip("%"))
            hint = " Remove the quotes so that it is a number, not text."
        except ValueError:
            pass
        return Difference("type", f"{_cap(what)} is text ({show(s)}), but a number is expected.{hint}")
    if isinstance(s, (pd.Series, pd.DataFrame, np.ndarray, list, tuple)):
        n = _size(s)
        hint = ""
        if n == 1:
            hint = (" It holds a single value; take the number out of it, e.g. with `float(...)`"
                    + (" or `.iloc[0]`." if isinstance(s, (pd.Series, pd.DataFrame)) else " or `[0]`."))
        return Difference("type", f"{_cap(what)} is {type_name(s)} with {n} value(s), but a single number "
                                  f"is expected.{hint}")
    if not _is_number(s):
        return Difference("type", f"{_cap(what)} is {type_name(s)}, but a number is expected.")
    ev, sv = float(e), float(s)
    if _close(ev, sv, rtol, atol):
        return None
    msg = f"{_cap(what)} is {show(s)}"
    msg += f", but the expected value is {show(e)}." if reveal else ", which is not the expected value."
    return Difference("values", msg, expected=e, seen=s)


def _close(e: float, s: float, rtol: float, atol: float) -> bool:
    if math.isnan(e) or math.isnan(s):
        return math.isnan(e) and math.isnan(s)
    if math.isinf(e) or math.isinf(s):
        return e == s
    return abs(s - e) <= atol + rtol * abs(e)


def _size(x) -> int:
    try:
        return int(np.size(x))
    except BaseException:
        return len(x)


def _compare_bool(e, s, what) -> Difference | None:
    if isinstance(s, np.ndarray) and s.ndim == 0:
        s = s.item()
    if not _is_bool(s):
        return Difference("type", f"{_cap(what)} is {type_name(s)}, but True or False is expected.")
    if bool(s) == bool(e):
        return None
    return Difference("values", f"{_cap(what)} is {bool(s)}, which is not right.", expected=e, seen=s)


def _compare_str(e, s, reveal, what) -> Difference | None:
    if not isinstance(s, str):
        return Difference("type", f"{_cap(what)} is {type_name(s)}, but text (a str) is expected.")
    if s == e:
        return None
    if s.strip() == e.strip():
        return Difference("values", f"{_cap(what)} has extra spaces at the start or end; use `.strip()`.",
                          expected=e, seen=s)
    msg = f"{_cap(what)} is {show(s)}" + (f", but {show(e)} is expected." if reveal else ", which is not the expected text.")
    return Difference("values", msg, expected=e, seen=s)


def _compare_mapping(e, s, rtol, atol, ordered, reveal, what) -> Difference | None:
    if not isinstance(s, Mapping):
        return Difference("type", f"{_cap(what)} is {type_name(s)}, but a dict is expected.")
    missing = [k for k in e if k not in s]
    extra = [k for k in s if k not in e]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing key(s) {_labels(missing)}")
        if extra:
            parts.append(f"unexpected key(s) {_labels(extra)}")
        return Difference("keys", f"{_cap(what)} has " + " and ".join(parts) + f"; expected keys are {_labels(list(e))}.")
    for k in e:
        d = _compare(e[k], s[k], rtol, atol, ordered, reveal, _key_what(what, k))
        if d is not None:
            d.where = d.where or f"key {k!r}"
            return d
    return None


def _key_what(what: str, key) -> str:
    """How to name the value at ``key`` inside ``what``: ``roi['cid']['true']`` for a named answer (so a
    nested dict says which branch is wrong), else "the value at key 'cid'"."""
    if len(what) > 2 and what.startswith("`") and what.endswith("`"):
        return f"`{what[1:-1]}[{key!r}]`"
    return f"the value at key {key!r}"


def _compare_sequence(e, s, rtol, atol, ordered, reveal, what) -> Difference | None:
    if all(_is_number(v) for v in e) and len(e) > 0:
        if isinstance(s, (list, tuple, np.ndarray, pd.Series)):
            return _compare_array(np.asarray(e, dtype=float), s, rtol, atol, reveal, what)
    if not isinstance(s, (list, tuple, np.ndarray, pd.Series)):
        return Difference("type", f"{_cap(what)} is {type_name(s)}, but {type_name(e)} is expected.")
    s = list(s)
    if len(s) != len(e):
        return Difference("shape", f"{_cap(what)} has {len(s)} item(s), but {len(e)} are expected.")
    for i, (ei, si) in enumerate(zip(e, s)):
        d = _compare(ei, si, rtol, atol, ordered, reveal, f"item {i}")
        if d is not None:
            d.where = d.where or f"position {i}"
            return d
    return None


def _compare_array(e: np.ndarray, s, rtol, atol, reveal, what) -> Difference | None:
    if isinstance(s, pd.DataFrame) or not isinstance(s, (np.ndarray, list, tuple, pd.Series, pd.Index)):
        return Difference("type", f"{_cap(what)} is {type_name(s)}, but an array of {e.size} value(s) "
                                  f"(shape {e.shape}) is expected.")
    try:
        sa = s.to_numpy() if isinstance(s, (pd.Series, pd.Index)) else np.asarray(s)
    except BaseException:
        return Difference("type", f"{_cap(what)} could not be turned into an array.")
    if sa.shape != e.shape:
        hint = ""
        if sa.size == e.size:
            hint = f" It has the right number of values; reshape it (e.g. `.ravel()` or `.reshape{e.shape}`)."
        return Difference("shape", f"{_cap(what)} has shape {sa.shape}, but shape {e.shape} is expected.{hint}")
    return _compare_values(e, sa, rtol, atol, reveal, what, lambda i: f"position {np.unravel_index(i, e.shape) if e.ndim > 1 else i}")


def _compare_values(e, s, rtol, atol, reveal, what, locate) -> Difference | None:
    """Compare two equally long 1-D (or same-shape) collections element by element."""
    if isinstance(e, (pd.Series, pd.Index)):
        e_is_num = _is_numeric_dtype(e)
    else:
        e_is_num = np.asarray(e).dtype.kind in "iuf"
    e_num = _numeric_array(e) if e_is_num else None
    if e_num is not None:
        s_num = _numeric_array(s)
        if s_num is None:
            return Difference("dtype", f"{_cap(what)} holds text or other non-numbers where numbers are "
                                       "expected (check the dtype; convert with `pd.to_numeric` or `.astype(float)`).")
        ef, sf = e_num.ravel(), s_num.ravel()
        with np.errstate(all="ignore"):
            ok = np.isclose(sf, ef, rtol=rtol, atol=atol, equal_nan=True)
        if ok.all():
            return None
        bad = np.flatnonzero(~ok)
        i = int(bad[0])
        return _values_difference(what, locate(i), ef[i], sf[i], len(bad), ef.size, reveal)
    # Non-numeric: exact equality, missing equals missing.
    ea = np.asarray(e, dtype=object).ravel()
    sa = np.asarray(s, dtype=object).ravel()
    for i, (ev, sv) in enumerate(zip(ea, sa)):
        if _missing(ev) and _missing(sv):
            continue
        try:
            same = bool(ev == sv)
        except BaseException:
            same = False
        if not same:
            n_bad = sum(1 for a, b in zip(ea, sa) if not (_missing(a) and _missing(b)) and not _safe_eq(a, b))
            return _values_difference(what, locate(i), ev, sv, n_bad, ea.size, reveal)
    return None


def _safe_eq(a, b) -> bool:
    try:
        return bool(a == b)
    except BaseException:
        return False


def _missing(v) -> bool:
    try:
        return v is None or bool(pd.isna(v))
    except BaseException:
        return False


def _values_difference(what, where, ev, sv, n_bad, n, reveal) -> Difference:
    msg = f"{_cap(what)} has {n_bad} of {n} value(s) wrong; the first is at {where}: you have {show(sv)}"
    msg += f", expected {show(ev)}." if reveal else "."
    return Difference("values", msg, where=where, expected=ev, seen=sv)


def _labels(labels, limit: int = 6) -> str:
    labels = list(labels)
    text = ", ".join(show(v, 40) for v in labels[:limit])
    if len(labels) > limit:
        text += f", … ({len(labels)} in all)"
    return "[" + text + "]"


def _align_index(e_index: pd.Index, s, ordered: bool, what: str, kind: str):
    """Return (seen reindexed like expected, None) or (None, Difference)."""
    s_index = s.index
    if len(s_index) == len(e_index) and s_index.equals(e_index):
        return s, None
    try:
        same_labels = (len(s_index) == len(e_index) and s_index.is_unique and e_index.is_unique
                       and set(s_index) == set(e_index))
    except BaseException:
        same_labels = False
    if same_labels:
        if ordered:
            return None, Difference("index", f"{_cap(what)} has the right {kind} labels in a different order; "
                                             f"expected order {_labels(e_index)}, yours {_labels(s_index)}.")
        return s.reindex(e_index), None
    try:
        s_labels, e_labels = set(s_index), set(e_index)
        missing = [v for v in e_index if v not in s_labels]
        extra = [v for v in s_index if v not in e_labels]
    except BaseException:
        missing, extra = list(e_index), list(s_index)
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"is missing {kind} label(s) {_labels(missing)}")
        if extra:
            parts.append(f"has unexpected {kind} label(s) {_labels(extra)}")
        hint = ""
        if isinstance(s_index, pd.RangeIndex) and not isinstance(e_index, pd.RangeIndex):
            hint = f" Did you forget to set the index (e.g. `.set_index(...)`) or to group by {_labels(e_index.names)}?"
        elif isinstance(e_index, pd.RangeIndex) and not isinstance(s_index, pd.RangeIndex):
            hint = " Try `.reset_index()`."
        return None, Difference("index", f"{_cap(what)} " + " and ".join(parts) + "." + hint)
    return None, Difference("index", f"{_cap(what)} has duplicated {kind} labels.")


def _compare_series(e: pd.Series, s, rtol, atol, ordered, reveal, what) -> Difference | None:
    if isinstance(s, pd.DataFrame):
        hint = f" Select one column, e.g. `df[{show(e.name)}]`." if e.name is not None else " Select one column with `df[...]`."
        return Difference("type", f"{_cap(what)} is a DataFrame ({s.shape[1]} column(s)), but a Series is "
                                  f"expected.{hint}")
    if not isinstance(s, pd.Series):
        hint = " Wrap the values with `pd.Series(values, index=...)`." if isinstance(s, (np.ndarray, list, tuple)) else ""
        return Difference("type", f"{_cap(what)} is {type_name(s)}, but a pandas Series is expected.{hint}")
    if len(s) != len(e):
        return Difference("shape", f"{_cap(what)} has {len(s)} value(s), but {len(e)} are expected.")
    s, d = _align_index(e.index, s, ordered, what, "index")
    if d is not None:
        return d
    return _compare_values(e, s, rtol, atol, reveal, what, lambda i: f"index {show(e.index[i], 40)}")


def _compare_frame(e: pd.DataFrame, s, rtol, atol, ordered, reveal, what) -> Difference | None:
    if isinstance(s, pd.Series):
        return Difference("type", f"{_cap(what)} is a Series, but a DataFrame with columns {_labels(e.columns)} "
                                  "is expected (e.g. `series.to_frame()` or select columns with `df[[...]]`).")
    if not isinstance(s, pd.DataFrame):
        return Difference("type", f"{_cap(what)} is {type_name(s)}, but a pandas DataFrame is expected.")
    missing = [c for c in e.columns if c not in s.columns]
    extra = [c for c in s.columns if c not in e.columns]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"is missing column(s) {_labels(missing)}")
        if extra:
            parts.append(f"has unexpected column(s) {_labels(extra)}")
        return Difference("columns", f"{_cap(what)} " + " and ".join(parts) + f"; expected columns are "
                                     f"{_labels(e.columns)}.")
    if ordered and list(s.columns) != list(e.columns):
        return Difference("columns", f"{_cap(what)} has the right columns in a different order; expected "
                                     f"{_labels(e.columns)}.")
    if len(s) != len(e):
        return Difference("shape", f"{_cap(what)} has {len(s)} row(s), but {len(e)} are expected.")
    s, d = _align_index(e.index, s, ordered, what, "row")
    if d is not None:
        return d
    for col in e.columns:
        d = _compare_values(e[col], s[col], rtol, atol, reveal, f"column {show(col, 40)}",
                            lambda i, col=col: f"row {show(e.index[i], 40)}, column {show(col, 40)}")
        if d is not None:
            if d.step == "values":
                d.message = f"{_cap(what)}: " + d.message[0].lower() + d.message[1:]
            return d
    return None
