#!/usr/bin/env python3
"""Hard-negative mining on rendered frames: keep the ones a detector gets wrong.

  /usr/bin/python3 training/mine_hard.py --model debris-yolov5 --ckpt models/debris-yolov5/weights.pt \
      --pool 1200 --out data/training-cache/hard-real [--score 0.3] [--seed 3]

Renders a pool of real-style frames (render.py's "mine-real" seeds, never the train or
eval splits), runs the detector, and keeps every frame where it fires at `--score` or
above on something that is not labelled debris (leaves, weed, glint, boats, banks).
Misses are counted but do not select a frame: the real-style train split already
holds plenty of small debris, and an old model misses some in most frames. The kept frames keep their true labels (possibly none) and
are written as a YOLO dataset that the train scripts add with `--hard DIR` (repeated,
so they weigh more than an average frame). Prints one JSON summary line.

Each pool is the same frames for the same `--seed`; a later round of mining with a
better model can draw new frames with another seed (never the train or eval splits').
"""
import argparse
import json
import os
import shutil
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from predict import load_infer  # noqa: E402
from render import SPLIT_SEEDS, render_dataset  # noqa: E402
from riverkit import common as C  # noqa: E402
from riverkit.dataset import list_images, read_labels  # noqa: E402

MINE_SEED = 3  # the pool's split seed: disjoint from train (1, 2) and eval seeds
RESERVED_SEEDS = set(SPLIT_SEEDS.values())


def frame_errors(pred, truth, score, iou=0.3):
    """(false positives at `score`, labelled objects missed at `score`) for one frame."""
    boxes = np.array([d["box"] for d in pred if d["score"] >= score], np.float32).reshape(-1, 4)
    gt = np.array([t[1:5] for t in truth], np.float32).reshape(-1, 4)
    if not len(gt):
        return len(boxes), 0
    if not len(boxes):
        return 0, len(gt)
    m = C.box_iou(torch.from_numpy(boxes), torch.from_numpy(gt)).numpy()
    return int((m.max(1) < iou).sum()), int((m.max(0) < iou).sum())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, choices=["debris-yolov5", "debris-ssd"])
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--pool", type=int, default=1200)
    ap.add_argument("--out", required=True)
    ap.add_argument("--score", type=float, default=0.3)
    ap.add_argument("--seed", type=int, default=MINE_SEED, help="the pool's split seed (default %(default)s)")
    a = ap.parse_args()
    if a.seed in RESERVED_SEEDS:
        ap.error(f"--seed {a.seed} is a train or eval split's seed; mining must draw other frames")
    C.set_threads()
    pool = a.out + ".pool"
    if not os.path.exists(os.path.join(pool, "data.yaml")):
        render_dataset("train-real", a.pool, pool, seed=a.seed, quiet=True)
    infer = load_infer(a.model, a.ckpt, conf=a.score)
    with torch.no_grad():
        preds = {p["id"]: p for p in C.predict_dataset(infer, pool, C.DETECT_INPUT)["images"]}
    for sub in ("images", "labels"):
        os.makedirs(os.path.join(a.out, sub), exist_ok=True)
    kept = fps = misses = 0
    for name in list_images(pool):
        stem = os.path.splitext(name)[0]
        p = preds[stem]
        truth = read_labels(os.path.join(pool, "labels", stem + ".txt"), p["width"], p["height"])
        fp, miss = frame_errors(p["detections"], truth, a.score)
        fps, misses = fps + fp, misses + miss
        if fp:
            kept += 1
            shutil.copy(os.path.join(pool, "images", name), os.path.join(a.out, "images", name))
            shutil.copy(os.path.join(pool, "labels", stem + ".txt"), os.path.join(a.out, "labels", stem + ".txt"))
    shutil.copy(os.path.join(pool, "data.yaml"), os.path.join(a.out, "data.yaml"))
    print(json.dumps({"pool": a.pool, "kept": kept, "falsePositives": fps, "missed": misses, "score": a.score, "out": a.out}))


if __name__ == "__main__":
    main()
