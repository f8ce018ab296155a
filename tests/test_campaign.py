"""The example campaign in data/: reproducible bytes, small, loads with its dtypes."""
import filecmp

import pandas as pd
import pytest

import cidlab
from cidlab.campaign import write_campaign


def test_regeneration_reproduces_the_committed_bytes(repo_root, tmp_path):
    written = write_campaign(tmp_path)
    assert written
    for f in written:
        committed = repo_root / "data" / f.name
        assert committed.exists(), f"{f.name} is not committed in data/"
        assert filecmp.cmp(f, committed, shallow=False), f"{f.name} differs from data/ — run `cidlab data`"


def test_data_is_small(repo_root):
    total = sum(f.stat().st_size for f in (repo_root / "data").glob("*.csv"))
    assert total < 5 * 2**20


def test_load_restores_dtypes():
    d = cidlab.load_campaign("cid")
    assert set(d) == {"exposures_daily", "clicks", "orders", "callbacks"}
    assert str(d["clicks"]["ts"].dtype) == "datetime64[ms, Asia/Shanghai]"
    assert d["orders"]["refund_ts"].isna().any() and d["orders"]["refund_ts"].notna().any()
    assert d["orders"]["click_id"].isna().any()  # some orders lost their click ID
    assert isinstance(d["exposures_daily"]["creative"].dtype, pd.CategoricalDtype)
    assert "callbacks" not in cidlab.load_campaign("closed_loop")


def test_load_errors(tmp_path):
    with pytest.raises(ValueError, match="path"):
        cidlab.load_campaign("both")
    with pytest.raises(ValueError, match="cidlab data"):
        cidlab.load_campaign("cid", data_dir=tmp_path)
