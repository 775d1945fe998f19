"""Live widgets: ipywidgets controls wired to a pure state function and a persistent figure.

The course's widgets are thin (CONTRIBUTING.md, "Widgets"): a chapter module provides a
pure, tested *state function* (control values in, a frozen dataclass out); the notebook
wires controls to it with :class:`LiveWidget`, which

* calls the state function with the current control values when any control moves,
* hands the result to a small *draw* function that updates the artists of one
  persistent :class:`LiveFigure` **in place** (``set_data``, ``set_offsets``,
  ``set_height``, ``set_text``, ...) instead of building a new figure,
* renders that figure once to PNG and puts the bytes into an ``ipywidgets.Image``
  (the browser swaps the picture; nothing flickers, no output area is cleared); with the
  changing artists declared (:meth:`LiveFigure.dynamic`) only they are redrawn, over a
  cached picture of the rest (blitting: 4-10 times faster than a full draw),
* shows the draw function's optional text below the figure, and an error there, in
  red, if the state or draw function raises on a move.

Why not ipympl (``%matplotlib widget``)? Measured on this machine (2 cores): the kernel
time of an update is the Agg draw (about 15-20 ms for a 5 x 2.6 in axes, 40-45 ms for
two 11 x 4 in panels with scatters) plus a PNG encode (3-10 ms); ipympl spends the same
draw and PNG encode per update (its canvas also sends PNGs, after one more kernel round
trip), while it would turn every stored plot of every notebook into a widget that
nbval and a static viewer cannot show, and nbclient-executed notebooks would store no
picture of the ipympl canvas (its picture is produced by the browser). Rebuilding the
figure every move, as ``interact`` + ``plt.show()`` does, costs 3-5 times the in-place
update (60 ms vs 20 ms for the small figure, 300 ms vs 60 ms for the large one).

Before the kernel runs
----------------------
A displayed :class:`LiveWidget` carries, besides the widget view, a ``text/html``
picture of its initial state and one line "run this cell to make it live". JupyterLab
shows that picture for notebooks it does not trust (a fresh clone), where it never
renders stored widgets. For trusted notebooks JupyterLab 4 with ipywidgets 8 renders the
widget state that nbclient stores in the notebook (``store_widget_state``, on by default
in :func:`tutorial_lib.authoring.execute_notebook`): the same picture, with disconnected
controls and the same one line, which disappears once the cell runs.

Speed helpers
-------------
:func:`cached_state` puts a least-recently-used cache on a state function, keyed by the
control values with floats rounded (slider values arrive as ``0.30000000000000004``);
:func:`precompute` evaluates a state function on every combination of values the
controls offer (when that grid is small) so that no move ever computes.
:func:`control_values` lists the values a control offers and :func:`live_controls` the
controls with observers in the kernel (the widget latency benchmark uses both).
"""
from __future__ import annotations

import base64
import html
import inspect
import io
import itertools
import math
import numbers
import traceback
import weakref
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

import ipywidgets
import numpy as np
import PIL.Image
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.container import Container
from matplotlib.figure import Figure

__all__ = [
    "LiveFigure",
    "LiveWidget",
    "CachedState",
    "cached_state",
    "precompute",
    "control_values",
    "live_controls",
    "live_widgets",
    "STATIC_HINT",
]

#: The one line shown with the stored picture before the cell runs.
STATIC_HINT = "This is a stored picture: run this cell (Shift+Enter) to make the controls live."

# CSS classes: the browser test and the benchmark find widgets, pictures, texts and errors by them.
CLASS_WIDGET, CLASS_FIGURE, CLASS_TEXT, CLASS_ERROR, CLASS_HINT = (
    "tl-live", "tl-live-figure", "tl-live-text", "tl-live-error", "tl-live-hint")

# ipywidgets adds `jupyter-widgets-disconnected` to a view whose model has no live kernel
# (stored state before the cell runs, or after a kernel restart): show the hint only then.
_HINT_HTML = (
    f"<style>.{CLASS_HINT}{{display:none}}"
    f".jupyter-widgets-disconnected .{CLASS_HINT}{{display:block;color:#8a4b00;font-style:italic}}</style>"
    f"<span class='{CLASS_HINT}'>{html.escape(STATIC_HINT)}</span>"
)


def _root_figure(artist):
    try:
        return artist.get_figure(root=True)
    except TypeError:  # matplotlib < 3.10: `figure` is the root figure
        return artist.figure


class LiveFigure:
    """A persistent matplotlib figure shown as an ``ipywidgets.Image`` and redrawn in place.

    The figure is a plain :class:`matplotlib.figure.Figure` with an Agg canvas, not a
    pyplot figure: ``plt.show()`` in other cells never shows it, it needs no
    ``plt.close``, and it does not depend on the notebook's matplotlib backend.
    Create the artists once, keep references to them, and change their data in the
    draw function of a :class:`LiveWidget`.

    Parameters
    ----------
    nrows, ncols : int, default 1
        Grid of axes, as :meth:`matplotlib.figure.Figure.subplots`.
    figsize : (float, float), default (6.4, 3.2)
        Size in inches; the picture is ``figsize * dpi`` pixels and keeps that size.
    dpi : float, default 100
    tight_layout : bool, default True
        Apply ``tight_layout`` once, at the first render, then keep the layout fixed so
        the axes do not jump while the controls move.
    **subplots_kw
        Passed to ``Figure.subplots`` (``sharex``, ``sharey``, ``subplot_kw``, ...).

    Attributes
    ----------
    figure : matplotlib.figure.Figure
    axes : Axes or ndarray of Axes
        As returned by ``Figure.subplots`` (one Axes when ``nrows == ncols == 1``).
    ax : Axes
        The first axes.
    image : ipywidgets.Image
        The widget showing the last render.
    png : bytes
        The last render.
    """

    def __init__(self, nrows=1, ncols=1, *, figsize=(6.4, 3.2), dpi=100, tight_layout=True, **subplots_kw):
        for name, value in (("nrows", nrows), ("ncols", ncols)):
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        try:
            width, height = (float(v) for v in figsize)
        except (TypeError, ValueError):
            raise TypeError(f"figsize must be a pair of numbers (inches), got {figsize!r}") from None
        if not (width > 0 and height > 0 and math.isfinite(width) and math.isfinite(height)):
            raise ValueError(f"figsize must be two positive finite numbers, got {figsize!r}")
        if not (isinstance(dpi, numbers.Real) and dpi > 0 and math.isfinite(dpi)):
            raise ValueError(f"dpi must be a positive number, got {dpi!r}")
        self.dpi = float(dpi)
        self.figure = Figure(figsize=(width, height), dpi=self.dpi)
        FigureCanvasAgg(self.figure)
        self.axes = self.figure.subplots(nrows, ncols, **subplots_kw)
        self._tight_layout_pending = bool(tight_layout)
        px_width = int(round(width * self.dpi))
        self.image = ipywidgets.Image(format="png", layout=ipywidgets.Layout(
            width=f"{px_width}px", max_width="100%", height="auto"))
        self.image.add_class(CLASS_FIGURE)
        self.png = b""
        self._dynamic: list = []
        self._background = self._background_key = None

    @property
    def ax(self):
        """The first axes of the figure."""
        return np.ravel(self.axes)[0] if isinstance(self.axes, np.ndarray) else self.axes

    def dynamic(self, *artists):
        """Declare the artists the draw function changes; return them (one artist, or a tuple).

        Once artists are declared, a render redraws only them, over a cached picture of
        everything else (blitting: about 4 times faster than a full draw for two panels
        with ticks, labels and a legend). The cached picture is redrawn when the limits
        of an axes change; call :meth:`invalidate` after changing anything else that is
        not declared (a static label, a colour). Declared artists are drawn above the
        others, in the order given. Containers (``ax.bar``'s ``BarContainer``, lists)
        are unpacked; an axes title is ``ax.title``.
        """
        flat = []
        for item in artists:
            if isinstance(item, Artist):
                flat.append(item)
            elif isinstance(item, (list, tuple, Container)):
                flat.extend(a for a in item if isinstance(a, Artist))
            else:
                raise TypeError(f"dynamic() takes matplotlib artists, got {type(item).__name__}")
        for artist in flat:
            if _root_figure(artist) is not self.figure:
                raise ValueError(f"{artist!r} does not belong to this LiveFigure")
            artist.set_animated(True)  # skipped by full draws: the cached picture is the rest
            if artist not in self._dynamic:
                self._dynamic.append(artist)
        self.invalidate()
        return artists[0] if len(artists) == 1 else artists

    def invalidate(self) -> None:
        """Redraw everything at the next render (after changing an artist not declared dynamic)."""
        self._background = self._background_key = None

    def _static_key(self):
        return (tuple(tuple(ax.viewLim.bounds) for ax in self.figure.axes),
                tuple(self.figure.get_size_inches()), self.figure.dpi)

    def render(self) -> bytes:
        """Draw the figure, encode it as PNG, show it in :attr:`image` and return the bytes."""
        if self._tight_layout_pending:
            self.figure.tight_layout()
            self._tight_layout_pending = False
        # One Agg draw (or a blit of the dynamic artists) and a Pillow encode: `savefig` would draw
        # the figure twice. The PNG has no metadata, so it does not change with matplotlib's version.
        canvas = self.figure.canvas
        if not self._dynamic:
            canvas.draw()
        else:
            key = self._static_key()
            if self._background is None or key != self._background_key:
                canvas.draw()
                self._background, self._background_key = canvas.copy_from_bbox(self.figure.bbox), key
            else:
                canvas.restore_region(self._background)
            for artist in self._dynamic:
                self.figure.draw_artist(artist)
        buffer = io.BytesIO()
        PIL.Image.fromarray(np.asarray(canvas.buffer_rgba())[..., :3]).save(buffer, format="png")
        self.png = buffer.getvalue()
        self.image.value = self.png
        return self.png

    def data_uri(self) -> str:
        """The last render as a ``data:image/png;base64,...`` URI (for the static picture)."""
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


_LIVE_WIDGETS: "weakref.WeakSet[LiveWidget]" = weakref.WeakSet()


class LiveWidget:
    """Controls wired to a pure state function and an in-place redraw of a :class:`LiveFigure`.

    On every change of a control's ``value`` (and once when constructed):

    1. ``adjust(controls, changed)``, if given, may change other controls (for instance
       make a slider's ``max`` follow the chosen data set); the changes it makes do not
       start further updates;
    2. ``result = state(**values)`` with ``values = {name: control.value}``;
    3. ``text = draw(result, **values)`` updates the artists of ``figure`` in place;
       a returned string is shown below the figure (``None``: no text);
    4. the figure is rendered once into its image widget.

    If ``state`` or ``draw`` raises during a move, the error is shown in red below the
    figure (and kept in :attr:`last_error_`), the previous picture stays; an error at
    construction is raised, so a broken widget fails the notebook run.

    Parameters
    ----------
    state : callable
        Pure function of the control values (keyword arguments named as ``controls``),
        typically a chapter module's ``*_state`` function, wrapped in
        :func:`cached_state` or :func:`precompute`.
    draw : callable
        ``draw(result, **values) -> str | None``; changes artists of ``figure`` only.
    figure : LiveFigure
    controls : mapping of str to ipywidgets ValueWidget
        Names are the keyword arguments of ``state`` and ``draw``; shown top to bottom
        in this order. A control without a description is described by its name.
    adjust : callable, optional
        ``adjust(controls, changed)``; ``changed`` is the name of the moved control
        (``None`` at construction).
    continuous_update : bool, optional
        If given, set on every control that has this trait. ``True`` updates while a
        slider is dragged (ipywidgets keeps at most one change in flight per control
        and then sends the latest value, so a slow update never queues stale ones);
        use ``False`` (update on release) for a control whose slowest update in
        ``benchmarks/bench_widgets.py`` exceeds the per-move budget.

    Attributes
    ----------
    widget : ipywidgets.VBox
        Hint line, controls, picture and text; what the notebook displays.
    text : ipywidgets.HTML
        The text below the figure.
    result_ : object
        The last result of ``state``.
    last_error_ : Exception or None
        The error of the last update (``None`` after a successful one).
    updates_ : int
        Number of completed updates.

    Examples
    --------
    >>> import ipywidgets as widgets
    >>> fig = LiveFigure(figsize=(4, 2))
    >>> (line,) = fig.ax.plot([0, 1], [0, 0])
    >>> def draw(result, slope):
    ...     line.set_ydata(result)
    ...     return f"slope {slope:.1f}"
    >>> live = LiveWidget(cached_state(lambda slope: (0.0, slope)), draw, fig,
    ...                   {"slope": widgets.FloatSlider(value=1.0, min=-2, max=2, step=0.5)})
    >>> live.controls["slope"].value = 2.0
    >>> live.result_, live.updates_
    ((0.0, 2.0), 2)
    """

    def __init__(self, state: Callable, draw: Callable, figure: LiveFigure,
                 controls: Mapping[str, ipywidgets.ValueWidget], *,
                 adjust: Callable | None = None, continuous_update: bool | None = None):
        for name, func in (("state", state), ("draw", draw)):
            if not callable(func):
                raise TypeError(f"{name} must be callable, got {type(func).__name__}")
        if adjust is not None and not callable(adjust):
            raise TypeError(f"adjust must be callable or None, got {type(adjust).__name__}")
        if not isinstance(figure, LiveFigure):
            raise TypeError(f"figure must be a LiveFigure, got {type(figure).__name__}")
        if not isinstance(controls, Mapping) or not controls:
            raise TypeError("controls must be a non-empty mapping of names to ipywidgets controls")
        for name, control in controls.items():
            if not isinstance(name, str) or not name.isidentifier():
                raise ValueError(f"control names must be Python identifiers, got {name!r}")
            if not isinstance(control, ipywidgets.ValueWidget):
                raise TypeError(f"controls[{name!r}] must be an ipywidgets control with a value, "
                                f"got {type(control).__name__}")
        if continuous_update is not None and not isinstance(continuous_update, bool):
            raise TypeError(f"continuous_update must be True, False or None, got {continuous_update!r}")

        self.state, self.draw, self.figure, self.adjust = state, draw, figure, adjust
        self.controls = dict(controls)
        for name, control in self.controls.items():
            if continuous_update is not None and control.has_trait("continuous_update"):
                control.continuous_update = continuous_update
            if control.has_trait("description") and not control.description:
                control.description = name
        self.text = ipywidgets.HTML()
        self.text.add_class(CLASS_TEXT)
        self._hint = ipywidgets.HTML(_HINT_HTML)
        self.widget = ipywidgets.VBox([self._hint, *self.controls.values(), figure.image, self.text])
        self.widget.add_class(CLASS_WIDGET)
        self.result_ = None
        self.last_error_ = None
        self.updates_ = 0
        self._busy = False
        self.update(raise_errors=True)
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        _LIVE_WIDGETS.add(self)

    def values(self) -> dict[str, Any]:
        """The current control values, by name."""
        return {name: control.value for name, control in self.controls.items()}

    def _on_change(self, change):
        if self._busy:  # a change made by `adjust` (or by draw): the running update reads it
            return
        changed = next((n for n, c in self.controls.items() if c is change["owner"]), None)
        self.update(changed)

    def update(self, changed: str | None = None, *, raise_errors: bool = False) -> None:
        """Recompute the state from the current values and redraw (what a move triggers)."""
        self._busy = True
        try:
            if self.adjust is not None:
                self.adjust(self.controls, changed)
            values = self.values()
            result = self.state(**values)
            text = self.draw(result, **values)
            if text is not None and not isinstance(text, str):
                raise TypeError(f"draw must return a str or None, got {type(text).__name__}")
            self.figure.render()
        except Exception as exc:  # shown to the student; the widget keeps working
            self.last_error_ = exc
            summary = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            self.text.value = (f"<div class='{CLASS_ERROR}' style='color:#b00020;white-space:pre-wrap'>"
                               f"error: {html.escape(summary)}</div>")
            if raise_errors:
                raise
            return
        finally:
            self._busy = False
        self.result_, self.last_error_ = result, None
        self.updates_ += 1
        self.text.value = (f"<div style='font-family:monospace;white-space:pre-wrap'>{html.escape(text)}</div>"
                           if text else "")

    def static_html(self) -> str:
        """The picture before the kernel runs: current figure, text and :data:`STATIC_HINT`."""
        return (f"<div class='{CLASS_WIDGET}-static'>"
                f"<p><em>{html.escape(STATIC_HINT)}</em></p>"
                f"<img src='{self.figure.data_uri()}' alt='stored picture of the widget' "
                f"width='{int(round(self.figure.figure.get_figwidth() * self.figure.dpi))}'/>"
                f"{self.text.value}</div>")

    def _repr_mimebundle_(self, **kwargs):
        # The widget view for a live (or trusted) notebook; a safe HTML picture for the rest:
        # JupyterLab renders unsafe widget views only in trusted notebooks and falls back to
        # the richest safe type (text/html is sanitised, its data-URI image kept).
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/html"] = self.static_html()
        bundle["text/plain"] = STATIC_HINT
        return bundle


def live_widgets() -> list[LiveWidget]:
    """The :class:`LiveWidget` objects alive in this kernel (the benchmark reads their errors)."""
    return list(_LIVE_WIDGETS)


# ---------------------------------------------------------------------------------------------
# Caching


def _normalise(name, value, decimals):
    """A hashable, rounded version of one argument (the value the state function receives)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"{name} must be finite, got {value!r}")
        return round(value, decimals) + 0.0  # + 0.0 turns -0.0 into 0.0
    if isinstance(value, tuple):
        return tuple(_normalise(name, v, decimals) for v in value)
    try:
        hash(value)
    except TypeError:
        raise TypeError(f"{name}: a cached state function takes hashable control values "
                        f"(numbers, strings, tuples), got {type(value).__name__}") from None
    return value


class CachedState:
    """A state function with a least-recently-used cache keyed by rounded arguments.

    Made by :func:`cached_state` or :func:`precompute`. Calling it rounds every float
    argument to ``decimals`` digits, then returns the stored result or computes
    ``func(**rounded)`` and stores it. The function is called with the *rounded* values,
    so a result always belongs exactly to its key. Results are shared between calls:
    they must be immutable (frozen dataclasses; do not modify their arrays).

    Attributes
    ----------
    func : callable
        The wrapped state function.
    maxsize : int or None
        Results kept (``None``: all).
    hits, misses : int
    """

    def __init__(self, func: Callable, *, maxsize: int | None = 1024, decimals: int = 10):
        if not callable(func):
            raise TypeError(f"func must be callable, got {type(func).__name__}")
        if maxsize is not None and (not isinstance(maxsize, numbers.Integral) or maxsize < 1):
            raise ValueError(f"maxsize must be a positive integer or None, got {maxsize!r}")
        if not isinstance(decimals, numbers.Integral) or not 0 <= decimals <= 15:
            raise ValueError(f"decimals must be an integer in [0, 15], got {decimals!r}")
        self.func, self.maxsize, self.decimals = func, maxsize, int(decimals)
        self._signature = inspect.signature(func)
        self._store: OrderedDict = OrderedDict()
        self.hits = self.misses = 0
        self.__wrapped__ = func
        self.__doc__ = func.__doc__
        self.__name__ = getattr(func, "__name__", "state")

    def key(self, *args, **kwargs) -> tuple:
        """The cache key of a call: its arguments by name, defaults applied, floats rounded."""
        try:
            bound = self._signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"{self.__name__}: {exc}") from None
        bound.apply_defaults()
        return tuple((name, _normalise(name, value, self.decimals)) for name, value in bound.arguments.items())

    def __call__(self, *args, **kwargs):
        key = self.key(*args, **kwargs)
        if key in self._store:
            self.hits += 1
            self._store.move_to_end(key)
            return self._store[key]
        self.misses += 1
        result = self.func(**dict(key))
        self._put(key, result)
        return result

    def _put(self, key, result):
        self._store[key] = result
        self._store.move_to_end(key)
        if self.maxsize is not None:
            while len(self._store) > self.maxsize:
                self._store.popitem(last=False)

    def __len__(self):
        return len(self._store)

    def __contains__(self, kwargs: Mapping) -> bool:
        return self.key(**kwargs) in self._store

    def clear(self) -> None:
        """Forget every stored result."""
        self._store.clear()
        self.hits = self.misses = 0


def cached_state(func: Callable | None = None, *, maxsize: int | None = 1024, decimals: int = 10):
    """Wrap a pure state function in a :class:`CachedState` (usable as a decorator).

    Parameters
    ----------
    func : callable
        Takes the control values as named arguments.
    maxsize : int or None, default 1024
        Results kept, least recently used dropped first (``None``: unbounded).
    decimals : int, default 10
        Floats are rounded to this many decimals before the lookup and the call (slider
        values such as ``0.1 + 0.2`` then hit the entry of ``0.3``).

    Examples
    --------
    >>> calls = []
    >>> @cached_state
    ... def square(x):
    ...     calls.append(x)
    ...     return x * x
    >>> square(0.1 + 0.2) == square(0.3), calls
    (True, [0.3])
    """
    if func is None:
        return lambda f: CachedState(f, maxsize=maxsize, decimals=decimals)
    return CachedState(func, maxsize=maxsize, decimals=decimals)


def precompute(state: Callable, controls: Mapping[str, ipywidgets.ValueWidget], *, max_points: int = 500,
               n_jobs: int = 1, decimals: int = 10, show: bool | None = None) -> CachedState:
    """Evaluate ``state`` on every combination of values the controls offer, once.

    Returns a :class:`CachedState` holding all results (a value off the grid, e.g. typed
    into a text box, is computed on demand and cached). Use it when the grid is small:
    every move is then a lookup.

    Parameters
    ----------
    state : callable
        Pure state function taking the control values by name.
    controls : mapping of str to ipywidgets controls
        The controls a :class:`LiveWidget` will offer; their values come from
        :func:`control_values`.
    max_points : int, default 500
        Refuse (``ValueError``) grids larger than this; cache on demand instead.
    n_jobs : int, default 1
        Parallel evaluation through :func:`tutorial_lib.core.progress.parallel_map` (joblib).
    show : bool, optional
        Progress bar (default: on unless ``TUTORIAL_LIB_PROGRESS=0``).
    """
    from .core.progress import parallel_map

    if not isinstance(max_points, numbers.Integral) or max_points < 1:
        raise ValueError(f"max_points must be a positive integer, got {max_points!r}")
    if not isinstance(controls, Mapping) or not controls:
        raise TypeError("controls must be a non-empty mapping of names to ipywidgets controls")
    names = list(controls)
    grids = [control_values(controls[name]) for name in names]
    size = math.prod(len(g) for g in grids)
    if size > max_points:
        raise ValueError(f"the controls offer {size} combinations, more than max_points={max_points}; "
                         "use cached_state (results computed on demand) or coarser steps")
    cache = CachedState(state, maxsize=None, decimals=decimals)
    keys = [cache.key(**dict(zip(names, combo))) for combo in itertools.product(*grids)]
    results = parallel_map(_call_with_key, [(state, key) for key in keys], n_jobs=n_jobs,
                           desc="precomputing widget states", show=show)
    for key, result in zip(keys, results):
        cache._put(key, result)
    return cache


def _call_with_key(job):
    state, key = job
    return state(**dict(key))


# ---------------------------------------------------------------------------------------------
# Controls


def _grid_count(low, high, step):
    return int(math.floor((high - low) / step + 1e-9)) + 1


def control_values(control, max_values: int | None = None) -> list:
    """The values a control offers, in order (evenly thinned to ``max_values`` if given).

    Sliders and bounded number boxes: ``min + k * step`` up to ``max`` (for
    ``FloatLogSlider`` the exponents); selections (dropdowns, selection sliders, toggle
    and radio buttons): their option values; check boxes and toggle buttons:
    ``[False, True]``. Thinning keeps the first and the last value.
    """
    if max_values is not None and (not isinstance(max_values, numbers.Integral) or max_values < 1):
        raise ValueError(f"max_values must be a positive integer or None, got {max_values!r}")
    if isinstance(control, ipywidgets.widgets.widget_selection._Selection):
        values = list(control._options_values)
    elif isinstance(control, (ipywidgets.Checkbox, ipywidgets.ToggleButton)):
        values = [False, True]
    elif isinstance(control, ipywidgets.FloatLogSlider):
        count = _grid_count(control.min, control.max, control.step)
        exps = [control.min + k * control.step for k in _thin(count, max_values)]
        values = [float(control.base ** e) for e in exps]
    elif isinstance(control, (ipywidgets.IntSlider, ipywidgets.BoundedIntText)):
        step = getattr(control, "step", 1) or 1
        count = _grid_count(control.min, control.max, step)
        values = [int(control.min + k * step) for k in _thin(count, max_values)]
    elif isinstance(control, (ipywidgets.FloatSlider, ipywidgets.BoundedFloatText)):
        step = control.step
        if step is None or step <= 0:
            raise ValueError(f"{type(control).__name__} has no positive step: its values cannot be listed")
        count = _grid_count(control.min, control.max, step)
        digits = max(0, -math.floor(math.log10(step))) + 6
        values = [round(control.min + k * step, digits) for k in _thin(count, max_values)]
    else:
        raise TypeError(f"cannot list the values of a {type(control).__name__}")
    if max_values is not None and len(values) > max_values:
        values = [values[k] for k in _thin(len(values), max_values)]
    return values


def _thin(count, max_values):
    if max_values is None or count <= max_values:
        return range(count)
    if max_values == 1:
        return [0]
    return sorted({int(round(k * (count - 1) / (max_values - 1))) for k in range(max_values)})


# Widgets with a value that only display something; never "controls".
_DISPLAY_ONLY = (ipywidgets.Label, ipywidgets.HTML, ipywidgets.HTMLMath, ipywidgets.Valid,
                 ipywidgets.Image, ipywidgets.Output, ipywidgets.Play)


def live_controls() -> list:
    """Every control in this kernel's widget registry that has a ``value`` observer.

    A control is an ipywidgets ``ValueWidget`` shown in the page (a ``DOMWidget``) that
    the user can change (not a label, HTML text, image, output area or ``Play``), with
    at least one Python observer of its ``value`` (``interact``, :class:`LiveWidget` or
    ``observe``). Ordered by creation (the registry's order).
    """
    from ipywidgets.widgets.widget import _instances

    found = []
    for widget in list(_instances.values()):
        if not isinstance(widget, ipywidgets.ValueWidget) or not isinstance(widget, ipywidgets.DOMWidget):
            continue
        if isinstance(widget, _DISPLAY_ONLY):
            continue
        observers = widget._trait_notifiers.get("value", {}).get("change", [])
        if observers:
            found.append(widget)
    return found
