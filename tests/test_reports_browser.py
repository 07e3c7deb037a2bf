"""report.html in headless Chromium: it renders (not blank), fetches nothing, shows the verdict
and a counterexample. Needs Debian's `chromium` (.ci/run installs it)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from drun_conformance.reports import write_reports
from drun_conformance.reports._chromium import dump_dom, screenshot
from tests._png import distinct_colours, read_png
from tests._report_data import SECRET, four_targets
from tests.conftest import needs_chromium

pytestmark = [pytest.mark.slow, needs_chromium()]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    write_reports(four_targets(), folder, secrets=[SECRET])
    return folder / "report.html"


class _Recorder(ThreadingHTTPServer):
    """Serves the report and, as the browser's proxy, sees every request it makes, to any host."""

    def __init__(self, page: Path) -> None:
        self.page = page
        self.requests: list[str] = []
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Recorder

    def _record(self) -> None:
        self.server.requests.append(f"{self.command} {self.path}")

    def do_GET(self) -> None:
        self._record()
        if self.path.endswith("/report.html"):
            body = self.server.page.read_bytes()
            self.send_response(200)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_error(404)

    def do_CONNECT(self) -> None:  # an https request through the proxy
        self._record()
        self.send_error(403)

    do_POST = do_HEAD = do_PUT = do_OPTIONS = do_GET

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def recorder(report: Path) -> Iterator[_Recorder]:
    server = _Recorder(report)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


# Chromium's own services still call home (component updates, sign-in) whatever the flags; they
# are told apart by host. The control test below shows a page's own request is still caught.
_BROWSER_HOSTS = ("google.com", "googleapis.com", "gvt1.com", "gstatic.com")


def _page_requests(recorder: _Recorder, page_url: str) -> list[str]:
    proxy = f"127.0.0.1:{recorder.server_address[1]}"
    # Every request the browser makes goes through the recorder, loopback included.
    dump_dom(page_url, extra=[f"--proxy-server=http://{proxy}", "--proxy-bypass-list=<-loopback>"])
    return [r for r in recorder.requests if not _host(r).endswith(_BROWSER_HOSTS)]


def _host(request: str) -> str:
    target = request.split(" ", 1)[1]
    return target.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0]


def test_the_page_fetches_nothing(recorder: _Recorder) -> None:
    page = f"http://127.0.0.1:{recorder.server_address[1]}/report.html"
    assert _page_requests(recorder, page) == [f"GET {page}"]


def test_control_a_fetching_page_is_caught(recorder: _Recorder, tmp_path: Path) -> None:
    leaky = tmp_path / "report.html"
    leaky.write_text(
        '<img src="http://fonts.example.test/a.png"><link rel="stylesheet" href="https://cdn.example.test/x.css">'
    )
    recorder.page = leaky
    page = f"http://127.0.0.1:{recorder.server_address[1]}/report.html"
    requests = _page_requests(recorder, page)
    assert "GET http://fonts.example.test/a.png" in requests
    assert "CONNECT cdn.example.test:443" in requests


def test_verdict_and_counterexample_in_the_dom(report: Path) -> None:
    dom = dump_dom(report.as_uri() + "#t0-run.outcome.exactly-one")
    assert '<html lang="en" class="">' in dom  # the script ran (progressive enhancement)
    assert 'class="verdict non-conformant"' in dom and "<h1>Non-conformant</h1>" in dom
    start = dom.index('id="t0-run.outcome.exactly-one"')
    failure = dom[dom.rindex("<details", 0, start) : dom.index("</details>", start)]
    assert "open" in failure[: failure.index(">")]  # the link opened it: one click
    assert "agent_archived_error" in failure and 'class="observed"' in failure
    assert "curl -sS -i -X POST" in failure
    assert SECRET not in dom


def test_the_screenshot_is_not_blank(report: Path, tmp_path: Path) -> None:
    png = tmp_path / "report.png"
    screenshot(report.as_uri(), png, width=1024, height=768)
    width, height, _, _ = read_png(png)
    assert (width, height) == (1024, 768)
    assert distinct_colours(png) > 50  # text, chips, the red banner: far from a blank page
