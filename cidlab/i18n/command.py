"""``cidlab translate``: keep the Chinese edition in step with the English course.

* ``cidlab translate update`` — merge new and changed English text into the catalogues: the library's
  messages (``cidlab/locale/zh_CN/LC_MESSAGES/**.po``) and each lesson's markdown
  (``translations/zh_CN/NN_topic.po``). New entries are empty, changed ones fuzzy.
* ``cidlab translate build`` — write ``lessons/zh/NN_topic.ipynb`` from the English lessons and their
  catalogues (``--allow-missing`` keeps untranslated cells in English instead of refusing).
* ``cidlab translate check`` — list every missing, fuzzy or stale translation; exit 1 if there is any.

Translate with any PO editor (Poedit, Lokalize, Weblate) or by hand; docs/translating.md has the rules.
"""
from __future__ import annotations

import sys


def configure(parser) -> None:
    parser.add_argument("action", choices=["update", "build", "check"], help="what to do (see above)")
    parser.add_argument("lessons", nargs="*", metavar="LESSON",
                        help="update/build only these lessons (01_funnel or 01); default: every lesson")
    parser.add_argument("--lang", default="zh_CN", help="the translation's language (default: zh_CN)")
    parser.add_argument("--module", action="append", default=None, metavar="PATH",
                        help="update: only the message catalogue of this source module (repeatable)")
    parser.add_argument("--allow-missing", action="store_true",
                        help="build: keep cells without a current translation in English")


def run(args) -> int:
    from cidlab.i18n import catalogs, normalise_language, notebooks

    lang = normalise_language(args.lang)
    lessons = [p for p in notebooks.english_lessons()
               if not args.lessons or any(p.stem == name or p.stem.split("_")[0] == name for name in args.lessons)]
    if args.lessons and not lessons:
        print(f"cidlab translate: no lesson called {' '.join(args.lessons)}", file=sys.stderr)
        return 2
    if args.action == "update":
        written = catalogs.update(lang, modules=args.module)
        for lesson in lessons:
            notebooks.update_catalogue(lesson, lang)
        print(f"updated {len(written)} message catalogue(s) and {len(lessons)} lesson catalogue(s)")
        return 0
    if args.action == "build":
        try:
            for lesson in lessons:
                print(notebooks.write_edition(lesson, lang, strict=not args.allow_missing).relative_to(notebooks.REPO_DIR))
        except ValueError as exc:
            print(f"cidlab translate build: {exc}", file=sys.stderr)
            return 1
        return 0
    found = catalogs.problems(lang) + notebooks.problems(lang)
    for line in found:
        print(line)
    print(f"{len(found)} problem(s)" if found else "every message and every lesson cell is translated and current")
    return 1 if found else 0
