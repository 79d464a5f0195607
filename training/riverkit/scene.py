"""Procedural river backgrounds: sky, banks and water, with a water mask.

A `Scene` is sampled once from a numpy Generator (layout, palette, light,
textures) and can then be rendered at any time `t` (seconds), so the same
scene serves single images (random t) and clips (t = frame / fps): the banks
stay put and the water moves.

Three camera layouts:
  bank   - camera on one bank looking across: far bank at the top, water in
           the middle, sometimes the near bank at the bottom.
  pole   - like bank but tilted, so the river runs diagonally.
  bridge - camera on a bridge looking along the river: water is a trapezoid
           narrowing towards a vanishing point, banks on both sides.

Perspective is modelled with a horizon row `y_h`: the apparent size of
anything at row y is proportional to depth_scale(y) = (y - y_h) / (H - y_h).
All images are float32 RGB in [0, 1].
"""
import cv2
import numpy as np

from .noise import fractal, smooth_curve

SKY, FAR_BANK, WATER, NEAR_BANK = 0, 1, 2, 3

# Water palettes (RGB): clear blue, deep blue, muddy brown, algae green, grey.
WATER_COLOURS = np.array([
    [0.16, 0.32, 0.46], [0.07, 0.17, 0.30], [0.44, 0.35, 0.21],
    [0.33, 0.27, 0.17], [0.18, 0.32, 0.16], [0.25, 0.36, 0.22],
    [0.30, 0.34, 0.34],
], np.float32)

# Light: (name, global tint, brightness, sky top, sky horizon)
LIGHTS = [
    ("day", (1.00, 1.00, 1.00), 1.00, (0.35, 0.55, 0.85), (0.75, 0.85, 0.95)),
    ("overcast", (0.95, 0.97, 1.00), 0.85, (0.62, 0.65, 0.70), (0.80, 0.82, 0.85)),
    ("dawn", (1.05, 0.85, 0.70), 0.75, (0.35, 0.40, 0.60), (0.98, 0.70, 0.45)),
    ("dusk", (1.00, 0.75, 0.70), 0.60, (0.20, 0.20, 0.40), (0.90, 0.50, 0.35)),
]


class Scene:
    def __init__(self, rng, width=640, height=360, layout=None, light=None, far=None, near=None,
                 weather=True):
        """far/near pin the far and near waterlines (fractions of the height) for
        bank/pole layouts; weather=False turns off haze and rain (clips)."""
        self.rng = rng
        self.pin = (far, near)
        self.W, self.H = W, H = width, height
        self.layout = layout or rng.choice(["bank", "bank", "pole", "bridge", "bridge"])
        self.light = LIGHTS[[l[0] for l in LIGHTS].index(light)] if light else \
            LIGHTS[rng.choice(len(LIGHTS), p=[0.45, 0.25, 0.15, 0.15])]
        self._build_layout()
        self._build_banks()
        self._build_water()
        self.haze = rng.uniform(0, 0.45) if rng.random() < 0.35 else 0.0
        self.rain = rng.uniform(0.3, 1.0) if rng.random() < 0.2 else 0.0
        if not weather:
            self.haze = self.rain = 0.0

    # ------------------------------------------------------------------ layout
    def _build_layout(self):
        rng, W, H = self.rng, self.W, self.H
        xs = np.arange(W, dtype=np.float32)
        ys = np.arange(H, dtype=np.float32)[:, None]
        if self.layout in ("bank", "pole"):
            self.y_h = H * rng.uniform(-0.9, 0.0)
            slope = rng.uniform(-0.12, 0.12) if self.layout == "bank" else \
                rng.choice([-1, 1]) * rng.uniform(0.25, 0.55)
            # (draw order kept stable so rendered datasets stay reproducible)
            pin = lambda v, r: r if v is None else v
            far = H * pin(self.pin[0], rng.uniform(0.12, 0.42)) + slope * (xs - W / 2) + smooth_curve(rng, W, 5, H * 0.02)
            near = H * pin(self.pin[1], rng.uniform(0.80, 1.25)) + slope * (xs - W / 2) * rng.uniform(0.8, 1.3) \
                + smooth_curve(rng, W, 6, H * 0.03)
            near = np.maximum(near, far + H * 0.3)
            self.far_edge = far
            region = np.full((H, W), WATER, np.uint8)
            region[ys < far[None, :]] = FAR_BANK
            region[ys >= near[None, :]] = NEAR_BANK
            self.flow = np.array([rng.choice([-1.0, 1.0]), slope], np.float32)  # along the banks
            self.vx = W / 2
        else:  # bridge
            self.y_h = H * rng.uniform(0.02, 0.30)
            self.vx = W * rng.uniform(0.3, 0.7)
            y_far = self.y_h + H * rng.uniform(0.01, 0.06)
            s = np.clip((ys - self.y_h) / (H - self.y_h), 0, 1)
            xl0, xr0 = W * rng.uniform(-0.45, 0.22), W * rng.uniform(0.78, 1.45)
            wig_l = smooth_curve(rng, H, 5, W * 0.02)[:, None]
            wig_r = smooth_curve(rng, H, 5, W * 0.02)[:, None]
            xl = self.vx + (xl0 - self.vx) * s + wig_l * s
            xr = self.vx + (xr0 - self.vx) * s + wig_r * s
            X = xs[None, :]
            region = np.full((H, W), NEAR_BANK, np.uint8)
            region[(X >= xl) & (X <= xr) & (ys >= y_far)] = WATER
            region[np.broadcast_to(ys < y_far, (H, W))] = FAR_BANK
            self.far_edge = np.full(W, y_far, np.float32)
            self.flow = np.array([0.0, rng.choice([-1.0, 1.0])], np.float32)  # towards/away
        # Skyline: top of the far bank (trees, buildings); sky above it.
        top = self.far_edge - H * rng.uniform(0.04, 0.22) - np.abs(smooth_curve(rng, W, 24, H * 0.04))
        region[(ys < top[None, :]) & (region == FAR_BANK)] = SKY
        self.sky_edge = top
        self.region = region
        self.scale = np.clip((ys - self.y_h) / (H - self.y_h), 0.08, 1.0) * np.ones((1, W), np.float32)

    def depth_scale(self, y):
        return float(np.clip((y - self.y_h) / (self.H - self.y_h), 0.08, 1.0))

    @property
    def water_mask(self):
        return (self.region == WATER).astype(np.uint8) * 255

    # ------------------------------------------------------------------ banks
    def _bank_texture(self, kind):
        rng, H, W = self.rng, self.H, self.W
        n1 = fractal(rng, H, W, base=6, octaves=5)
        n2 = fractal(rng, H, W, base=24, octaves=3)
        if kind == "trees":
            base = np.array([0.13, 0.25, 0.09]) * rng.uniform(0.7, 1.3, 3)
            tex = base * (0.75 + 0.5 * n1[..., None]) + 0.05 * n2[..., None]
            blobs = (fractal(rng, H, W, base=10, octaves=2) > 0.25)[..., None]
            tex = np.where(blobs, tex * 0.6, tex)  # dark gaps between crowns
        elif kind == "grass":
            base = np.array([0.30, 0.42, 0.15]) * rng.uniform(0.7, 1.3, 3)
            tex = base * (0.8 + 0.35 * n1[..., None]) + 0.06 * n2[..., None]
        elif kind == "mud":
            base = np.array([0.38, 0.30, 0.20]) * rng.uniform(0.8, 1.2, 3)
            tex = base * (0.8 + 0.3 * n1[..., None]) + 0.05 * n2[..., None]
        elif kind == "stone":  # riprap / concrete embankment
            base = np.array([0.5, 0.49, 0.46]) * rng.uniform(0.7, 1.2)
            tex = base * (0.8 + 0.25 * n1[..., None]) + 0.12 * n2[..., None]
        else:  # brick / masonry wall
            base = np.array([0.50, 0.33, 0.25]) if rng.random() < 0.5 else np.array([0.55, 0.53, 0.50])
            tex = base * (0.85 + 0.2 * n1[..., None])
            bh = int(rng.integers(4, 9))
            ys = np.arange(H)[:, None]
            xs = np.arange(W)[None, :]
            mortar = (ys % bh == 0) | (((xs + (ys // bh % 2) * bh * 1.5) % (bh * 3)) < 1)
            tex = np.where(mortar[..., None], tex * 0.7, tex)
        return np.clip(tex, 0, 1).astype(np.float32)

    def _build_banks(self):
        rng, H, W = self.rng, self.H, self.W
        name, tint, bright, sky_top, sky_hor = self.light
        ys = np.linspace(0, 1, H, dtype=np.float32)[:, None, None]
        horizon = np.clip(self.sky_edge.mean() / H, 0.05, 1)
        g = np.clip(ys / horizon, 0, 1)
        sky = np.array(sky_top) * (1 - g) + np.array(sky_hor) * g
        clouds = fractal(rng, H, W, base=3, octaves=4, aniso=(1, 3))[..., None]
        cover = rng.uniform(0, 0.6)
        sky = sky + cover * np.clip(clouds, 0, 1) * (0.9 - sky)
        self.sky_rgb = np.array(sky_hor, np.float32)
        far_kind = rng.choice(["trees", "trees", "grass", "wall", "stone"])
        near_kind = rng.choice(["grass", "mud", "stone", "wall", "trees"])
        far = self._bank_texture("trees")
        if far_kind != "trees":
            # A wall/embankment strip at the waterline, trees above it.
            strip = self._bank_texture(far_kind)
            hgt = self.H * rng.uniform(0.02, 0.10)
            ys_i = np.arange(H)[:, None]
            low = ys_i > (self.far_edge[None, :] - hgt)
            far = np.where(low[..., None], strip, far)
        near = self._bank_texture(near_kind)
        img = np.empty((H, W, 3), np.float32)
        r = self.region[..., None]
        img[:] = np.where(r == SKY, sky, 0)
        img = np.where(r == FAR_BANK, far, img)
        img = np.where(r == NEAR_BANK, near, img)
        # Wet dark line where banks meet water.
        wet = cv2.dilate((self.region == WATER).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
        edge = wet & (self.region != WATER)
        img[edge] *= 0.6
        self.static = img.astype(np.float32)
        # Shadows cast by trees/bridge: soft low-frequency blobs over banks and water.
        if rng.random() < 0.45:
            sh = fractal(rng, H, W, base=2, octaves=3)
            thr = rng.uniform(0.0, 0.35)
            m = cv2.GaussianBlur((sh > thr).astype(np.float32), (0, 0), 6)
            self.shadow = 1.0 - rng.uniform(0.25, 0.5) * m
        else:
            self.shadow = np.ones((H, W), np.float32)

    # ------------------------------------------------------------------ water
    def _build_water(self):
        rng, H, W = self.rng, self.H, self.W
        k = rng.integers(len(WATER_COLOURS), size=2)
        a = rng.random()
        self.water_rgb = (WATER_COLOURS[k[0]] * a + WATER_COLOURS[k[1]] * (1 - a)) \
            * rng.uniform(0.8, 1.2, 3).astype(np.float32)
        self.turbulence = rng.uniform(0.3, 1.0)
        self.flow_speed = rng.uniform(10, 40)  # px/s at depth scale 1
        # Waves: a few travelling sinusoids in perspective-corrected coordinates.
        self.waves = [(rng.uniform(0.03, 0.12), rng.uniform(-0.5, 0.5), rng.uniform(0, 6.28),
                       rng.uniform(0.5, 2.5), rng.uniform(0.2, 1.0)) for _ in range(4)]
        # A big noise tile scrolled with the current (so clips look like flow).
        pad = 256
        self.noise_tile = fractal(rng, H + pad, W + pad, base=10, octaves=4, aniso=(1, 3))
        self.noise_pad = pad
        self.reflect = rng.uniform(0.15, 0.6)
        self.sun_x = rng.uniform(-0.2, 1.2) * W
        self.glare = rng.uniform(0, 1) if self.light[0] != "overcast" else rng.uniform(0, 0.3)

    def wave_field(self, t=0.0):
        """Height-like field in about [-1, 1] over the whole frame at time t."""
        H, W = self.H, self.W
        s = self.scale
        X = (np.arange(W, dtype=np.float32)[None, :] - self.vx) / s
        Y = 1.0 / s * 20.0
        f = np.zeros((H, W), np.float32)
        for kx, ky, ph, om, amp in self.waves:
            f += amp * np.sin(kx * X * 0.3 + ky * Y + ph + om * t)
        f /= sum(w[4] for w in self.waves)
        off = self.flow * self.flow_speed * t
        ox = int(off[0]) % self.noise_pad
        oy = int(off[1]) % self.noise_pad
        n = self.noise_tile[self.noise_pad - oy:self.noise_pad - oy + H, self.noise_pad - ox:self.noise_pad - ox + W]
        return 0.45 * f + 0.8 * n * self.turbulence

    def render(self, t=0.0):
        """Background RGB float32 (H, W, 3) at time t (no objects, no post-FX)."""
        H, W = self.H, self.W
        img = self.static.copy()
        wave = self.wave_field(t)
        s = self.scale[..., None]
        # Fresnel: far water reflects more sky.
        fres = np.clip(0.15 + 0.65 * (1 - s) ** 2, 0, 0.85)
        water = self.water_rgb * (0.85 + 0.3 * wave[..., None])
        water = water * (1 - fres) + self.sky_rgb * fres * (0.9 + 0.2 * wave[..., None])
        # Mirror of the far bank/sky about the far waterline, rippled.
        ys = np.arange(H, dtype=np.float32)[:, None]
        xs = np.arange(W, dtype=np.float32)[None, :]
        dist = ys - self.far_edge[None, :]
        src_y = self.far_edge[None, :] - dist * 0.9 + 3 * wave
        src_x = xs + 6 * wave * s[..., 0]
        mirror = cv2.remap(self.static, src_x.astype(np.float32), np.clip(src_y, 0, H - 1).astype(np.float32),
                           cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        decay = np.exp(-np.clip(dist, 0, None) / (H * 0.25))[..., None]
        water = water * (1 - self.reflect * decay) + mirror * self.reflect * decay * 0.9
        # Sun glare: a column of sparkles under the sun, wider near the camera.
        if self.glare > 0.05:
            col = np.exp(-((xs - self.sun_x) / (W * (0.08 + 0.25 * s[..., 0]))) ** 2)
            sparkle = np.clip((wave - 0.35) * 4, 0, 1) * col * self.glare
            water = water + sparkle[..., None] * 0.9
        water = water * self.shadow[..., None]
        wm = (self.region == WATER)[..., None]
        img = np.where(wm, water, img * self.shadow[..., None])
        return img.astype(np.float32)

    def apply_light(self, img):
        _, tint, bright, _, _ = self.light
        return np.clip(img * np.array(tint, np.float32) * bright, 0, 1)
