"""Real data with provenance: Kevin Hillstrom's MineThatData e-mail experiment (2008).

64,000 customers randomised into three arms (Mens e-mail, Womens e-mail, No e-mail) with visit,
conversion and spend over the following two weeks — the course's real randomised experiment for
incrementality (lift, iROAS). The file is not shipped: :func:`load_hillstrom` fetches the original
from its publisher into a user cache (via ``pooch``) and verifies its SHA-256 before reading it.

Defined in: the incrementality lesson. Source: Hillstrom, "The MineThatData E-Mail Analytics And Data
Mining Challenge", 2008.
"""
from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

HILLSTROM_URL = "http://www.minethatdata.com/Kevin_Hillstrom_MineThatData_E-MailAnalytics_DataMiningChallenge_2008.03.20.csv"
HILLSTROM_SHA256 = "0e5893329d8b93cefecc571777672028290ab69865718020c78c7284f291aece"
HILLSTROM_FILE = "hillstrom.csv"
#: Environment variable naming the cache folder (default: the platform's user cache for "cidlab").
CACHE_ENV = "CIDLAB_DATA_CACHE"


def cache_dir() -> Path:
    """Where fetched data sets are kept: ``$CIDLAB_DATA_CACHE`` or the user cache folder."""
    import pooch

    return Path(os.environ.get(CACHE_ENV) or pooch.os_cache("cidlab"))


def load_hillstrom(cache: str | Path | None = None) -> pd.DataFrame:
    """The Hillstrom e-mail experiment as a DataFrame (64,000 rows), hash-checked.

    A file already in the cache with the right hash is used as is; otherwise the original is
    downloaded. A file with the wrong hash raises ``ValueError`` (pooch's hash check).

    Parameters
    ----------
    cache : folder to look in / download into (default :func:`cache_dir`)

    Columns: recency, history_segment, history, mens, womens, zip_code, newbie, channel, segment
    (``"Mens E-Mail"``, ``"Womens E-Mail"``, ``"No E-Mail"``), visit, conversion, spend (USD).

    Used in: the incrementality lesson. Source: Hillstrom (2008), MineThatData.
    """
    import pooch

    folder = Path(cache) if cache is not None else cache_dir()
    path = pooch.retrieve(HILLSTROM_URL, known_hash=f"sha256:{HILLSTROM_SHA256}", fname=HILLSTROM_FILE,
                          path=folder, progressbar=False)
    df = pd.read_csv(path)
    expected = {"segment", "visit", "conversion", "spend"}
    if not expected <= set(df.columns):
        raise ValueError(f"hillstrom file lacks columns {sorted(expected - set(df.columns))}")
    return df
