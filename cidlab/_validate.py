"""Input validation shared by every public function.

Every error is a ``ValueError`` that names the parameter and the accepted range, raised before any
arithmetic, so a student never meets a silent NaN or a traceback from deep inside pandas.

The rules, in one place:

* numbers are ints and floats — booleans, complex numbers, strings, dates and time spans, ``None``,
  DataFrames, 2-D input and integers beyond a float (``10**400``) are refused (:func:`number`);
* element-wise inputs combine pandas Series **by index label**, as pandas does, and refuse Series
  whose labels differ (pandas would fill NaN there) and arrays of different lengths (:func:`aligned`);
* a result that overflows to infinity from finite inputs is refused (:func:`finite_result`);
* counts are whole numbers up to 2**53 (:func:`count`); durations need a unit (:func:`duration`).

Used by every module of the library (lessons 01–03 onwards); the rules are the project's own.
"""
from __future__ import annotations

import math
from typing import Any, Iterable

import numpy as np
import pandas as pd


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _reject_kind(name: str, kind: str, what: str) -> None:
    words = {"b": "a boolean", "c": "a complex number", "M": "a date/time (datetime64)",
             "m": "a time span (timedelta64)", "U": "a string", "S": "bytes",
             "V": "a structured value"}
    raise ValueError(f"{name} must be a number or a 1-D array of numbers, got "
                     + (words[kind] if kind in words else f"a {what}"))


def _as_array(name: str, value: Any) -> np.ndarray:
    """``value`` as a float array of at most one dimension, or a ``ValueError`` naming ``name``.

    Accepted: int and float scalars, lists, 1-D numpy arrays and pandas Series of real numbers.
    Refused: booleans, complex numbers, strings, dates and time spans (``datetime64``/``timedelta64``,
    ``pd.Timestamp``), ``None``, DataFrames, 2-D input, integers too large for a float (``10**400``).
    """
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be a number, got a boolean ({value!r})")
    if isinstance(value, pd.DataFrame):
        raise ValueError(f"{name} must be a number or a 1-D array/Series, got a DataFrame; pass one column")
    if isinstance(value, (pd.Series, pd.Index)):
        dtype = value.dtype
        if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype) \
                or pd.api.types.is_complex_dtype(dtype):
            raise ValueError(f"{name} must hold numbers, got a {type(value).__name__} of dtype {dtype}")
        try:
            arr = value.to_numpy(dtype=float, na_value=np.nan)
        except (TypeError, ValueError, OverflowError):
            raise ValueError(f"{name} must hold numbers that fit a float, got dtype {dtype}") from None
    else:
        if value is None:
            raise ValueError(f"{name} must be a number or an array of numbers, got None")
        try:
            raw = np.asarray(value)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a number or a 1-D array of numbers (nested lists of equal "
                             f"length at most), got {_short(value)}") from None
        if raw.dtype.kind == "O":
            flat = raw.ravel()
            for x in flat:
                if x is None or (isinstance(x, float) and math.isnan(x)):
                    continue  # reported as NaN below
                if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, float, np.integer, np.floating)):
                    kind = np.asarray(x).dtype.kind if isinstance(x, (bool, np.bool_, complex, str)) else "?"
                    _reject_kind(name, kind, type(x).__name__)
            try:
                arr = np.array([np.nan if x is None else float(x) for x in flat], dtype=float).reshape(raw.shape)
            except OverflowError:
                big = next(x for x in flat if isinstance(x, int) and abs(x) > 1e308)
                raise ValueError(f"{name} is too large to compute with (it does not fit a float), got "
                                 f"{_short(big)}") from None
        elif raw.dtype.kind in "iuf":
            arr = raw.astype(float)
        else:
            _reject_kind(name, raw.dtype.kind, str(raw.dtype))
    if arr.ndim > 1:
        raise ValueError(f"{name} must be a number or a 1-D array, got a {arr.ndim}-D array of shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    if np.isnan(arr).any():
        raise ValueError(f"{name} must not be NaN (or missing)")
    return arr


def aligned(*named: tuple[str, Any]) -> tuple[list[np.ndarray], pd.Index | None]:
    """Element-wise inputs as float arrays, pandas Series matched **by label**; and the result's index.

    The rule every element-wise function of cidlab follows (lessons 01–03):

    * Series are combined by index label, as pandas arithmetic does: a Series whose labels are those of
      the first Series in another order is reordered to match;
    * Series whose labels differ (a label one has and the other lacks, or repeated labels in a
      different order) are refused with a ``ValueError`` naming both parameters — pandas would fill
      NaN for the unmatched labels, a silent wrong result;
    * numpy arrays and lists are combined by position (as ``Series + ndarray`` does in pandas) and
      must have the Series' length;
    * lengths must match (or a value is a single number), else a ``ValueError`` naming the parameters.

    Returns the arrays (not broadcast) and the first Series' index (``None`` when there is no Series).
    """
    index: pd.Index | None = None
    first = ""
    arrays = []
    for name, x in named:
        if isinstance(x, pd.Series):
            if index is None:
                index, first = x.index, name
            elif not x.index.equals(index):
                if (len(x.index) == len(index) and x.index.is_unique and index.is_unique
                        and bool(index.isin(x.index).all())):
                    x = x.reindex(index)
                else:
                    raise ValueError(
                        f"{name} and {first} are Series with different index labels; cidlab combines Series "
                        f"by label (as pandas does) and would have no {name} for some labels of {first}. "
                        f"Give both the same labels (e.g. {name}.reindex({first}.index)) or drop the labels "
                        "with .to_numpy()")
        arrays.append(_as_array(name, x))
    if len({a.shape[0] for a in arrays if a.ndim == 1}) > 1:  # no numpy broadcasting of length-1 arrays
        lengths = ", ".join(f"{n} (length {a.shape[0]})" for (n, _), a in zip(named, arrays) if a.ndim)
        raise ValueError(f"element-wise inputs must have the same length (or be single numbers): {lengths}")
    return arrays, index


def like(out: Any, index: pd.Index | None, name: str | None = None) -> Any:
    """``out`` as a Series on ``index`` if there is one, a float if it is a single number, else an array."""
    if index is not None:
        return pd.Series(np.broadcast_to(out, (len(index),)).copy(), index=index, name=name)
    return float(out) if np.ndim(out) == 0 else np.asarray(out, dtype=float)


def finite_result(out: Any, what: str) -> Any:
    """Refuse a result that overflowed to infinity from finite inputs (e.g. 1e308 / 1e-10)."""
    arr = np.asarray(out, dtype=float)
    if not np.isfinite(arr).all():
        raise ValueError(f"{what} is too large to represent (it overflows a float); check the inputs' units")
    return out


def number(name: str, value: Any, *, low: float = -math.inf, high: float = math.inf,
           low_open: bool = False, high_open: bool = False) -> Any:
    """Check that ``value`` (scalar, array or Series) lies in a range; return it unchanged.

    The bounds are inclusive unless ``low_open``/``high_open``. Infinity is rejected unless a bound is
    infinite on that side and open.
    """
    arr = _as_array(name, value)
    lo_ok = arr > low if low_open else arr >= low
    hi_ok = arr < high if high_open else arr <= high
    finite = np.isfinite(arr)
    if not (lo_ok & hi_ok & finite).all():
        bad = float(arr[~(lo_ok & hi_ok & finite)].ravel()[0])
        left = "(" if low_open or math.isinf(low) else "["
        right = ")" if high_open or math.isinf(high) else "]"
        raise ValueError(f"{name} must be in {left}{_fmt(low)}, {_fmt(high)}{right}, got {bad:g}")
    return value


def _fmt(x: float) -> str:
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:g}"


def probability(name: str, value: Any) -> Any:
    """A probability or rate in [0, 1]."""
    return number(name, value, low=0.0, high=1.0)


def nonnegative(name: str, value: Any) -> Any:
    """A count, price or amount in [0, inf)."""
    return number(name, value, low=0.0)


def positive(name: str, value: Any) -> Any:
    """A strictly positive quantity in (0, inf)."""
    return number(name, value, low=0.0, low_open=True)


def count(name: str, value: Any, *, low: int = 0, high: int | None = None) -> int:
    """A whole number in ``[low, high]`` (returned as ``int``)."""
    rng = f">= {low}" if high is None else f"in [{low}, {high}]"
    if isinstance(value, (np.timedelta64, np.datetime64)):  # numpy counts these as integers
        raise ValueError(f"{name} must be a whole number {rng}, got {_short(value)}")
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            value = int(value)
        else:
            raise ValueError(f"{name} must be a whole number {rng}, got {_short(value)}")
    if value < low or (high is not None and value > high):
        raise ValueError(f"{name} must be a whole number {rng}, got {_short(value)}")
    if high is None and value > 2 ** 53 and name != "seed":  # beyond it a float no longer counts exactly
        raise ValueError(f"{name} is too large to count with (more than 2**53), got {_short(value)}")
    return int(value)


def choice(name: str, value: Any, options: Iterable[str]) -> str:
    """One of ``options`` (strings), else a ``ValueError`` listing them."""
    options = tuple(options)
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}; got {_short(value)}")
    return value


def duration(name: str, value: Any) -> pd.Timedelta:
    """A positive time span: a ``pd.Timedelta``, a string with a unit such as ``"7D"`` or ``"15min"``,
    or a number of days. A string without a unit (``"7"``) is refused: pandas would read it as
    nanoseconds."""
    bad = ValueError(f"{name} must be a positive duration such as '7D' or a number of days > 0, got {_short(value)}")
    if isinstance(value, (bool, np.bool_)):
        raise bad
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            pass
        else:
            raise ValueError(f"{name} {value!r} has no unit; write e.g. '{value}D' (days) or '{value}h' (hours), "
                             "or pass a number of days")
    try:
        if isinstance(value, (str, pd.Timedelta, np.timedelta64)) or type(value).__name__ == "timedelta":
            td = pd.Timedelta(value)
        elif isinstance(value, (int, float, np.integer, np.floating)):
            if not np.isfinite(value):
                raise bad
            td = pd.Timedelta(days=float(value))
        else:
            raise bad
    except (TypeError, ValueError, OverflowError):
        raise bad from None
    if pd.isna(td) or td <= pd.Timedelta(0):
        raise ValueError(f"{name} must be a positive duration (> 0), got {_short(value)}")
    return td


def frame(name: str, df: Any, columns: Iterable[str], *, allow_empty: bool = False) -> pd.DataFrame:
    """A DataFrame holding ``columns`` (and at least one row unless ``allow_empty``)."""
    columns = list(columns)
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"{name} must be a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{name} is missing column(s) {missing}; it needs {columns}")
    if len(df) == 0 and not allow_empty:
        raise ValueError(f"{name} must not be empty (it has 0 rows)")
    return df
