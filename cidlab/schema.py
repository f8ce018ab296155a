"""The event-log schema in one place: every frame the simulators return, its columns, dtypes and units.

All timestamps are ``datetime64[ms, Asia/Shanghai]`` (Beijing time, millisecond resolution — the
resolution of Ocean Engine's conversion API). Money is RMB as ``float64`` rounded to 0.01.
Identifiers are pandas ``str`` columns (pandas 3's string dtype) except ``user_id`` (``int64``).

Used in: lessons 02 and 03; ``describe_schema()`` prints it as a table.
"""
from __future__ import annotations

import pandas as pd

TZ = "Asia/Shanghai"
TS = f"datetime64[ms, {TZ}]"

#: frame -> list of (column, dtype, unit or meaning); "CID" marks columns only the CID path has.
SCHEMA: dict[str, list[tuple[str, str, str]]] = {
    "exposures": [
        ("user_id", "int64", "user (one row per impression; a user may see several)"),
        ("ts", TS, "impression time"),
        ("creative", "category", "creative (ad material) shown"),
        ("os", "category", "'iOS' or 'Android' (a property of the user)"),
        ("cost", "float64", "RMB charged for this impression (CPM/1000, oCPM billing)"),
        ("clicked", "bool", "whether the impression was clicked"),
    ],
    "clicks": [
        ("click_id", "str", "unique click ID issued by the media platform"),
        ("user_id", "int64", "user who clicked"),
        ("ts", TS, "click time"),
        ("creative", "category", "creative clicked"),
        ("os", "category", "'iOS' or 'Android'"),
        ("att_optin", "bool", "iOS user allowed tracking (ATT); False on Android"),
        ("landing_url", "str", "CID: landing URL with the click-ID macro filled"),
        ("jump_ok", "bool", "CID: the deep-link jump (唤端) reached the store app"),
    ],
    "orders": [
        ("order_id", "str", "order number"),
        ("user_id", "int64", "buyer"),
        ("source_click_id", "str", "ground truth: the ad click that caused the order"),
        ("creative", "category", "creative of the source click (ground truth)"),
        ("os", "category", "buyer's OS"),
        ("via", "category", "'ad' (closed loop), CID: 'jump' or 'search' (lost the jump, searched)"),
        ("click_id", "str", "CID: click ID the store order carries (<NA> when it was lost)"),
        ("ts", TS, "order time"),
        ("pay_ts", TS, "payment time"),
        ("amount", "float64", "paid amount, RMB"),
        ("refunded", "bool", "the order was later refunded"),
        ("refund_ts", TS, "refund time (NaT when not refunded)"),
    ],
    "payments": [
        ("order_id", "str", "order paid"),
        ("ts", TS, "payment time"),
        ("amount", "float64", "RMB"),
    ],
    "refunds": [
        ("order_id", "str", "order refunded"),
        ("ts", TS, "refund time"),
        ("amount", "float64", "RMB returned"),
    ],
    "callbacks": [
        ("click_id", "str", "CID: click ID the conversion is credited to"),
        ("event_type", "category", "'in_app_pay' or 'ecom_refund' (Ocean Engine conversion API)"),
        ("pay_amount", "float64", "RMB"),
        ("event_time_ms", "int64", "event time, milliseconds since the Unix epoch"),
        ("ts", TS, "when the callback reached the media platform (event time + lag)"),
    ],
}


def describe_schema() -> pd.DataFrame:
    """The schema as a table (frame, column, dtype, meaning). Used in: lessons 02 and 03."""
    rows = [
        {"frame": frame, "column": col, "dtype": dtype, "meaning": meaning}
        for frame, cols in SCHEMA.items()
        for col, dtype, meaning in cols
    ]
    return pd.DataFrame(rows)
