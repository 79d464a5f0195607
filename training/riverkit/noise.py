"""Cheap procedural noise: everything the renderer textures is built from these.

Fractal ("value") noise is a sum of random grids upsampled with bicubic
interpolation; it is fast in numpy/cv2 and good enough for water, grass,
bark and clouds.
"""
import cv2
import numpy as np


def fractal(rng, h, w, base=8, octaves=4, persistence=0.5, aniso=(1.0, 1.0)):
    """Float32 noise in roughly [-1, 1], shape (h, w).

    `base` is the number of cells across the smaller side at the coarsest
    octave; `aniso` stretches cells (e.g. (1, 4) gives horizontal streaks,
    which is what water seen at a grazing angle looks like).
    """
    out = np.zeros((h, w), np.float32)
    amp, total = 1.0, 0.0
    for o in range(octaves):
        cells = base * (2 ** o)
        gh = max(2, int(cells * h / min(h, w) / aniso[0]))
        gw = max(2, int(cells * w / min(h, w) / aniso[1]))
        grid = rng.standard_normal((gh, gw)).astype(np.float32)
        out += amp * cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC)
        total += amp
        amp *= persistence
    out /= total
    return np.clip(out / 1.5, -1.0, 1.0)


def smooth_curve(rng, n, cells=6, amp=1.0):
    """A 1-D smooth random curve of length n (bank edges, skylines)."""
    grid = rng.standard_normal((1, max(2, cells))).astype(np.float32)
    return cv2.resize(grid, (n, 1), interpolation=cv2.INTER_CUBIC)[0] * amp
