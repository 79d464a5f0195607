"""Put a scene, debris and distractors together into one labelled image.

`render_sample(seed)` is a pure function of its seed: same seed, same pixels,
same labels. Debris is labelled wherever it lies (water or bank): the water
mask, not the detector, decides whether it counts, so the detector must find
a bottle on the grass too.
"""
import cv2
import numpy as np

from . import objects as O
from .scene import Scene, WATER, NEAR_BANK, FAR_BANK

MIN_BOX = 3  # px: visible boxes thinner than this are not labelled (and not drawn)


def sample_debris(rng, scene, n_water, n_bank=0, cluster_p=0.35, size_range=(24, 200)):
    """Return a list of debris specs: dict(cls, x, y, L, angle, submerge, on_water)."""
    items = []
    water = np.argwhere(scene.region == WATER)
    bank = np.argwhere((scene.region == NEAR_BANK) | (scene.region == FAR_BANK))
    W, H = scene.W, scene.H

    def one(y, x, on_water, near=None):
        s = scene.depth_scale(y)
        L = np.exp(rng.uniform(np.log(size_range[0]), np.log(size_range[1]))) * s
        if near is not None:
            L = near * rng.uniform(0.6, 1.4)
        L = float(np.clip(L, 12, 130))
        x = float(np.clip(x, L / 2, W - L / 2))
        y = float(np.clip(y, L / 2, H - L / 2))
        return dict(cls=int(rng.integers(5)), x=x, y=y, L=L, angle=float(rng.uniform(0, np.pi)),
                    submerge=float(rng.uniform(0, 0.5)) if on_water and rng.random() < 0.6 else 0.0,
                    on_water=on_water)

    k = 0
    while k < n_water and len(water):
        y, x = water[rng.integers(len(water))]
        it = one(y, x, True)
        items.append(it)
        k += 1
        if rng.random() < cluster_p and k < n_water:  # a cluster around it
            for _ in range(int(rng.integers(1, 5))):
                dx, dy = rng.normal(0, it["L"] * 1.1, 2)
                yy, xx = int(np.clip(y + dy, 0, H - 1)), int(np.clip(x + dx, 0, W - 1))
                if scene.region[yy, xx] == WATER:
                    items.append(one(yy, xx, True, near=it["L"]))
                    k += 1
    for _ in range(n_bank):
        if len(bank):
            y, x = bank[rng.integers(len(bank))]
            items.append(one(y, x, False))
    return items


def draw_debris(rng, img, scene, items, make_sprite=None, reflect=False, halo=(0.25, 0.35)):
    """Draw debris specs; returns YOLO-ready boxes [(cls, x1, y1, x2, y2, on_water)].

    make_sprite(rng, cls, length, angle) draws one item (default: the classic sprites in
    objects.py); reflect adds a faint mirrored copy below items on the water; halo is the
    paste halo (on water, on the bank)."""
    boxes = []
    for it in items:
        if make_sprite is None:
            sprite = O.DEBRIS[it["cls"]](rng, it["L"], it["angle"])
        else:
            sprite = make_sprite(rng, it["cls"], it["L"], it["angle"])
        if it["on_water"]:
            if reflect:
                mirrored = sprite[::-1].copy()
                mirrored[..., 3] *= rng.uniform(0.1, 0.3)
                O.paste(img, mirrored, it["x"], it["y"] + sprite.shape[0] * 0.8)
            sprite = O.submerge(sprite, rng, it["submerge"], scene.water_rgb)
        box = O.paste(img, sprite, it["x"], it["y"], halo=halo[0] if it["on_water"] else halo[1])
        if box is None or min(box[2] - box[0], box[3] - box[1]) < MIN_BOX:
            continue
        boxes.append((it["cls"],) + tuple(float(v) for v in box) + (it["on_water"],))
    return boxes


def draw_distractors(rng, img, scene, level=1.0):
    """Boats, birds, leaves, wave crests, glare spots, post reflections: unlabelled."""
    water = np.argwhere(scene.region == WATER)
    if not len(water):
        return
    W, H = scene.W, scene.H

    def at_water():
        y, x = water[rng.integers(len(water))]
        return float(x), float(y), scene.depth_scale(y)

    if rng.random() < 0.6 * level:  # wave crests
        for _ in range(int(rng.integers(5, 40))):
            x, y, s = at_water()
            O.paste(img, O.crest(rng, rng.uniform(10, 60) * s + 4, rng.normal(0, 0.15) + (np.pi / 2 if scene.layout == "bridge" and rng.random() < 0.3 else 0)), x, y)
    if rng.random() < 0.4 * level:  # glare spots
        for _ in range(int(rng.integers(3, 20))):
            x, y, s = at_water()
            O.paste(img, O.glare_spot(rng, rng.uniform(3, 14) * s + 2), x, y)
    if rng.random() < 0.35 * level:  # floating leaves, in a patch
        x0, y0, s = at_water()
        for _ in range(int(rng.integers(4, 25))):
            x, y = x0 + rng.normal(0, 30 * s), y0 + rng.normal(0, 12 * s)
            if 0 <= y < H and 0 <= x < W and scene.region[int(y), int(x)] == WATER:
                O.paste(img, O.leaf(rng, rng.uniform(4, 11) * max(s, 0.5), rng.uniform(0, np.pi)), x, y)
    if rng.random() < 0.25 * level:  # boats
        for _ in range(int(rng.integers(1, 3))):
            x, y, s = at_water()
            O.paste(img, O.boat(rng, float(np.clip(rng.uniform(120, 400) * s, 40, 300)), rng.normal(0, 0.1)), x, y, halo=0.3)
    if rng.random() < 0.3 * level:  # ducks / gulls on the water
        for _ in range(int(rng.integers(1, 4))):
            x, y, s = at_water()
            O.paste(img, O.bird_swimming(rng, float(np.clip(rng.uniform(20, 60) * s, 9, 50)), 0), x, y, halo=0.2)
    if rng.random() < 0.3 * level:  # reflections of posts / trees: dark vertical streaks
        for _ in range(int(rng.integers(1, 4))):
            x, y, s = at_water()
            h = int(rng.uniform(20, 90) * s) + 4
            w = max(2, int(rng.uniform(3, 10) * s))
            y0, x0 = int(y), int(x)
            sl = img[y0:y0 + h, x0:x0 + w]
            sl *= rng.uniform(0.5, 0.8)


def draw_flying_birds(rng, img, level=1.0):
    H, W = img.shape[:2]
    if rng.random() < 0.25 * level:
        for _ in range(int(rng.integers(1, 5))):
            O.paste(img, O.bird_flying(rng, rng.uniform(8, 35), rng.normal(0, 0.2)),
                    rng.uniform(0, W), rng.uniform(0, H))


def post_fx(rng, img, scene):
    """Light, haze, rain, sensor noise, blur. Returns uint8 RGB."""
    img = scene.apply_light(img)
    H, W = img.shape[:2]
    if scene.haze > 0:
        far = (1 - scene.scale) ** 0.7
        hz = np.array([0.75, 0.77, 0.8], np.float32) * scene.light[2]
        a = (scene.haze * (0.3 + 0.7 * far))[..., None]
        img = img * (1 - a) + hz * a
    if scene.rain > 0:
        layer = np.zeros((H, W), np.float32)
        n = int(scene.rain * 700)
        ang = rng.normal(0.15, 0.05)
        for _ in range(n):
            x, y = rng.uniform(-20, W), rng.uniform(-20, H)
            ln = rng.uniform(6, 22)
            cv2.line(layer, (int(x), int(y)), (int(x + ln * np.sin(ang)), int(y + ln * np.cos(ang))), 1.0, 1)
        layer = cv2.GaussianBlur(layer, (3, 3), 0) * 0.25
        img = img * (1 - 0.1 * scene.rain) + 0.1 * scene.rain * 0.6 + layer[..., None]
    img = img + rng.normal(0, rng.uniform(0.004, 0.03), img.shape).astype(np.float32)
    if rng.random() < 0.25:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.4, 1.0))
    return (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)


def jpeg_roundtrip(rgb, quality):
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    return buf.tobytes()


def render_sample(seed, width=640, height=360):
    """One labelled image: dict(jpeg bytes, boxes, mask, meta)."""
    rng = np.random.default_rng(seed)
    scene = Scene(rng, width, height)
    img = scene.render(t=float(rng.uniform(0, 100)))
    draw_distractors(rng, img, scene)
    if rng.random() < 0.07:
        items = []  # a clean negative now and then
    else:
        n = int(min(14, rng.geometric(0.3)))
        n_bank = int(rng.random() < 0.15) * int(rng.integers(1, 3))
        items = sample_debris(rng, scene, n, n_bank)
    boxes = draw_debris(rng, img, scene, items)
    draw_flying_birds(rng, img)
    rgb = post_fx(rng, img, scene)
    jpg = jpeg_roundtrip(rgb, rng.uniform(40, 95))
    return dict(jpeg=jpg, boxes=boxes, mask=scene.water_mask,
                meta=dict(layout=scene.layout, light=scene.light[0]))


def render_real_sample(seed, width=640, height=360):
    """The "real" style (riverkit/realism.py): small, pale debris and dense rafts among
    leaves, weed, glint and moored boats, through motion blur, IR night and H.264-like
    blocking. Same return value as render_sample."""
    from . import realism as R
    rng = np.random.default_rng(seed)
    scene = Scene(rng, width, height)
    img = scene.render(t=float(rng.uniform(0, 100)))
    draw_distractors(rng, img, scene, level=0.7)
    R.draw_real_distractors(rng, img, scene)
    roll = rng.random()
    items = [] if roll < 0.12 else R.sample_items(rng, scene, dense=roll > 0.8)
    boxes = draw_debris(rng, img, scene, items, make_sprite=R.real_debris, reflect=True, halo=(0.2, 0.3))
    draw_flying_birds(rng, img)
    rgb, quality = R.camera_fx(rng, post_fx(rng, img, scene))
    return dict(jpeg=jpeg_roundtrip(rgb, quality), boxes=boxes, mask=scene.water_mask,
                meta=dict(layout=scene.layout, light=scene.light[0]))


RENDER_STYLES = {"classic": render_sample, "real": render_real_sample}
