"""Chapter 05 questions: reference answers pass, typical slips fail helpfully, blanks are 'not attempted'.

Expected values are re-derived here independently: q1 and q2 with the exact 1-D solver of
tests/test_bilevel.py (isotonic regression) and pair counting; q6's reference against brute force.
"""
import math

import numpy as np

from tutorial_lib.checks import ____
from tutorial_lib.checks.ch05 import bl2_on_line, q1, q2, q3, q4, q5, q6, q7

from test_bilevel import delta_by_pairs, exact_1d_labels

X = np.array([0.0, 2.0, 10.0, 14.0])


def test_expected_values_independently():
    ref = exact_1d_labels(X, 2.5)
    # q1: scan x_3 downwards on a fine grid with the exact solver
    ts = np.arange(0, 3, 1e-3)
    first = next(t for t in ts if delta_by_pairs(ref, exact_1d_labels(X - np.array([0, 0, t, 0]), 2.5)) > 0)
    assert abs(first - q1.expected) <= 2e-3
    # upward the first change is at +9 (farther)
    up = next(t for t in np.arange(8, 10, 1e-3) if delta_by_pairs(ref, exact_1d_labels(X + np.array([0, 0, t, 0]), 2.5)) > 0)
    assert up > 9 - 1e-9
    # q2: Example 4
    assert delta_by_pairs(ref, exact_1d_labels(np.array([0, 2, -4, 14.0]), 2.5)) == q2.expected == 6


def test_bl2_on_line_reference_against_brute_force():
    rng = np.random.default_rng(1)
    for _ in range(50):
        offs = rng.uniform(-3, 3, 12)
        vals = rng.integers(0, 5, 12).astype(float)
        d0 = float(rng.integers(0, 6))
        brute = math.inf
        for t, v in zip(offs, vals):
            if v >= d0 and abs(t) < brute:
                brute = abs(t)
        assert bl2_on_line(offs, vals, d0) == brute


def test_reference_answers_pass():
    assert q1.evaluate(1.0).passed
    assert q2.evaluate(6).passed
    assert q3.evaluate("a").passed
    assert q4.evaluate("b").passed
    assert q5.evaluate(False).passed

    def student(offsets, values, delta0):
        ok = np.asarray(values) >= delta0
        return float(np.abs(np.asarray(offsets)[ok]).min()) if ok.any() else math.inf

    assert q6.evaluate(student).passed
    assert q7.evaluate("r is a lower bound, an attack an upper bound").status == "ungraded"


def test_typical_wrong_answers_fail_helpfully():
    r = q1.evaluate(1.2)
    assert not r.passed and "exists gamma" in r.message
    r = q1.evaluate(9.0)
    assert not r.passed and "upper" in r.message
    r = q2.evaluate(3)
    assert not r.passed and "ordered" in r.message
    r = q3.evaluate("b")
    assert not r.passed and "-U" in r.message
    r = q4.evaluate("a")
    assert not r.passed and "convex" in r.message
    assert not q5.evaluate(True).passed

    def signed(offsets, values, delta0):  # forgets the absolute value
        ok = np.asarray(values) >= delta0
        return float(np.asarray(offsets)[ok].min()) if ok.any() else math.inf

    r = q6.evaluate(signed)
    assert not r.passed

    def no_inf(offsets, values, delta0):  # returns 0 when unreachable
        ok = np.asarray(values) >= delta0
        return float(np.abs(np.asarray(offsets)[ok]).min()) if ok.any() else 0.0

    r = q6.evaluate(no_inf)
    assert not r.passed and "math.inf" in r.message


def test_a_function_stub_is_not_attempted():
    # (placeholder answers, hints and solutions of every question: tests/test_checks_contract.py)
    def stub(offsets, values, delta0):
        return ____

    assert q6.evaluate(stub).status == "not attempted"
