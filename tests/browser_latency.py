"""How long a slider takes in the browser: from the input event to the new image, decoded.

Shared by tests/test_browser.py (a few presses per slider, a generous bound, the numbers
written to build/browser/latency.json) and benchmarks/bench_browser_latency.py (more
presses, medians and spread, before/after comparisons).

What is measured, for one key press on a slider's handle (as a keyboard user moves it):

    t0   the keydown event reaches the handle (performance.now() in the page)
    ...  the slider's new value goes over the websocket, the kernel runs the callback
         (compute, redraw, PNG), the Image widget's new value comes back as a binary
         buffer, the view makes a blob: URL and sets the <img>'s src
    t1   that <img> has decoded the new picture (img.decode() resolved)

The latency is t1 - t0 of the *first* new image after the press. Every later image for the
same press is counted too (``images_per_input``): more than 1 means a redundant redraw, such
as one control re-syncing another and its observer redrawing again. Presses are spaced:
the next one is sent only when the kernel is idle again, so each is measured alone.

Each case is a small notebook that builds the widget the way its lesson does (the same
explorer, seed and defaults), so the measurement does not pay for the rest of the lesson.
"""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field

IMPORTS = "import numpy as np\nfrom course_lib.viz.widgets import HistogramExplorer, NeuronExplorer, " \
          "build_histogram_widget, build_neuron_widget"


@dataclass(frozen=True)
class SliderCase:
    """One slider of one lesson's widget: the cells that build it, which slider, which key."""

    name: str
    cells: tuple
    slider: str
    key: str = "ArrowRight"
    scope: str = ".widget-image"          # a selector inside the widget's output
    presses: int = 8
    needs_mnist: bool = False


CASES = {
    "02 std, depth 5": SliderCase(
        "02 std, depth 5",
        (IMPORTS, "explorer = HistogramExplorer(rng=np.random.default_rng(1))\nbuild_histogram_widget(explorer)"),
        "std"),
    "02 std, depth 50": SliderCase(
        "02 std, depth 50",
        (IMPORTS, "explorer = HistogramExplorer(rng=np.random.default_rng(1), depth=50)\n"
                  "build_histogram_widget(explorer)"),
        "std"),
    "02 depth, from 5": SliderCase(
        "02 depth, from 5",
        (IMPORTS, "explorer = HistogramExplorer(rng=np.random.default_rng(1))\nbuild_histogram_widget(explorer)"),
        "depth"),
    "01 std": SliderCase(
        "01 std",
        (IMPORTS, "explorer = NeuronExplorer(rng=np.random.default_rng(1))\nbuild_neuron_widget(explorer)"),
        "std"),
    "05 depth, from 30": SliderCase(
        "05 depth, from 30",
        ("import numpy as np\nfrom course_lib import load_mnist\nfrom course_lib.viz.depth_explorer import DepthExplorer",
         "X_train, y_train = load_mnist(progress=False).train\n"
         "explorer = DepthExplorer(X_train[:200], y_train[:200], width=100, seed=1)\n"
         "explorer.widget(depth=30, activation='relu', init='xavier_normal')"),
        "depth", needs_mnist=True),
}

#: The sliders the browser test measures (the benchmark measures all of CASES).
TESTED = ("02 std, depth 5", "02 depth, from 5", "01 std", "05 depth, from 30")

_INSTALL = """([handle, img]) => {
  const lat = {t0: null, times: [], images: 0, perPress: []};
  window.__latency = lat;
  handle.addEventListener('keydown', () => { lat.t0 = performance.now(); lat.perPress.push(0); },
                          {capture: true});
  new MutationObserver(async () => {
    const t0 = lat.t0;
    lat.images += 1;
    if (lat.perPress.length) lat.perPress[lat.perPress.length - 1] += 1;
    if (t0 === null) return;
    lat.t0 = null;
    try { await img.decode(); } catch (e) {}
    lat.times.push(performance.now() - t0);
  }).observe(img, {attributes: true, attributeFilter: ['src']});
}"""


@dataclass
class Measurement:
    """Latencies (ms) of one slider, one entry per press, and the images each press brought."""

    name: str
    latencies_ms: list = field(default_factory=list)
    images_per_press: list = field(default_factory=list)

    @property
    def median_ms(self):
        return statistics.median(self.latencies_ms)

    def summary(self):
        lat = sorted(self.latencies_ms)
        q = statistics.quantiles(lat, n=4) if len(lat) >= 2 else [lat[0]] * 3
        return dict(name=self.name, presses=len(lat), median_ms=round(self.median_ms, 1),
                    q1_ms=round(q[0], 1), q3_ms=round(q[2], 1), min_ms=round(lat[0], 1), max_ms=round(lat[-1], 1),
                    images_per_press=round(statistics.mean(self.images_per_press), 2),
                    latencies_ms=[round(v, 1) for v in self.latencies_ms])


def write_notebook(path, sources):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nbformat.write(nb, path)


def notebook_name(case):
    return "latency_" + "".join(c if c.isalnum() else "_" for c in case.name) + ".ipynb"


def measure_slider(nb, case, presses=None, settle=0.3, timeout=30.0):
    """Open ``case``'s notebook (a NotebookPage, not yet opened), Run All, then press the
    slider's key ``presses`` times, one at a time; return a :class:`Measurement`."""
    nb.open()
    nb.run_all(timeout=120)
    widget = nb.output_with(case.scope)
    img = widget.locator("img").first
    img.scroll_into_view_if_needed()
    handle = nb.slider(case.slider, scope=widget).locator(".noUi-handle").first
    nb.page.evaluate(_INSTALL, [handle.element_handle(), img.element_handle()])
    handle.focus()
    result = Measurement(case.name)
    for _ in range(presses or case.presses):
        done = len(result.latencies_ms)
        handle.press(case.key)
        nb.page.wait_for_function(f"window.__latency.times.length > {done}", timeout=timeout * 1000)
        nb.wait_for_kernel_idle(timeout)
        time.sleep(settle)                    # late images of this press arrive now, not in the next one
        state = nb.page.evaluate("window.__latency")
        result.latencies_ms = list(state["times"])
    result.images_per_press = list(nb.page.evaluate("window.__latency.perPress"))
    return result
