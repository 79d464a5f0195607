#!/usr/bin/env python3
"""Train the debris-yolov5 detector from scratch on rendered scenes and export it,
or fine-tune the shipped one on frames your operators labelled.

  /usr/bin/python3 training/train_yolov5.py            # full run (fixed seed)
  /usr/bin/python3 training/train_yolov5.py --quick    # a few minutes, same I/O layout
  /usr/bin/python3 training/train_yolov5.py --finetune ./review-set --iters 1500 --lr 5e-4 \
      --out /srv/models/debris-yolov5 --version 2     # from models/debris-yolov5/weights.pt

--finetune DIR (repeatable) adds a YOLO dataset, e.g. `riverwatch dataset export`'s, to
the rendered train split (--finetune-repeat times, default 4) and starts from the
shipped weights unless --init says otherwise. --version N writes <out>/N/model.onnx,
a new version beside the ones already there (the inference server serves the newest).
--mix DIR:WEIGHT (repeatable, as in train_ssd.py) adds a YOLO dataset with its own weight,
each image WEIGHT times as often as a rendered one, without changing the starting weights.

Renders data/training-cache/{train,eval} if missing (RIVERWATCH_DATA overrides the
cache dir), trains on the train split only, evaluates on the held-out eval
split, writes models/debris-yolov5/{1/model.onnx,config.json,train_log.txt,
eval.json}. RIVERWATCH_THREADS sets torch threads (default 1).
"""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from riverkit import common as C  # noqa: E402
from riverkit.export import export_onnx, write_config  # noqa: E402
from riverkit.objects import CLASSES  # noqa: E402
from riverkit.yolo import YoloDetector, YoloLoss, kmeans_anchors, postprocess  # noqa: E402

NAME = "debris-yolov5"
SIZE = C.DETECT_INPUT  # (h, w)
# The PyTorch weights models/debris-yolov5/1/model.onnx was exported from (same tensors).
SHIPPED_WEIGHTS = os.path.join(C.REPO, "models", NAME, "weights.pt")


def finetune_args(ap):
    ap.add_argument("--finetune", action="append", default=[], metavar="DIR",
                    help="a YOLO dataset (images/, labels/) to add to training, e.g. riverwatch dataset export's; repeatable")
    ap.add_argument("--finetune-repeat", type=int, default=4, help="times each --finetune image is repeated in the train set")
    ap.add_argument("--version", type=int, default=1, help="write <out>/<version>/model.onnx")
    C.mix_args(ap)


def main():
    a = C.train_args(NAME, 9235, 16, 2e-3, 300, extra=finetune_args)
    if a.finetune and os.path.abspath(a.out) == os.path.join(C.REPO, "models", NAME):
        raise SystemExit("--finetune makes a new model: give --out DIR (and --version N) instead of overwriting the shipped one")
    if a.finetune and not a.init:
        a.init = SHIPPED_WEIGHTS
    log, _, eval_dir = C.start_run(NAME, a)
    imgs, labels = C.load_train_sets(a, log, SIZE)
    if a.finetune:
        imgs, labels = C.add_finetune_sets(imgs, labels, a.finetune, a.finetune_repeat, SIZE, CLASSES, log)
    imgs, labels = C.add_training_sets(imgs, labels, a.mix, SIZE, CLASSES, log, "--mix")
    log(f"train images {len(imgs)} boxes {sum(len(l) for l in labels)}")
    wh = np.concatenate([l[:, 3:5] - l[:, 1:3] for l in labels if len(l)])
    init = torch.load(a.init, map_location="cpu") if a.init else None
    anchors = np.array(init["anchors"]) if init else kmeans_anchors(wh, 9, seed=a.seed)
    log("anchors", anchors.reshape(3, 6).tolist())
    model = YoloDetector(len(CLASSES), anchors.tolist())
    if init:
        model.load_state_dict(init["model"])
        log(f"initialised from {a.init}")
    log(f"params {sum(p.numel() for p in model.parameters()) / 1e6:.2f}M")
    loss_fn = YoloLoss(model, C.TRAIN_CROP[1])

    def step_fn(m, x, lab):
        return loss_fn(m(x), C.batch_targets(lab))

    m, step, train_s = C.train_loop(model, step_fn, imgs, labels, a, log, crop=C.TRAIN_CROP)
    torch.save({"model": m.state_dict(), "anchors": anchors.tolist()}, a.checkpoint)

    def infer(x):
        return postprocess(m.decode(m.raw(x)), conf_thr=0.001, iou_thr=0.6, max_det=100)

    metrics, preds = C.evaluate_detector(infer, eval_dir, SIZE, CLASSES, log)
    real = C.evaluate_real_style(infer, SIZE, CLASSES, log, a.eval_count)
    with open(os.path.splitext(a.checkpoint)[0] + "_eval_predictions.json", "w") as f:
        json.dump(preds, f)
    with open(os.path.join(a.out, "eval.json"), "w") as f:
        json.dump(metrics, f, indent=1)
    m.export = True
    dims = export_onnx(m, os.path.join(a.out, str(a.version), "model.onnx"), SIZE, ["output0"],
                       {"stride": 32, "names": str({i: n for i, n in enumerate(CLASSES)}),
                        "anchors": json.dumps(anchors.reshape(3, 6).tolist()), "producer": "riverwatch training/train_yolov5.py"})
    ev = {"dataset": f"rendered eval split (training/render.py --split eval, seed 20251126), {metrics['images']} images, {metrics['labels']} boxes",
          "mAP50": metrics["mAP50"], "mAP50_95": metrics["mAP50_95"],
          "precision": metrics["precision"], "recall": metrics["recall"],
          "perClass": {k: {"ap50": v["ap50"], "ap50_95": v["ap50_95"]} for k, v in metrics["perClass"].items()},
          "trainIterations": step, "trainSeconds": round(train_s),
          "realStyle": {"dataset": f"rendered real-style eval split (training/render.py --split eval-real, seed 20261204), {real['images']} images, {real['labels']} boxes",
                        "mAP50": real["mAP50"], "mAP50_95": real["mAP50_95"], "precision": real["precision"], "recall": real["recall"]}}
    if a.finetune:
        ev["finetune"] = {"from": os.path.relpath(a.init, C.REPO) if a.init.startswith(C.REPO) else a.init,
                          "sets": a.finetune, "repeat": a.finetune_repeat, "version": a.version}
    if a.mix:
        ev["mix"] = [{"set": d, "weight": w} for d, w in a.mix]
    out = os.path.abspath(a.out)
    write_config(os.path.basename(out), "detect", "yolov5", SIZE, "letterbox", dims, evaluation=ev,
                 thresholds={"score": 0.25, "iou": 0.45},
                 extra={"anchors": anchors.reshape(3, 6).tolist(), "strides": [8, 16, 32]},
                 root=os.path.dirname(out), versions=[str(a.version)])
    log(f"done in {train_s:.0f}s train; exported {os.path.relpath(a.out, C.REPO)}")


if __name__ == "__main__":
    main()
