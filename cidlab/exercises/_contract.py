"""The input contract of a function exercise: what kinds of input its cases use.

A function exercise states its contract through its *public* cases (the ones ``check`` runs in the
notebook): every kind of input a *hidden* case uses — scalar or array, dtype, index kind, columns, which
optional arguments are given — must appear in at least one public case, so that a function that passes
``check`` cannot fail the grader for a reason the notebook never showed. Hidden cases vary values only.

:func:`signature` describes one input by its kind (never by its values); :func:`case_signature` does the
same for a whole :class:`~cidlab.exercises.Case`; ``FunctionExercise.contract_gaps()`` lists the hidden
cases whose signature no public case has. The registry test runs it over every exercise.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["case_signature", "signature"]


def _index_signature(index: pd.Index) -> tuple:
    """Kind of an index: its class (RangeIndex, DatetimeIndex, …), dtype (with unit and time zone) and
    number of levels; never its labels."""
    return (type(index).__name__, str(index.dtype), int(index.nlevels))


def signature(value: Any) -> tuple:
    """The kind of one input, independent of its values.

    Parameters
    ----------
    value : object
        One argument of a test case.

    Returns
    -------
    tuple
        Hashable description: Python scalars by type (``("float",)``; bool, int, float and str are
        distinct), numpy arrays by number of dimensions and dtype kind, Series by dtype and index kind,
        DataFrames by column names and dtypes and index kind, lists/tuples/dicts by the signatures of
        their items. Timestamps carry their time zone. Lengths and values never enter.

    Used in: the exercise registry's contract check (``FunctionExercise.contract_gaps``) for every
    function exercise of lessons 01–03; the rule is COURSE.md §8 ("hidden cases vary values, never the
    contract that the text states").

    Examples
    --------
    >>> signature(0.5) == signature(2.0)
    True
    >>> signature(0.5) == signature(np.array([0.5, 2.0]))
    False
    """
    if value is None:
        return ("None",)
    if isinstance(value, (bool, np.bool_)):
        return ("bool",)
    if isinstance(value, (int, np.integer)):
        return ("int",)
    if isinstance(value, (float, np.floating)):
        return ("float",)
    if isinstance(value, str):
        return ("str",)
    if isinstance(value, pd.Timestamp):
        return ("Timestamp", str(value.tz))
    if isinstance(value, pd.Timedelta):
        return ("Timedelta",)
    if isinstance(value, pd.DataFrame):
        return ("DataFrame", tuple((str(c), str(t)) for c, t in value.dtypes.items()), _index_signature(value.index))
    if isinstance(value, pd.Series):
        return ("Series", str(value.dtype), _index_signature(value.index))
    if isinstance(value, pd.Index):
        return ("Index",) + _index_signature(value)
    if isinstance(value, np.ndarray):
        return ("ndarray", int(value.ndim), value.dtype.kind)
    if isinstance(value, Mapping):
        return ("dict", tuple(sorted((str(k), signature(v)) for k, v in value.items())))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(sorted(set(signature(v) for v in value), key=repr)))
    return (f"{type(value).__module__}.{type(value).__qualname__}",)


def case_signature(case: Any) -> tuple:
    """The kinds of all inputs of one case: positional arguments in order, keyword arguments by name.

    Used in: ``FunctionExercise.contract_gaps`` (lessons 01–03).
    """
    return (tuple(signature(a) for a in case.args),
            tuple(sorted((k, signature(v)) for k, v in case.kwargs.items())))
