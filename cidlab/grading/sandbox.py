"""A sandbox per hand-in: its kernel runs under bubblewrap (``bwrap``), used by :mod:`cidlab.grading`.

Each hand-in's kernel gets its own mount, PID, network, IPC and UTS namespaces (``bwrap --unshare-all``).
Inside it sees:

* a read-only view of what Python needs: ``/usr`` (and the ``/bin``, ``/lib`` … links to it), a short
  list of ``/etc`` files (dynamic linker, time zone, fonts, certificates, user names), the Python
  installation and the virtual environment, the directories on the kernel's ``sys.path``, the ``cidlab``
  package and the course's ``data/`` folder;
* read-write: the hand-in's private scratch folder (a copy of its notebook and of the files beside it),
  its own home folder, the folder through which the grader talks to it (the connection file, the
  kernel's ``ipc`` Unix sockets, the answers file), a small private ``/tmp`` and ``/dev/shm``; nothing
  else (bwrap's own root and ``/dev`` are remounted read-only: they are tmpfs mounts without a size
  limit). Should the scratch folder lie inside a read-only view (a ``TMPDIR`` inside a checkout on
  ``PYTHONPATH``), an empty folder is mounted over the other scratch folders beside it;
* a fresh ``/proc`` showing only its own processes (so not the grader's command line), a minimal
  ``/dev``, no network interface but its own loopback, and an empty environment apart from a few
  variables the grader sets;
* no capabilities (``--cap-drop ALL``; without it, a grader run as root would leave the kernel
  ``CAP_SYS_ADMIN`` in its namespaces, enough to remount the read-only views read-write).

Every process it starts dies with it: the kernel is in its own PID namespace whose first process is
bwrap's reaper, which dies with the grader (``--die-with-parent``); a double-forked ``setsid`` daemon is
still in that namespace and is killed with it. A small Python wrapper sets ``RLIMIT_AS`` (memory),
``RLIMIT_CPU`` (CPU seconds) and ``RLIMIT_CORE`` = 0 on the kernel before it starts.

What it does *not* limit: the number of processes (no cgroup; a fork bomb inside slows the machine
until the kernel is killed at the time limit), disk space written into the scratch folder, and reading
what is in the read-only view (the course's library and data, which students have anyway).

Source of the mechanism: bubblewrap's manual (``bwrap(1)``: ``--unshare-all``, ``--die-with-parent``,
``--new-session``, ``--clearenv``) and ``setrlimit(2)``; jupyter_client's ``ipc`` transport
(connection files, "Kernel connection info" in the Jupyter client docs). Used by ``cidlab grade``
(instructors; not used in a lesson).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

#: Accepted values of ``--sandbox``.
MODES = ("auto", "required", "off")
#: Address space a sandboxed kernel may use (bytes, ``RLIMIT_AS``).
MEMORY_LIMIT = 4 * 1024 ** 3
#: Size of the sandbox's private ``/tmp`` (bytes).
TMP_SIZE = 256 * 1024 ** 2
#: Size of the sandbox's private ``/dev/shm`` (bytes; POSIX shared memory and semaphores).
SHM_SIZE = 64 * 1024 ** 2
#: Size of the empty folder mounted over other scratch folders in a read-only view (bytes).
HIDDEN_SIZE = 1024 ** 2
#: Entries of ``/etc`` the sandbox sees (read-only), those that exist.
ETC_ENTRIES = ("alternatives", "ca-certificates", "ca-certificates.conf", "fonts", "group", "host.conf",
               "hosts", "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "locale.alias", "localtime",
               "matplotlibrc", "mime.types", "nsswitch.conf", "os-release", "passwd", "pki", "ssl",
               "timezone")
#: Environment variables passed on into the sandbox when they are set (everything else is cleared).
PASSED_ENV = ("LANG", "LC_ALL", "LC_CTYPE", "TZ", "CIDLAB_DATA_CACHE", "PYTHONPATH", "OMP_NUM_THREADS",
              "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
#: Longest path of a Unix socket (``sun_path`` is 108 bytes, less the suffix jupyter_client adds).
MAX_SOCKET_PATH = 100

# Sets the limits, then becomes the kernel: ``python -c LIMITER AS CPU cmd...``.
_LIMITER = (
    "import os, resource, sys\n"
    "mem, cpu = int(sys.argv[1]), int(sys.argv[2])\n"
    "resource.setrlimit(resource.RLIMIT_CORE, (0, 0))\n"
    "if mem > 0:\n    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))\n"
    "if cpu > 0:\n    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))\n"
    "os.execv(sys.argv[3], sys.argv[3:])\n"
)


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot run on this system (the message says why and what to install)."""


# ============================================================================== what the sandbox sees

_probe_lock = threading.Lock()
_probe: dict[str, Any] = {}


def _kernel_sys_path() -> list[str]:
    """The directories on a kernel's ``sys.path`` (the kernel runs ``sys.executable``), asked once."""
    with _probe_lock:
        if "sys_path" not in _probe:
            try:
                out = subprocess.run([sys.executable, "-c", "import sys, json; print(json.dumps(sys.path))"],
                                     capture_output=True, text=True, timeout=60, cwd="/",
                                     env={k: v for k, v in os.environ.items() if k != "PYTHONSTARTUP"})
                paths = json.loads(out.stdout) if out.returncode == 0 else []
            except (OSError, ValueError, subprocess.SubprocessError):
                paths = []
            _probe["sys_path"] = [p for p in paths if isinstance(p, str) and p not in ("", ".")]
        return list(_probe["sys_path"])


def _read_only_roots() -> list[str]:
    """Host paths bound read-only at the same place (deduplicated, nested ones dropped)."""
    import cidlab

    package = Path(cidlab.__file__).resolve().parent
    candidates = [sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix,
                  str(Path(os.path.realpath(sys.executable)).parent.parent), str(package),
                  str(package.parent / "data")]
    candidates += _kernel_sys_path()
    cache = os.environ.get("CIDLAB_DATA_CACHE")
    if cache:
        candidates.append(cache)
    for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep):
        if os.path.isabs(entry):         # a relative entry means the kernel's own working folder
            candidates.append(entry)
    roots: list[str] = []
    for c in candidates:
        for p in {os.path.abspath(c), os.path.realpath(c)}:
            if os.path.exists(p) and p != "/" and not p.startswith(("/usr/", "/proc", "/sys", "/dev")):
                roots.append(p)
    roots = sorted(set(roots), key=len)
    kept: list[str] = []
    for r in roots:
        if not any(r == k or r.startswith(k.rstrip("/") + "/") for k in kept):
            kept.append(r)
    return kept


def _system_args() -> list[str]:
    args: list[str] = ["--ro-bind", "/usr", "/usr"]
    for top in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        p = Path("/") / top
        if p.is_symlink():
            args += ["--symlink", os.readlink(p), str(p)]
        elif p.is_dir():
            args += ["--ro-bind", str(p), str(p)]
    for name in ETC_ENTRIES:
        p = Path("/etc") / name
        if p.exists() or p.is_symlink():
            args += ["--ro-bind-try", str(p), str(p)]
    args += ["--ro-bind-try", "/sys/devices/system/cpu", "/sys/devices/system/cpu"]
    return args


def _root_args() -> list[str]:
    # after the private /tmp in the command line: a checkout or venv under /tmp stays visible
    args: list[str] = []
    for root in _read_only_roots():
        args += ["--ro-bind", root, root]
    return args


def _hidden_args(own: Path) -> list[str]:
    """An empty ``tmpfs`` over the folder that holds ``own`` (the sandbox's scratch folder) wherever that folder
    lies inside a read-only root: a ``TMPDIR`` inside a checkout on ``PYTHONPATH`` would otherwise show each
    hand-in the scratch folders of the others. Placed after the read-only roots and before ``own``'s binds."""
    paths = {os.path.abspath(own), os.path.realpath(own)}
    args: list[str] = []
    for root in _read_only_roots():
        for p in sorted(paths):
            if p.startswith(root.rstrip("/") + "/"):
                top = os.path.join(root, p[len(root.rstrip("/")) + 1:].split("/")[0])
                if ["--tmpfs", top] != args[-2:]:
                    args += ["--size", str(HIDDEN_SIZE), "--tmpfs", top]
    return args


def bwrap_path() -> str | None:
    """The ``bwrap`` executable, or None."""
    return shutil.which("bwrap")


def available() -> tuple[bool, str]:
    """``(True, "")`` if a sandboxed command runs here, else ``(False, why)``; tried once per process.

    The try runs a one-line Python under the same options a kernel gets (namespaces, binds, limits).
    """
    with _probe_lock:
        if "available" in _probe:
            return _probe["available"]
    exe = bwrap_path()
    if exe is None:
        got = (False, "bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)")
    else:
        import tempfile

        with tempfile.TemporaryDirectory(prefix="cidlab-sandbox-probe-") as tmp:
            box = Sandbox(Path(tmp), Path(tmp) / "work", Path(tmp) / "io", cpu_seconds=30)
            cmd = box.command([sys.executable, "-c", "import os; os.listdir('.')"])
            try:
                out = subprocess.run(cmd, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
                got = (True, "") if out.returncode == 0 else (
                    False, f"bwrap failed ({(out.stderr.strip().splitlines() or ['exit %d' % out.returncode])[-1]}); "
                           "unprivileged user namespaces may be disabled (sysctl kernel.unprivileged_userns_clone, "
                           "or a container without CAP_SYS_ADMIN)")
            except (OSError, subprocess.SubprocessError) as exc:
                got = (False, f"bwrap could not be run ({type(exc).__name__}: {exc})")
    with _probe_lock:
        _probe["available"] = got
    return got


def choose(mode: Any, command: str, risk: str) -> bool:
    """Whether to run sandboxed under ``--sandbox mode``: ``off`` never; ``required`` always, or a ``ValueError``
    when bubblewrap cannot run here; ``auto`` when it can, else a warning on stderr naming ``command`` and the
    ``risk`` of running without it.

    Used by ``cidlab grade`` and ``cidlab tournament`` (each states its own risk).
    """
    if not isinstance(mode, str) or mode not in MODES:
        raise ValueError(f"sandbox must be one of {', '.join(MODES)}, got {mode!r}")
    if mode == "off":
        return False
    ok, why = available()
    if ok:
        return True
    if mode == "required":
        raise ValueError(f"sandbox='required', but the sandbox cannot run here: {why}")
    print(f"{command}: WARNING: NO SANDBOX — {why}. {risk}", file=sys.stderr, flush=True)
    return False


# ============================================================================================ sandbox

class Sandbox:
    """The sandbox of one hand-in: where it lives on the host and how to start a command in it.

    Parameters
    ----------
    root : Path
        The hand-in's private scratch folder on the host (its home folder is made there).
    workdir : Path
        Its working folder (a copy of the notebook and the files beside it), read-write inside.
    iodir : Path
        The folder for the connection file, the kernel's Unix sockets and the answers file.
    cpu_seconds : float
        ``RLIMIT_CPU`` of the kernel (the kernel is killed when it has used this much CPU time).
    memory_bytes : int
        ``RLIMIT_AS`` of the kernel.
    """

    def __init__(self, root: Path, workdir: Path, iodir: Path, *, cpu_seconds: float,
                 memory_bytes: int = MEMORY_LIMIT):
        self.root, self.workdir, self.iodir = Path(root), Path(workdir), Path(iodir)
        self.home = self.root / "home"
        self.cpu_seconds = max(1, int(cpu_seconds))
        self.memory_bytes = int(memory_bytes)
        for d in (self.workdir, self.iodir, self.home):
            d.mkdir(parents=True, exist_ok=True)
        _seed_home(self.home)

    def env(self) -> dict[str, str]:
        """The whole environment of the sandboxed command."""
        from cidlab.i18n import language

        venv_bin = str(Path(sys.executable).parent)
        env = {"PATH": os.pathsep.join([venv_bin, "/usr/local/bin", "/usr/bin", "/bin"]),
               "CIDLAB_LANG": language(),  # the hand-in's language (see cidlab.grading.handin_language)
               "HOME": str(self.home), "TMPDIR": "/tmp", "PYDEVD_DISABLE_FILE_VALIDATION": "1",
               "MPLCONFIGDIR": str(self.home / ".config" / "matplotlib"),
               "XDG_CACHE_HOME": str(self.home / ".cache"), "PYTHONNOUSERSITE": "1"}
        env.setdefault("LANG", "C.UTF-8")
        for key in PASSED_ENV:
            if os.environ.get(key):
                env[key] = os.environ[key]
        return env

    def command(self, cmd: list[str]) -> list[str]:
        """``cmd`` wrapped: bwrap, then the limits wrapper, then ``cmd`` (run in :attr:`workdir`)."""
        exe = bwrap_path()
        if exe is None:
            raise SandboxUnavailable("bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)")
        # --cap-drop ALL: run as root, bwrap keeps the capabilities inside (in its user namespace), and
        # CAP_SYS_ADMIN there could remount the read-only views read-write.
        args = [exe, "--unshare-all", "--die-with-parent", "--new-session", "--clearenv", "--cap-drop", "ALL",
                *_system_args(),
                "--proc", "/proc", "--dev", "/dev", "--size", str(SHM_SIZE), "--tmpfs", "/dev/shm",
                "--size", str(TMP_SIZE), "--tmpfs", "/tmp", *_root_args(), *_hidden_args(self.root)]
        for d in (self.home, self.workdir, self.iodir):
            args += ["--bind", str(d), str(d)]
        # bwrap builds / and /dev in tmpfs mounts without a size limit: read-only once everything is in
        # place, so that writing there cannot fill the machine's memory (RLIMIT_AS does not count tmpfs)
        args += ["--remount-ro", "/dev", "--remount-ro", "/"]
        for key, value in self.env().items():
            args += ["--setenv", key, value]
        args += ["--chdir", str(self.workdir), "--",
                 sys.executable, "-c", _LIMITER, str(self.memory_bytes), str(self.cpu_seconds), *cmd]
        return args

    def kernel_manager(self, name: str = "kernel", **kwargs: Any):
        """An ``AsyncKernelManager`` whose kernel starts in this sandbox and talks over ``ipc`` sockets in
        :attr:`iodir` (``name`` tells the kernels of one hand-in apart); interrupts go as messages (a
        signal would reach bwrap, which would end the sandbox)."""
        socket_base = str(self.iodir / name)
        if len(socket_base) + 4 > MAX_SOCKET_PATH:
            raise SandboxUnavailable(f"the scratch folder's path is too long for Unix sockets ({socket_base!r}); "
                                     "set TMPDIR to a shorter folder")
        km = _manager_class()(transport="ipc", ip=socket_base,
                              connection_file=str(self.iodir / f"{name}.json"), **kwargs)
        km._cidlab_sandbox = self
        km.kernel_spec.interrupt_mode = "message"
        return km


_manager_lock = threading.Lock()
_manager: list[type] = []


def _manager_class() -> type:
    with _manager_lock:
        if not _manager:
            from jupyter_client import AsyncKernelManager

            class SandboxedKernelManager(AsyncKernelManager):
                """Starts its kernel with :meth:`Sandbox.command` around the kernel spec's command; killing
                it kills the sandbox's PID namespace."""

                def format_kernel_cmd(self, extra_arguments=None):
                    return self._cidlab_sandbox.command(super().format_kernel_cmd(extra_arguments))

                async def _async_kill_kernel(self, restart: bool = False) -> None:
                    process = getattr(self.provisioner, "process", None)
                    if process is not None:
                        kill_namespace(process.pid)
                    await super()._async_kill_kernel(restart=restart)

                _kill_kernel = _async_kill_kernel

            _manager.append(SandboxedKernelManager)
        return _manager[0]


def kill_namespace(bwrap_pid: int) -> None:
    """SIGKILL the first process of the PID namespace that bwrap ``bwrap_pid`` started, which ends every
    process in it. ``--die-with-parent`` does the same when bwrap dies, except when bwrap is killed while
    the sandbox is still being set up; this closes that gap when the grader kills a kernel."""
    import signal

    try:
        children = Path(f"/proc/{bwrap_pid}/task/{bwrap_pid}/children").read_text().split()
    except OSError:
        return
    for pid in children:
        try:
            os.kill(int(pid), signal.SIGKILL)
        except (OSError, ValueError):
            continue


def _font_caches() -> list[Path]:
    """matplotlib's font list caches of the grader's user (copied into each sandbox home, so kernels do
    not rebuild them: that takes seconds)."""
    with _probe_lock:
        if "fonts" not in _probe:
            folders = []
            if os.environ.get("MPLCONFIGDIR"):
                folders.append(Path(os.environ["MPLCONFIGDIR"]))
            cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
            folders.append(Path(cache) / "matplotlib")
            found = []
            for f in folders:
                try:
                    found += sorted(f.glob("fontlist-*.json"))
                except OSError:
                    continue
            _probe["fonts"] = found
        return list(_probe["fonts"])


def _seed_home(home: Path) -> None:
    target = home / ".config" / "matplotlib"
    target.mkdir(parents=True, exist_ok=True)
    for f in _font_caches():
        try:
            shutil.copyfile(f, target / f.name)
        except OSError:
            continue
