"""The command line: `cidlab --help` lists every verb; `cidlab data` regenerates the campaign."""
import filecmp
import subprocess
import sys

from cidlab.cli import VERBS


def run(*args):
    return subprocess.run([sys.executable, "-m", "cidlab.cli", *args], capture_output=True, text=True, timeout=120)


def test_help_lists_every_verb():
    out = run("--help")
    assert out.returncode == 0, out.stderr
    for verb in ("open", "solutions", "grade", "report", "slides", "data", "tournament"):
        assert verb in VERBS and verb in out.stdout


def test_no_verb_is_a_usage_error():
    assert run().returncode == 2


def test_data_verb_writes_the_campaign(tmp_path, repo_root):
    out = run("data", "--out", str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert filecmp.cmp(tmp_path / "cid_orders.csv", repo_root / "data" / "cid_orders.csv", shallow=False)


def test_unknown_options_are_usage_errors_except_for_open():
    out = run("data", "--frobnicate")
    assert out.returncode == 2 and "unrecognized arguments: --frobnicate" in out.stderr
