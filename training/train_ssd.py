#!/usr/bin/env python3
"""Train the debris-ssd detector (SSDLite/MobileNetV2-like) from scratch and export it.

  /usr/bin/python3 training/train_ssd.py            # full run (fixed seed)
  /usr/bin/python3 training/train_ssd.py --quick    # a few minutes, same I/O layout

Same data and conventions as train_yolov5.py (letterbox to 640x384 at scale 1, pad 114, RGB 0..1).
--mix DIR:WEIGHT (repeatable) adds a YOLO dataset, e.g. your labelled camera frames, to the
training images, each image WEIGHT times as often as a rendered one.
Writes models/debris-ssd/{1/model.onnx,config.json,train_log.txt,eval.json}.
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from riverkit import common as C  # noqa: E402
from riverkit.export import export_onnx, write_config  # noqa: E402
from riverkit.objects import CLASSES  # noqa: E402
from riverkit.onnx_weights import load_folded_onnx  # noqa: E402
from riverkit.ssd import SIZES, STRIDES, RATIOS, SSDExport, SSDLite, SSDLoss, postprocess  # noqa: E402

NAME = "debris-ssd"
SIZE = C.DETECT_INPUT  # (h, w)


def ssd_args(ap):
    ap.add_argument("--pos-iou", type=float, default=0.5, help="anchor/box IoU from which an anchor is a positive")
    C.mix_args(ap)


def main():
    a = C.train_args(NAME, 6410, 16, 3e-3, 300, extra=ssd_args)
    log, _, eval_dir = C.start_run(NAME, a)
    imgs, labels = C.load_train_sets(a, log, SIZE)
    if a.mix:
        imgs, labels = C.add_training_sets(imgs, labels, a.mix, SIZE, CLASSES, log, "--mix")
        log(f"train images {len(imgs)} boxes {sum(len(l) for l in labels)}")
    model = SSDLite(len(CLASSES))
    if a.init and a.init.endswith(".onnx"):
        # The shipped SSD has no checkpoint beside it: its weights come back out of the ONNX.
        load_folded_onnx(model, a.init, torch.zeros(1, 3, *SIZE))
        log(f"initialised from {a.init} (BatchNorm folded at export, restarted as identity)")
    elif a.init:
        model.load_state_dict(torch.load(a.init, map_location="cpu")["model"])
        log(f"initialised from {a.init}")
    log(f"params {sum(p.numel() for p in model.parameters()) / 1e6:.2f}M")
    loss_fn = SSDLoss(pos_iou=a.pos_iou)
    log(f"positive anchors from IoU {a.pos_iou}")

    def step_fn(m, x, lab):
        loc, conf = m(x)
        return loss_fn(loc, conf, lab, x.shape[2], x.shape[3])

    m, steps, train_s = C.train_loop(model, step_fn, imgs, labels, a, log, crop=C.TRAIN_CROP)
    exp = SSDExport(m, SIZE).eval()
    torch.save({"model": m.state_dict()}, a.checkpoint)

    def infer(x):
        b, s = exp(x)
        return postprocess(b, s, SIZE, conf_thr=0.01, iou_thr=0.45, max_det=100)

    metrics, preds = C.evaluate_detector(infer, eval_dir, SIZE, CLASSES, log)
    real = C.evaluate_real_style(infer, SIZE, CLASSES, log, a.eval_count)
    with open(os.path.splitext(a.checkpoint)[0] + "_eval_predictions.json", "w") as f:
        json.dump(preds, f)
    with open(os.path.join(a.out, "eval.json"), "w") as f:
        json.dump(metrics, f, indent=1)
    dims = export_onnx(exp, os.path.join(a.out, "1", "model.onnx"), SIZE, ["boxes", "scores"],
                       {"names": str({i: n for i, n in enumerate(CLASSES)}), "background": "scores column 0",
                        "producer": "riverwatch training/train_ssd.py"})
    ev = {"dataset": f"rendered eval split (training/render.py --split eval, seed 20251126), {metrics['images']} images, {metrics['labels']} boxes",
          "mAP50": metrics["mAP50"], "mAP50_95": metrics["mAP50_95"],
          "precision": metrics["precision"], "recall": metrics["recall"],
          "perClass": {k: {"ap50": v["ap50"], "ap50_95": v["ap50_95"]} for k, v in metrics["perClass"].items()},
          "trainIterations": steps, "trainSeconds": round(train_s),
          "realStyle": {"dataset": f"rendered real-style eval split (training/render.py --split eval-real, seed 20261204), {real['images']} images, {real['labels']} boxes",
                        "mAP50": real["mAP50"], "mAP50_95": real["mAP50_95"], "precision": real["precision"], "recall": real["recall"]}}
    if a.mix:
        ev["mix"] = [{"set": d, "weight": w} for d, w in a.mix]
    write_config(NAME, "detect", "ssd", SIZE, "letterbox", dims, evaluation=ev,
                 thresholds={"score": 0.3, "iou": 0.45},
                 extra={"background": 0, "boxFormat": "x1y1x2y2-normalized",
                        "anchorGenerator": {"strides": list(STRIDES), "sizes": [list(s) for s in SIZES],
                                            "ratios": list(RATIOS), "variances": [0.1, 0.1, 0.2, 0.2]}},
                 root=os.path.dirname(os.path.abspath(a.out)))
    log(f"done in {train_s:.0f}s train; exported {os.path.relpath(a.out, C.REPO)}")


if __name__ == "__main__":
    main()
