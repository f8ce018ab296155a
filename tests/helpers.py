"""Helpers shared by test modules (importable because tests/ is on sys.path under pytest)."""
from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"


def load_demo():
    """The test-only exercise module ``tests/fixtures/demo_exercises.py`` (lesson key ``demo``), loaded once."""
    name = "cidlab_test_demo_exercises"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, FIXTURES / "demo_exercises.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


# ------------------------------------------------------------------------------ "is this Chinese?"

#: CJK ideographs and full-width / CJK punctuation.
CJK_RANGES = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef"
#: A Chinese character.
CJK_CHARACTER = re.compile("[\u3400-\u4dbf\u4e00-\u9fff]")

#: What may stay in English inside a Chinese message: inline code, quoted identifiers and values without
#: spaces ('funnel.roi', "A"), an English text quoted in Chinese quotes (“the truth value of an array is
#: ambiguous”: what Python prints), and the text of a Python exception ("TypeError: only 0-dimensional
#: arrays can be converted to Python scalars", up to the next Chinese character).
_NOT_PROSE = re.compile(r"`[^`]*`"
                        r"|'[^'\s]{0,80}'|\"[^\"\s]{0,80}\""
                        r"|“[^”" + CJK_RANGES + r"]*”"
                        r"|\b[A-Z][A-Za-z]*(?:Error|Exception|Warning|Exceeded|Interrupt|Exit)\b:?[^" + CJK_RANGES + r"]*")

#: An English word as it stands in a sentence (with its trailing punctuation).
_WORD = re.compile(r"^[A-Za-z][A-Za-z'’-]*[,.;:!?)]?$")


def english_runs(text: str, n: int = 6) -> list[str]:
    """Every run of ``n`` or more consecutive English words in ``text`` outside code, quoted identifiers and
    exception texts: what is left untranslated in a message that should be Chinese."""
    prose = _NOT_PROSE.sub(" \0 ", str(text or ""))
    prose = re.sub(f"[{CJK_RANGES}]", " \0 ", prose)
    runs, current = [], []
    for token in prose.split():
        if _WORD.match(token):
            current.append(token)
            continue
        if len(current) >= n:
            runs.append(" ".join(current))
        current = []
    if len(current) >= n:
        runs.append(" ".join(current))
    return runs
