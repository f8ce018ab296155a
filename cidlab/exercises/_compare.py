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

from cidlab.i18n import N_, _, language

#: How callers usually name the seen object (``what=``); ``compare`` shows ``what`` in the current language.
SUBJECTS = (N_("your answer"), N_("your result"), N_("your function's result"))

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


def _subject(what: str) -> str:
    """``what`` at the start of a message: capitalised; in Chinese followed by a space when it ends in code
    or a Latin word (``"`roi` 是 0.5"``, not ``"`roi`是 0.5"``), since the messages put the verb right after it."""
    text = _cap(what)
    if text and text[-1].isascii() and not text[-1].isspace() and language() != "en":
        text += " "
    return text


def _bare(name: str) -> str:
    """A type name from :func:`type_name` without its article (``"a list"`` → ``"list"``)."""
    return name[2:] if name.startswith("a ") else name


def type_name(x: Any) -> str:
    """A short, student-friendly name for the type of ``x``."""
    if x is None:
        return _("None")
    if isinstance(x, (bool, np.bool_)):
        return _("a boolean (True/False)")
    if isinstance(x, (int, np.integer)):
        return _("a whole number (int)")
    if isinstance(x, (float, np.floating)):
        return _("a number (float)")
    if isinstance(x, str):
        return _("text (str)")
    if isinstance(x, pd.DataFrame):
        return _("a pandas DataFrame")
    if isinstance(x, pd.Series):
        return _("a pandas Series")
    if isinstance(x, np.ndarray):
        return _("a numpy array")
    if isinstance(x, list):
        return _("a list")
    if isinstance(x, tuple):
        return _("a tuple")
    if isinstance(x, Mapping):
        return _("a dict")
    if callable(x):
        return _("a function")
    return _("a {type}").format(type=type(x).__name__)


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
        size = _("[{rows} rows × {columns} columns]").format(rows=rows, columns=x.shape[1])
        big = rows > 6 or x.shape[1] > 6 or len(lines) < len(text.splitlines())
    else:
        size = _("[{rows} values]").format(rows=rows)
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
            reveal: bool = True, what: str | None = None) -> Difference | None:
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
    what : str, optional
        How to call the seen object in messages (``"your function's result"``, ``"`roi`"``; default
        ``"your answer"`` in the current language).

    Used in: every ``check`` (lesson 00 onwards) and by the batch grader.
    """
    what = _("your answer") if what is None else _(what)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            return _compare(expected, seen, rtol, atol, ordered, reveal, what)
        except BaseException as exc:  # a student's object that breaks comparison
            return Difference("values", _("{what} could not be compared with the expected answer ({error}).").format(
                what=_subject(what), error=f"{type(exc).__name__}: {exc}"))


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
        return Difference("type", _("{what} should be None, but it is {type}.").format(
            what=_subject(what), type=type_name(s)))
    # Anything else (Timestamp, Timedelta, custom objects): plain equality.
    try:
        same = bool(e == s)
    except BaseException:
        same = False
    if same:
        return None
    if type(s) is not type(e):
        return Difference("type", _("{what} should be {expected_type}, but it is {type}.").format(
            what=_subject(what), expected_type=type_name(e), type=type_name(s)))
    if reveal:
        msg = _("{what} is not the expected {kind}: expected {expected}, got {seen}.").format(
            what=_subject(what), kind=_bare(type_name(e)), expected=show(e), seen=show(s))
    else:
        msg = _("{what} is not the expected {kind}.").format(what=_subject(what), kind=_bare(type_name(e)))
    return Difference("values", msg, expected=e, seen=s)


def _compare_number(e, s, rtol, atol, reveal, what) -> Difference | None:
    if isinstance(s, np.ndarray) and s.ndim == 0:
        s = s.item()
    if _is_bool(s):
        return Difference("type", _("{what} is {value} (a boolean), but a number is expected.").format(
            what=_subject(what), value=show(s)))
    if isinstance(s, str):
        try:
            float(s.strip().rstrip("%"))
            numeric = True
        except ValueError:
            numeric = False
        if numeric:
            msg = _("{what} is text ({value}), but a number is expected. Remove the quotes so that it is a number, "
                    "not text.")
        else:
            msg = _("{what} is text ({value}), but a number is expected.")
        return Difference("type", msg.format(what=_subject(what), value=show(s)))
    if isinstance(s, (pd.Series, pd.DataFrame, np.ndarray, list, tuple)):
        n = _size(s)
        msg = _("{what} is {type} with {n} value(s), but a single number is expected.").format(
            what=_subject(what), type=type_name(s), n=n)
        if n == 1:
            msg += _(" It holds a single value; take the number out of it, e.g. with `float(...)` or {take}.").format(
                take="`.iloc[0]`" if isinstance(s, (pd.Series, pd.DataFrame)) else "`[0]`")
        return Difference("type", msg)
    if not _is_number(s):
        return Difference("type", _("{what} is {type}, but a number is expected.").format(
            what=_subject(what), type=type_name(s)))
    ev, sv = float(e), float(s)
    if _close(ev, sv, rtol, atol):
        return None
    if reveal:
        msg = _("{what} is {value}, but the expected value is {expected}.").format(
            what=_subject(what), value=show(s), expected=show(e))
    else:
        msg = _("{what} is {value}, which is not the expected value.").format(what=_subject(what), value=show(s))
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
        return Difference("type", _("{what} is {type}, but True or False is expected.").format(
            what=_subject(what), type=type_name(s)))
    if bool(s) == bool(e):
        return None
    return Difference("values", _("{what} is {value}, which is not right.").format(what=_subject(what), value=bool(s)),
                      expected=e, seen=s)


def _compare_str(e, s, reveal, what) -> Difference | None:
    if not isinstance(s, str):
        return Difference("type", _("{what} is {type}, but text (a str) is expected.").format(
            what=_subject(what), type=type_name(s)))
    if s == e:
        return None
    if s.strip() == e.strip():
        return Difference("values", _("{what} has extra spaces at the start or end; use `.strip()`.").format(
            what=_subject(what)), expected=e, seen=s)
    if reveal:
        msg = _("{what} is {value}, but {expected} is expected.").format(what=_subject(what), value=show(s),
                                                                          expected=show(e))
    else:
        msg = _("{what} is {value}, which is not the expected text.").format(what=_subject(what), value=show(s))
    return Difference("values", msg, expected=e, seen=s)


def _compare_mapping(e, s, rtol, atol, ordered, reveal, what) -> Difference | None:
    if not isinstance(s, Mapping):
        return Difference("type", _("{what} is {type}, but a dict is expected.").format(
            what=_subject(what), type=type_name(s)))
    missing = [k for k in e if k not in s]
    extra = [k for k in s if k not in e]
    if missing or extra:
        if missing and extra:
            msg = _("{what} has missing key(s) {missing} and unexpected key(s) {extra}; expected keys are {expected}.")
        elif missing:
            msg = _("{what} has missing key(s) {missing}; expected keys are {expected}.")
        else:
            msg = _("{what} has unexpected key(s) {extra}; expected keys are {expected}.")
        return Difference("keys", msg.format(what=_subject(what), missing=_labels(missing), extra=_labels(extra),
                                             expected=_labels(list(e))))
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
    return _("the value at key {key}").format(key=repr(key))


def _compare_sequence(e, s, rtol, atol, ordered, reveal, what) -> Difference | None:
    if all(_is_number(v) for v in e) and len(e) > 0:
        if isinstance(s, (list, tuple, np.ndarray, pd.Series)):
            return _compare_array(np.asarray(e, dtype=float), s, rtol, atol, reveal, what)
    if not isinstance(s, (list, tuple, np.ndarray, pd.Series)):
        return Difference("type", _("{what} is {type}, but {expected_type} is expected.").format(
            what=_subject(what), type=type_name(s), expected_type=type_name(e)))
    s = list(s)
    if len(s) != len(e):
        return Difference("shape", _("{what} has {n} item(s), but {expected_n} are expected.").format(
            what=_subject(what), n=len(s), expected_n=len(e)))
    for i, (ei, si) in enumerate(zip(e, s)):
        d = _compare(ei, si, rtol, atol, ordered, reveal, _("item {index}").format(index=i))
        if d is not None:
            d.where = d.where or f"position {i}"
            return d
    return None


def _compare_array(e: np.ndarray, s, rtol, atol, reveal, what) -> Difference | None:
    if isinstance(s, pd.DataFrame) or not isinstance(s, (np.ndarray, list, tuple, pd.Series, pd.Index)):
        return Difference("type", _("{what} is {type}, but an array of {size} value(s) (shape {shape}) is "
                                    "expected.").format(what=_subject(what), type=type_name(s), size=e.size,
                                                        shape=e.shape))
    try:
        sa = s.to_numpy() if isinstance(s, (pd.Series, pd.Index)) else np.asarray(s)
    except BaseException:
        return Difference("type", _("{what} could not be turned into an array.").format(what=_subject(what)))
    if sa.shape != e.shape:
        msg = _("{what} has shape {shape}, but shape {expected_shape} is expected.").format(
            what=_subject(what), shape=sa.shape, expected_shape=e.shape)
        if sa.size == e.size:
            msg += _(" It has the right number of values; reshape it (e.g. `.ravel()` or `.reshape{shape}`).").format(
                shape=e.shape)
        return Difference("shape", msg)
    return _compare_values(e, sa, rtol, atol, reveal, what, lambda i: _("position {position}").format(
        position=np.unravel_index(i, e.shape) if e.ndim > 1 else i))


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
            return Difference("dtype", _("{what} holds text or other non-numbers where numbers are expected (check "
                                         "the dtype; convert with `pd.to_numeric` or `.astype(float)`).").format(
                                             what=_subject(what)))
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
    if reveal:
        msg = _("{what} has {n_bad} of {n} value(s) wrong; the first is at {where}: you have {seen}, expected "
                "{expected}.")
    else:
        msg = _("{what} has {n_bad} of {n} value(s) wrong; the first is at {where}: you have {seen}.")
    msg = msg.format(what=_subject(what), n_bad=n_bad, n=n, where=where, seen=show(sv), expected=show(ev))
    return Difference("values", msg, where=where, expected=ev, seen=sv)


def _labels(labels, limit: int = 6) -> str:
    labels = list(labels)
    text = ", ".join(show(v, 40) for v in labels[:limit])
    if len(labels) > limit:
        text += _(", … ({count} in all)").format(count=len(labels))
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
            if kind == "row":
                msg = _("{what} has the right row labels in a different order; expected order {expected}, yours "
                        "{seen}.")
            else:
                msg = _("{what} has the right index labels in a different order; expected order {expected}, yours "
                        "{seen}.")
            return None, Difference("index", msg.format(what=_subject(what), expected=_labels(e_index),
                                                        seen=_labels(s_index)))
        return s.reindex(e_index), None
    try:
        s_labels, e_labels = set(s_index), set(e_index)
        missing = [v for v in e_index if v not in s_labels]
        extra = [v for v in s_index if v not in e_labels]
    except BaseException:
        missing, extra = list(e_index), list(s_index)
    if missing or extra:
        label_kind = _("row label(s)") if kind == "row" else _("index label(s)")
        if missing and extra:
            msg = _("{what} is missing {label_kind} {missing} and has unexpected {label_kind} {extra}.")
        elif missing:
            msg = _("{what} is missing {label_kind} {missing}.")
        else:
            msg = _("{what} has unexpected {label_kind} {extra}.")
        msg = msg.format(what=_subject(what), label_kind=label_kind, missing=_labels(missing), extra=_labels(extra))
        if isinstance(s_index, pd.RangeIndex) and not isinstance(e_index, pd.RangeIndex):
            msg += _(" Did you forget to set the index (e.g. `.set_index(...)`) or to group by {names}?").format(
                names=_labels(e_index.names))
        elif isinstance(e_index, pd.RangeIndex) and not isinstance(s_index, pd.RangeIndex):
            msg += _(" Try `.reset_index()`.")
        return None, Difference("index", msg)
    if kind == "row":
        msg = _("{what} has duplicated row labels.")
    else:
        msg = _("{what} has duplicated index labels.")
    return None, Difference("index", msg.format(what=_subject(what)))


def _compare_series(e: pd.Series, s, rtol, atol, ordered, reveal, what) -> Difference | None:
    if isinstance(s, pd.DataFrame):
        msg = _("{what} is a DataFrame ({n} column(s)), but a Series is expected.").format(
            what=_subject(what), n=s.shape[1])
        if e.name is not None:
            msg += _(" Select one column, e.g. `df[{name}]`.").format(name=show(e.name))
        else:
            msg += _(" Select one column with `df[...]`.")
        return Difference("type", msg)
    if not isinstance(s, pd.Series):
        msg = _("{what} is {type}, but a pandas Series is expected.").format(what=_subject(what), type=type_name(s))
        if isinstance(s, (np.ndarray, list, tuple)):
            msg += _(" Wrap the values with `pd.Series(values, index=...)`.")
        return Difference("type", msg)
    if len(s) != len(e):
        return Difference("shape", _("{what} has {n} value(s), but {expected_n} are expected.").format(
            what=_subject(what), n=len(s), expected_n=len(e)))
    s, d = _align_index(e.index, s, ordered, what, "index")
    if d is not None:
        return d
    return _compare_values(e, s, rtol, atol, reveal, what,
                           lambda i: _("index {label}").format(label=show(e.index[i], 40)))


def _compare_frame(e: pd.DataFrame, s, rtol, atol, ordered, reveal, what) -> Difference | None:
    if isinstance(s, pd.Series):
        return Difference("type", _("{what} is a Series, but a DataFrame with columns {columns} is expected (e.g. "
                                    "`series.to_frame()` or select columns with `df[[...]]`).").format(
                                        what=_subject(what), columns=_labels(e.columns)))
    if not isinstance(s, pd.DataFrame):
        return Difference("type", _("{what} is {type}, but a pandas DataFrame is expected.").format(
            what=_subject(what), type=type_name(s)))
    missing = [c for c in e.columns if c not in s.columns]
    extra = [c for c in s.columns if c not in e.columns]
    if missing or extra:
        if missing and extra:
            msg = _("{what} is missing column(s) {missing} and has unexpected column(s) {extra}; expected columns "
                    "are {expected}.")
        elif missing:
            msg = _("{what} is missing column(s) {missing}; expected columns are {expected}.")
        else:
            msg = _("{what} has unexpected column(s) {extra}; expected columns are {expected}.")
        return Difference("columns", msg.format(what=_subject(what), missing=_labels(missing), extra=_labels(extra),
                                                expected=_labels(e.columns)))
    if ordered and list(s.columns) != list(e.columns):
        return Difference("columns", _("{what} has the right columns in a different order; expected {expected}.").format(
            what=_subject(what), expected=_labels(e.columns)))
    if len(s) != len(e):
        return Difference("shape", _("{what} has {n} row(s), but {expected_n} are expected.").format(
            what=_subject(what), n=len(s), expected_n=len(e)))
    s, d = _align_index(e.index, s, ordered, what, "row")
    if d is not None:
        return d
    for col in e.columns:
        d = _compare_values(e[col], s[col], rtol, atol, reveal, _("column {name}").format(name=show(col, 40)),
                            lambda i, col=col: _("row {row}, column {column}").format(row=show(e.index[i], 40),
                                                                                     column=show(col, 40)))
        if d is not None:
            if d.step == "values":
                d.message = _("{what}: {difference}").format(what=_cap(what),
                                                             difference=d.message[0].lower() + d.message[1:])
            return d
    return None
