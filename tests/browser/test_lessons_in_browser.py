"""Every lesson notebook in a real browser: headless Chromium (Debian's package) driving JupyterLab.

Run with ``make browser-test`` (needs ``apt-get install chromium`` and the ``[browser]`` extra).
The server is the one ``make lab`` starts (repository as root), on a free port with a token, with
throw-away Jupyter config/data/settings/workspace folders: notebooks are untrusted there, as in a
fresh clone, autosave is off, and nothing of the user's Jupyter set-up is read or written.

For each ``notebooks/*.ipynb``:

1. before the kernel runs: every stored ``LiveWidget`` output shows its static picture and the
   line "run this cell to make it live" (the pre-kernel view of ``tutorial_lib.widgets``);
2. Run > Run All Cells; every code cell finishes; no error or stderr output;
3. for each widget (``interact`` or ``LiveWidget``), move its first control (slider: arrow keys on
   the handle; dropdown: another option) and wait until the widget's picture/text changes; record
   how long that took in the browser and when it settled; no error output appears.

A last test signs one notebook (in the throw-away data folder) and checks that JupyterLab renders
the stored widget state (picture and hint, disconnected controls) before the kernel runs.
Screenshots and ``report.json`` (timings) go to ``browser-artifacts/`` (``BROWSER_ARTIFACTS``).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

playwright_api = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[browser]'")

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("BROWSER_ARTIFACTS", ROOT / "browser-artifacts"))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# As root in a container, and quiet on a machine without network: no sandbox, GPU, QUIC, first-run
# pages, background/component/sync traffic.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage"]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
RUN_TIMEOUT_S = float(os.environ.get("BROWSER_RUN_TIMEOUT", 240))
CHANGE_TIMEOUT_S = 60.0
SETTLE_S = 1.5
REPORT: dict[str, dict] = {}

CONTROL = ".widget-slider, .widget-dropdown, .widget-toggle-buttons, .widget-radio, .widget-checkbox"
ERROR_OUTPUTS = ('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"], '
                 '.tl-live-error')

# The widget's picture and text (not its controls): what must change after a move.
SIGNATURE_JS = """(root) => {
  const parts = [];
  root.querySelectorAll('img').forEach(img => parts.push(img.src.length + ':' + img.src.slice(-64)));
  root.querySelectorAll('.jp-OutputArea-output, .tl-live-text').forEach(n => parts.push(n.innerText));
  return parts.join('|');
}"""


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_json(path: Path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


def _digest(paths):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    """`make lab`'s server on a free port with a token, in throw-away Jupyter folders."""
    home = tmp_path_factory.mktemp("jupyter-home")
    settings = home / "settings" / "@jupyterlab"
    _write_json(settings / "docmanager-extension" / "plugin.jupyterlab-settings", {"autosave": False})
    _write_json(settings / "notebook-extension" / "tracker.jupyterlab-settings", {"windowingMode": "none"})
    _write_json(settings / "apputils-extension" / "notification.jupyterlab-settings",
                {"fetchNews": "false", "checkForUpdates": False})
    _write_json(home / "config" / "labconfig" / "page_config.json",
                {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}})
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_DATA_DIR=str(home / "data"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"), JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"), TUTORIAL_LIB_PROGRESS="0")
    port, token = _free_port(), secrets.token_hex(16)
    opts = (f"--no-browser --port={port} --ServerApp.ip=127.0.0.1 --IdentityProvider.token={token} "
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate")
    # the root folder is `make lab`'s own (--ServerApp.root_dir=the repository): not repeated here
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        opts += " --allow-root"
    log_path = ARTIFACTS / "jupyterlab.log"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    before = _digest(NOTEBOOKS)
    log = open(log_path, "w")
    server = subprocess.Popen(["make", "--no-print-directory", "lab", f"LAB_OPTS={opts}"], cwd=ROOT, env=env,
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            if server.poll() is not None:
                pytest.fail(f"`make lab` exited with {server.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer in 180 s:\n{log_path.read_text()[-3000:]}")
                time.sleep(0.5)
        yield {"base": base, "token": token, "env": env}
    finally:
        try:
            os.killpg(server.pid, signal.SIGTERM)   # the process group this fixture started
            server.wait(30)
        except ProcessLookupError:                  # the server had already exited
            pass
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(10)
        log.close()
        _write_json(ARTIFACTS / "report.json", REPORT)
        assert _digest(NOTEBOOKS) == before, "the browser test changed a stored notebook"


@pytest.fixture(scope="session")
def browser(tmp_path_factory, lab):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: apt-get install -y chromium")
    with playwright_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=CHROMIUM, headless=True,
            args=CHROMIUM_FLAGS, viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.goto(f"{lab['base']}/lab?token={lab['token']}")   # log in once (cookie)
        page.wait_for_selector(".jp-LabShell", timeout=120_000)
        page.close()
        yield context
        context.close()


def _open(context, lab, path: Path, workspace: str):
    page = context.new_page()
    messages = []
    page.on("pageerror", lambda exc: messages.append(f"page error: {exc}"))
    rel = path.relative_to(ROOT).as_posix()
    page.goto(f"{lab['base']}/lab/workspaces/{workspace}/tree/{rel}?reset")
    try:
        page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=120_000)
        _wait_for_kernel(page)
    except playwright_api.Error:
        _shot(page, f"{path.stem[:2]}_open_failed.png")
        raise
    return page, messages


# The status bar says "Python 3 (ipykernel) | Idle" once the kernel is started AND connected (the
# toolbar's execution indicator says idle earlier, while the websocket is still connecting).
KERNEL_IDLE_JS = r"""() => [...document.querySelectorAll('.jp-StatusBar-TextItem')]
                          .some(e => /\| Idle$/.test(e.textContent.trim()))"""


def _wait_for_kernel(page, timeout_s=180):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        # If the kernel is slow to start, JupyterLab may ask which kernel to use: take the preferred one.
        accept = page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept")
        if accept.count():
            accept.first.click()
        if page.evaluate(KERNEL_IDLE_JS):
            return
        time.sleep(0.25)
    raise AssertionError(f"the kernel was not started and idle within {timeout_s} s")


def _code_cells(path):
    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code" and c.source.strip()]


def _run_all(page, n_code):
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
    page.wait_for_function(
        r"""(n) => { const p = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map(e => e.innerText);
                     return p.filter(t => /\[\d+\]/.test(t)).length >= n && !p.some(t => t.includes('*')); }""",
        arg=n_code, timeout=RUN_TIMEOUT_S * 1000, polling=250)
    _wait_for_kernel(page)


def _errors(page):
    texts = page.locator(ERROR_OUTPUTS).all_inner_texts()
    texts += [t for t in page.locator(".jp-OutputArea-output").all_inner_texts() if "Error displaying widget" in t]
    return texts


def _move(page, control):
    """Move a control by a user's means; return a description of the move."""
    kind = control.get_attribute("class")
    if "widget-dropdown" in kind:
        select = control.locator("select")
        options = select.locator("option").all_inner_texts()
        current = select.evaluate("s => s.selectedIndex")
        select.select_option(index=(current + 1) % len(options))
        return f"dropdown -> {options[(current + 1) % len(options)]}"
    if "widget-slider" in kind:
        handle = control.locator(".noUi-handle").first
        readout = control.locator(".widget-readout").first
        start = readout.inner_text()
        handle.focus()
        for key in ("ArrowRight", "ArrowLeft"):
            for _ in range(3):
                page.keyboard.press(key)
            if readout.inner_text() != start:
                return f"slider {start} -> {readout.inner_text()} ({key} x3)"
        raise AssertionError(f"the slider did not move from {start}")
    control.locator("button, input").first.click()
    return "clicked"


def _wait_for_change(page, root, before):
    """Seconds until the widget's picture/text first changed, and until it stopped changing."""
    t0 = time.monotonic()
    first = last = None
    signature = before
    while time.monotonic() - t0 < CHANGE_TIMEOUT_S:
        now = root.evaluate(SIGNATURE_JS)
        if now != signature:
            last = time.monotonic() - t0
            first = first if first is not None else last
            signature = now
        elif first is not None and time.monotonic() - t0 - last > SETTLE_S:
            break
        time.sleep(0.02)
    return first, last


def _shot(page_or_locator, name):
    page_or_locator.screenshot(path=str(ARTIFACTS / name))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_lesson_runs_and_its_widgets_respond(browser, lab, path):
    stem = path.stem[:2]
    entry = REPORT.setdefault(path.name, {})
    page, messages = _open(browser, lab, path, f"browser-test-{stem}")
    try:
        # 1. the pre-kernel view of every stored LiveWidget
        n_live = path.read_text().count("tl-live-static")
        static = page.locator(".tl-live-static")
        for k in range(n_live):
            view = static.nth(k)
            view.wait_for(timeout=60_000)     # outputs render after the first cells appear
            view.scroll_into_view_if_needed()
            assert "run this cell" in view.inner_text()
            assert view.locator("img").evaluate("img => img.complete && img.naturalWidth > 0"), "no stored picture"
            _shot(view, f"{stem}_widget{k}_before_kernel.png")
        assert static.count() == n_live
        entry["stored_live_widgets"] = n_live

        # 2. run every cell
        t0 = time.monotonic()
        _run_all(page, len(_code_cells(path)))
        entry["run_all_s"] = round(time.monotonic() - t0, 1)
        assert _errors(page) == [], f"{path.name}: error output after Run All"
        _shot(page, f"{stem}_after_run_all.png")

        # 3. move one control of each widget
        roots = page.locator(".widget-interact, .tl-live")
        assert roots.count() >= 1, f"{path.name}: no live widget after running"
        entry["widgets"] = []
        for k in range(roots.count()):
            root = roots.nth(k)
            root.scroll_into_view_if_needed()
            if root.locator(".tl-live-hint").count():
                assert not root.locator(".tl-live-hint").is_visible(), "the 'run this cell' hint shows on a live widget"
            control = root.locator(CONTROL).first
            _shot(root, f"{stem}_widget{k}_before_move.png")
            before = root.evaluate(SIGNATURE_JS)
            move = _move(page, control)
            first, settled = _wait_for_change(page, root, before)
            _shot(root, f"{stem}_widget{k}_after_move.png")
            entry["widgets"].append({"move": move, "first_change_s": first, "settled_s": settled})
            assert first is not None, f"{path.name}: widget {k} did not change within {CHANGE_TIMEOUT_S} s ({move})"
            assert _errors(page) == [], f"{path.name}: error output after moving widget {k} ({move})"
        assert not messages, f"{path.name}: {messages}"
    except Exception:
        _shot(page, f"{stem}_FAILED.png")
        raise
    finally:
        page.close()


def test_trusted_notebook_renders_stored_widget_state(browser, lab):
    """Signed (trusted) notebooks render the stored widget state before the kernel runs."""
    path = next(p for p in NOTEBOOKS if "tl-live-static" in p.read_text())
    subprocess.run([str(ROOT / ".venv" / "bin" / "jupyter"), "trust", str(path)], env=lab["env"], check=True,
                   capture_output=True)
    page, _ = _open(browser, lab, path, "browser-test-trusted")
    try:
        live = page.locator(".tl-live").first
        live.wait_for(timeout=60_000)
        live.scroll_into_view_if_needed()
        assert live.locator(".tl-live-figure").evaluate("img => img.complete && img.naturalWidth > 0")
        assert live.locator(".tl-live-hint").is_visible(), "no 'run this cell' line on the stored widget"
        assert live.locator(".jupyter-widgets-disconnected").count() > 0
        _shot(live, f"{path.stem[:2]}_trusted_stored_state.png")
    finally:
        page.close()
