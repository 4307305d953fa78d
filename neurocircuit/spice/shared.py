"""Backend ``"shared"``: libngspice through PySpice's ``NgSpiceShared``, in a worker process.

libngspice runs in the caller's address space in PySpice's design, so a segfault, a hang or a
``controlled_exit`` inside ngspice would take the caller down. Here it runs in a persistent
child process (one per calling process, started on first use) that holds one
``NgSpiceShared`` and answers requests over a socket:

- a run that exceeds ``timeout`` gets the worker killed (the result says ``timed_out``); the
  next call starts a fresh worker;
- a worker that dies (crash, ``kill -9``) is reported as ``crashed`` and restarted next call;
- ngspice's ``num_threads`` is set to 1 (it ignores ``OMP_NUM_THREADS``);
- PySpice's own error detection is bypassed (it fails good runs on a harmless ``Note:`` line):
  the worker captures ngspice's stdout/stderr callbacks itself and
  :func:`.diagnose.diagnose` decides, exactly as for the batch backend;
- PySpice's logging is silenced inside the worker.

The worker is a plain ``python -c`` subprocess talking over a
:class:`multiprocessing.connection.Connection` on an inherited socket, not a
``multiprocessing`` spawn/forkserver child: those re-import the caller's ``__main__`` and so
break scripts without an ``if __name__ == "__main__"`` guard. Workers are keyed by process id,
so a forked child (a process pool) starts its own instead of sharing its parent's.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import socket
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path

from ..errors import SimulationError
from .diagnose import Plot, RunOutput, vector_name
from .locate import require_library

__all__ = ["SharedWorker", "run_shared", "shared_version", "get_worker", "shutdown_workers"]

_START_TIMEOUT = 120.0
_RECYCLE_AFTER = 2000  # runs; bounds libngspice's slow leaks


class SharedWorker:
    """One libngspice worker process; thread-safe; restarts itself after a kill or crash.

    Parameters
    ----------
    library
        Path of libngspice (default: :func:`.locate.require_library`).
    num_threads
        ngspice's OpenMP threads in the worker.
    """

    def __init__(self, library: str | None = None, num_threads: int = 1) -> None:
        self.library = library
        self.num_threads = int(num_threads)
        self.version = ""
        self.starts = 0
        self._proc: subprocess.Popen | None = None
        self._conn: Connection | None = None
        self._runs = 0
        self._lock = threading.RLock()

    # -- life cycle ---------------------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """Start the worker if it is not running (waits until libngspice is loaded)."""
        with self._lock:
            if self.alive():
                return
            self._discard()
            library = self.library or require_library()
            parent_sock, child_sock = socket.socketpair()
            pkg_root = str(Path(__file__).resolve().parents[2])
            env = dict(os.environ)
            env["PYTHONPATH"] = pkg_root + (
                os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else ""
            )
            env["OMP_NUM_THREADS"] = str(self.num_threads)
            code = "from neurocircuit.spice.shared import _worker_main; _worker_main()"
            fd = child_sock.fileno()
            try:
                proc = subprocess.Popen(
                    [
                        sys.executable,
                        "-c",
                        code,
                        str(fd),
                        library,
                        str(self.num_threads),
                        str(os.getpid()),
                    ],
                    pass_fds=(fd,),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    env=env,
                    start_new_session=True,
                )
            finally:
                child_sock.close()
            conn = Connection(parent_sock.detach())
            self._proc, self._conn = proc, conn
            self.starts += 1
            try:
                ok = conn.poll(_START_TIMEOUT)
                msg = conn.recv() if ok else None
            except (EOFError, OSError):
                msg = None
            if not msg or msg[0] != "ready":
                detail = msg[1] if msg and msg[0] == "error" else "no answer"
                self._discard()
                raise SimulationError(
                    f"The libngspice worker could not start ({detail}); library {library}.",
                    kind="crash",
                )
            self.version = msg[1]
            self._runs = 0

    def _discard(self) -> None:
        """Kill and reap the worker process (if any) and close the connection."""
        proc, conn = self._proc, self._conn
        self._proc = self._conn = None
        if conn is not None:
            try:
                conn.close()
            except OSError:
                pass
        if proc is not None:
            if proc.poll() is None:
                try:
                    proc.kill()
                except ProcessLookupError:
                    pass
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:  # pragma: no cover - unkillable
                pass

    def close(self) -> None:
        """Stop the worker (politely, then by force)."""
        with self._lock:
            if self._conn is not None and self.alive():
                try:
                    self._conn.send(("quit",))
                    self._proc.wait(timeout=2)
                except (OSError, subprocess.TimeoutExpired, ValueError):
                    pass
            self._discard()

    # -- running ------------------------------------------------------------------------------
    def run(self, deck: str, timeout: float = 60.0, cwd: str | None = None) -> RunOutput:
        """Run a complete deck; never raises for a failed, hung or crashed simulation.

        Relative ``.include``/``.lib`` paths resolve against ``cwd`` (default: the current
        directory of the caller).
        """
        with self._lock:
            if self._runs >= _RECYCLE_AFTER:
                self.close()
            self.start()
            conn = self._conn
            t0 = time.perf_counter()
            try:
                conn.send(("run", deck, str(Path(cwd or os.getcwd()).resolve())))
                ready = conn.poll(timeout)
                msg = conn.recv() if ready else None
            except (EOFError, OSError, BrokenPipeError):
                msg = ("died",)
            wall = time.perf_counter() - t0
            self._runs += 1
            if msg is None:
                self._discard()
                return RunOutput(
                    plots=(),
                    stdout=(),
                    stderr=(f"(neurocircuit) killed the libngspice worker after {timeout:g} s",),
                    timed_out=True,
                    wall_time_s=wall,
                    ngspice_version=self.version,
                )
            if msg[0] != "done":
                status = self._proc.poll() if self._proc is not None else None
                self._discard()
                what = (
                    f"worker error: {msg[1]}"
                    if msg[0] == "error"
                    else f"the libngspice worker process died (exit status {status})"
                )
                return RunOutput(
                    plots=(),
                    stdout=(),
                    stderr=(what,),
                    crashed=what,
                    wall_time_s=wall,
                    ngspice_version=self.version,
                )
            _, plots, stdout, stderr, must_restart, sim_wall = msg
            if must_restart:
                self._discard()
            return RunOutput(
                plots=tuple(Plot(*p) for p in plots),
                stdout=tuple(stdout),
                stderr=tuple(stderr),
                wall_time_s=sim_wall,
                ngspice_version=self.version,
            )


_WORKERS: dict[int, SharedWorker] = {}
_WORKERS_LOCK = threading.Lock()


def get_worker() -> SharedWorker:
    """This process' worker (created on first use, never shared with forked children)."""
    pid = os.getpid()
    with _WORKERS_LOCK:
        w = _WORKERS.get(pid)
        if w is None:
            if not _WORKERS:
                atexit.register(shutdown_workers)
            w = _WORKERS[pid] = SharedWorker()
        return w


def shutdown_workers() -> None:
    """Stop this process' worker (registered with :mod:`atexit`)."""
    with _WORKERS_LOCK:
        w = _WORKERS.pop(os.getpid(), None)
    if w is not None:
        w.close()


def run_shared(deck: str, timeout: float = 60.0, cwd: str | None = None) -> RunOutput:
    """Run a complete deck in this process' libngspice worker."""
    return get_worker().run(deck, timeout=timeout, cwd=cwd)


def shared_version() -> str:
    """ngspice version of the shared library, e.g. ``"ngspice-39"`` (starts the worker)."""
    w = get_worker()
    w.start()
    return w.version


# ---------------------------------------------------------------------------------------------
# worker side (runs in the child process)
# ---------------------------------------------------------------------------------------------
def _silence_pyspice() -> None:
    import logging

    log = logging.getLogger("PySpice")
    log.addHandler(logging.NullHandler())
    log.propagate = False
    log.setLevel(logging.CRITICAL + 1)


def _make_ngspice(library: str):
    """An ``NgSpiceShared`` whose callbacks only record ngspice's output."""
    _silence_pyspice()
    from PySpice.Spice.NgSpice.Shared import NgSpiceShared, ffi

    class _Ng(NgSpiceShared):
        LIBRARY_PATH = library.replace("{", "{{").replace("}", "}}")

        def __init__(self) -> None:
            self.out_lines: list[tuple[str, str]] = []
            self.exit_request: tuple | None = None
            super().__init__(ngspice_id=0, send_data=False, verbose=False)

        @staticmethod
        def _send_char(message_c, ngspice_id, user_data):
            self = ffi.from_handle(user_data)
            text = ffi.string(message_c).decode("utf-8", "replace")
            stream, _, content = text.partition(" ")
            if stream not in ("stdout", "stderr"):
                stream, content = "stdout", text
            self.out_lines.append((stream, content))
            return 0

        @staticmethod
        def _send_stat(message, ngspice_id, user_data):
            return 0

        @staticmethod
        def _exit(exit_status, immediate_unloading, quit_exit, ngspice_id, user_data):
            self = ffi.from_handle(user_data)
            self.exit_request = (int(exit_status), bool(immediate_unloading), bool(quit_exit))
            return int(exit_status)

        @staticmethod
        def _background_thread_running(is_running, ngspice_id, user_data):
            return 0

    ng = _Ng()
    return ng, ffi


def _collect(ng, ffi) -> list[tuple]:
    import numpy as np

    lib = ng._ngspice_shared
    plots = []
    names = []
    arr = lib.ngSpice_AllPlots()
    i = 0
    while arr[i] != ffi.NULL:
        names.append(ffi.string(arr[i]).decode())
        i += 1
    for pname in reversed(names):  # ngspice lists the newest first
        if pname == "const":
            continue
        from .rawfile import plot_kind

        kind = plot_kind(pname)
        vecs = lib.ngSpice_AllVecs(pname.encode())
        vectors: dict = {}
        scale = ""
        j = 0
        while vecs[j] != ffi.NULL:
            vname = ffi.string(vecs[j]).decode()
            j += 1
            info = lib.ngGet_Vec_Info(f"{pname}.{vname}".encode())
            if info == ffi.NULL:
                continue
            n = int(info.v_length)
            if info.v_compdata == ffi.NULL:
                if info.v_realdata == ffi.NULL:
                    data = np.empty(0)
                else:
                    data = np.frombuffer(ffi.buffer(info.v_realdata, n * 8), dtype=np.float64)
                    data = data.copy()
            else:
                buf = np.frombuffer(ffi.buffer(info.v_compdata, n * 16), dtype=np.float64)
                data = buf[0::2] + 1j * buf[1::2]
            vtype = int(info.v_type)
            key = vector_name(vname, vtype)
            if vtype in (1, 2) or vname.endswith("-sweep") or vname == "sweep":
                scale = scale or key
            vectors[key] = data
        if scale:
            vectors = {scale: vectors[scale], **{k: v for k, v in vectors.items() if k != scale}}
        if kind == "op":
            scale = ""
        plots.append((pname, kind, scale, vectors))
    return plots


def _die_with_parent(parent_pid: int) -> None:
    """Linux: get SIGKILL when the parent dies (even by ``kill -9``), hung run or not."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            import signal

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(0)


def _worker_main() -> None:  # pragma: no cover - runs in the child, exercised by the tests
    fd = int(sys.argv[1])
    library = sys.argv[2]
    num_threads = int(sys.argv[3])
    _die_with_parent(int(sys.argv[4]))
    conn = Connection(fd)
    try:
        ng, ffi = _make_ngspice(library)
        lib = ng._ngspice_shared

        def cmd(text: str) -> int:
            return int(lib.ngSpice_Command(text.encode()))

        cmd(f"set num_threads={num_threads}")
        cmd("set nomoremode")
        ng.out_lines.clear()
        cmd("version -f")
        found = re.search(r"ngspice-(\d+(?:\.\d+)*)", "\n".join(c for _, c in ng.out_lines))
        conn.send(("ready", f"ngspice-{found.group(1)}" if found else "ngspice-unknown"))
    except Exception as exc:  # report, then exit
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
        return
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg[0] == "quit":
            return
        try:
            ng.out_lines.clear()
            ng.exit_request = None
            with contextlib.suppress(OSError):
                os.chdir(msg[2])
            t0 = time.perf_counter()
            lines = [ln for ln in msg[1].splitlines() if ln.strip()] + [""]
            keep = [ffi.new("char[]", ln.encode("utf-8")) for ln in lines] + [ffi.NULL]
            lib.ngSpice_Circ(ffi.new("char *[]", keep))
            parsed = not any(
                "circuit not parsed" in c.lower() for s, c in ng.out_lines if s == "stderr"
            )
            if parsed and ng.exit_request is None:
                cmd("run")
            wall = time.perf_counter() - t0
            plots = _collect(ng, ffi)
            cmd("remove_circuit")
            cmd("destroy all")
            stdout = [c for s, c in ng.out_lines if s == "stdout"]
            stderr = [c for s, c in ng.out_lines if s == "stderr"]
            must_restart = ng.exit_request is not None
            if must_restart:
                stderr.append(f"(neurocircuit) ngspice requested exit {ng.exit_request}")
            conn.send(("done", plots, stdout, stderr, must_restart, wall))
            if must_restart:
                return
        except Exception as exc:
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
            return
