#!/usr/bin/env python3
"""Render a deterministic dataset of river scenes in the YOLO layout.

  /usr/bin/python3 training/render.py --split train|eval --count N --out DIR [--seed S]

Image i of a split is rendered from seed (split_seed * 1_000_003 + i), so
any image can be re-rendered alone and the eval split (its own default seed)
never overlaps the training split. Writes DIR/images/*.jpg,
DIR/labels/*.txt (YOLO: class cx cy w h, normalised), DIR/masks/*.png
(255 = water) and DIR/data.yaml.
"""
import argparse
import os
import sys
import time

import cv2

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from riverkit.compose import RENDER_STYLES  # noqa: E402
from riverkit.dataset import write_data_yaml, yolo_line  # noqa: E402

# The real-style splits ("train-real", "eval-real") render with riverkit/realism.py.
SPLIT_SEEDS = {"train": 1, "eval": 20251126, "train-real": 2, "eval-real": 20261204}


def split_style(split):
    return "real" if split.endswith("-real") else "classic"


def render_dataset(split, count, out, seed=None, width=640, height=360, start=0, quiet=False):
    seed = SPLIT_SEEDS[split] if seed is None else seed
    render_sample = RENDER_STYLES[split_style(split)]
    for sub in ("images", "labels", "masks"):
        os.makedirs(os.path.join(out, sub), exist_ok=True)
    t0 = time.time()
    for i in range(start, start + count):
        name = f"{i:06d}"
        s = render_sample(seed * 1_000_003 + i, width, height)
        with open(os.path.join(out, "images", name + ".jpg"), "wb") as f:
            f.write(s["jpeg"])
        cv2.imwrite(os.path.join(out, "masks", name + ".png"), s["mask"])
        with open(os.path.join(out, "labels", name + ".txt"), "w") as f:
            f.write("".join(yolo_line(b[0], b[1:5], width, height) + "\n" for b in s["boxes"]))
        if not quiet and (i + 1) % 100 == 0:
            print(f"{split}: {i + 1 - start}/{count} ({time.time() - t0:.0f}s)", flush=True)
    write_data_yaml(out, extra={"split": split, "style": split_style(split), "seed": seed, "count": count, "width": width, "height": height})


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", choices=list(SPLIT_SEEDS), required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=None, help="override the split's seed")
    ap.add_argument("--width", type=int, default=640)
    ap.add_argument("--height", type=int, default=360)
    ap.add_argument("--start", type=int, default=0, help="index of the first image (to extend a dataset)")
    a = ap.parse_args()
    render_dataset(a.split, a.count, a.out, a.seed, a.width, a.height, a.start)


if __name__ == "__main__":
    main()
