"""The real-browser test is not part of `make test`'s unit-test run: it needs Chromium, Playwright
and a JupyterLab server, and takes minutes. `make browser-test` runs it (BROWSER_TEST=1)."""
import os

if os.environ.get("BROWSER_TEST") != "1":
    collect_ignore_glob = ["test_*.py"]
