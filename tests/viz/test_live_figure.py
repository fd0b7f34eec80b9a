"""course_lib.viz.live_figure: the PNG encoder round-trips, and blitting equals a full redraw."""
import numpy as np
import pytest

from course_lib.viz.live_figure import LiveFigure, encode_png

from .test_widgets import pixels


def test_encode_png_round_trips(rng):
    rgba = rng.integers(0, 256, size=(7, 5, 4), dtype=np.uint8)
    out = pixels(encode_png(rgba))
    np.testing.assert_array_equal(out, rgba[:, :, :3])
    with pytest.raises(ValueError, match="rgba"):
        encode_png(np.zeros((3, 3), dtype=np.uint8))


def test_live_figure_blit_equals_full_redraw():
    """Drawing only the animated artists over the cached background gives the very
    same pixels as a full redraw of the same state."""
    def make():
        live = LiveFigure(figsize=(3, 2), dpi=50)
        ax = live.figure.add_subplot()
        ax.set_xlim(0, 4)
        ax.set_ylim(0, 10)
        line, = ax.plot([], [])
        live.animate(line)
        return live, line

    a, line_a = make()
    line_a.set_data([0, 1, 2], [1, 5, 2])
    a.render(key="k")
    line_a.set_data([0, 4], [9, 0])
    blitted = a.render(key="k")
    assert a.full_redraws == 1
    b, line_b = make()
    line_b.set_data([0, 4], [9, 0])
    np.testing.assert_array_equal(pixels(blitted), pixels(b.render(key="k")))
