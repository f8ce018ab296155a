"""The course's example campaign in ``data/``: one week on both paths, from fixed seeds.

``write_campaign(out_dir)`` regenerates the files byte for byte (a test checks that);
``load_campaign(path)`` reads them back with their dtypes (timestamps in Beijing time). ``cidlab data``
runs ``write_campaign`` on ``data/``.

Files (per path ``closed_loop`` / ``cid``): ``<path>_exposures_daily.csv`` (impressions and spend per
day, creative and OS — per-impression rows would be too large to ship), ``<path>_clicks.csv``,
``<path>_orders.csv``; and ``cid_callbacks.csv``.

Defined in: lessons 02 and 03 (``load_campaign``).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from cidlab import _validate as v
from cidlab.scenario import PATHS, Scenario
from cidlab.schema import SCHEMA, TZ

#: users reached per path, and the seeds (one per path): the whole recipe of ``data/``. The seeds were
#: picked so that each path's headline conversion rate lies within 1.5 standard errors of the model's
#: expectation (seed 2026 gave a closed-loop CVR 3.3 standard errors high, a rare draw that would have
#: taught the wrong lesson); any seed is a valid draw from the same model.
N_USERS = 300_000
SEEDS = {"closed_loop": 2032, "cid": 2027}
DATA_DIR = Path(__file__).resolve().parent.parent / "data"


def campaign_frames(path: str) -> dict[str, pd.DataFrame]:
    """The frames of the example campaign on ``path``, freshly simulated (default scenario)."""
    from cidlab.simulation import simulate

    v.choice("path", path, PATHS)
    log = simulate(path, Scenario(), N_USERS, SEEDS[path])
    exp = log.exposures.assign(day=log.exposures["ts"].dt.tz_localize(None).dt.normalize())
    daily = (exp.groupby(["day", "creative", "os"], observed=True)
             .agg(impressions=("cost", "size"), spend=("cost", "sum")).reset_index())
    daily["spend"] = daily["spend"].round(2)
    daily["day"] = daily["day"].dt.strftime("%Y-%m-%d")
    frames = {"exposures_daily": daily, "clicks": log.clicks, "orders": log.orders}
    if log.callbacks is not None:
        frames["callbacks"] = log.callbacks
    return frames


def write_campaign(out_dir: str | Path = DATA_DIR) -> list[Path]:
    """Write the example campaign's CSV files into ``out_dir``; return their paths.

    Used by: ``cidlab data`` and ``data/regenerate.py``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in PATHS:
        for name, df in campaign_frames(path).items():
            f = out / f"{path}_{name}.csv"
            df.to_csv(f, index=False, date_format="%Y-%m-%dT%H:%M:%S.%f%z", lineterminator="\n")
            written.append(f)
    return written


#: Columns of the per-day exposure table (not an event frame, so not in ``SCHEMA``).
DAILY_COLUMNS = ("day", "creative", "os", "impressions", "spend")


def _expected_columns(path: str, name: str) -> list[str]:
    """The columns ``write_campaign`` writes for ``name`` on ``path`` (CID-only columns only on CID)."""
    if name == "exposures_daily":
        return list(DAILY_COLUMNS)
    return [c for c, _, meaning in SCHEMA[name] if path == "cid" or not meaning.startswith("CID:")]


def load_campaign(path: str = "closed_loop", data_dir: str | Path | None = None) -> dict[str, pd.DataFrame]:
    """Read the example campaign on ``path`` from ``data/`` with its dtypes restored.

    Returns a dict with ``exposures_daily``, ``clicks``, ``orders`` and, for CID, ``callbacks``.
    A missing file, or a file without the columns ``write_campaign`` writes, is a ``ValueError``
    naming the file and the columns.

    Used in: lessons 02 and 03.
    """
    v.choice("path", path, PATHS)
    d = Path(data_dir) if data_dir is not None else DATA_DIR
    out = {}
    for name in ("exposures_daily", "clicks", "orders", "callbacks"):
        f = d / f"{path}_{name}.csv"
        if name == "callbacks" and path == "closed_loop":
            continue
        if not f.exists():
            raise ValueError(f"data_dir has no {f.name}; run `cidlab data` to regenerate the campaign")
        df = pd.read_csv(f)
        missing = [c for c in _expected_columns(path, name) if c not in df.columns]
        if missing:
            raise ValueError(f"data_dir: {f.name} lacks column(s) {missing}; it is not a cidlab campaign file "
                             "(run `cidlab data` to regenerate the campaign)")
        dtypes = {c: t for c, t, _ in SCHEMA.get(name, [])}
        for col in df.columns:
            t = dtypes.get(col)
            if col == "day":
                df[col] = pd.to_datetime(df[col])
            elif t and t.startswith("datetime64"):
                df[col] = pd.to_datetime(df[col], format="ISO8601", utc=True).dt.tz_convert(TZ).dt.as_unit("ms")
            elif t == "category" or col in ("creative", "os"):
                df[col] = df[col].astype("category")
            elif t == "str":
                df[col] = df[col].astype("str")
        out[name] = df
    return out


def configure(parser) -> None:
    parser.add_argument("--out", default=str(DATA_DIR), help="folder to write into (default: the repository's data/)")


def run(args) -> int:
    from cidlab.capstone import write_capstone   # the capstone case (lesson 09) lives beside the week

    for f in [*write_campaign(args.out), *write_capstone(Path(args.out) / "capstone")]:
        print(f"wrote {f} ({f.stat().st_size / 1024:.0f} KiB)")
    return 0
