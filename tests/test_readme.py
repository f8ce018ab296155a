"""The README's library example runs as written, and its quick start names the commands CI runs."""
import re


def test_library_example_runs(repo_root):
    text = (repo_root / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, "the README has no python example"
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})


def test_quick_start_is_two_commands_and_ci_runs_the_test_one(repo_root):
    text = (repo_root / "README.md").read_text(encoding="utf-8")
    quick = text.split("## Quick start", 1)[1].split("```bash\n", 1)[1].split("```", 1)[0]
    commands = [ln.split("#")[0].strip() for ln in quick.splitlines() if ln.split("#")[0].strip()]
    assert commands == ["python3 course.py open", "python3 course.py test"]
    assert "python3 course.py test" in (repo_root / ".ci" / "run").read_text()
