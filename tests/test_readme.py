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


# --- the Chinese README (README.zh-CN.md) ------------------------------------------------------------

def _quick_start_commands(text: str, heading: str) -> list[str]:
    quick = text.split(heading, 1)[1].split("```bash\n", 1)[1].split("```", 1)[0]
    return [ln.split("#")[0].strip() for ln in quick.splitlines() if ln.split("#")[0].strip()]


def test_both_readmes_give_the_same_two_quick_start_commands(repo_root):
    english = (repo_root / "README.md").read_text(encoding="utf-8")
    chinese = (repo_root / "README.zh-CN.md").read_text(encoding="utf-8")
    assert _quick_start_commands(chinese, "## 快速开始") == _quick_start_commands(english, "## Quick start")
    assert "README.zh-CN.md" in english and "(README.md)" in chinese      # each points to the other


#: top-level folders and files of the repository; a path in the Chinese README that starts with one of
#: these must exist (other paths, such as `slides/` or `handins/`, are outputs or examples).
_REPO_ENTRIES = ("cidlab", "lessons", "data", "docs", "binder", "tests", "translations", "bench")


def _named_paths(text: str) -> set[str]:
    import re

    tokens = set(re.findall(r"\]\(([^)#\s]+)\)", text))                       # link targets
    spans = re.findall(r"`([^`\n]+)`", text) + re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    for span in spans:
        tokens |= {t.strip("`,;()") for t in span.split()}
    return {t for t in tokens if "/" in t or t.endswith(".md")}


def test_every_path_the_chinese_readme_names_exists(repo_root):
    text = (repo_root / "README.zh-CN.md").read_text(encoding="utf-8")
    paths = {p for p in _named_paths(text)
             if not p.startswith(("http:", "https:")) and (p.split("/")[0] in _REPO_ENTRIES or p.endswith(".md"))}
    assert {"lessons/zh/00_start_here.ipynb", "docs/grading.md", "GLOSSARY.md", "binder/"} <= paths
    missing = []
    for p in sorted(paths):
        if (repo_root / p).exists():
            continue
        # a Chinese lesson is built from its English lesson and its translation catalogue (cidlab translate build)
        if p.startswith("lessons/zh/") and p.endswith(".ipynb"):
            stem = p.rsplit("/", 1)[1][:-len(".ipynb")]
            if (repo_root / "lessons" / f"{stem}.ipynb").exists() and \
                    (repo_root / "translations" / "zh_CN" / f"{stem}.po").exists():
                continue
        missing.append(p)
    assert not missing, f"README.zh-CN.md names paths that do not exist: {missing}"


def test_the_chinese_readme_lists_every_lesson_in_its_chinese_edition(repo_root):
    text = (repo_root / "README.zh-CN.md").read_text(encoding="utf-8")
    for nb in sorted((repo_root / "lessons").glob("[0-9][0-9]_*.ipynb")):
        assert f"(lessons/zh/{nb.name})" in text, f"the lesson table has no row for {nb.stem}"


def test_every_cidlab_command_in_the_chinese_readme_exists_with_its_options(repo_root):
    import re

    from cidlab.cli import build_parser

    parser = build_parser()
    verbs = parser._subparsers._group_actions[0].choices        # verb -> its argparse parser
    text = (repo_root / "README.zh-CN.md").read_text(encoding="utf-8")
    lines = [ln.split("#")[0] for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S)
             for ln in block.splitlines()]
    lines += re.findall(r"`(cidlab [^`]+)`", text)
    used = set()
    for line in lines:
        words = line.split()
        if len(words) < 2 or words[0] != "cidlab":
            continue
        verb = words[1]
        assert verb in verbs, f"`cidlab --help` has no verb {verb}"
        used.add(verb)
        known = {o for a in verbs[verb]._actions for o in a.option_strings}
        for w in words[2:]:
            if w.startswith("--"):
                assert w.split("=")[0] in known, f"`cidlab {verb}` has no option {w}"
    assert {"grade", "slides", "report", "tournament", "solutions"} <= used
