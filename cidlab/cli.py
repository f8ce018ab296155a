"""The ``cidlab`` command line: ``cidlab --help`` lists the verbs.

Each verb lives in its own module, which defines ``configure(parser)`` and ``run(args) -> int``; verb
modules keep their heavy imports inside ``run`` so that ``cidlab --help`` stays fast.
"""
from __future__ import annotations

import argparse
import importlib
import sys

#: verb -> (module, one-line help)
VERBS: dict[str, tuple[str, str]] = {
    "open": ("cidlab.course", "open the course in JupyterLab at the first lesson"),
    "solutions": ("cidlab.solutions", "write every lesson with its exercises solved into OUT_DIR"),
    "grade": ("cidlab.grading", "grade hand-in notebooks into a CSV (one row per notebook and exercise)"),
    "report": ("cidlab.report", "class report (HTML + CSV tables) and gradebook from grades CSVs"),
    "slides": ("cidlab.slides", "render lessons as reveal.js slides that work offline"),
    "data": ("cidlab.campaign", "regenerate the week-long example campaign and the capstone case in data/ from fixed seeds"),
    "translate": ("cidlab.i18n.command", "update, build and check the Chinese edition (catalogues and lessons/zh/)"),
    "tournament": ("cidlab.tournament", "run the class tournament of bidding agents (closed loop and CID) into DIR"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cidlab",
        description="cidlab: closed-loop (闭环电商) vs CID traffic-diversion (CID引流电商) e-commerce, as a course.",
    )
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    for verb, (module, help_text) in VERBS.items():
        p = sub.add_parser(verb, help=help_text, description=help_text)
        p.set_defaults(_module=module)
        try:
            importlib.import_module(module).configure(p)
        except ModuleNotFoundError as exc:  # a verb whose module is not installed
            p.set_defaults(_missing=str(exc))
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        if getattr(args, "verb", None) != "open":
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        args.jupyter_args = [*getattr(args, "jupyter_args", []), *extra]
    if not getattr(args, "verb", None):
        parser.print_help()
        return 2
    if getattr(args, "_missing", None):
        print(f"cidlab {args.verb}: not available ({args._missing})", file=sys.stderr)
        return 2
    return int(importlib.import_module(args._module).run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
