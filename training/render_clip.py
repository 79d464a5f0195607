#!/usr/bin/env python3
"""Render a short deterministic clip of debris drifting on a river.

  /usr/bin/python3 training/render_clip.py --scenario NAME --out DIR [--no-frames]

Scenarios (640x360, 10 fps):
  river-demo      ~20 s, debris (and a duck) drifting through; the demo camera
  debris-appears  frames 0-19 water only; debris on the water from frame 20 to the end (60 frames)
  debris-on-bank  debris lying on the bank, off the water, all the time (40 frames)
  debris-leaves   debris on the water for frames 0-29, gone from frame 30 (70 frames)
  debris-accumulates  clear water, then one item every 9 frames drifts in and stays (90 frames)

Writes DIR/frames/000000.jpg..., DIR/clip.mp4 (H.264, yuv420p), DIR/water_mask.png
and DIR/truth.json:
  {"scenario", "fps", "width", "height", "frameCount", "classes",
   "frames": [{"index", "file", "debrisOnWater": bool,
               "objects": [{"track", "class", "className", "box": [x1,y1,x2,y2], "onWater"}]}]}
Boxes are in pixels and cover the visible part of each object; a track is
listed on a frame only if it is visible there. onWater = the box centre lies
on the ground-truth water mask.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

import cv2
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from riverkit import objects as O  # noqa: E402
from riverkit.compose import MIN_BOX, post_fx  # noqa: E402
from riverkit.scene import WATER, Scene  # noqa: E402

FPS, W, H = 10, 640, 360


def item(cls, x, y, L, vx=0.0, vy=0.0, start=0, end=10 ** 9, angle=0.4, submerge=0.2, on_water=True, spin=0.0,
         stop=None):
    """One object's track; with `stop` it drifts to that x and stays there (caught)."""
    return dict(cls=cls, x=x, y=y, L=L, vx=vx, vy=vy, start=start, end=end, angle=angle,
                submerge=submerge, on_water=on_water, spin=spin, stop=stop)


def scenario(name):
    """(seed, scene kwargs, frame count, debris items, distractor items)."""
    if name == "river-demo":
        rng = np.random.default_rng(7)
        items = []
        for k in range(14):
            L = float(rng.uniform(22, 70))
            y = float(rng.uniform(150, 320))
            v = float(rng.uniform(3.0, 6.0))
            start = int(k * 14 + rng.integers(0, 8))
            items.append(item(int(rng.integers(5)), -L, y, L, vx=v, vy=float(rng.normal(0, 0.15)), start=start,
                              angle=float(rng.uniform(0, 3)), submerge=float(rng.uniform(0, 0.4)),
                              spin=float(rng.normal(0, 0.02))))
        ducks = [dict(kind="duck", x=700.0, y=200.0, L=30.0, vx=-2.0, vy=0.0, start=30, end=10 ** 9)]
        return 7, dict(layout="bank", light="day", far=0.27, near=1.05), 200, items, ducks
    if name == "debris-appears":
        items = [item(0, 250, 215, 56, vx=0.8, start=20, angle=0.3),
                 item(1, 430, 270, 64, vx=0.8, start=20, angle=1.2, submerge=0.1),
                 item(2, 330, 300, 48, vx=0.8, start=20, angle=2.0, submerge=0.0)]
        return 11, dict(layout="bank", light="day", far=0.3, near=1.05), 60, items, []
    if name == "debris-on-bank":
        items = [item(3, 150, 318, 46, on_water=False, angle=0.2, submerge=0),
                 item(0, 330, 325, 58, on_water=False, angle=2.6, submerge=0),
                 item(1, 500, 312, 60, on_water=False, angle=0.9, submerge=0)]
        return 12, dict(layout="bank", light="day", far=0.25, near=0.70), 40, items, []
    if name == "debris-leaves":
        # Fast current carries both items towards the right edge; from frame 30 they are gone
        # (the last frames show them close to the edge, then the water is clear).
        items = [item(4, 300, 200, 70, vx=11.0, end=30, angle=0.15, submerge=0.2),
                 item(0, 260, 260, 52, vx=12.0, end=30, angle=2.8)]
        return 13, dict(layout="bank", light="day", far=0.28, near=1.05), 70, items, []
    if name == "debris-accumulates":
        # Litter caught in an eddy: one item every 9 frames drifts in from the left and stays,
        # so the covered share of the water keeps growing (8 items by frame 73).
        spots = [(560, 235), (505, 270), (600, 290), (470, 240), (545, 300), (430, 275), (500, 222), (590, 258)]
        items = [item(k % 5, -60, y, 52 + 2 * (k % 4), vx=16.0, start=10 + 9 * k, angle=0.5 + 0.7 * k,
                      submerge=0.1, stop=x) for k, (x, y) in enumerate(spots)]
        return 14, dict(layout="bank", light="day", far=0.3, near=1.05), 90, items, []
    raise SystemExit(f"unknown scenario {name}")


def render(name, out, write_frames=True, quality=55):
    seed, kw, n, items, extras = scenario(name)
    rng = np.random.default_rng(seed)
    scene = Scene(rng, W, H, weather=False, **kw)
    scene.flow[:] = (1.0, 0.0)  # water texture drifts the same way as the debris
    mask = scene.water_mask
    fdir = os.path.join(out, "frames")
    if os.path.exists(fdir):
        shutil.rmtree(fdir)
    os.makedirs(fdir)
    cv2.imwrite(os.path.join(out, "water_mask.png"), mask)
    frames = []
    for f in range(n):
        img = scene.render(t=f / FPS)
        frng = np.random.default_rng(seed * 100003 + f)
        for _ in range(int(frng.integers(6, 20))):  # twinkling wave crests (distractors)
            ys, xs = np.nonzero(scene.region == WATER)
            j = frng.integers(len(xs))
            O.paste(img, O.crest(frng, frng.uniform(8, 30), frng.normal(0, 0.1)), xs[j], ys[j])
        for e in extras:
            if f >= e["start"]:
                t = f - e["start"]
                O.paste(img, O.bird_swimming(np.random.default_rng(seed), e["L"], 0),
                        e["x"] + e["vx"] * t, e["y"] + e["vy"] * t, halo=0.2)
        objs = []
        for k, it in enumerate(items):
            if not (it["start"] <= f < it["end"]):
                continue
            t = f - it["start"]
            x = it["x"] + it["vx"] * t if it["stop"] is None else min(it["x"] + it["vx"] * t, it["stop"])
            y = it["y"] + it["vy"] * t + (np.sin(f * 0.5 + k) * 0.6 if it["on_water"] else 0)
            # Same sprite every frame: a fresh generator with the item's own seed.
            srng = np.random.default_rng(seed * 1000 + k)
            sp = O.DEBRIS[it["cls"]](srng, it["L"], it["angle"] + it["spin"] * t)
            if it["on_water"]:
                sp = O.submerge(sp, srng, it["submerge"], scene.water_rgb)
            box = O.paste(img, sp, x, y, halo=0.25 if it["on_water"] else 0.35)
            if box is None or min(box[2] - box[0], box[3] - box[1]) < MIN_BOX:
                continue
            cx, cy = int((box[0] + box[2]) / 2), int((box[1] + box[3]) / 2)
            on_water = bool(mask[min(cy, H - 1), min(cx, W - 1)] > 127)
            objs.append({"track": k + 1, "class": it["cls"], "className": O.CLASSES[it["cls"]],
                         "box": [int(v) for v in box], "onWater": on_water})
        rgb = post_fx(frng, img, scene)
        path = os.path.join(fdir, f"{f:06d}.jpg")
        cv2.imwrite(path, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
        frames.append({"index": f, "file": f"frames/{f:06d}.jpg",
                       "debrisOnWater": any(o["onWater"] for o in objs), "objects": objs})
    mp4 = os.path.join(out, "clip.mp4")
    subprocess.run(["ffmpeg", "-y", "-loglevel", "error", "-framerate", str(FPS), "-i", os.path.join(fdir, "%06d.jpg"),
                    "-c:v", "libx264", "-preset", "slow", "-crf", "30", "-pix_fmt", "yuv420p", "-g", str(FPS * 2),
                    "-movflags", "+faststart", mp4], check=True)
    truth = {"scenario": name, "fps": FPS, "width": W, "height": H, "frameCount": n, "classes": O.CLASSES,
             "waterMask": "water_mask.png", "seed": seed, "frames": frames}
    with open(os.path.join(out, "truth.json"), "w") as fh:
        json.dump(truth, fh, separators=(",", ":"))
    if not write_frames:
        shutil.rmtree(fdir)
    return truth


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", required=True,
                    choices=["river-demo", "debris-appears", "debris-on-bank", "debris-leaves", "debris-accumulates"])
    ap.add_argument("--out", required=True)
    ap.add_argument("--no-frames", action="store_true", help="keep only clip.mp4 and truth.json")
    ap.add_argument("--quality", type=int, default=55, help="JPEG quality of the frames")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    t = render(a.scenario, a.out, not a.no_frames, a.quality)
    print(json.dumps({"scenario": a.scenario, "frames": t["frameCount"],
                      "framesWithDebrisOnWater": sum(f["debrisOnWater"] for f in t["frames"])}))


if __name__ == "__main__":
    main()
