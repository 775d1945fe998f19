"""Kernel side of ``python -m tutorial_lib.grade``: record each answer where the student checks it.

The grader prepends one cell to a submission, before any of the student's cells::

    import tutorial_lib.checks._harness as _h; _h.start(RECORD_PATH, NONCE, PAYLOAD_PATH)

From then on every ``qN.check(answer)`` (or ``evaluate``) in the notebook is routed here instead of
the normal check: the answer is copied into strict plain data (:mod:`._plain`), a student function
is run in the sandbox (:mod:`._sandbox`) on the grader's hidden cases (read from ``PAYLOAD_PATH``,
pickled by the grader -- trusted data flowing *into* the kernel), and one JSON line per check is
appended to ``RECORD_PATH``. The kernel never sees an expected value, and the grader computes every
verdict in its own process from these lines (decoded strictly, never unpickled). Hint and solution
views are recorded as they happen. The notebook still sees "recorded for grading" as its verdict.

What this cannot prevent: the student's code runs in this same kernel, so a deliberate student can
remove or imitate this recorder. Imitating it means writing down the answers -- the right values
for the grader's hidden cases included -- which is what answering is.
"""
from __future__ import annotations

import json
import pickle
import time

from . import _core, _sandbox
from ._plain import HasPlaceholder, NotPlain, encode, plain_copy, type_name

__all__ = ["start", "finish"]

TEXT_LIMIT = 20_000  # characters kept of an open answer


class _Recorder:
    def __init__(self, path, nonce, payload):
        self._fh = open(path, "a", encoding="utf-8", buffering=1)
        self._nonce = nonce
        self._calls = payload.get("calls", {})
        self._timeouts = payload.get("timeouts", {})
        self._dumps = json.dumps

    def _write(self, record):
        try:
            self._fh.write(self._dumps({"nonce": self._nonce, "time": time.time(), **record}) + "\n")
            self._fh.flush()
        except (OSError, ValueError, TypeError):
            pass

    def view(self, view):
        record = {"event": "view", "view": view.get("event"), "question_id": view.get("question_id")}
        if "level" in view:
            record["level"] = view["level"]
        self._write(record)

    def check(self, question, answer):
        qid = question.qid
        try:
            record = self._answer(question, answer)
        except KeyboardInterrupt:  # the grader's per-cell time limit interrupted this check
            record = {"kind": "interrupted"}
        except BaseException as exc:  # noqa: BLE001 -- record the failure, never break the notebook
            record = {"kind": "error", "reason": f"{type_name(exc)} while recording"}
        self._write({"event": "answer", "question_id": qid, **record})
        return _core.CheckResult(qid, _core.UNGRADED, "recorded for grading (the grader checks this answer itself).")

    def _answer(self, question, answer):
        if _core._is_placeholder(answer):
            return {"kind": "placeholder"}
        if isinstance(question, _core.FunctionQuestion):
            if not callable(answer):
                return {"kind": "not_callable", "type": type_name(answer)}
            calls = self._calls.get(question.qid)
            if calls is None:
                return {"kind": "unknown_question"}
            outcomes = []
            for outcome in _sandbox.run_calls(answer, calls, timeout=self._timeouts[question.qid],
                                              in_child=_core._store_wipe):
                outcomes.append({"kind": outcome.kind, "detail": outcome.detail, "message": outcome.message,
                                 "line": outcome.line,
                                 **({"value": encode(outcome.value)} if outcome.kind == _sandbox.RETURNED else {})})
            return {"kind": "function", "outcomes": outcomes}
        if isinstance(question, _core.ThoughtQuestion):
            if type(answer) is str:
                return {"kind": "text", "text": answer[:TEXT_LIMIT]}
            return {"kind": "not_text", "type": type_name(answer)}
        try:
            return {"kind": "value", "value": encode(plain_copy(answer))}
        except HasPlaceholder:
            return {"kind": "placeholder"}
        except NotPlain as exc:
            return {"kind": "not_plain", "reason": str(exc)}

    def close(self):
        try:
            self._fh.close()
        except OSError:
            pass


def start(record_path, nonce, payload_path) -> None:
    """Install the recorder (the grader's first cell)."""
    with open(payload_path, "rb") as fh:
        payload = pickle.load(fh)
    recorder = _Recorder(record_path, nonce, payload)
    _core._install_hook(recorder)
    recorder._write({"event": "start"})


def finish() -> None:
    """Mark the end of the run (the grader's last cell)."""
    hook = _core._HOOKS[0]
    if isinstance(hook, _Recorder):
        hook._write({"event": "finish"})
        hook.close()
    _core._install_hook(None)
