"""Data augmentation: new training digits from old ones, a whole batch at a time.

A shifted, slightly rotated or gently warped 7 is still a 7. Showing the
network such variants teaches it that these changes do not matter, which is
the cheapest way to more training data (Simard et al., 2003).

Every transformation here is a *resampling*: for each output pixel ``(i, j)``
of image ``n`` we compute where in the input it comes from, ``(sy, sx)``, a
float coordinate, and read the input there by bilinear interpolation. The
coordinates of all images are arrays of shape ``(batch, side, side)`` and the
reads are one fancy-indexing gather per corner, so there is no Python loop
over the images. Pixels that come from outside the image are 0 (background).

Images are rows of ``x``, shape ``(batch, side * side)`` (``(batch, 784)`` for
MNIST), float32; the output has the same shape and dtype, and its values stay
within the input's range (bilinear weights are a convex combination).
"""

from __future__ import annotations

import math

import numpy as np


def _side(x: np.ndarray) -> int:
    """The image side ``s`` of ``x`` ``(batch, s * s)``; a clear error otherwise."""
    if getattr(x, "ndim", 0) != 2 or not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"expected float images of shape (batch, side*side), got "
                         f"{getattr(x, 'dtype', type(x))} {np.shape(x)}")
    side = math.isqrt(x.shape[1])
    if side * side != x.shape[1]:
        raise ValueError(f"rows of length {x.shape[1]} are not square images")
    return side


def identity_grid(n: int, side: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates ``(rows, cols)``, each ``(n, side, side)`` float32.

    Resampling at these coordinates gives back the images unchanged; every
    transformation below is a change of them.
    """
    r = np.arange(side, dtype=np.float32)
    rows = np.broadcast_to(r[None, :, None], (n, side, side))
    cols = np.broadcast_to(r[None, None, :], (n, side, side))
    return rows, cols


def resample(x: np.ndarray, sy: np.ndarray, sx: np.ndarray) -> np.ndarray:
    """Read image ``n`` at float coordinates ``(sy[n], sx[n])``, bilinearly.

    ``x`` is ``(batch, side * side)``; ``sy`` and ``sx`` are
    ``(batch, side, side)``: output pixel ``(i, j)`` of image ``n`` is the
    input at row ``sy[n, i, j]``, column ``sx[n, i, j]``. The images get a
    border of zeros, and coordinates are clipped into it, so anything read
    from outside is background.
    """
    side = _side(x)
    n, padded = len(x), side + 2
    canvas = np.zeros((n, padded, padded), x.dtype)
    canvas[:, 1:-1, 1:-1] = x.reshape(n, side, side)
    flat = canvas.reshape(n, padded * padded)
    y0f, x0f = np.floor(sy), np.floor(sx)
    wy, wx = (sy - y0f).astype(x.dtype), (sx - x0f).astype(x.dtype)
    # +1 for the border; clipping sends far-away reads onto the zero border
    y0 = np.clip(y0f.astype(np.intp) + 1, 0, padded - 1)
    x0 = np.clip(x0f.astype(np.intp) + 1, 0, padded - 1)
    y1, x1 = np.minimum(y0 + 1, padded - 1), np.minimum(x0 + 1, padded - 1)

    def at(yi: np.ndarray, xi: np.ndarray) -> np.ndarray:
        return np.take_along_axis(flat, (yi * padded + xi).reshape(n, -1), axis=1)

    wy, wx = wy.reshape(n, -1), wx.reshape(n, -1)
    top = at(y0, x0)
    top += wx * (at(y0, x1) - top)            # interpolate along the top row
    bottom = at(y1, x0)
    bottom += wx * (at(y1, x1) - bottom)      # ... and along the bottom row
    top += wy * (bottom - top)                # then between the two rows
    lo, hi = min(0.0, float(x.min(initial=0))), max(0.0, float(x.max(initial=0)))
    return np.clip(top, lo, hi)               # rounding must not leave the range


def shift(x: np.ndarray, dy: np.ndarray, dx: np.ndarray) -> np.ndarray:
    """Move image ``n`` down by ``dy[n]`` and right by ``dx[n]`` whole pixels.

    An exact copy of pixels (no interpolation) through a zero border as wide
    as the largest shift; what moves out is lost and what moves in is 0.
    """
    side, n = _side(x), len(x)
    dy, dx = np.asarray(dy, np.intp), np.asarray(dx, np.intp)
    m = int(max(np.abs(dy).max(initial=0), np.abs(dx).max(initial=0)))
    canvas = np.zeros((n, side + 2 * m, side + 2 * m), x.dtype)
    canvas[:, m:m + side, m:m + side] = x.reshape(n, side, side)
    r = np.arange(side)
    rows = (r[None, :] - dy[:, None] + m)[:, :, None]    # (n, side, 1)
    cols = (r[None, :] - dx[:, None] + m)[:, None, :]    # (n, 1, side)
    return canvas[np.arange(n)[:, None, None], rows, cols].reshape(n, side * side)


def random_shift(x: np.ndarray, rng: np.random.Generator,
                 max_shift: int = 2) -> np.ndarray:
    """Shift each image by its own random whole-pixel ``(dy, dx)``.

    ``dy`` and ``dx`` are drawn uniformly from ``-max_shift..max_shift``.
    """
    dy, dx = rng.integers(-max_shift, max_shift + 1, size=(2, len(x)))
    return shift(x, dy, dx)


def rotation_coordinates(angles: np.ndarray, side: int,
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Where each output pixel comes from when image ``n`` turns by ``angles[n]``.

    ``angles`` ``(batch,)`` in radians, counter-clockwise on screen; turning
    about the image centre ``c`` means reading the input at ``c + R(-a)(p - c)``
    for output pixel ``p``. Returns ``(sy, sx)``, each ``(batch, side, side)``.
    """
    c = (side - 1) / 2
    rows, cols = identity_grid(len(angles), side)
    cos = np.cos(angles).astype(np.float32)[:, None, None]
    sin = np.sin(angles).astype(np.float32)[:, None, None]
    py, px = rows - c, cols - c
    # rows grow downwards, so a counter-clockwise turn on screen maps
    # (y, x) -> (y cos - x sin, x cos + y sin); we read through its inverse.
    return c + cos * py + sin * px, c - sin * py + cos * px


def random_rotation(x: np.ndarray, rng: np.random.Generator,
                    max_degrees: float = 10.0) -> np.ndarray:
    """Rotate each image by its own angle, uniform in ``±max_degrees``."""
    angles = np.radians(rng.uniform(-max_degrees, max_degrees, len(x)))
    return resample(x, *rotation_coordinates(angles, _side(x)))


def gaussian_matrix(side: int, sigma: float) -> np.ndarray:
    """``(side, side)`` matrix ``G`` with ``G @ f`` = ``f`` blurred along axis 0.

    Row ``i`` holds a normalised Gaussian of standard deviation ``sigma``
    centred on ``i`` (zero beyond the edges), so ``G @ f @ G.T`` blurs a
    ``(side, side)`` field in both directions: a separable Gaussian filter
    written as two matrix products, which broadcast over a batch of fields.
    """
    d = np.arange(side)[:, None] - np.arange(side)[None, :]
    g = np.exp(-0.5 * (d / sigma) ** 2)
    offsets = np.arange(-side, side + 1)     # the whole kernel, for its sum
    return (g / np.exp(-0.5 * (offsets / sigma) ** 2).sum()).astype(np.float32)


def elastic_displacement(n: int, side: int, rng: np.random.Generator,
                         alpha: float = 34.0, sigma: float = 4.0,
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Smooth random displacement fields ``(dy, dx)``, each ``(n, side, side)``.

    Simard et al. (2003): draw every pixel's displacement uniformly in
    ``[-1, 1]``, blur it with a Gaussian of width ``sigma`` (neighbouring
    pixels then move together, like rubber) and scale it by ``alpha``.
    """
    g = gaussian_matrix(side, sigma)
    field = rng.uniform(-1, 1, size=(2, n, side, side)).astype(np.float32)
    smooth = alpha * (g @ field @ g.T)
    return smooth[0], smooth[1]


def elastic(x: np.ndarray, rng: np.random.Generator, alpha: float = 34.0,
            sigma: float = 4.0) -> np.ndarray:
    """Elastic distortion of each image by its own smooth random field."""
    side = _side(x)
    dy, dx = elastic_displacement(len(x), side, rng, alpha, sigma)
    rows, cols = identity_grid(len(x), side)
    return resample(x, rows + dy, cols + dx)


class Augment:
    """A random rotation, elastic distortion and shift of every image, in one pass.

    ``Augment(max_shift=2, max_degrees=10, elastic=(alpha, sigma), seed=0)``
    is a callable ``(batch, 784) -> (batch, 784)`` for ``fit(augment=...)``.
    The three source-coordinate changes are composed first and the images
    are resampled once, so the blur of interpolation is paid once. Shifts
    are whole pixels; with shifts alone the pixels are copied exactly.
    Seeded: the same seed gives the same sequence of batches.
    """

    def __init__(self, max_shift: int = 2, max_degrees: float = 0.0,
                 elastic: tuple[float, float] | None = None,
                 seed: int | np.random.Generator = 0) -> None:
        if not (0 <= max_shift < 2**31 and 0 <= max_degrees <= 180):  # NaN too
            raise ValueError(f"max_shift must be >= 0 and below 2**31, and "
                             "max_degrees >= 0 and at most 180 (a turn beyond "
                             f"is a smaller one), got {max_shift!r} and "
                             f"{max_degrees!r}")
        self.max_shift, self.max_degrees = int(max_shift), float(max_degrees)
        self.elastic = None if elastic is None else tuple(map(float, elastic))
        self.rng = np.random.default_rng(seed)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        side, n, rng = _side(x), len(x), self.rng
        if not (self.max_degrees or self.elastic):        # exact and fast
            return random_shift(x, rng, self.max_shift) if self.max_shift else x
        if self.max_degrees:
            angles = np.radians(rng.uniform(-self.max_degrees, self.max_degrees, n))
            sy, sx = rotation_coordinates(angles, side)
        else:
            sy, sx = (a.copy() for a in identity_grid(n, side))
        if self.elastic is not None:
            dy, dx = elastic_displacement(n, side, rng, *self.elastic)
            sy += dy
            sx += dx
        if self.max_shift:
            offset = rng.integers(-self.max_shift, self.max_shift + 1, (2, n, 1, 1))
            sy -= offset[0]
            sx -= offset[1]
        return resample(x, sy, sx)

    def __repr__(self) -> str:
        return (f"Augment(max_shift={self.max_shift}, "
                f"max_degrees={self.max_degrees:g}, elastic={self.elastic})")
