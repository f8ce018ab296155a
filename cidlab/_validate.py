"""Input validation shared by every public function.

Every error is a ``ValueError`` that names the parameter and the accepted range, raised before any
arithmetic, so a student never meets a silent NaN or a traceback from deep inside pandas.
"""
from __future__ import annotations

import math
from typing import Any, Iterable

import numpy as np
import pandas as pd


def _as_array(name: str, value: Any) -> np.ndarray:
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be a number, got a boolean ({value!r})")
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number or an array of numbers, got {type(value).__name__}") from None
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    if np.isnan(arr).any():
        raise ValueError(f"{name} must not be NaN")
    return arr


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


def count(name: str, value: Any, *, low: int = 0) -> int:
    """A whole number ``>= low`` (returned as ``int``)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            value = int(value)
        else:
            raise ValueError(f"{name} must be a whole number >= {low}, got {value!r}")
    if value < low:
        raise ValueError(f"{name} must be a whole number >= {low}, got {value!r}")
    return int(value)


def choice(name: str, value: Any, options: Iterable[str]) -> str:
    options = tuple(options)
    if value not in options:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}; got {value!r}")
    return value


def duration(name: str, value: Any) -> pd.Timedelta:
    """A positive time span: a ``pd.Timedelta``, a string such as ``"7D"`` or ``"15min"``, or a number of days."""
    try:
        if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)):
            if not np.isfinite(value):
                raise ValueError
            td = pd.Timedelta(days=float(value))
        else:
            td = pd.Timedelta(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a positive duration such as '7D' or a number of days > 0, got {value!r}") from None
    if pd.isna(td) or td <= pd.Timedelta(0):
        raise ValueError(f"{name} must be a positive duration (> 0), got {value!r}")
    return td


def frame(name: str, df: Any, columns: Iterable[str]) -> pd.DataFrame:
    """A non-empty DataFrame holding ``columns``."""
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"{name} must be a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{name} is missing column(s) {missing}; it needs {list(columns)}")
    if len(df) == 0:
        raise ValueError(f"{name} must not be empty (it has 0 rows)")
    return df
