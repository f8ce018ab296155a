#!/usr/bin/env python3
"""Re-fetch the JavaScript/CSS/font files that ``cidlab slides`` ships for offline slides.

Maintainer script, never run by ``cidlab`` itself. It asks the npm registry for each pinned package
with the ordinary client (``npm pack NAME@VERSION``), unpacks the tarball in a temporary folder,
copies only the few files the slides need into ``cidlab/assets/vendor/`` and rewrites
``cidlab/assets/vendor/MANIFEST.json`` (package, version, licence, path, size, sha256 of every file).
``README.md`` beside this script documents the same table; update it when a pin changes.

    python cidlab/assets/fetch.py            # re-fetch everything (needs npm)
    python cidlab/assets/fetch.py --check    # only verify the committed files against MANIFEST.json

Used by the instructor/maintainer workflow "upgrade the offline slide assets".
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENDOR = HERE / "vendor"
MANIFEST = VENDOR / "MANIFEST.json"

#: (npm package, version, SPDX licence, [(path inside the tarball, path under vendor/[, licence])]);
#: a third item in a file entry overrides the package's licence for that file (bundled fonts).
PACKAGES: list[tuple[str, str, str, list[tuple[str, ...]]]] = [
    ("reveal.js", "5.2.1", "MIT", [
        ("package/LICENSE", "reveal.js/LICENSE"),
        ("package/dist/reveal.js", "reveal.js/dist/reveal.js"),
        ("package/dist/reveal.css", "reveal.js/dist/reveal.css"),
        ("package/dist/theme/white.css", "reveal.js/dist/theme/white.css"),
        ("package/plugin/notes/notes.js", "reveal.js/plugin/notes/notes.js"),
        # white.css imports this stylesheet; Chromium only ever loads the .woff files it lists.
        ("package/dist/theme/fonts/source-sans-pro/source-sans-pro.css",
         "reveal.js/dist/theme/fonts/source-sans-pro/source-sans-pro.css"),
        ("package/dist/theme/fonts/source-sans-pro/LICENSE",
         "reveal.js/dist/theme/fonts/source-sans-pro/LICENSE", "OFL-1.1 (Source Sans Pro)"),
        *[(f"package/dist/theme/fonts/source-sans-pro/source-sans-pro-{w}.woff",
           f"reveal.js/dist/theme/fonts/source-sans-pro/source-sans-pro-{w}.woff", "OFL-1.1 (Source Sans Pro)")
          for w in ("regular", "italic", "semibold", "semibolditalic")],
    ]),
    ("requirejs", "2.3.8", "MIT", [
        ("package/require.js", "require.js"),
    ]),
    ("@jupyter-widgets/html-manager", "1.0.15", "BSD-3-Clause", [
        # The standalone (non-AMD) bundle renders every built-in ipywidgets control from the
        # widget state embedded in the page. The .woff2 files are Font Awesome (SIL OFL-1.1),
        # referenced by embed.js relative to its own location.
        ("package/dist/embed.js", "html-manager/embed.js"),
        ("package/dist/embed.js.LICENSE.txt", "html-manager/embed.js.LICENSE.txt"),
        ("package/dist/1551f4f60c37af51121f.woff2", "html-manager/1551f4f60c37af51121f.woff2", "OFL-1.1 (Font Awesome Free)"),
        ("package/dist/7a3337626410ca2f4071.woff2", "html-manager/7a3337626410ca2f4071.woff2", "OFL-1.1 (Font Awesome Free)"),
        ("package/dist/d878b0a6a1144760244f.woff2", "html-manager/d878b0a6a1144760244f.woff2", "OFL-1.1 (Font Awesome Free)"),
    ]),
    ("mathjax", "3.2.2", "Apache-2.0", [
        # tex-svg-full: every TeX extension bundled (no on-demand loads) and SVG output (no fonts).
        ("package/LICENSE", "mathjax/LICENSE"),
        ("package/es5/tex-svg-full.js", "mathjax/tex-svg-full.js"),
    ]),
]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch() -> list[dict]:
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("fetch.py needs npm (Debian: apt-get install npm)")
    rows: list[dict] = []
    if VENDOR.exists():
        shutil.rmtree(VENDOR)
    VENDOR.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        for name, version, licence, files in PACKAGES:
            out = subprocess.run([npm, "pack", f"{name}@{version}", "--pack-destination", tmp],
                                 check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
            unpack = tmp_path / out.replace(".tgz", "")
            with tarfile.open(tmp_path / out) as tar:
                tar.extractall(unpack, filter="data")
            for src, dst, *own_licence in files:
                target = VENDOR / dst
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(unpack / src, target)
                rows.append({"package": name, "version": version,
                             "license": own_licence[0] if own_licence else licence, "path": dst,
                             "bytes": target.stat().st_size, "sha256": sha256(target)})
    # The html-manager tarball carries no LICENSE file; its licence text is the ipywidgets
    # project's (same repository, same BSD-3-Clause notice), taken from the installed wheel.
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        dist = distribution("ipywidgets")
    except PackageNotFoundError:
        sys.exit("fetch.py needs ipywidgets installed (for the html-manager licence text)")
    licence_file = next(f for f in dist.files or [] if f.name.upper().startswith("LICENSE"))
    target = VENDOR / "html-manager" / "LICENSE"
    target.write_bytes(Path(dist.locate_file(licence_file)).read_bytes())
    rows.append({"package": "ipywidgets (PyPI, licence of @jupyter-widgets/html-manager)",
                 "version": dist.version, "license": "BSD-3-Clause", "path": "html-manager/LICENSE",
                 "bytes": target.stat().st_size, "sha256": sha256(target)})
    MANIFEST.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    return rows


def check() -> int:
    rows = json.loads(MANIFEST.read_text(encoding="utf-8"))
    bad = [r["path"] for r in rows
           if not (VENDOR / r["path"]).is_file() or sha256(VENDOR / r["path"]) != r["sha256"]]
    for path in bad:
        print(f"MISMATCH {path}")
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="verify files against MANIFEST.json only")
    args = parser.parse_args(argv)
    if args.check:
        return check()
    rows = fetch()
    total = sum(r["bytes"] for r in rows)
    print("| package | version | licence | file | bytes | sha256 |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['package']} | {r['version']} | {r['license']} | `{r['path']}` | {r['bytes']} | "
              f"`{r['sha256']}` |")
    print(f"\ntotal: {total} bytes ({total / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
