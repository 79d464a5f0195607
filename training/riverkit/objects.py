"""Sprites: debris (labelled) and distractors (never labelled).

Shapes are polygons in canonical units (long axis along x, length 1,
centred on 0), rotated, scaled to `L` pixels and rasterised 4x supersampled
for anti-aliasing. A sprite is an RGBA float32 array; `paste` composites it
and returns the box of its *visible* pixels, which is what gets labelled.
"""
import cv2
import numpy as np

CLASSES = ["bottle", "bag", "foam", "can", "wood"]


def _rect(x0, x1, hw):
    return np.array([[x0, -hw], [x1, -hw], [x1, hw], [x0, hw]], np.float32)


def _draw(parts, L, angle, ss=4):
    """Rasterise [(pts, rgb, alpha)] at length L px, rotated by `angle` rad."""
    c, s = np.cos(angle), np.sin(angle)
    R = np.array([[c, -s], [s, c]], np.float32)
    allp = np.concatenate([p for p, _, _ in parts]) @ R.T * L
    half = np.abs(allp).max(axis=0) + 2
    w, h = int(np.ceil(half[0] * 2)), int(np.ceil(half[1] * 2))
    rgb = np.zeros((h * ss, w * ss, 3), np.float32)
    a = np.zeros((h * ss, w * ss), np.float32)
    for pts, col, alpha in parts:
        p = ((pts @ R.T * L + half) * ss).astype(np.int32)
        cv2.fillPoly(rgb, [p], tuple(float(v) for v in col))
        cv2.fillPoly(a, [p], float(alpha))
    rgb = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_AREA)
    a = cv2.resize(a, (w, h), interpolation=cv2.INTER_AREA)
    return np.dstack([rgb, a])


def _shade(sprite, rng, amount=0.15):
    """Grainy texture + a light-to-dark gradient so sprites are not flat."""
    h, w = sprite.shape[:2]
    g = np.linspace(1 + amount, 1 - amount, h, dtype=np.float32)[:, None, None]
    n = rng.normal(1, 0.05, (h, w, 1)).astype(np.float32)
    sprite[..., :3] = np.clip(sprite[..., :3] * g * n, 0, 1)
    return sprite


# ---------------------------------------------------------------- debris
def bottle(rng, L, angle):
    kind = rng.integers(4)
    col, alpha = [((0.78, 0.85, 0.88), 0.7), ((0.20, 0.55, 0.30), 0.85),
                  ((0.45, 0.28, 0.10), 0.85), ((0.45, 0.65, 0.90), 0.8)][kind]
    col = np.clip(np.array(col) * rng.uniform(0.85, 1.15), 0, 1)
    hw = rng.uniform(0.13, 0.18)
    body = np.array([[-0.5, -hw], [0.2, -hw], [0.32, -0.06], [0.45, -0.06],
                     [0.45, 0.06], [0.32, 0.06], [0.2, hw], [-0.5, hw]], np.float32)
    parts = [(body, col, alpha), (_rect(0.44, 0.5, 0.07), rng.uniform(0, 1, 3), 1.0)]
    if rng.random() < 0.6:  # label
        parts.append((_rect(-0.25, 0.05, hw), rng.uniform(0.1, 1, 3), 1.0))
    parts.append((_rect(-0.45, 0.2, hw * 0.18) + [0, -hw * 0.45], (1, 1, 1), 0.6))  # highlight
    return _shade(_draw(parts, L, angle), rng)


def can(rng, L, angle):
    col = [(0.8, 0.1, 0.1), (0.1, 0.25, 0.75), (0.75, 0.76, 0.78), (0.1, 0.55, 0.2),
           (0.9, 0.8, 0.1), (0.1, 0.1, 0.1)][rng.integers(6)]
    hw = rng.uniform(0.24, 0.3)
    parts = [(_rect(-0.5, 0.5, hw), col, 1.0),
             (_rect(-0.5, -0.44, hw), (0.8, 0.8, 0.82), 1.0),
             (_rect(0.44, 0.5, hw), (0.8, 0.8, 0.82), 1.0)]
    if rng.random() < 0.7:
        parts.append((_rect(-0.15, 0.15, hw), rng.uniform(0, 1, 3), 1.0))
    parts.append((_rect(-0.44, 0.44, hw * 0.15) + [0, -hw * 0.5], (1, 1, 1), 0.7))
    return _shade(_draw(parts, L, angle), rng, 0.25)


def bag(rng, L, angle):
    n = 16
    th = np.linspace(0, 2 * np.pi, n, endpoint=False)
    r = 0.5 * rng.uniform(0.55, 1.0, n)
    asp = rng.uniform(0.6, 1.0)
    pts = np.stack([np.cos(th) * r, np.sin(th) * r * asp], 1).astype(np.float32)
    col = [(0.92, 0.92, 0.9), (0.75, 0.85, 0.95), (0.08, 0.08, 0.08), (0.9, 0.85, 0.4),
           (0.85, 0.3, 0.3), (0.3, 0.5, 0.8)][rng.integers(6)]
    parts = [(pts, col, rng.uniform(0.7, 0.95))]
    for _ in range(rng.integers(2, 5)):  # wrinkles
        x0, y0 = rng.uniform(-0.3, 0.3, 2)
        a = rng.uniform(0, np.pi)
        d = np.array([np.cos(a), np.sin(a)]) * rng.uniform(0.1, 0.3)
        nrm = np.array([-d[1], d[0]]) * 0.08
        line = np.array([[x0, y0] - d - nrm, [x0, y0] + d - nrm, [x0, y0] + d + nrm, [x0, y0] - d + nrm], np.float32)
        parts.append((line, np.array(col) * 0.7, 0.8))
    return _shade(_draw(parts, L, angle), rng, 0.2)


def foam(rng, L, angle):
    hw = rng.uniform(0.22, 0.45)
    c = rng.uniform(0.02, 0.12, 4)
    pts = np.array([[-0.5 + c[0], -hw], [0.5 - c[1], -hw], [0.5, -hw + c[1]], [0.5, hw - c[2]],
                    [0.5 - c[2], hw], [-0.5 + c[3], hw], [-0.5, hw - c[3]], [-0.5, -hw + c[0]]], np.float32)
    pts += rng.normal(0, 0.02, pts.shape).astype(np.float32)
    col = np.array([0.95, 0.95, 0.92]) * rng.uniform(0.85, 1.05)
    parts = [(pts, np.clip(col, 0, 1), 1.0)]
    s = _draw(parts, L, angle)
    # Styrofoam beads: fine bright/dark speckle.
    s[..., :3] *= rng.uniform(0.9, 1.05, s.shape[:2] + (1,)).astype(np.float32)
    return _shade(s, rng, 0.1)


def wood(rng, L, angle):
    hw = rng.uniform(0.05, 0.12)
    col = np.array([0.36, 0.25, 0.15]) * rng.uniform(0.6, 1.3)
    pts = np.array([[-0.5, -hw * 0.8], [0.5, -hw], [0.5, hw], [-0.5, hw * 0.8]], np.float32)
    parts = [(pts, np.clip(col, 0, 1), 1.0)]
    for k in range(3):  # bark grooves along the log
        y = rng.uniform(-hw * 0.7, hw * 0.7)
        parts.append((_rect(-0.45, 0.45, hw * 0.08) + [0, y], col * 0.6, 1.0))
    parts.append((_rect(0.47, 0.5, hw), np.clip(col * 1.6, 0, 1), 1.0))  # cut end
    if rng.random() < 0.4:  # side branch
        x0 = rng.uniform(-0.3, 0.3)
        d = rng.choice([-1, 1])
        br = np.array([[x0, 0], [x0 + 0.05, 0], [x0 + 0.2, d * 0.25], [x0 + 0.17, d * 0.27]], np.float32)
        parts.append((br, col * 0.9, 1.0))
    return _shade(_draw(parts, L, angle), rng, 0.2)


DEBRIS = [bottle, bag, foam, can, wood]


# ---------------------------------------------------------------- distractors
def boat(rng, L, angle):
    col = [(0.9, 0.9, 0.9), (0.7, 0.15, 0.1), (0.15, 0.3, 0.6), (0.2, 0.45, 0.25), (0.45, 0.3, 0.15)][rng.integers(5)]
    hull = np.array([[-0.5, -0.06], [0.5, -0.1], [0.42, 0.1], [-0.45, 0.1]], np.float32)
    parts = [(hull, col, 1.0), (_rect(-0.45, 0.42, 0.015) + [0, 0.08], (0.1, 0.1, 0.1), 1.0)]
    if rng.random() < 0.7:
        parts.append((_rect(-0.2, 0.15, 0.09) + [0, -0.14], (0.85, 0.85, 0.8), 1.0))
        parts.append((_rect(-0.15, 0.1, 0.025) + [0, -0.16], (0.2, 0.3, 0.4), 1.0))
    return _shade(_draw(parts, L, angle), rng, 0.15)


def bird_flying(rng, L, angle):
    d = rng.uniform(0.15, 0.35)
    wing = lambda sgn: np.array([[0, 0], [sgn * 0.5, -d], [sgn * 0.5, -d + 0.06], [0, 0.08]], np.float32)
    col = (0.1, 0.1, 0.1) if rng.random() < 0.7 else (0.9, 0.9, 0.9)
    return _draw([(wing(-1), col, 1.0), (wing(1), col, 1.0)], L, angle)


def bird_swimming(rng, L, angle):
    col = [(0.35, 0.3, 0.2), (0.9, 0.9, 0.9), (0.15, 0.15, 0.15)][rng.integers(3)]
    th = np.linspace(0, 2 * np.pi, 12, endpoint=False)
    body = np.stack([np.cos(th) * 0.5, np.sin(th) * 0.22], 1).astype(np.float32)
    head = np.stack([np.cos(th) * 0.13 + 0.4, np.sin(th) * 0.13 - 0.28], 1).astype(np.float32)
    beak = np.array([[0.5, -0.3], [0.65, -0.27], [0.5, -0.24]], np.float32)
    return _shade(_draw([(body, col, 1.0), (head, (0.1, 0.3, 0.15) if rng.random() < 0.5 else col, 1.0),
                         (beak, (0.9, 0.6, 0.1), 1.0)], L, 0.0), rng)


def leaf(rng, L, angle):
    th = np.linspace(0, 2 * np.pi, 10, endpoint=False)
    pts = np.stack([np.cos(th) * 0.5, np.sin(th) * 0.22], 1).astype(np.float32)
    col = [(0.25, 0.45, 0.12), (0.75, 0.6, 0.1), (0.7, 0.35, 0.08), (0.4, 0.25, 0.1)][rng.integers(4)]
    return _draw([(pts, np.array(col) * rng.uniform(0.8, 1.2), 1.0)], L, angle)


def crest(rng, L, angle):
    pts = np.array([[-0.5, 0], [0, -0.05], [0.5, 0], [0, 0.03]], np.float32)
    return _draw([(pts, (0.95, 0.97, 1.0), rng.uniform(0.4, 0.8))], L, angle)


def glare_spot(rng, L):
    r = max(1.5, L / 2)
    n = int(np.ceil(r * 2.5)) | 1
    yy, xx = np.mgrid[:n, :n] - n // 2
    a = np.exp(-(xx ** 2 + yy ** 2) / (2 * (r / 1.5) ** 2)).astype(np.float32)
    rgb = np.ones((n, n, 3), np.float32)
    return np.dstack([rgb, np.clip(a * 1.3, 0, 1)])


# ---------------------------------------------------------------- compositing
def submerge(sprite, rng, frac, water_rgb):
    """Sink part of a sprite: beyond a random cut line it fades into the water."""
    if frac <= 0:
        return sprite
    h, w = sprite.shape[:2]
    a = rng.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[:h, :w].astype(np.float32)
    proj = np.cos(a) * xx + np.sin(a) * yy
    inside = sprite[..., 3] > 0.05
    if inside.sum() < 4:
        return sprite
    cut = np.quantile(proj[inside], 1 - frac)
    under = proj > cut
    out = sprite.copy()
    out[under, :3] = out[under, :3] * 0.35 + water_rgb * 0.65
    out[under, 3] *= 0.2
    return out


def paste(img, sprite, cx, cy, halo=0.0):
    """Alpha-composite `sprite` centred at (cx, cy); returns visible box or None.

    The box covers pixels whose alpha is >= 0.35 (clearly visible), clipped
    to the image. `halo` darkens a soft ring around the object (wet shadow).
    """
    H, W = img.shape[:2]
    h, w = sprite.shape[:2]
    x0, y0 = int(round(cx - w / 2)), int(round(cy - h / 2))
    sx0, sy0 = max(0, -x0), max(0, -y0)
    sx1, sy1 = min(w, W - x0), min(h, H - y0)
    if sx1 <= sx0 or sy1 <= sy0:
        return None
    sp = sprite[sy0:sy1, sx0:sx1]
    region = img[y0 + sy0:y0 + sy1, x0 + sx0:x0 + sx1]
    if halo > 0:
        k = max(3, (min(h, w) // 3) | 1)
        sh = cv2.GaussianBlur(sp[..., 3], (k, k), 0)
        region *= (1 - halo * sh)[..., None]
    a = sp[..., 3:4]
    region[:] = region * (1 - a) + sp[..., :3] * a
    ys, xs = np.nonzero(sp[..., 3] >= 0.35)
    if len(xs) == 0:
        return None
    return (x0 + sx0 + xs.min(), y0 + sy0 + ys.min(), x0 + sx0 + xs.max() + 1, y0 + sy0 + ys.max() + 1)
