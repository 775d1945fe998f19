"""tutorial_lib.widgets: in-place live figures, the control wiring, caches and the pre-kernel view."""
import base64
import doctest
import io
import json
import re
from pathlib import Path

import ipywidgets as widgets
import numpy as np
import PIL.Image
import pytest

import tutorial_lib.widgets as tw
from tutorial_lib.widgets import (
    STATIC_HINT,
    CachedState,
    LiveFigure,
    LiveWidget,
    cached_state,
    control_values,
    live_controls,
    live_widgets,
    precompute,
)

ROOT = Path(__file__).resolve().parents[1]
VIEW = "application/vnd.jupyter.widget-view+json"
STATE = "application/vnd.jupyter.widget-state+json"


def test_module_examples_run():
    result = doctest.testmod(tw)
    assert result.attempted >= 5 and result.failed == 0


# --- LiveFigure ------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, error", [
    (dict(nrows=0), ValueError), (dict(ncols=1.5), ValueError), (dict(figsize=(0, 2)), ValueError),
    (dict(figsize=(np.inf, 2)), ValueError), (dict(figsize="big"), TypeError), (dict(dpi=-1), ValueError),
])
def test_live_figure_rejects_bad_arguments(kwargs, error):
    with pytest.raises(error):
        LiveFigure(**kwargs)


def _pixels(png):
    return np.asarray(PIL.Image.open(io.BytesIO(png)))


def test_live_figure_renders_a_png_of_the_requested_size_without_version_metadata():
    fig = LiveFigure(figsize=(4, 2), dpi=50)
    fig.ax.plot([0, 1], [0, 1])
    png = fig.render()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and fig.image.value == png
    assert _pixels(png).shape[:2] == (100, 200)          # height, width = figsize * dpi
    assert b"Software" not in png and b"atplotlib" not in png
    assert fig.data_uri() == "data:image/png;base64," + base64.b64encode(png).decode()


def test_render_is_deterministic_and_in_place():
    fig = LiveFigure(1, 2, figsize=(4, 2))
    (line,) = fig.axes[0].plot([0, 1], [0, 0])
    first = fig.render()
    figure_before, axes_before = fig.figure, list(fig.figure.axes)
    line.set_ydata([0, 1])
    moved = fig.render()
    line.set_ydata([0, 0])
    back = fig.render()
    assert moved != first and back == first
    assert fig.figure is figure_before and fig.figure.axes == axes_before and list(fig.axes[0].lines) == [line]


def _two_panels(declare):
    fig = LiveFigure(1, 2, figsize=(5, 2), dpi=60)
    left, right = fig.axes
    left.axvline(0.5, color="0.6", zorder=1)
    (line,) = left.plot([0, 1], [0, 0], zorder=3)
    bars = right.bar(["a", "b"], [1, 2])
    left.set(xlim=(0, 1), ylim=(-2, 2), xlabel="x", title="static title")
    right.set_ylim(0, 5)
    if declare:
        fig.dynamic(line, bars, right.title)
    return fig, line, bars, right


def _update(parts, k):
    fig, line, bars, right = parts
    line.set_ydata([0, k])
    bars[0].set_height(k + 1)
    right.set_title(f"state {k}")
    return fig.render()


def test_dynamic_artists_are_blitted_with_the_same_picture_as_a_full_draw():
    blitted, full = _two_panels(True), _two_panels(False)
    for k in (1, -1, 2):
        assert np.array_equal(_pixels(_update(blitted, k)), _pixels(_update(full, k)))
    # limits changed by the draw function: the cached background is redrawn
    for parts in (blitted, full):
        parts[0].axes[0].set_xlim(0, 2)
    assert np.array_equal(_pixels(_update(blitted, 0)), _pixels(_update(full, 0)))


def test_undeclared_changes_need_invalidate():
    blitted, full = _two_panels(True), _two_panels(False)
    _update(blitted, 1), _update(full, 1)
    for parts in (blitted, full):
        parts[0].axes[0].set_xlabel("a new static label")
    assert not np.array_equal(_pixels(_update(blitted, 1)), _pixels(_update(full, 1)))   # stale, as documented
    blitted[0].invalidate()
    assert np.array_equal(_pixels(_update(blitted, 1)), _pixels(_update(full, 1)))


def test_dynamic_rejects_foreign_artists():
    fig, other = LiveFigure(), LiveFigure()
    (line,) = other.ax.plot([0, 1])
    with pytest.raises(ValueError, match="does not belong"):
        fig.dynamic(line)
    with pytest.raises(TypeError):
        fig.dynamic("a line")


def test_live_figure_is_not_a_pyplot_figure():
    import matplotlib.pyplot as plt
    before = plt.get_fignums()
    LiveFigure().render()
    assert plt.get_fignums() == before


# --- LiveWidget ------------------------------------------------------------------------------

def _line_widget(state=None, **kwargs):
    fig = LiveFigure(figsize=(3, 2), dpi=40)
    (line,) = fig.ax.plot([0, 1], [0, 0])
    fig.ax.set_ylim(-3, 3)
    calls = []

    def default_state(slope, offset=0.0):
        calls.append((slope, offset))
        return (offset, offset + slope)

    def draw(result, slope, **_):
        line.set_ydata(result)
        return f"slope {slope:+.1f} <b>"

    controls = {"slope": widgets.FloatSlider(value=1.0, min=-2, max=2, step=0.5),
                "offset": widgets.FloatSlider(value=0.0, min=-1, max=1, step=0.5, description="shift")}
    live = LiveWidget(state or default_state, draw, fig, controls, **kwargs)
    return live, calls


def test_live_widget_calls_the_state_with_current_values_and_redraws():
    live, calls = _line_widget()
    assert calls == [(1.0, 0.0)] and live.result_ == (0.0, 1.0) and live.updates_ == 1
    first = live.figure.png
    live.controls["slope"].value = -2.0
    assert calls[-1] == (-2.0, 0.0) and live.result_ == (0.0, -2.0) and live.updates_ == 2
    assert live.figure.image.value == live.figure.png != first
    assert "slope -2.0 &lt;b&gt;" in live.text.value          # text is escaped, not HTML
    assert live.controls["slope"].description == "slope"      # named after its key
    assert live.controls["offset"].description == "shift"     # an explicit description is kept
    assert live.widget.children[1:3] == (live.controls["slope"], live.controls["offset"])
    assert live in live_widgets()


def test_errors_while_moving_are_shown_and_the_widget_recovers():
    def state(slope, offset):
        if slope > 1.5:
            raise ValueError("slope too steep for this demo")
        return (offset, offset + slope)

    live, _ = _line_widget(state)
    picture = live.figure.png
    live.controls["slope"].value = 2.0
    assert isinstance(live.last_error_, ValueError) and live.updates_ == 1
    assert "tl-live-error" in live.text.value and "slope too steep" in live.text.value
    assert live.figure.png == picture                           # the previous picture stays
    live.controls["slope"].value = 0.5
    assert live.last_error_ is None and live.updates_ == 2 and "tl-live-error" not in live.text.value


def test_an_error_at_construction_is_raised():
    with pytest.raises(ZeroDivisionError):
        _line_widget(lambda slope, offset: 1 / 0)


def test_adjust_runs_before_the_state_and_its_changes_do_not_start_updates():
    seen = []

    def adjust(controls, changed):
        seen.append(changed)
        controls["offset"].max = 0.5 if controls["slope"].value < 0 else 1.0   # may clip offset

    live, calls = _line_widget(adjust=adjust)
    live.controls["offset"].value = 1.0
    n_calls = len(calls)
    live.controls["slope"].value = -1.0                           # adjust clips offset to 0.5
    assert seen == [None, "offset", "slope"]
    assert len(calls) == n_calls + 1 and calls[-1] == (-1.0, 0.5)  # one update, with the clipped value


def test_continuous_update_is_set_on_every_control():
    live, _ = _line_widget(continuous_update=False)
    assert all(c.continuous_update is False for c in live.controls.values())


@pytest.mark.parametrize("args, error", [
    (("not callable", None), TypeError),
    ((None, "figure"), TypeError),
    ((None, None, {}), TypeError),
    ((None, None, {"bad name": widgets.IntSlider()}), ValueError),
    ((None, None, {"x": widgets.HTML()}), None),          # HTML has a value; allowed but odd
    ((None, None, {"x": widgets.Button()}), TypeError),
])
def test_live_widget_rejects_bad_arguments(args, error):
    fig = LiveFigure(figsize=(2, 1), dpi=20)
    state = args[0] if args[0] is not None else (lambda **kw: None)
    figure = args[1] if len(args) > 1 and args[1] is not None else fig
    controls = args[2] if len(args) > 2 else {"x": widgets.IntSlider()}
    if error is None:
        LiveWidget(state, lambda r, **kw: None, figure, controls)
    else:
        with pytest.raises(error):
            LiveWidget(state, lambda r, **kw: None, figure, controls)


def test_draw_must_return_text_or_none():
    with pytest.raises(TypeError, match="draw must return"):
        LiveWidget(lambda x: x, lambda r, x: 42, LiveFigure(figsize=(2, 1), dpi=20), {"x": widgets.IntSlider()})


def test_mime_bundle_has_the_widget_view_and_a_safe_static_picture():
    live, _ = _line_widget()
    bundle = live._repr_mimebundle_()
    assert bundle[VIEW]["model_id"] == live.widget.model_id
    assert "image/png" not in bundle          # plot-cell hygiene: a widget cell stores no bare PNG
    assert bundle["text/plain"] == STATIC_HINT
    page = bundle["text/html"]
    assert STATIC_HINT in page and "slope +1.0" in page
    uri = re.search(r"src='data:image/png;base64,([^']+)'", page).group(1)
    assert base64.b64decode(uri) == live.figure.png
    # the hint shown by the stored widget state, only while disconnected from a kernel
    shown = live.widget.children[0].value
    assert STATIC_HINT in shown and "jupyter-widgets-disconnected" in shown


# --- caching ---------------------------------------------------------------------------------

def test_cached_state_rounds_floats_and_calls_with_the_rounded_value():
    calls = []

    @cached_state
    def state(x, flag=False):
        calls.append((x, flag))
        return object()

    a = state(0.1 + 0.2)
    assert state(0.3) is a and state(x=0.3, flag=False) is a and calls == [(0.3, False)]
    assert state(-0.0) is state(0.0) and calls[-1] == (0.0, False)
    assert state(np.float64(0.3)) is a and state(1) is state(1.0)    # 1 == 1.0 hash the same
    assert (state.hits, state.misses) == (5, 3) and calls[-1] == (1, False)
    assert {"x": 0.3} in state and len(state) == 3


def test_cached_state_is_least_recently_used():
    calls = []
    state = cached_state(lambda x: calls.append(x) or x, maxsize=2)
    state(1), state(2), state(1), state(3)       # 2 is the least recently used when 3 arrives
    assert {"x": 1} in state and {"x": 3} in state and {"x": 2} not in state
    state.clear()
    assert len(state) == 0 and state.hits == 0


def test_cached_state_rejects_unhashable_and_non_finite_values():
    state = cached_state(lambda x: x)
    with pytest.raises(TypeError, match="x"):
        state(np.zeros(3))
    with pytest.raises(ValueError, match="x must be finite"):
        state(float("nan"))
    with pytest.raises(TypeError):
        state(1, 2)
    with pytest.raises(ValueError):
        CachedState(lambda x: x, maxsize=0)
    with pytest.raises(ValueError):
        cached_state(lambda x: x, decimals=-1)


def test_precompute_fills_the_whole_grid_once():
    calls = []

    def state(n, choice):
        calls.append((n, choice))
        return (n, choice)

    controls = {"n": widgets.IntSlider(min=0, max=4, step=2), "choice": widgets.Dropdown(options=["a", "b", "c"])}
    table = precompute(state, controls, show=False)
    assert sorted(calls) == sorted((n, c) for n in (0, 2, 4) for c in "abc")
    assert table(2, "b") == (2, "b") and len(calls) == 9          # a lookup, no call
    assert table(3, "a") == (3, "a") and len(calls) == 10         # off the grid: computed on demand
    with pytest.raises(ValueError, match="9 combinations"):
        precompute(state, controls, max_points=8)


# --- controls --------------------------------------------------------------------------------

def test_control_values():
    assert control_values(widgets.IntSlider(min=0, max=10, step=3)) == [0, 3, 6, 9]
    values = control_values(widgets.FloatSlider(min=-2.0, max=12.0, step=0.1))
    assert len(values) == 141 and values[0] == -2.0 and values[-1] == 12.0 and values[51] == 3.1
    assert control_values(widgets.FloatLogSlider(base=10, min=-1, max=1, step=1)) == pytest.approx([0.1, 1, 10])
    assert control_values(widgets.Dropdown(options=[("one", 1), ("two", 2)])) == [1, 2]
    assert control_values(widgets.SelectionSlider(options=[1.0, 2.0, 3.0])) == [1.0, 2.0, 3.0]
    assert control_values(widgets.Checkbox()) == [False, True]
    assert control_values(widgets.IntSlider(min=0, max=100), max_values=5) == [0, 25, 50, 75, 100]
    assert control_values(widgets.Dropdown(options=list("abcdefg")), max_values=3) == ["a", "d", "g"]
    with pytest.raises(TypeError):
        control_values(widgets.Text())
    with pytest.raises(ValueError):
        control_values(widgets.IntSlider(), max_values=0)


def test_live_controls_finds_observed_controls_only():
    observed, unobserved, label = widgets.IntSlider(), widgets.IntSlider(), widgets.HTML()
    observed.observe(lambda change: None, names="value")
    label.observe(lambda change: None, names="value")
    found = live_controls()
    assert observed in found and unobserved not in found and label not in found


# --- stored notebooks: the pre-kernel view ---------------------------------------------------

def _live_outputs(path):
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            page = data.get("text/html", "")
            page = "".join(page) if isinstance(page, list) else page   # stored as a list of lines
            if VIEW in data and "tl-live-static" in page:
                yield nb, dict(data, **{"text/html": page})


LIVE_NOTEBOOKS = [p for p in sorted((ROOT / "notebooks").glob("*.ipynb")) if any(_live_outputs(p))]


def test_notebook_00_uses_a_live_widget():
    assert ROOT / "notebooks" / "00_start_here.ipynb" in LIVE_NOTEBOOKS


@pytest.mark.parametrize("path", LIVE_NOTEBOOKS, ids=lambda p: p.name)
def test_stored_live_widgets_have_a_pre_kernel_view(path):
    for nb, data in _live_outputs(path):
        assert STATIC_HINT in data["text/html"] and "data:image/png;base64," in data["text/html"]
        state = nb["metadata"]["widgets"][STATE]["state"]
        model = state[data[VIEW]["model_id"]]            # the view's model is stored ...
        assert model["model_name"] == "VBoxModel"
        children = [c.removeprefix("IPY_MODEL_") for c in model["state"]["children"]]
        images = [state[c] for c in children if state[c]["model_name"] == "ImageModel"]
        assert len(images) == 1 and images[0]["buffers"], "the stored widget state has no picture"


@pytest.mark.parametrize("name", ["01_calmness.ipynb", "02_exact_recovery.ipynb"])
def test_notebooks_01_and_02_use_live_widgets_with_described_controls(name):
    """Issue 18: no `interact` left; the LiveWidget cell is output-ignored and every stored control has a
    description that names its unit (in parentheses)."""
    path = ROOT / "notebooks" / name
    assert path in LIVE_NOTEBOOKS
    nb = json.loads(path.read_text())
    cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
    sources = ["".join(c["source"]) for c in cells]
    assert not any("interact(" in s or "interactive(" in s for s in sources)
    live = [c for c, s in zip(cells, sources) if "LiveWidget(" in s]
    assert live and all("nbval-ignore-output" in c["metadata"].get("tags", []) for c in live)
    assert all("plt.show()" not in s for c, s in zip(cells, sources) if "LiveWidget(" in s)
    state = nb["metadata"]["widgets"][STATE]["state"]
    sliders = [m["state"] for m in state.values() if m["model_name"] in ("FloatSliderModel", "FloatLogSliderModel",
                                                                          "IntSliderModel")]
    assert sliders and all("(" in s["description"] and ")" in s["description"] for s in sliders)


@pytest.mark.parametrize("name", ["06_clustr_radius.ipynb", "07_attacking_kmeans.ipynb"])
def test_chapters_06_07_use_live_widgets_not_interact(name):
    path = ROOT / "notebooks" / name
    assert path in LIVE_NOTEBOOKS                        # a stored LiveWidget with its pre-kernel view
    cells = json.loads(path.read_text())["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    assert "interact(" not in code and "LiveWidget(" in code


def test_notebook_05_uses_a_live_widget_and_no_interact():
    path = ROOT / "notebooks" / "05_bilevel_attacks.ipynb"
    assert path in LIVE_NOTEBOOKS
    nb = json.loads(path.read_text())
    sources = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    assert not any("interact(" in s for s in sources)
    widget_cells = [s for s in sources if "LiveWidget(" in s]
    assert len(widget_cells) == 1
    # the ranges follow the chosen data set (adjust), the state is the tested library function
    assert "adjust=adjust" in widget_cells[0] and "cached_state(bl.preview_move)" in widget_cells[0]


@pytest.mark.parametrize("name", ["03_perturbation_certificates.ipynb", "04_delta_measure.ipynb"])
def test_notebooks_03_04_use_live_widgets_only(name):
    """Issue 18: no interact widget left in lessons 03-04; each LiveWidget cell is tagged nbval-ignore-output,
    ends with the LiveWidget expression and never calls plt.show()."""
    nb = json.loads((ROOT / "notebooks" / name).read_text())
    cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
    sources = ["".join(c["source"]) for c in cells]
    assert not any("interact(" in s or "interactive(" in s for s in sources)
    live = [(c, s) for c, s in zip(cells, sources) if "LiveWidget(" in s]
    assert len(live) == 1
    cell, src = live[0]
    assert "nbval-ignore-output" in cell["metadata"].get("tags", [])
    assert "plt.show()" not in src
    import ast

    last = ast.parse(src).body[-1]                     # the cell's value is the widget
    assert isinstance(last, ast.Expr) and isinstance(last.value, ast.Call) and last.value.func.id == "LiveWidget"
