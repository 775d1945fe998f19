"""Run a student's function where it cannot hang, flood or fool the checker.

:func:`run_calls` calls ``func`` on a list of inputs and yields one :class:`Outcome` per call, in
order, stopping at the first call that does not return a value.

**Fork mode** (POSIX, the default): one child process per question is forked; it runs the calls
one after the other and sends each outcome back through a pipe as strict JSON (see
:mod:`._plain`; nothing is unpickled). The parent waits on the pipe with a deadline per call and
kills the child's whole process group with ``SIGKILL`` at the deadline, so no ``except
BaseException`` loop, disarmed timer, swallowed Ctrl-C or looping ``__str__`` can keep it alive.
The verdict depends only on whether a complete result arrived before the deadline (no signal
races). In the child: the address space is capped (``RLIMIT_AS``, Linux: current size + 2 GiB),
printed output is kept up to 20,000 characters, file descriptors 0-2 point to ``/dev/null``, BLAS
and OpenMP pools use one thread (GNU OpenMP deadlocks in a forked child otherwise), and the
caller's ``in_child`` hook runs first (the checks use it to forget every expected value and
reference). The parent computes expected values only after the child has been forked, so they do
not exist in the child's memory.

**Thread fallback** (no ``os.fork``, e.g. Windows, or ``TUTORIAL_LIB_SANDBOX=thread``): each call
runs in a daemon thread that is abandoned (after a best-effort asynchronous exception) when it
exceeds the limit. Output is capped, but memory is not, an abandoned thread keeps running until the
kernel restarts, and the function shares the checker's process (it could, e.g., patch modules).
"""
from __future__ import annotations

import copy
import ctypes
import faulthandler
import gc
import io
import json
import math
import os
import select
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass

from ._plain import HasPlaceholder, NotPlain, decode, encode, plain_copy, type_name

__all__ = ["Outcome", "run_calls", "sandbox_mode", "RETURNED", "RAISED", "STOPPED", "TIMEOUT", "MEMORY",
           "CRASHED", "NOT_PLAIN", "PLACEHOLDER", "TOO_LARGE", "UNREADABLE"]

SANDBOX_ENV = "TUTORIAL_LIB_SANDBOX"
MEMORY_LIMIT = 2 * 2**30  # bytes a child may add to its address space
OUTPUT_LIMIT = 20_000  # printed characters kept per question
RESULT_LIMIT = 96 * 2**20  # bytes of one encoded result
MESSAGE_LIMIT = 300  # characters kept of an exception message
STARTUP_LIMIT = 10.0  # seconds a child may take to get ready (fork, thread-pool limits)

RETURNED, RAISED, STOPPED, TIMEOUT, MEMORY = "returned", "raised", "stopped", "timeout", "memory"
CRASHED, NOT_PLAIN, PLACEHOLDER = "crashed", "not_plain", "placeholder"
TOO_LARGE, UNREADABLE = "too_large", "unreadable"
_KINDS = frozenset({RETURNED, RAISED, STOPPED, TIMEOUT, MEMORY, CRASHED, NOT_PLAIN, PLACEHOLDER, TOO_LARGE, UNREADABLE})

# bound at import: a student patching json/os/select later does not change what the checker runs
_dumps, _loads = json.dumps, json.loads
_select, _read, _write, _monotonic = select.select, os.read, os.write, time.monotonic
_TRACEBACK = BaseException.__dict__["__traceback__"].__get__


@dataclass(frozen=True)
class Outcome:
    """What one call of the student's function did.

    ``kind`` is one of ``returned`` (``value`` holds the plain copy of the result), ``raised``
    (``detail`` = exception type, ``message``, ``line`` in the student's code), ``stopped``
    (SystemExit/KeyboardInterrupt), ``timeout``, ``memory``, ``crashed`` (the process died:
    ``detail`` says how), ``not_plain`` (``message`` says what came back), ``placeholder``,
    ``too_large`` or ``unreadable``. ``output`` is what the call printed (capped).
    """

    kind: str
    value: object = None
    detail: str = ""
    message: str = ""
    line: int | None = None
    output: str = ""


def sandbox_mode() -> str:
    """``"fork"`` where ``os.fork`` exists (unless ``TUTORIAL_LIB_SANDBOX=thread``), else ``"thread"``."""
    wanted = os.environ.get(SANDBOX_ENV, "").strip().lower()
    if wanted == "thread" or not hasattr(os, "fork"):
        return "thread"
    return "fork"


def run_calls(func: Callable, calls: Sequence[tuple[tuple, dict]], *, timeout: float,
              in_child: Callable[[], None] | None = None, memory_limit: int = MEMORY_LIMIT,
              output_limit: int = OUTPUT_LIMIT, mode: str | None = None) -> Iterator[Outcome]:
    """Yield the :class:`Outcome` of ``func(*args, **kwargs)`` for each ``(args, kwargs)`` in ``calls``.

    Arguments are deep-copied before every call. Iteration stops after the first outcome that is
    not ``returned``; closing the generator early stops the child. ``timeout`` is per call.
    """
    if not timeout > 0:
        raise ValueError(f"timeout must be > 0, got {timeout}")
    calls = list(calls)
    if not calls:
        return iter(())
    if (mode or sandbox_mode()) == "fork":
        return _run_forked(func, calls, float(timeout), in_child, int(memory_limit), int(output_limit))
    return _run_threaded(func, calls, float(timeout), int(output_limit))


# ----------------------------------------------------------------------------- one call
class _Sink(io.TextIOBase):
    """A text stream keeping the first ``limit`` characters and counting the rest."""

    def __init__(self, limit):
        super().__init__()
        self._parts, self._kept, self._dropped, self._limit = [], 0, 0, limit

    def writable(self):
        return True

    def write(self, text):
        if type(text) is not str:
            raise TypeError(f"write() argument must be str, not {type_name(text)}")
        room = self._limit - self._kept
        if room > 0:
            piece = text[:room]
            self._parts.append(piece)
            self._kept += len(piece)
        self._dropped += max(0, len(text) - max(room, 0))
        return len(text)

    def take(self) -> str:
        text = "".join(self._parts)
        if self._dropped:
            text += f"\n... ({self._dropped:,} more characters of output not shown)\n"
        self._parts, self._kept, self._dropped = [], 0, 0
        return text


def _student_line(exc, func):
    """Line of the deepest traceback frame in the file the student's function was defined in."""
    code = getattr(func, "__code__", None)
    filename = code.co_filename if type(getattr(code, "co_filename", None)) is str else None
    tb, line, last = _TRACEBACK(exc), None, None
    depth = 0
    while tb is not None and depth < 1000:
        last = tb.tb_lineno
        if filename is not None and tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb, depth = tb.tb_next, depth + 1
    return line if line is not None else last


def _call_once(func, args, kwargs, on_raise=None) -> Outcome:
    """Call ``func`` and classify what happened; the result is copied to plain data."""
    try:
        got = func(*args, **kwargs)
    except MemoryError:
        return Outcome(MEMORY)
    except (SystemExit, KeyboardInterrupt, GeneratorExit) as exc:
        return Outcome(STOPPED, detail=type_name(exc))
    except BaseException as exc:  # noqa: BLE001 -- anything the student's code raises is reported
        name, line = type_name(exc), _student_line(exc, func)
        if on_raise is not None:  # fork mode: report the type before str() can hang
            on_raise(name, line)
        try:
            message = str(exc)
            message = message if type(message) is str else ""
        except BaseException:  # noqa: BLE001 -- a broken __str__ must not lose the report
            message = "(the message of this exception could not be shown)"
        if len(message) > MESSAGE_LIMIT:
            message = message[:MESSAGE_LIMIT] + f"... ({len(message) - MESSAGE_LIMIT:,} more characters)"
        return Outcome(RAISED, detail=name, message=message, line=line)
    try:
        return Outcome(RETURNED, value=plain_copy(got))
    except HasPlaceholder:
        return Outcome(PLACEHOLDER)
    except NotPlain as exc:
        return Outcome(NOT_PLAIN, message=str(exc))


# ----------------------------------------------------------------------------- fork mode
def _send(fd, data) -> None:
    body = _dumps(data, allow_nan=True, separators=(",", ":")).encode("utf-8")
    payload = len(body).to_bytes(8, "big") + body
    view = memoryview(payload)
    while view:
        n = _write(fd, view)
        view = view[n:]


def _limit_memory(extra):
    try:
        import resource

        with open("/proc/self/statm", encoding="ascii") as fh:
            current = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = current + extra
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, OSError, ValueError, AttributeError):  # no /proc or RLIMIT_AS: no cap
        pass


_CONTROLLER: list = [None, -1]  # a threadpoolctl controller and len(sys.modules) when it was made


def _thread_controller():
    """A cached ``ThreadpoolController``, rebuilt (about 10 ms) when new modules were imported."""
    if _CONTROLLER[0] is None or _CONTROLLER[1] != len(sys.modules):
        try:
            from threadpoolctl import ThreadpoolController

            _CONTROLLER[:] = [ThreadpoolController(), len(sys.modules)]
        except Exception:  # noqa: BLE001 -- without threadpoolctl the child keeps the pools as they are
            _CONTROLLER[:] = [None, len(sys.modules)]
    return _CONTROLLER[0]


def _limit_threads(controller):
    if controller is None:
        return
    try:
        controller.limit(limits=1)
    except Exception:  # noqa: BLE001 -- best effort
        pass


def _die_with_parent(parent, cpu_seconds):
    """If the checking process dies, the child must not run on (Linux: PR_SET_PDEATHSIG; CPU cap)."""
    try:
        libc = ctypes.CDLL(None)
        libc.prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError, TypeError):
        pass
    if os.getppid() != parent:
        os._exit(71)
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
        cap = int(cpu_seconds) + 1
        if hard == resource.RLIM_INFINITY or cap < hard:
            resource.setrlimit(resource.RLIMIT_CPU, (cap, hard))
    except (ImportError, OSError, ValueError):
        pass


def _child(fd, func, calls, in_child, memory_limit, output_limit, controller, parent, cpu_seconds):
    status = 0
    gc.disable()  # a collection would write to every object's header: copy-on-write of the whole heap
    try:
        try:
            os.setpgid(0, 0)
        except OSError:
            pass
        _die_with_parent(parent, cpu_seconds)
        faulthandler.disable()  # a crash of the student's code must not dump into the checker's stderr
        null = os.open(os.devnull, os.O_RDWR)
        for std in (0, 1, 2):
            os.dup2(null, std)
        sink = _Sink(output_limit)
        sys.stdout = sys.stderr = sink
        sys.stdin = io.StringIO("")
        if in_child is not None:
            in_child()
        _limit_threads(controller)
        _limit_memory(memory_limit)
        _send(fd, {"ready": True})
        for index, (args, kwargs) in enumerate(calls):
            def partial(name, line, index=index):
                _send(fd, {"index": index, "kind": RAISED, "detail": name, "line": line, "partial": True})

            try:
                args, kwargs = copy.deepcopy(args), copy.deepcopy(kwargs)
            except MemoryError:
                _send(fd, {"index": index, "kind": MEMORY})
                break
            outcome = _call_once(func, args, kwargs, on_raise=partial)
            frame = {"index": index, "kind": outcome.kind, "detail": outcome.detail, "message": outcome.message,
                     "line": outcome.line, "output": sink.take()}
            if outcome.kind == RETURNED:
                try:
                    frame["value"] = encode(outcome.value)
                    size = len(_dumps(frame["value"], allow_nan=True))
                except (NotPlain, MemoryError, ValueError):
                    frame.update(kind=NOT_PLAIN, message="a value the checker cannot read")
                    size = 0
                if size > RESULT_LIMIT:
                    frame.pop("value")
                    frame["kind"] = TOO_LARGE
            _send(fd, frame)
            if frame["kind"] != RETURNED:
                break
    except BaseException:  # noqa: BLE001 -- the child only ever leaves through os._exit
        status = 70
    finally:
        os._exit(status)


class _Frames:
    """Length-prefixed JSON frames read from a pipe, with deadlines."""

    EOF = object()

    def __init__(self, fd):
        self.fd, self.buf, self.eof = fd, bytearray(), False

    def _frame(self):
        if len(self.buf) < 8:
            return None
        size = int.from_bytes(self.buf[:8], "big")
        if size > RESULT_LIMIT + 2**20:
            raise ValueError("frame too large")
        if len(self.buf) < 8 + size:
            return None
        body = bytes(self.buf[8:8 + size])
        del self.buf[:8 + size]
        return _loads(body.decode("utf-8"))

    def next(self, deadline):
        """The next frame, ``None`` at the deadline, or ``EOF`` when the child closed the pipe."""
        while True:
            frame = self._frame()
            if frame is not None:
                return frame
            if self.eof:
                return self.EOF
            remaining = deadline - _monotonic()
            ready, _, _ = _select([self.fd], [], [], max(remaining, 0.0))
            if not ready:
                if remaining <= 0:
                    return None
                continue
            chunk = _read(self.fd, 1 << 20)
            if chunk:
                self.buf += chunk
            else:
                self.eof = True


def _fork():
    with warnings.catch_warnings():  # Python >= 3.12 warns about fork in threaded processes (Jupyter)
        warnings.simplefilter("ignore", DeprecationWarning)
        return os.fork()


def _kill(pid):
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except (OSError, ProcessLookupError):
            pass


def _exit_detail(pid) -> str:
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return "the process ended"
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        return f"the process was killed by {name}" + (" (out of memory?)" if sig == signal.SIGKILL else "")
    return f"the process exited with code {os.WEXITSTATUS(status)}"


def _outcome(frame, index) -> tuple[Outcome, bool]:
    """Validate a frame from the child (untrusted) and turn it into an Outcome."""
    if type(frame) is not dict or frame.get("index") != index or frame.get("kind") not in _KINDS:
        raise ValueError("unexpected frame")

    def text(key, limit):
        value = frame.get(key, "")
        return value[:limit] if type(value) is str else ""

    line = frame.get("line")
    line = line if type(line) is int else None
    value = decode(frame["value"]) if frame["kind"] == RETURNED else None
    if frame["kind"] == RETURNED and "value" not in frame:
        raise ValueError("no value")
    outcome = Outcome(frame["kind"], value=value, detail=text("detail", 100),
                      message=text("message", MESSAGE_LIMIT + 40), line=line,
                      output=text("output", OUTPUT_LIMIT + 100))
    return outcome, frame.get("partial") is True


def _run_forked(func, calls, timeout, in_child, memory_limit, output_limit):
    controller = _thread_controller()
    parent, cpu_seconds = os.getpid(), STARTUP_LIMIT + timeout * len(calls)
    gc_was_enabled = gc.isenabled()
    gc.disable()  # while the child lives, a collection in the parent would copy every page it touches
    read_fd, write_fd = os.pipe()
    try:
        pid = _fork()
    except BaseException:
        os.close(read_fd)
        os.close(write_fd)
        if gc_was_enabled:
            gc.enable()
        raise
    if pid == 0:  # child: never returns
        os.close(read_fd)
        _child(write_fd, func, calls, in_child, memory_limit, output_limit, controller, parent, cpu_seconds)
    os.close(write_fd)
    try:
        os.setpgid(pid, pid)
    except OSError:
        pass
    frames, reaped = _Frames(read_fd), False
    try:
        ready = frames.next(_monotonic() + STARTUP_LIMIT)
        if type(ready) is not dict or ready.get("ready") is not True:
            reaped = ready is _Frames.EOF
            detail = _exit_detail(pid) if reaped else "the checker's worker process did not start"
            yield Outcome(CRASHED, detail=detail)
            return
        start = _monotonic()
        for index in range(len(calls)):
            partial = None
            while True:
                try:
                    frame = frames.next(start + timeout)
                except (ValueError, UnicodeDecodeError):
                    frame = "garbage"
                if frame is None:
                    outcome = partial if partial is not None else Outcome(TIMEOUT)
                    if partial is not None:
                        outcome = Outcome(RAISED, detail=partial.detail, line=partial.line,
                                          message="(its message could not be shown: printing it did not finish)")
                    break
                if frame is _Frames.EOF:
                    reaped = True
                    outcome = Outcome(CRASHED, detail=_exit_detail(pid))
                    break
                try:
                    outcome, is_partial = _outcome(frame, index)
                except (ValueError, TypeError, KeyError):
                    outcome = Outcome(UNREADABLE)
                    break
                if not is_partial:
                    break
                partial = outcome
            start = _monotonic()
            yield outcome
            if outcome.kind != RETURNED:
                return
    finally:
        _kill(pid)
        os.close(read_fd)
        if not reaped:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        if gc_was_enabled:
            gc.enable()


# ----------------------------------------------------------------------------- thread fallback
class _Abandoned(BaseException):
    """Injected into a thread that ran past its limit (best effort)."""


def _try_stop(thread):
    """Raise :class:`_Abandoned` in ``thread`` a few times; it may still ignore it."""
    set_async = getattr(getattr(ctypes, "pythonapi", None), "PyThreadState_SetAsyncExc", None)
    if set_async is None or thread.ident is None:
        return
    for _ in range(10):
        if not thread.is_alive():
            return
        set_async(ctypes.c_ulong(thread.ident), ctypes.py_object(_Abandoned))
        thread.join(0.02)


def _run_threaded(func, calls, timeout, output_limit):
    for args, kwargs in calls:
        args, kwargs = copy.deepcopy(args), copy.deepcopy(kwargs)
        box, sink = {}, _Sink(output_limit)

        def target(args=args, kwargs=kwargs, box=box):
            box["outcome"] = _call_once(func, args, kwargs)

        worker = threading.Thread(target=target, name="tutorial_lib-check", daemon=True)
        with redirect_stdout(sink), redirect_stderr(sink):
            worker.start()
            worker.join(timeout)
            alive = worker.is_alive()
            if alive:
                _try_stop(worker)
        if alive or "outcome" not in box:
            yield Outcome(TIMEOUT, output=sink.take())
            return
        outcome = box["outcome"]
        outcome = Outcome(outcome.kind, outcome.value, outcome.detail, outcome.message, outcome.line, sink.take())
        yield outcome
        if outcome.kind != RETURNED:
            return


def format_seconds(seconds: float) -> str:
    return f"{seconds:g} s" if math.isfinite(seconds) else "no limit"
