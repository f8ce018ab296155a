"""cidlab.privacy: normalisation, hashing against published test vectors, the dictionary attack, thresholds, the
noise mechanisms' distributions and the ROI error they add, and the SKAdNetwork 4 postback model (lesson 08)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cidlab import privacy as P

# ------------------------------------------------------------------------------ published test vectors

SHA256 = {  # FIPS 180-4 examples (NIST CSRC "Example Values") and the empty string
    "abc": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    "": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq":
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
}
MD5 = {  # RFC 1321, appendix A.5
    "": "d41d8cd98f00b204e9800998ecf8427e",
    "a": "0cc175b9c0f1b6a831c399e269772661",
    "abc": "900150983cd24fb0d6963f7d28e17f72",
    "message digest": "f96b697d7cb7938d525a2f31aaf161d0",
}


@pytest.mark.parametrize("text, digest", SHA256.items())
def test_sha256_matches_fips_180_vectors(text, digest):
    assert P.hash_identifier(text) == digest


@pytest.mark.parametrize("text, digest", MD5.items())
def test_md5_matches_rfc_1321_vectors(text, digest):
    assert P.hash_identifier(text, "md5") == digest


def test_hmac_matches_rfc_4231_and_rfc_2202_test_case_2():
    data, key = "what do ya want for nothing?", "Jefe"
    assert P.hmac_identifier(data, key) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    assert P.hmac_identifier(data, key, "md5") == "750c783e6ab0b503eaa86e310a5db738"


def test_salt_is_prepended_and_changes_every_hash():
    assert P.hash_identifier("abc", salt="") == SHA256["abc"]
    assert P.hash_identifier("bc", salt="a") == SHA256["abc"]
    assert P.hash_identifier("10000001234", salt="s1") != P.hash_identifier("10000001234", salt="s2")


def test_hashes_keep_the_shape_and_missing_values():
    s = pd.Series(["abc", None, ""], index=[10, 20, 30], name="id")
    out = P.hash_identifier(s)
    assert list(out.index) == [10, 20, 30] and out.name == "id"
    assert out[10] == SHA256["abc"] and pd.isna(out[20]) and out[30] == SHA256[""]
    assert P.hash_identifier(["a", "abc"], "md5") == [MD5["a"], MD5["abc"]]
    assert all(h == h.lower() and len(h) == 64 for h in P.hash_identifier(["ABC", "x"]))


# ------------------------------------------------------------------------------------- normalisation

@pytest.mark.parametrize("raw", ["+86 100-0000-1234", "0086 10000001234", "(100) 0000 1234", "8610000001234",
                                 " 100.0000.1234 ", "+86(100)00001234"])
def test_every_written_form_normalises_to_the_same_number_and_hash(raw):
    assert P.normalize_phone(raw) == "10000001234"
    assert P.normalize_phone(raw, country_code=True) == "8610000001234"
    assert P.hash_identifier(P.normalize_phone(raw)) == P.hash_identifier("10000001234")


def test_unnormalised_numbers_do_not_match():
    assert P.hash_identifier("+86 100-0000-1234") != P.hash_identifier("10000001234")


@pytest.mark.parametrize("bad", ["1000000123", "100000012345", "20000001234", "1000000123x", "+1 100 0000 1234", ""])
def test_bad_phone_numbers_are_named(bad):
    with pytest.raises(ValueError, match="phone"):
        P.normalize_phone(bad)


def test_phone_must_be_text():
    with pytest.raises(TypeError, match="phone"):
        P.normalize_phone(10000001234)
    with pytest.raises(TypeError, match="phone"):
        P.normalize_phone(["10000001234", 10000001234])
    with pytest.raises(TypeError, match="country_code"):
        P.normalize_phone("10000001234", country_code="yes")


def test_device_ids_are_lower_cased_and_zeros_are_missing():
    idfa = "6D92078A-8246-4BA4-AE5B-76104861E7DC"
    assert P.normalize_device_id(f"  {idfa} ") == idfa.lower()
    assert P.normalize_device_id("00000000-0000-0000-0000-000000000000") is None
    s = P.normalize_device_id(pd.Series([idfa, "00000000-0000-0000-0000-000000000000"]))
    assert s[0] == idfa.lower() and pd.isna(s[1])
    assert P.normalize_device_id("356938035643809", kind="imei") == "356938035643809"
    with pytest.raises(ValueError, match="device_id"):
        P.normalize_device_id("not-a-uuid")
    with pytest.raises(ValueError, match="kind"):
        P.normalize_device_id(idfa, kind="mac")


def test_hash_bad_input():
    with pytest.raises(ValueError, match="algorithm"):
        P.hash_identifier("abc", "sha1")
    with pytest.raises(TypeError, match="value"):
        P.hash_identifier(123)
    with pytest.raises(TypeError, match="salt"):
        P.hash_identifier("abc", salt=1)
    with pytest.raises(TypeError, match="key"):
        P.hmac_identifier("abc", "")


# --------------------------------------------------------------------------------- dictionary attack

def test_generated_numbers_are_distinct_and_outside_mobile_prefixes():
    ph = P.fake_phones(1000, seed=3)
    assert ph.is_unique and ph.str.len().eq(11).all() and ph.str.startswith("100").all()
    with pytest.raises(ValueError, match="block"):
        P.fake_phones(10, block="1380000")


def test_dictionary_attack_recovers_every_unsalted_number_and_no_salted_one():
    ph = P.fake_phones(50, seed=1, block="10000")
    hashes = P.hash_identifier(ph)
    res = P.dictionary_attack(hashes, "10000")
    assert res.share_recovered == 1.0 and res.candidates == 10 ** 6
    assert (res.recovered.reindex(hashes.to_numpy()).to_numpy() == ph.to_numpy()).all()
    assert res.full_space == P.CHINA_MOBILE_PREFIXES * 10 ** 8
    assert res.full_space_hours == pytest.approx(res.full_space / res.rate / 3600)
    salted = P.hash_identifier(ph.head(5), salt="secret")
    assert P.dictionary_attack(salted, "100000").share_recovered == 0.0
    assert P.dictionary_attack(salted, "100000", salt="secret").share_recovered == pytest.approx(
        sum(p.startswith("100000") for p in ph.head(5)) / 5)


def test_dictionary_attack_bad_input():
    with pytest.raises(ValueError, match="block"):
        P.dictionary_attack(["ab"], "100")
    with pytest.raises(ValueError, match="target_hashes"):
        P.dictionary_attack([], "1000000")
    with pytest.raises(ValueError, match="known_digits"):
        P.phone_space(2)
    assert P.phone_space(7) == 10 ** 4


# ---------------------------------------------------------------------------------------- thresholds

def test_threshold_suppresses_rows_under_k():
    t = pd.DataFrame({"creative": ["A", "B", "C", "D"], "users": [120, 49, 50, 3]})
    kept = P.apply_threshold(t, 50)
    assert list(kept["creative"]) == ["A", "C"]
    assert len(P.apply_threshold(t, 1)) == 4
    with pytest.raises(ValueError, match="users"):
        P.apply_threshold(t.rename(columns={"users": "n"}), 50)
    with pytest.raises(ValueError, match="k"):
        P.apply_threshold(t, 0)
    with pytest.raises(ValueError, match="users"):
        P.apply_threshold(t.assign(users=[1.0, np.nan, 2.0, 3.0]), 2)


# --------------------------------------------------------------------------------------------- noise

def test_laplace_scale_and_bad_input():
    assert P.laplace_scale(1.0, 0.5) == 2.0
    np.testing.assert_allclose(P.laplace_scale(500.0, np.array([0.1, 1.0])), [5000.0, 500.0])
    for bad in (0.0, -1.0, np.nan, "1"):
        with pytest.raises(ValueError, match="epsilon"):
            P.laplace_scale(1.0, bad)
    with pytest.raises(ValueError, match="sensitivity"):
        P.laplace_scale(0.0, 1.0)


def test_laplace_noise_follows_the_laplace_distribution():
    x = np.full(20_000, 100.0)
    noisy = P.laplace_mechanism(x, sensitivity=2.0, epsilon=0.5, seed=7)
    noise = noisy - x
    assert stats.kstest(noise, stats.laplace(scale=4.0).cdf).pvalue > 0.01
    assert stats.kstest(noise, stats.laplace(scale=5.0).cdf).pvalue < 1e-6     # the test can tell scales apart
    assert abs(noise.mean()) < 4 * np.sqrt(2) * 4.0 / np.sqrt(len(x))
    assert noise.std() == pytest.approx(np.sqrt(2) * 4.0, rel=0.03)


def test_laplace_mechanism_keeps_series_and_is_reproducible():
    s = pd.Series([10.0, 20.0], index=["a", "b"], name="orders")
    out = P.laplace_mechanism(s, 1.0, 1.0, seed=1)
    assert list(out.index) == ["a", "b"] and out.name == "orders"
    pd.testing.assert_series_equal(out, P.laplace_mechanism(s, 1.0, 1.0, seed=1))
    assert isinstance(P.laplace_mechanism(5.0, 1.0, 1.0), float)


def test_randomized_response_flips_at_the_stated_rate():
    truth = np.zeros(40_000, dtype=bool)
    truth[:10_000] = True
    eps = np.log(3.0)                                   # keep with probability 3/4
    assert P.rr_keep_probability(eps) == pytest.approx(0.75)
    rep = P.randomized_response(truth, eps, seed=2)
    flipped = (rep != truth).sum()
    assert stats.binomtest(int(flipped), len(truth), 0.25).pvalue > 0.01
    est = P.rr_estimate(rep, eps)
    assert est == pytest.approx(0.25, abs=4 * np.sqrt(0.5 * 0.5 / 40_000) / 0.5)
    assert P.rr_keep_probability(0.0) == 0.5


def test_rr_estimate_is_unbiased_over_repetitions():
    truth = np.random.default_rng(0).random(2000) < 0.1
    est = [P.rr_estimate(P.randomized_response(truth, 1.0, seed=s), 1.0) for s in range(300)]
    se = np.std(est) / np.sqrt(len(est))
    assert abs(np.mean(est) - truth.mean()) < 4 * se


def test_roi_errors_agree_with_simulation():
    spend, eps, cap = 10_000.0, 0.5, 500.0
    gmv = 15_000.0
    rois = (P.laplace_mechanism(np.full(20_000, gmv), cap, eps, seed=3)) / spend
    assert rois.std() == pytest.approx(P.laplace_roi_error(spend, eps, cap), rel=0.03)
    clicks, cvr, aov = 4000, 0.02, 100.0
    rng = np.random.default_rng(4)
    truth = rng.random(clicks) < cvr
    roi_hat = [P.rr_estimate(P.randomized_response(truth, 2.0, seed=rng), 2.0) * clicks * aov / spend
               for _ in range(2000)]
    assert np.std(roi_hat) == pytest.approx(P.rr_roi_error(clicks, 2.0, aov, spend), rel=0.06)


def test_error_shrinks_with_epsilon_and_spend():
    tab = P.privacy_tradeoff([0.1, 1.0, 10.0], spend=10_000, roi=1.5, clicks=5000, aov=100, value_cap=500)
    assert list(tab.index) == [0.1, 1.0, 10.0]
    assert tab["laplace"].is_monotonic_decreasing and tab["randomized_response"].is_monotonic_decreasing
    assert P.laplace_roi_error(20_000, 1.0, 500) == pytest.approx(P.laplace_roi_error(10_000, 1.0, 500) / 2)


def test_noise_bad_input():
    with pytest.raises(TypeError, match="truth"):
        P.randomized_response(np.array([0, 1]), 1.0)
    with pytest.raises(TypeError, match="truth"):
        P.randomized_response(True, 1.0)
    with pytest.raises(ValueError, match="epsilon"):
        P.randomized_response(np.array([True]), -1.0)
    with pytest.raises(TypeError, match="reported"):
        P.rr_estimate(np.array([], dtype=bool), 1.0)
    with pytest.raises(ValueError, match="seed"):
        P.laplace_mechanism(1.0, 1.0, 1.0, seed=-1)
    with pytest.raises(ValueError, match="clicks"):
        P.rr_roi_error(0, 1.0, 100, 100)


# --------------------------------------------------------------------------------------- SKAdNetwork

@pytest.mark.parametrize("day, window", [(0, 1), (2, 1), (2.99, 1), (3, 2), (5, 2), (7.5, 2), (8, 3), (35.9, 3),
                                         (36, 0), (100, 0)])
def test_skan_windows(day, window):
    assert P.skan_window(day) == window


def test_skan_window_shapes_and_bad_input():
    np.testing.assert_array_equal(P.skan_window(np.array([0.5, 4.0, 20.0])), [1, 2, 3])
    s = P.skan_window(pd.Series([1.0, 9.0], index=["x", "y"]))
    assert list(s) == [1, 3] and list(s.index) == ["x", "y"]
    with pytest.raises(ValueError, match="day"):
        P.skan_window(-1)
    with pytest.raises(ValueError, match="day"):
        P.skan_window("5")


def test_skan_tiers():
    lo1, lo2, lo3 = P.SKAN_TIER_INSTALLS
    assert [P.skan_tier(x) for x in (0, lo1 - 1, lo1, lo2, lo3, 10 * lo3)] == [0, 0, 1, 2, 3, 3]


def _purchases():
    return pd.DataFrame({"user": [1, 1, 1, 2, 3], "day": [0.5, 1.0, 5.0, 20.0, 40.0],
                         "amount": [100.0, 30.0, 300.0, 60.0, 80.0]})


def test_skan_postbacks_fine_then_coarse_and_late():
    pb = P.skan_postbacks(_purchases(), installs_per_day=100, seed=1)       # tier 2
    assert len(pb) == 9 and set(pb["postback"]) == {1, 2, 3}
    u1 = pb[pb["user"] == 1].set_index("postback")
    assert u1.loc[1, "gmv"] == 130.0 and u1.loc[1, "fine_value"] == 13 and u1.loc[1, "coarse_value"] == ""
    assert u1.loc[2, "fine_value"] == -1 and u1.loc[2, "coarse_value"] == "high"
    assert u1.loc[3, "coarse_value"] == "none"
    assert pb.loc[pb["user"] == 3, "gmv"].sum() == 0.0                      # day 40: after the last window
    for k, ((_, last), (lo, hi)) in enumerate(zip(P.SKAN_WINDOWS, P.SKAN_DELAY_HOURS), start=1):
        sent = pb.loc[pb["postback"] == k, "sent_day"]
        assert ((sent >= last + 1 + lo / 24) & (sent <= last + 1 + hi / 24)).all()
    low = P.skan_postbacks(_purchases(), installs_per_day=20)               # tier 1: coarse only
    assert (low["fine_value"] == -1).all() and (low.loc[low["postback"] == 1, "coarse_value"] != "").all()
    none = P.skan_postbacks(_purchases(), installs_per_day=0)               # tier 0: no values
    assert (none["coarse_value"] == "").all() and (none["fine_value"] == -1).all()


def test_skan_delays_are_uniform_over_their_range():
    many = pd.DataFrame({"user": np.arange(5000), "day": 0.0, "amount": 10.0})
    pb = P.skan_postbacks(many, installs_per_day=500, seed=5)
    d1 = (pb.loc[pb["postback"] == 1, "sent_day"] - 3) * 24
    assert stats.kstest(d1, stats.uniform(24, 24).cdf).pvalue > 0.01


def test_skan_postbacks_bad_input():
    with pytest.raises(ValueError, match="purchases"):
        P.skan_postbacks(_purchases().drop(columns="day"), 10)
    with pytest.raises(ValueError, match="day"):
        P.skan_postbacks(_purchases().assign(day=-1.0), 10)
    with pytest.raises(ValueError, match="installs_per_day"):
        P.skan_postbacks(_purchases(), -5)
    with pytest.raises(ValueError, match="coarse_cuts"):
        P.skan_postbacks(_purchases(), 10, coarse_cuts=(200, 50))
