"""Every lesson prints every multiple-choice question it grades: the options a student chooses from are in the
notebook's text, above the exercise cell, not only in the feedback that follows a choice."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cidlab import exercises

LESSONS = Path(__file__).resolve().parents[1] / "lessons"


def _markdown_above(nb: dict, exercise_id: str) -> str:
    text = []
    for cell in nb["cells"]:
        if cell["metadata"].get("cidlab", {}).get("exercise") == exercise_id:
            return "\n".join(text)
        if cell["cell_type"] == "markdown":
            text.append("".join(cell["source"]))
    raise AssertionError(f"no exercise cell for {exercise_id}")


def _plain(s: str) -> str:
    return re.sub(r"[*`]", "", re.sub(r"\s+", " ", s)).lower()


EDITIONS = [("", p.stem) for p in sorted(LESSONS.glob("[0-9][0-9]_*.ipynb"))] + \
           [("zh", p.stem) for p in sorted((LESSONS / "zh").glob("[0-9][0-9]_*.ipynb"))]


@pytest.mark.parametrize("folder, stem", EDITIONS, ids=[f"{f}-{s}" if f else s for f, s in EDITIONS])
def test_every_choice_exercise_shows_its_options(folder, stem):
    """The Chinese edition shows each option as the feedback names it: the catalogue's translation."""
    from cidlab.i18n import _, using_language

    nb = json.loads((LESSONS / folder / f"{stem}.ipynb").read_text(encoding="utf-8"))
    ids = [c["metadata"]["cidlab"]["exercise"] for c in nb["cells"] if "exercise" in c["metadata"].get("cidlab", {})]
    choices = [exercises.get(i) for i in ids if exercises.get(i).kind == "choice"]
    assert choices, stem
    for ex in choices:
        items = _option_items(_markdown_above(nb, ex.id))
        for letter, option in ex.options.items():
            assert letter in items, (ex.id, letter, "no list item for this option above the exercise")
            with using_language("zh_CN" if folder == "zh" else "en"):
                text = _(option.text)
            if folder == "zh":
                assert text != option.text, (ex.id, letter, "option not translated")
            words = [w for w in re.findall(r"[\w+%]+", text.lower().rstrip(".。")) if len(w) > 3 or folder]
            assert all(w in items[letter] for w in words), (ex.id, letter, option.text, items[letter])


def _option_items(markdown: str) -> dict[str, str]:
    """Letter -> plain text of the list items "* **A.** …" / "- **A** — …" (with their continuation lines);
    the last list of options above the exercise wins."""
    items: dict[str, str] = {}
    current = None
    for line in markdown.splitlines():
        m = re.match(r"^\s*[-*]\s+\**\s*([A-H])\b", line)
        if m:
            current = m.group(1)
            items[current] = _plain(line)
        elif current and line.strip() and not re.match(r"^\s*([-*]|#)", line):
            items[current] += " " + _plain(line)
        else:
            current = None
    return items
