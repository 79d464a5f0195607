"""The "real" render style: what real river cameras see, beyond the classic scenes.

The classic style (compose.render_sample) taught the detectors debris of 12-130 px,
mostly saturated colours, on clean water. Real footage (1280x720 and 1920x1080
bridge and bank cameras, run as native-resolution tiles of 640x384) shows:
  - small debris: many items 5-40 px in a tile, pale and low-contrast (white and
    clear plastic, bleached bags, grey styrofoam), half sunk, with a faint reflection;
  - dense rafts: 15-45 items packed along a bank, a boom or an eddy line;
  - distractors that must not fire: floating leaves and vegetation mats, sun glint
    sparkle, ripple highlights, moored boats along the banks, sunlit foliage and stones
    on the banks;
  - camera artefacts: motion blur, H.264/JPEG blocking, soft upscaled sensors,
    night frames in IR grey, vignetting.
Debris on banks stays labelled (the water mask, not the detector, decides).
"""
import cv2
import numpy as np

from . import objects as O
from .scene import Scene, WATER, NEAR_BANK, FAR_BANK

# Real floating litter is mostly pale: white/clear plastic, bleached bags, grey foam.
PALE = np.array([[0.93, 0.93, 0.91], [0.85, 0.88, 0.90], [0.78, 0.80, 0.78], [0.70, 0.74, 0.78],
                 [0.88, 0.86, 0.78], [0.62, 0.64, 0.62]], np.float32)


def _pale(rng):
    return np.clip(PALE[rng.integers(len(PALE))] * rng.uniform(0.85, 1.08), 0, 1)


def crumpled(rng, L, angle, col=None, alpha=(0.65, 0.95)):
    """An irregular crumpled sheet (bag, wrapper, styrofoam fragment)."""
    n = int(rng.integers(7, 14))
    th = np.sort(rng.uniform(0, 2 * np.pi, n))
    r = 0.5 * rng.uniform(0.45, 1.0, n)
    asp = rng.uniform(0.45, 1.0)
    pts = np.stack([np.cos(th) * r, np.sin(th) * r * asp], 1).astype(np.float32)
    col = _pale(rng) if col is None else col
    parts = [(pts, col, rng.uniform(*alpha))]
    for _ in range(int(rng.integers(1, 4))):  # folds: darker and lighter facets
        c = pts[rng.integers(n)] * rng.uniform(0.2, 0.7)
        tri = np.array([[0, 0], c, pts[rng.integers(n)] * 0.6], np.float32)
        parts.append((tri, np.clip(col * rng.uniform(0.7, 1.15), 0, 1), 0.8))
    return O._shade(O._draw(parts, L, angle), rng, 0.2)


def clear_bottle(rng, L, angle):
    """A clear or pale PET bottle: low alpha, a bright specular streak, a cap."""
    hw = rng.uniform(0.13, 0.2)
    body = np.array([[-0.5, -hw], [0.2, -hw], [0.32, -0.06], [0.45, -0.06],
                     [0.45, 0.06], [0.32, 0.06], [0.2, hw], [-0.5, hw]], np.float32)
    col = _pale(rng)
    parts = [(body, col, rng.uniform(0.45, 0.8)),
             (O._rect(0.44, 0.5, 0.07), rng.uniform(0, 1, 3), 1.0),
             (O._rect(-0.45, 0.2, hw * 0.2) + [0, -hw * 0.4], (1, 1, 1), 0.85)]
    if rng.random() < 0.4:
        parts.append((O._rect(-0.25, 0.05, hw), rng.uniform(0.1, 1, 3), 0.9))
    return O._shade(O._draw(parts, L, angle), rng, 0.15)


def real_debris(rng, cls, L, angle):
    """A sprite for class `cls` (objects.CLASSES order), pale/real-looking most of the time."""
    if cls == 0:  # bottle
        return clear_bottle(rng, L, angle) if rng.random() < 0.6 else O.bottle(rng, L, angle)
    if cls == 1:  # bag
        return crumpled(rng, L, angle) if rng.random() < 0.7 else O.bag(rng, L, angle)
    if cls == 2:  # foam (styrofoam)
        if rng.random() < 0.5:
            return crumpled(rng, L, angle, col=np.clip(np.array([0.95, 0.95, 0.92]) * rng.uniform(0.8, 1.03), 0, 1), alpha=(0.9, 1.0))
        return O.foam(rng, L, angle)
    if cls == 3:
        return O.can(rng, L, angle)
    return O.wood(rng, L, angle)


def sample_items(rng, scene, dense):
    """Debris specs (as compose.sample_debris) with the real size distribution."""
    water = np.argwhere(scene.region == WATER)
    bank = np.argwhere((scene.region == NEAR_BANK) | (scene.region == FAR_BANK))
    W, H = scene.W, scene.H
    # Classes weighted to what real litter is made of: bottles and bags first.
    p_cls = [0.3, 0.32, 0.18, 0.1, 0.1]

    def one(y, x, on_water, L=None):
        s = max(scene.depth_scale(y), 0.3)
        if L is None:
            L = np.exp(rng.uniform(np.log(5), np.log(48))) * (0.5 + 0.5 * s) if rng.random() < 0.85 \
                else np.exp(rng.uniform(np.log(40), np.log(110))) * s
        L = float(np.clip(L, 5, 120))
        return dict(cls=int(rng.choice(5, p=p_cls)), x=float(np.clip(x, L / 2, W - L / 2)),
                    y=float(np.clip(y, L / 2, H - L / 2)), L=L, angle=float(rng.uniform(0, np.pi)),
                    submerge=float(rng.uniform(0, 0.6)) if on_water and rng.random() < 0.6 else 0.0,
                    on_water=on_water)

    items = []
    if not len(water):
        return items
    if dense:
        # A raft: items packed along a line (bank edge, boom or eddy), touching each other.
        y0, x0 = water[rng.integers(len(water))]
        ang = rng.uniform(-0.4, 0.4) + (np.pi / 2 if scene.layout == "bridge" and rng.random() < 0.5 else 0)
        spread = rng.uniform(60, 260)
        for _ in range(int(rng.integers(15, 45))):
            t = rng.uniform(-1, 1) * spread
            yy = int(np.clip(y0 + t * np.sin(ang) + rng.normal(0, 12), 0, H - 1))
            xx = int(np.clip(x0 + t * np.cos(ang) + rng.normal(0, 12), 0, W - 1))
            if scene.region[yy, xx] == WATER:
                items.append(one(yy, xx, True, L=np.exp(rng.uniform(np.log(7), np.log(45))) * max(scene.depth_scale(yy), 0.4)))
    n = int(min(18, rng.geometric(0.22)))
    for _ in range(n):
        y, x = water[rng.integers(len(water))]
        items.append(one(y, x, True))
    if len(bank) and rng.random() < 0.2:
        for _ in range(int(rng.integers(1, 3))):
            y, x = bank[rng.integers(len(bank))]
            items.append(one(y, x, False))
    return items


def vegetation_mat(rng, L, angle):
    """Floating weed / algae / duckweed patch: green-brown, irregular, never debris."""
    col = np.array([[0.22, 0.35, 0.10], [0.30, 0.40, 0.12], [0.35, 0.30, 0.12], [0.18, 0.26, 0.12]][rng.integers(4)], np.float32)
    s = crumpled(rng, L, angle, col=col * rng.uniform(0.8, 1.2), alpha=(0.6, 0.9))
    s[..., :3] *= rng.uniform(0.75, 1.2, s.shape[:2] + (1,)).astype(np.float32)
    return s


def draw_real_distractors(rng, img, scene):
    """Things that are not debris and that the detector must learn to leave alone."""
    water = np.argwhere(scene.region == WATER)
    bank = np.argwhere((scene.region == NEAR_BANK) | (scene.region == FAR_BANK))
    H, W = scene.H, scene.W
    if not len(water):
        return

    def at(points):
        y, x = points[rng.integers(len(points))]
        return float(x), float(y), scene.depth_scale(y)

    if rng.random() < 0.55:  # autumn leaves, scattered or in a drift: the size of small debris
        x0, y0, s = at(water)
        for _ in range(int(rng.integers(6, 60))):
            x, y = x0 + rng.normal(0, 80 * s), y0 + rng.normal(0, 30 * s)
            if 0 <= y < H and 0 <= x < W and scene.region[int(y), int(x)] == WATER:
                O.paste(img, O.leaf(rng, rng.uniform(4, 16) * max(s, 0.5), rng.uniform(0, np.pi)), x, y)
    if rng.random() < 0.35:  # vegetation mats
        for _ in range(int(rng.integers(1, 6))):
            x, y, s = at(water)
            O.paste(img, vegetation_mat(rng, rng.uniform(10, 90) * max(s, 0.4), rng.uniform(0, np.pi)), x, y)
    if rng.random() < 0.6:  # sun glint sparkle and ripple highlights: tiny bright specks and dashes
        for _ in range(int(rng.integers(10, 80))):
            x, y, s = at(water)
            if rng.random() < 0.5:
                O.paste(img, O.glare_spot(rng, rng.uniform(1.5, 6)), x, y)
            else:
                O.paste(img, O.crest(rng, rng.uniform(5, 25) * max(s, 0.4) + 3, rng.normal(0, 0.1)), x, y)
    if rng.random() < 0.35:  # moored boats along the far bank's waterline
        for _ in range(int(rng.integers(1, 4))):
            x = rng.uniform(0, W)
            y = float(scene.far_edge[int(np.clip(x, 0, W - 1))]) + rng.uniform(2, 12)
            if 0 <= y < H:
                s = scene.depth_scale(y)
                O.paste(img, O.boat(rng, float(np.clip(rng.uniform(80, 300) * s, 30, 260)), rng.normal(0, 0.05)), x, y, halo=0.3)
    if len(bank) and rng.random() < 0.6:  # sunlit foliage and dark stones on the banks (bank litter stays labelled)
        for _ in range(int(rng.integers(3, 25))):
            x, y, s = at(bank)
            L = rng.uniform(5, 40) * max(s, 0.4)
            if rng.random() < 0.6:
                col = np.array([0.45, 0.55, 0.18]) * rng.uniform(0.8, 1.5)  # sunlit leaves
            else:
                col = np.array([0.42, 0.40, 0.36]) * rng.uniform(0.6, 1.1)  # stones, in shade
            O.paste(img, crumpled(rng, L, rng.uniform(0, np.pi), col=np.clip(col, 0, 1), alpha=(0.8, 1.0)), x, y)


def camera_fx(rng, rgb):
    """Motion blur, night IR, vignetting and sensor softness on uint8 RGB; returns (uint8 RGB, jpeg quality)."""
    img = rgb.astype(np.float32) / 255
    H, W = img.shape[:2]
    if rng.random() < 0.2:  # motion blur (pan, vibration)
        k = int(rng.integers(3, 10))
        ker = np.zeros((k, k), np.float32)
        ker[k // 2, :] = 1
        M = cv2.getRotationMatrix2D((k / 2 - 0.5, k / 2 - 0.5), float(rng.uniform(0, 180)), 1.0)
        ker = cv2.warpAffine(ker, M, (k, k))
        img = cv2.filter2D(img, -1, ker / max(ker.sum(), 1e-6))
    if rng.random() < 0.12:  # night: IR grey, flat and noisy
        g = img @ np.array([0.35, 0.45, 0.2], np.float32)
        g = np.clip((g - g.mean()) * rng.uniform(0.5, 0.9) + rng.uniform(0.3, 0.5), 0, 1)
        g = g + rng.normal(0, rng.uniform(0.02, 0.06), g.shape).astype(np.float32)
        img = np.repeat(g[..., None], 3, 2)
    if rng.random() < 0.3:  # vignetting
        yy, xx = np.mgrid[:H, :W].astype(np.float32)
        r2 = ((xx - W / 2) / (W / 2)) ** 2 + ((yy - H / 2) / (H / 2)) ** 2
        img = img * (1 - rng.uniform(0.1, 0.35) * r2 / 2)[..., None]
    if rng.random() < 0.25:  # a soft sensor, upscaled: stream resolution below the frame's
        f = rng.uniform(0.45, 0.8)
        small = cv2.resize(img, (int(W * f), int(H * f)), interpolation=cv2.INTER_AREA)
        img = cv2.resize(small, (W, H), interpolation=cv2.INTER_LINEAR)
    out = (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)
    # H.264 at camera bitrates blocks like a low-quality JPEG.
    quality = rng.uniform(15, 45) if rng.random() < 0.35 else rng.uniform(45, 95)
    return out, quality
