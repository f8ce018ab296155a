"""Reading what a hand-in's kernel sends back, without trusting it.

Everything the grader receives from a hand-in's kernel was produced in a process the student controls, so
it is unpickled with :class:`SafeUnpickler`: ``find_class`` only hands out the reconstructors of plain
Python, numpy and pandas values (numbers, text, containers, dates, arrays, Series, DataFrames, Index,
Categorical, …). The allow-list is the exact set of globals that pickles of such values use with the
installed numpy/pandas, found by pickling a battery of sample values once (plus a few fixed names), so it
follows library versions without ever allowing a general callable (``eval``, ``os.system``,
``getattr`` on arbitrary objects, ``pandas.read_pickle`` …). Anything else — a class defined in the
notebook, a function, a forged payload — raises :class:`UnsafeAnswerError` instead of running code in
the grader.
"""
from __future__ import annotations

import io
import pickle
import threading
from typing import Any

__all__ = ["SafeUnpickler", "UnsafeAnswerError", "allowed_globals", "safe_loads"]

#: Largest payload :func:`safe_loads` accepts (bytes).
MAX_BYTES = 256 * 1024 * 1024


class UnsafeAnswerError(pickle.UnpicklingError):
    """The payload needs a global that is not on the allow-list (``.name`` says which)."""

    def __init__(self, name: str):
        self.name = name
        super().__init__(f"{name} is not a plain Python/numpy/pandas value")


_FIXED = {
    ("builtins", n) for n in ("int", "float", "complex", "str", "bytes", "bytearray", "bool", "list", "tuple",
                              "dict", "set", "frozenset", "range", "slice", "Ellipsis", "NotImplemented")
} | {
    ("collections", "OrderedDict"), ("collections", "Counter"), ("collections", "defaultdict"),
    ("collections", "deque"), ("datetime", "date"), ("datetime", "datetime"), ("datetime", "time"),
    ("datetime", "timedelta"), ("datetime", "timezone"), ("decimal", "Decimal"), ("fractions", "Fraction"),
    ("_codecs", "encode"), ("zoneinfo", "ZoneInfo"),
}

_lock = threading.Lock()
_cache: dict[str, Any] = {}


def _samples() -> list:
    import collections
    import datetime
    import decimal
    import fractions

    import numpy as np
    import pandas as pd

    values: list = [
        np.float64(1.5), np.float32(1.5), np.int64(2), np.int32(2), np.int8(1), np.uint8(1), np.bool_(True),
        np.complex128(1j), np.str_("a"), np.datetime64("2020-01-01"), np.timedelta64(1, "D"),
        np.array([1.0, 2.0]), np.array([[1, 2], [3, 4]]), np.array(["a", "b"]), np.array([1, "a"], dtype=object),
        np.array([True]), np.array([1 + 2j]), np.array(["2020-01-01"], dtype="datetime64[ns]"),
        np.array([1], dtype="timedelta64[s]"), np.array([(1, 2.0)], dtype=[("a", "i4"), ("b", "f8")]),
        np.ma.masked_array([1.0, 2.0], mask=[False, True]),
        pd.Series([1.0, 2.0], index=["a", "b"], name="x"), pd.Series(["a", None], dtype=object),
        pd.DataFrame({"a": [1, 2], "b": ["x", "y"], "c": [1.5, 2.5]}), pd.DataFrame({"a": [1.0]}).set_index("a"),
        pd.Index([1, 2]), pd.Index(["a", "b"]), pd.Index([1.5]), pd.RangeIndex(3),
        pd.MultiIndex.from_tuples([(1, "a"), (2, "b")]), pd.Series([1, 2], index=pd.MultiIndex.from_tuples([(1, "a"), (2, "b")])),
        pd.date_range("2020-01-01", periods=3), pd.date_range("2020-01-01", periods=3, tz="Asia/Shanghai"),
        pd.date_range("2020-01-01", periods=3, tz="UTC"), pd.date_range("2020-01-01", periods=3, freq="h"),
        pd.Timestamp("2020-01-01"), pd.Timestamp("2020-01-01", tz="Asia/Shanghai"), pd.Timestamp("2020", tz="UTC"),
        pd.Timedelta("1D"), pd.timedelta_range("1D", periods=2), pd.to_timedelta([1, 2], unit="s"),
        pd.Period("2020-01", freq="M"), pd.period_range("2020-01", periods=2, freq="M"),
        pd.period_range("2020-01-01", periods=2, freq="D"), pd.Interval(0, 1), pd.interval_range(0, 3),
        pd.Categorical(["a", "b"]), pd.Series(pd.Categorical(["a", "b"], ordered=True)),
        pd.Series([1], index=pd.CategoricalIndex(["a"])), pd.Series([1, None], dtype="Int64"),
        pd.Series([1.0, None], dtype="Float64"), pd.Series(["a", None], dtype="string"),
        pd.Series([True, None], dtype="boolean"), pd.Series([1], dtype="int8"), pd.NA, pd.NaT,
        pd.DataFrame({"t": pd.to_datetime(["2020-01-01"]), "d": pd.to_timedelta(["1D"])}),
        pd.DataFrame({"t": pd.to_datetime(["2020-01-01"]).tz_localize("Asia/Shanghai")}),
        pd.Series([1.0, 2.0]).groupby([1, 1]).sum(), pd.DataFrame({"a": [1.0, 2.0]}).describe(),
        pd.DataFrame({"a": [1, 2], "b": [3, 4]}).groupby("a").agg(["sum", "mean"]),
        pd.arrays.SparseArray([0, 1]), pd.Series([0.0, 1.0]).astype(pd.SparseDtype("float")),
        datetime.datetime(2020, 1, 1), datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc),
        datetime.date(2020, 1, 1), datetime.timedelta(1), datetime.time(1, 2), decimal.Decimal("1.5"),
        fractions.Fraction(1, 3), collections.OrderedDict(a=1), collections.Counter("ab"),
        collections.defaultdict(list, a=[1]), collections.deque([1]), ..., NotImplemented, {1}, frozenset([1]),
        range(3), slice(1, 2), 1j, bytearray(b"x"), b"x",
    ]
    for freq in ("D", "h", "min", "s", "ms", "W", "ME", "QE", "YE", "MS", "B"):
        try:
            values.append(pd.date_range("2020-01-01", periods=2, freq=freq))
        except BaseException:
            pass
    try:
        import zoneinfo
        values.append(datetime.datetime(2020, 1, 1, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai")))
    except BaseException:
        pass
    return values


def _probe() -> tuple[frozenset, frozenset]:
    """The globals (and ``getattr(obj, name)`` look-ups) that pickles of sample values use."""
    found: set = set()
    attrs: set = set()

    def recording_getattr(obj, name, *default):
        attrs.add((id(obj), name))
        return getattr(obj, name, *default)

    class Recorder(pickle.Unpickler):
        def find_class(self, module, name):
            obj = super().find_class(module, name)
            if obj is getattr:
                return recording_getattr
            found.add((module, name))
            return obj

    for value in _samples():
        for protocol in (2, 4, 5):
            try:
                Recorder(io.BytesIO(pickle.dumps(value, protocol=protocol))).load()
            except BaseException:
                continue
    return frozenset(found), frozenset(attrs)


def allowed_globals() -> frozenset:
    """The ``(module, name)`` pairs :class:`SafeUnpickler` allows."""
    with _lock:
        if "globals" not in _cache:
            found, attrs = _probe()
            _cache["globals"] = frozenset(_FIXED | found)
            _cache["attrs"] = attrs
        return _cache["globals"]


def _allowed_attrs() -> frozenset:
    allowed_globals()
    return _cache["attrs"]


def _safe_getattr(obj: Any, name: str, *default: Any) -> Any:
    """``getattr`` restricted to the look-ups sample pickles make (e.g. ``ZoneInfo._unpickle``)."""
    if (id(obj), name) not in _allowed_attrs():
        raise UnsafeAnswerError(f"getattr(<{type(obj).__name__}>, {name!r})")
    return getattr(obj, name, *default)


class SafeUnpickler(pickle.Unpickler):
    """An unpickler that only rebuilds plain Python/numpy/pandas values (see the module docstring)."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in (("builtins", "getattr"), ("__builtin__", "getattr")):
            return _safe_getattr
        if (module, name) not in allowed_globals():
            raise UnsafeAnswerError(f"{module}.{name}")
        obj = super().find_class(module, name)
        if obj is getattr:  # however it was spelled
            return _safe_getattr
        return obj

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafeAnswerError("a persistent id")


def safe_loads(data: bytes) -> Any:
    """Unpickle ``data`` with :class:`SafeUnpickler`.

    Raises
    ------
    UnsafeAnswerError
        If the payload needs anything but plain values.
    pickle.UnpicklingError, EOFError, ValueError, …
        If it is not a valid pickle.
    """
    if not isinstance(data, (bytes, bytearray)):
        raise pickle.UnpicklingError(f"expected bytes, got {type(data).__name__}")
    if len(data) > MAX_BYTES:
        raise pickle.UnpicklingError(f"payload of {len(data)} bytes is larger than {MAX_BYTES}")
    return SafeUnpickler(io.BytesIO(data)).load()
