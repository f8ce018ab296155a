"""The Hillstrom loader: hash-checked, reads the real experiment."""
import shutil

import pytest

import cidlab


def test_loads_the_real_experiment(hillstrom_cache, tmp_path):
    shutil.copy(hillstrom_cache / "hillstrom.csv", tmp_path / "hillstrom.csv")
    df = cidlab.load_hillstrom(cache=tmp_path)
    assert len(df) == 64_000
    assert set(df["segment"]) == {"Mens E-Mail", "Womens E-Mail", "No E-Mail"}
    rates = df.groupby("segment")["conversion"].mean()
    assert rates["Mens E-Mail"] > rates["No E-Mail"]  # the e-mail had a positive effect


def test_a_tampered_file_is_rejected(hillstrom_cache, tmp_path, monkeypatch):
    data = (hillstrom_cache / "hillstrom.csv").read_bytes()
    (tmp_path / "hillstrom.csv").write_bytes(data.replace(b"Mens E-Mail", b"Mans E-Mail", 1))
    # pooch re-downloads a file whose hash is wrong; with no network here it must not return bad data.
    import pooch

    def no_network(*a, **k):
        raise OSError("network disabled in this test")

    monkeypatch.setattr(pooch.core, "stream_download", no_network)
    with pytest.raises(OSError):
        cidlab.load_hillstrom(cache=tmp_path)
