"""A figure that re-renders to PNG fast: what every widget of the course shows.

Why PNG in an Image widget: ipympl is not installed, and re-displaying an inline
figure on every slider step flickers. :class:`LiveFigure` draws the axes, ticks and
labels once and caches them as a background; an update redraws only the artists
that change, and :func:`encode_png` turns the pixels into PNG bytes without Pillow.
"""
from __future__ import annotations

import struct
import zlib

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["LiveFigure", "encode_png"]


class LiveFigure:
    """A matplotlib :class:`~matplotlib.figure.Figure` that renders itself to PNG bytes
    quickly and repeatedly.

    Artists registered with :meth:`animate` are left out of the cached background
    and drawn on top of it at each :meth:`render`; the background (axes, ticks,
    labels) is redrawn only when ``render(key)`` gets a key different from the last
    one (pass the axis limits as the key). The figure is not managed by pyplot, so
    a notebook never displays it by itself.
    """

    def __init__(self, figsize, dpi=80):
        self.figure = Figure(figsize=figsize, dpi=dpi)
        self.canvas = FigureCanvasAgg(self.figure)
        self._animated = []
        self._background = None
        self._key = object()
        self.full_redraws = 0

    def animate(self, *artists):
        """Mark artists as changing on every update (drawn over the cached background)."""
        for a in artists:
            a.set_animated(True)
            self._animated.append(a)
        return artists[0] if len(artists) == 1 else artists

    def render(self, key=None):
        """Draw (the background only if ``key`` changed) and return the PNG bytes."""
        if self._background is None or key != self._key:
            self.canvas.draw()                      # skips the animated artists
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
            self._key = key
            self.full_redraws += 1
        else:
            self.canvas.restore_region(self._background)
        renderer = self.canvas.get_renderer()
        for a in self._animated:
            if a.get_visible():
                a.draw(renderer)
        return encode_png(np.asarray(self.canvas.buffer_rgba()))


def _png_chunk(tag, data):
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


def encode_png(rgba, level=1):
    """PNG bytes of an (height, width, 4) uint8 image, written as RGB with no row filter
    and zlib level 1: about twice as fast as Pillow's encoder for a plot, whose large
    white areas compress well anyway (a frame is ~40 kB)."""
    rgba = np.asarray(rgba)
    if rgba.ndim != 3 or rgba.shape[2] != 4 or rgba.dtype != np.uint8:
        raise ValueError(f"rgba must be a (height, width, 4) uint8 array, got {rgba.shape} {rgba.dtype}")
    height, width, _ = rgba.shape
    rows = np.zeros((height, 1 + 3 * width), dtype=np.uint8)       # first byte of a row: filter 0
    rows[:, 1:] = rgba[:, :, :3].reshape(height, 3 * width)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
            + _png_chunk(b"IDAT", zlib.compress(rows.tobytes(), level)) + _png_chunk(b"IEND", b""))
