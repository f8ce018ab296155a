"""binder/ (repo2docker's configuration: Binder, or a JupyterHub image) builds a working course.

Docker is not needed here: these tests check that the files repo2docker reads exist, say what the course
needs, and agree with pyproject.toml. Building the image itself (``repo2docker .``) needs Docker.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib

import pytest

#: every file repo2docker reads from binder/ that the course uses; with a binder/ folder, repo2docker ignores
#: configuration files at the repository's root (pyproject.toml is then installed through requirements.txt)
BINDER_FILES = {"runtime.txt", "requirements.txt", "apt.txt", "postBuild"}


def _lines(path):
    return [ln.partition("#")[0].strip() for ln in path.read_text(encoding="utf-8").splitlines()
            if ln.partition("#")[0].strip()]


def test_binder_folder_holds_the_course_configuration_and_nothing_that_overrides_it(repo_root):
    files = {p.name for p in (repo_root / "binder").iterdir()}
    assert BINDER_FILES <= files
    # any of these would make repo2docker ignore requirements.txt or runtime.txt
    assert not files & {"Dockerfile", "environment.yml", "Pipfile", "Pipfile.lock", "default.nix", "pyproject.toml"}


def test_runtime_python_satisfies_requires_python(repo_root):
    runtime = (repo_root / "binder" / "runtime.txt").read_text().strip()
    m = re.fullmatch(r"python-(\d+)\.(\d+)", runtime)
    assert m, f"runtime.txt must read python-X.Y, got {runtime!r}"
    project = tomllib.loads((repo_root / "pyproject.toml").read_text())["project"]
    need = re.fullmatch(r">=\s*(\d+)\.(\d+)", project["requires-python"])
    assert need, "requires-python is no longer a plain >=X.Y: check binder/runtime.txt by hand"
    assert (int(m[1]), int(m[2])) >= (int(need[1]), int(need[2]))


def test_requirements_install_this_checkout_editable(repo_root):
    """``-e .`` (repo2docker runs pip in the repository's folder): the course with every dependency in
    pyproject.toml, and editable so that cidlab finds the checkout's lessons, data and catalogues; and
    nbgitpuller, which hands out the lessons on a JupyterHub (docs/teaching-at-scale.md)."""
    assert _lines(repo_root / "binder" / "requirements.txt") == ["-e .", "nbgitpuller"]
    deps = tomllib.loads((repo_root / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {re.split(r"[<>=!~\[ ;]", d, maxsplit=1)[0].lower() for d in deps}
    assert {"jupyterlab", "ipywidgets", "babel", "jupyterlab-language-pack-zh-cn"} <= names


def test_apt_installs_a_cjk_font_the_theme_uses_and_the_sandbox(repo_root):
    packages = _lines(repo_root / "binder" / "apt.txt")
    assert all(re.fullmatch(r"[a-z0-9.+-]+", p) for p in packages)      # repo2docker's own rule
    assert "fonts-wqy-microhei" in packages and "bubblewrap" in packages
    theme = (repo_root / "cidlab" / "theme.py").read_text(encoding="utf-8")
    assert "WenQuanYi Micro Hei" in theme                               # the font fonts-wqy-microhei installs
    ci = (repo_root / ".ci" / "run").read_text()
    assert "fonts-wqy-microhei" in ci and "bubblewrap" in ci            # CI tests with the same packages


def test_post_build_is_an_executable_bash_script_that_passes_here(repo_root, tmp_path):
    script = repo_root / "binder" / "postBuild"
    assert script.read_text().startswith("#!/bin/bash\n")
    if os.name != "nt":
        assert os.access(script, os.X_OK), "repo2docker runs postBuild only when it is executable"
    bash = shutil.which("bash")
    if not bash:
        pytest.skip("no bash")
    subprocess.run([bash, "-n", str(script)], check=True)
    import sys

    from matplotlib import font_manager
    if "WenQuanYi Micro Hei" not in {f.name for f in font_manager.fontManager.ttflist} and \
            not any("wqy" in str(p).lower() for p in font_manager.findSystemFonts()):
        pytest.skip("fonts-wqy-microhei is not installed here (apt-get install fonts-wqy-microhei)")
    env = {**os.environ, "PATH": f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ['PATH']}",
           "MPLCONFIGDIR": str(tmp_path / "mpl")}                       # a fresh font cache, as in a new image
    done = subprocess.run([bash, str(script)], cwd=repo_root, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_first_lessons_binder_links_open_exist(repo_root):
    doc = (repo_root / "docs" / "teaching-at-scale.md").read_text(encoding="utf-8")
    paths = set(re.findall(r"urlpath=lab/tree/([\w./-]+\.ipynb)", doc))
    assert {"lessons/00_start_here.ipynb", "lessons/zh/00_start_here.ipynb"} <= paths
    for p in paths:
        assert (repo_root / p).exists(), p
