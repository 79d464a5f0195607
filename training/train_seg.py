#!/usr/bin/env python3
"""Train the water-seg U-Net from scratch on rendered scenes and export it.

  /usr/bin/python3 training/train_seg.py            # full run (fixed seed)
  /usr/bin/python3 training/train_seg.py --quick

Input: the frame stretched to 256x256 (no letterbox), RGB 0..1. Output
`logits` [N,1,256,256]. IoU is measured on the eval split at the ground-truth
resolution (logits resized bilinearly to the frame, then > 0), pooled over
all pixels (training/evaluate.py --pred-masks rule).
Writes models/water-seg/{1/model.onnx,config.json,train_log.txt,eval.json}.
"""
import json
import os
import sys

import cv2
import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from riverkit import common as C  # noqa: E402
from riverkit.dataset import list_images  # noqa: E402
from riverkit.export import export_onnx, write_config  # noqa: E402
from riverkit.unet import UNet  # noqa: E402

NAME = "water-seg"
SIZE = 256


def load(root, limit=None):
    xs, ys = [], []
    for n in list_images(root)[:limit]:
        rgb = cv2.cvtColor(cv2.imread(os.path.join(root, "images", n)), cv2.COLOR_BGR2RGB)
        m = cv2.imread(os.path.join(root, "masks", os.path.splitext(n)[0] + ".png"), cv2.IMREAD_GRAYSCALE)
        xs.append(cv2.resize(rgb, (SIZE, SIZE), interpolation=cv2.INTER_AREA).transpose(2, 0, 1))
        ys.append(cv2.resize(m, (SIZE, SIZE), interpolation=cv2.INTER_AREA))
    return np.stack(xs), np.stack(ys)


@torch.no_grad()
def evaluate(model, root, out_dir=None):
    inter = union = 0
    per = []
    for n in list_images(root):
        rgb = cv2.cvtColor(cv2.imread(os.path.join(root, "images", n)), cv2.COLOR_BGR2RGB)
        g = cv2.imread(os.path.join(root, "masks", os.path.splitext(n)[0] + ".png"), cv2.IMREAD_GRAYSCALE) > 127
        x = torch.from_numpy(cv2.resize(rgb, (SIZE, SIZE), interpolation=cv2.INTER_AREA).transpose(2, 0, 1)).float()[None] / 255
        lg = model(x)
        lg = F.interpolate(lg, size=g.shape, mode="bilinear", align_corners=False)[0, 0].numpy()
        p = lg > 0
        i, u = int((p & g).sum()), int((p | g).sum())
        inter, union = inter + i, union + u
        per.append(i / u if u else 1.0)
        if out_dir:
            cv2.imwrite(os.path.join(out_dir, os.path.splitext(n)[0] + ".png"), p.astype(np.uint8) * 255)
    return {"iou": round(inter / union, 6), "meanIoU": round(float(np.mean(per)), 6), "images": len(per)}


def main():
    a = C.train_args(NAME, 2000, 8, 3e-3, 200)
    log, train_dir, eval_dir = C.start_run(NAME, a)
    xs, ms = load(train_dir, a.train_count)
    log(f"train images {len(xs)}")
    model = UNet()
    if a.init:
        model.load_state_dict(torch.load(a.init, map_location="cpu")["model"])
        log(f"initialised from {a.init}")
    log(f"params {sum(p.numel() for p in model.parameters()) / 1e6:.2f}M")
    rng = np.random.default_rng(a.seed)

    def step_fn(m, x, idx):
        # idx smuggled through the labels slot: masks for this batch, flipped with the images.
        t = torch.from_numpy(ms[idx]).float()[:, None] / 255.0
        flip = torch.from_numpy(rng.random(len(idx)) < 0.5)
        x = torch.where(flip[:, None, None, None], x.flip(-1), x)
        t = torch.where(flip[:, None, None, None], t.flip(-1), t)
        x = (x * float(rng.uniform(0.75, 1.25)) + float(rng.uniform(-0.08, 0.08))).clamp(0, 1)
        lg = m(x)
        bce = F.binary_cross_entropy_with_logits(lg, t)
        p = lg.sigmoid()
        dice = 1 - (2 * (p * t).sum() + 1) / (p.sum() + t.sum() + 1)
        return bce + dice, (bce.item(), dice.item())

    labels = [np.array([i]) for i in range(len(xs))]
    m, steps, train_s = C.train_loop(model, lambda mm, x, lab: step_fn(mm, x, np.concatenate(lab)),
                                     xs, labels, a, log, augment=False)
    torch.save({"model": m.state_dict()}, a.checkpoint)
    metrics = evaluate(m, eval_dir)
    log("eval", metrics)
    with open(os.path.join(a.out, "eval.json"), "w") as f:
        json.dump(metrics, f, indent=1)
    dims = export_onnx(m, os.path.join(a.out, "1", "model.onnx"), (SIZE, SIZE), ["logits"],
                       {"names": "{0: 'water'}", "producer": "riverwatch training/train_seg.py"})
    ev = {"dataset": f"rendered eval split (training/render.py --split eval, seed 20251126), {metrics['images']} images",
          "iou": metrics["iou"], "meanIoU": metrics["meanIoU"], "trainIterations": steps, "trainSeconds": round(train_s)}
    write_config(NAME, "segment", "segmentation", (SIZE, SIZE), "stretch", dims, classes=["water"],
                 thresholds={"score": 0.5, "iou": 0.45}, evaluation=ev,
                 extra={"output": {"activation": "sigmoid", "threshold": 0.0, "note": "water where logit > 0"}},
                 root=os.path.dirname(os.path.abspath(a.out)))
    log(f"done in {train_s:.0f}s train; exported {os.path.relpath(a.out, C.REPO)}")


if __name__ == "__main__":
    main()
