#!/usr/bin/env python3
"""Predictions JSON (the format training/evaluate.py reads) from a trained PyTorch checkpoint.

  /usr/bin/python3 training/predict.py --model debris-yolov5|debris-ssd --data DIR --out preds.json
        [--ckpt PATH] [--conf 0.001]

Uses the checkpoint the train script left in the data cache
($RIVERWATCH_DATA/<model>.pt, same weights as the exported ONNX) and the same
pre/post-processing as the training-time evaluation (letterbox to 640x384, per-class
NMS, at most 100 detections per image).
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from riverkit import common as C  # noqa: E402
from riverkit.objects import CLASSES  # noqa: E402


def load_infer(name, ckpt, conf=None):
    sd = torch.load(ckpt, map_location="cpu")
    if name == "debris-yolov5":
        from riverkit.yolo import YoloDetector, postprocess
        m = YoloDetector(len(CLASSES), sd["anchors"])
        m.load_state_dict(sd["model"])
        m.eval()
        return lambda x: postprocess(m.decode(m.raw(x)), conf_thr=0.001 if conf is None else conf, iou_thr=0.6)
    if name == "debris-ssd":
        from riverkit.ssd import SSDExport, SSDLite, postprocess
        m = SSDLite(len(CLASSES))
        m.load_state_dict(sd["model"])
        exp = SSDExport(m.eval(), C.DETECT_INPUT).eval()

        def infer(x):
            b, s = exp(x)
            return postprocess(b, s, C.DETECT_INPUT, conf_thr=0.01 if conf is None else conf, iou_thr=0.45)
        return infer
    raise SystemExit(f"unknown detector {name}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, choices=["debris-yolov5", "debris-ssd"])
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--ckpt", default=None)
    ap.add_argument("--conf", type=float, default=None)
    a = ap.parse_args()
    C.set_threads()
    infer = load_infer(a.model, a.ckpt or os.path.join(C.CACHE, a.model + ".pt"), a.conf)
    with torch.no_grad():
        preds = C.predict_dataset(infer, a.data, C.DETECT_INPUT)
    with open(a.out, "w") as f:
        json.dump(preds, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
