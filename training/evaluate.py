#!/usr/bin/env python3
"""COCO-style detection evaluation of a predictions JSON against a YOLO dataset.

  /usr/bin/python3 training/evaluate.py --data DIR --pred preds.json [--agnostic] [--score 0.25]
  /usr/bin/python3 training/evaluate.py --data DIR --pred-masks MASKDIR      (segmentation IoU)

Prints one JSON object:
  {"mAP50", "mAP50_95", "precision", "recall", "images", "labels", "detections",
   "perClass": {name: {"ap50", "ap50_95", "precision", "recall", "labels"}},
   "recallBySize": {"small" | "medium" | "large": {"minPx", "maxPx", "recall", "labels"}}}

Predictions file:
  {"images": [{"id": "000001", "width": W, "height": H,
               "detections": [{"class": 0, "score": 0.9, "box": [x1, y1, x2, y2]}]}]}
  boxes in image pixels. `id` is the image file name without extension.

EXACT MATCHING RULES (the TypeScript `riverwatch eval` implements the same; a
test checks both agree within 0.005). They are pycocotools' bbox rules with
iscrowd = 0 everywhere, areaRng = all, maxDets = 100:

 1. Images: every image in DIR/images (sorted by file name). An image with no
    entry in the predictions file has no detections; prediction entries for
    images not in the dataset are ignored. Ground truth: DIR/labels/<id>.txt
    (YOLO "cls cx cy w h", normalised), converted to pixels with the image's
    real width/height: x1 = (cx - w/2) * W, y1 = (cy - h/2) * H,
    x2 = (cx + w/2) * W, y2 = (cy + h/2) * H. A missing label file = no objects.
 2. IoU = intersection / union of areas, area = (x2 - x1) * (y2 - y1)
    (no +1), intersection clamped at 0.
 3. Per image and per class (with --agnostic every class is mapped to 0 first,
    for both ground truth and detections): sort detections by score descending,
    stable (ties keep file order), keep the first 100. For each IoU threshold t
    in 0.50, 0.55, ..., 0.95 separately, walk the detections in that order;
    each takes, among the not-yet-matched ground truths of that image and
    class, the one with the highest IoU provided IoU >= t (on an exact tie the
    later ground truth in label-file order wins, as in pycocotools); if none, the detection is a false positive. Each ground truth
    is matched at most once.
 4. Per class and threshold: pool the kept detections of all images, sort by
    score descending, stable (ties: image order, then per-image order from
    step 3); cumulative TP and FP give recall = TP / nGT and precision =
    TP / (TP + FP). Make precision monotone: p[i] = max(p[i:]). AP = mean over
    the 101 recall points r = 0, 0.01, ..., 1.00 of p[first index with
    recall >= r] (0 if recall never reaches r).
 5. A class with no ground truth in the dataset is left out of the means (its
    AP is reported as null). ap50 = AP at t = 0.50; ap50_95 = mean AP over the
    ten thresholds; mAP50 / mAP50_95 = mean over classes with ground truth.
 6. precision / recall: at IoU 0.50, counting only kept detections with
    score >= --score (default 0.25); a detection is a TP if step 3 matched it
    at t = 0.50 (greedy matching by score means the lower-scored detections do
    not change these matches). Per class: TP / detections and TP / nGT;
    overall: summed over classes (micro average). No detections -> precision 0.

 7. recallBySize: the recall of step 6, split by each ground truth's longer
    side in image pixels: small (< 16), medium (16 to < 32), large (>= 32);
    a bucket holds minPx <= side < maxPx (maxPx null: no upper bound). A
    ground truth counts as found when a detection kept at score >= --score
    matched it at t = 0.50 (step 3 run over those detections only). recall is
    null for a bucket without labels.

Segmentation (--pred-masks DIR holding <id>.png, > 127 = water) against
DIR/masks/<id>.png at the ground-truth resolution: "iou" = total intersection
/ total union over all pixels of all images (pooled), "meanIoU" = mean of
per-image IoUs (an image where both are empty counts 1).
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

IOU_THRS = np.linspace(0.5, 0.95, 10)
REC_THRS = np.linspace(0.0, 1.0, 101)
MAX_DETS = 100


def image_size(path):
    import cv2
    im = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    return im.shape[1], im.shape[0]


def load_ground_truth(data):
    """{id: (W, H, [(cls, x1, y1, x2, y2)])} for every image in data/images."""
    from riverkit.dataset import list_images, read_labels
    gt = {}
    for n in list_images(data):
        stem = os.path.splitext(n)[0]
        W, H = image_size(os.path.join(data, "images", n))
        gt[stem] = (W, H, read_labels(os.path.join(data, "labels", stem + ".txt"), W, H))
    return gt


def iou_matrix(d, g):
    """IoU between (n,4) and (m,4) xyxy arrays."""
    if len(d) == 0 or len(g) == 0:
        return np.zeros((len(d), len(g)))
    ad = (d[:, 2] - d[:, 0]) * (d[:, 3] - d[:, 1])
    ag = (g[:, 2] - g[:, 0]) * (g[:, 3] - g[:, 1])
    w = np.clip(np.minimum(d[:, None, 2], g[None, :, 2]) - np.maximum(d[:, None, 0], g[None, :, 0]), 0, None)
    h = np.clip(np.minimum(d[:, None, 3], g[None, :, 3]) - np.maximum(d[:, None, 1], g[None, :, 1]), 0, None)
    inter = w * h
    return inter / (ad[:, None] + ag[None, :] - inter)


def greedy_match(ious, t):
    """Step 3 at IoU threshold t over an (n dets, m gts) IoU matrix, detections in score
    order. Returns (TP flag per detection, matched flag per ground truth)."""
    n, m = ious.shape
    tp, taken = np.zeros(n, bool), np.zeros(m, bool)
    for di in range(n):
        best, bi = min(t, 1 - 1e-10), -1
        for gi in range(m):
            if taken[gi] or ious[di, gi] < best:
                continue
            best, bi = ious[di, gi], gi
        if bi >= 0:
            taken[bi] = True
            tp[di] = True
    return tp, taken


def match_image(dets, gts):
    """dets: (n,5) [score, x1, y1, x2, y2] already sorted and truncated; gts: (m,4).
    Returns (10, n) bool: TP per IoU threshold."""
    tp = np.zeros((len(IOU_THRS), len(dets)), bool)
    if len(dets) == 0 or len(gts) == 0:
        return tp
    ious = iou_matrix(dets[:, 1:5], gts)
    for ti, t in enumerate(IOU_THRS):
        tp[ti] = greedy_match(ious, t)[0]
    return tp


# (name, minPx, maxPx) of a box's longer side in image pixels; under 16 px is what a shrunk frame loses.
SIZE_BUCKETS = (("small", 0, 16), ("medium", 16, 32), ("large", 32, None))


def size_bucket(box):
    side = max(box[2] - box[0], box[3] - box[1])
    return next(n for n, _, hi in SIZE_BUCKETS if hi is None or side < hi)  # buckets are in order


def found_ground_truths(dets, gts, t=0.5):
    """Which ground truths step 3's greedy matching at IoU t gives a detection (dets sorted)."""
    if len(dets) == 0 or len(gts) == 0:
        return np.zeros(len(gts), bool)
    return greedy_match(iou_matrix(dets[:, 1:5], gts), t)[1]


def recall_by_size(by_size):
    """{name: [found, labels]} -> the recallBySize object (step 7)."""
    return {name: {"minPx": lo, "maxPx": hi, "recall": _r(by_size[name][0] / by_size[name][1]) if by_size[name][1] else None,
                   "labels": by_size[name][1]} for name, lo, hi in SIZE_BUCKETS}


def average_precision(tp_sorted, n_gt):
    """101-point interpolated AP from a score-sorted TP vector."""
    if n_gt == 0:
        return None
    tps = np.cumsum(tp_sorted)
    fps = np.cumsum(~tp_sorted)
    rc = tps / n_gt
    pr = tps / np.maximum(tps + fps, np.spacing(1))
    for i in range(len(pr) - 1, 0, -1):
        pr[i - 1] = max(pr[i - 1], pr[i])
    idx = np.searchsorted(rc, REC_THRS, side="left")
    q = np.array([pr[i] if i < len(pr) else 0.0 for i in idx])
    return float(q.mean())


def evaluate(gt, preds, names, agnostic=False, score_thr=0.25):
    """gt: {id: (W, H, [(cls, box...)])}; preds: {id: [(cls, score, x1, y1, x2, y2)]}."""
    ncls = 1 if agnostic else len(names)
    per = {c: dict(scores=[], tp=[], n_gt=0, n_det_thr=0, tp_thr=0) for c in range(ncls)}
    n_det_total = n_lab = 0
    by_size = {name: [0, 0] for name, _, _ in SIZE_BUCKETS}  # [found, labels]
    for img_id in sorted(gt):
        W, H, labels = gt[img_id]
        dets = preds.get(img_id, [])
        for c in range(ncls):
            g = np.array([l[1:5] for l in labels if (0 if agnostic else l[0]) == c], np.float64).reshape(-1, 4)
            d = [x for x in dets if (0 if agnostic else x[0]) == c]
            order = sorted(range(len(d)), key=lambda i: -d[i][1])[:MAX_DETS]  # Python sort is stable
            d = np.array([d[i][1:6] for i in order], np.float64).reshape(-1, 5)
            tp = match_image(d, g)
            per[c]["scores"].append(d[:, 0])
            per[c]["tp"].append(tp)
            per[c]["n_gt"] += len(g)
            keep = d[:, 0] >= score_thr
            per[c]["n_det_thr"] += int(keep.sum())
            per[c]["tp_thr"] += int(tp[0][keep].sum())
            found = found_ground_truths(d[keep], g)
            for gi, box in enumerate(g):
                bucket = by_size[size_bucket(box)]
                bucket[0] += int(found[gi])
                bucket[1] += 1
            n_det_total += len(d)
            n_lab += len(g)
    out_names = ["object"] if agnostic else list(names)
    per_class, ap50s, ap5095s = {}, [], []
    TP = ND = NG = 0
    for c in range(ncls):
        p = per[c]
        scores = np.concatenate(p["scores"]) if p["scores"] else np.zeros(0)
        tps = np.concatenate(p["tp"], 1) if p["tp"] else np.zeros((10, 0), bool)
        order = np.argsort(-scores, kind="mergesort")
        aps = [average_precision(tps[ti, order], p["n_gt"]) for ti in range(len(IOU_THRS))]
        ap50 = aps[0]
        ap5095 = None if ap50 is None else float(np.mean(aps))
        if ap50 is not None:
            ap50s.append(ap50)
            ap5095s.append(ap5095)
        TP, ND, NG = TP + p["tp_thr"], ND + p["n_det_thr"], NG + p["n_gt"]
        per_class[out_names[c]] = {
            "ap50": _r(ap50), "ap50_95": _r(ap5095),
            "precision": _r(p["tp_thr"] / p["n_det_thr"] if p["n_det_thr"] else 0.0),
            "recall": _r(p["tp_thr"] / p["n_gt"]) if p["n_gt"] else None,
            "labels": p["n_gt"],
        }
    return {
        "mAP50": _r(float(np.mean(ap50s)) if ap50s else 0.0),
        "mAP50_95": _r(float(np.mean(ap5095s)) if ap5095s else 0.0),
        "precision": _r(TP / ND if ND else 0.0),
        "recall": _r(TP / NG if NG else 0.0),
        "images": len(gt), "labels": n_lab, "detections": n_det_total,
        "scoreThreshold": score_thr, "agnostic": agnostic,
        "perClass": per_class,
        "recallBySize": recall_by_size(by_size),
    }


def _r(x):
    return None if x is None else round(float(x), 6)


def load_predictions(path):
    with open(path) as f:
        js = json.load(f)
    preds = {}
    for im in js["images"]:
        preds[str(im["id"])] = [(int(d["class"]), float(d["score"]), *map(float, d["box"])) for d in im["detections"]]
    return preds


def evaluate_masks(data, pred_dir):
    import cv2
    inter_t = union_t = 0
    per = []
    for n in sorted(os.listdir(os.path.join(data, "masks"))):
        g = cv2.imread(os.path.join(data, "masks", n), cv2.IMREAD_GRAYSCALE) > 127
        pp = os.path.join(pred_dir, n)
        p = cv2.imread(pp, cv2.IMREAD_GRAYSCALE) if os.path.exists(pp) else np.zeros_like(g, np.uint8)
        if p.shape != g.shape:
            p = cv2.resize(p, (g.shape[1], g.shape[0]), interpolation=cv2.INTER_NEAREST)
        p = p > 127
        i, u = int((p & g).sum()), int((p | g).sum())
        inter_t, union_t = inter_t + i, union_t + u
        per.append(i / u if u else 1.0)
    return {"iou": _r(inter_t / union_t if union_t else 1.0), "meanIoU": _r(np.mean(per) if per else 0.0), "images": len(per)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="YOLO dataset dir (images/, labels/, masks/)")
    ap.add_argument("--pred", help="predictions JSON")
    ap.add_argument("--pred-masks", help="dir of predicted water masks <id>.png")
    ap.add_argument("--agnostic", action="store_true", help="ignore classes: any detection may match any label")
    ap.add_argument("--score", type=float, default=0.25, help="score threshold for precision/recall")
    ap.add_argument("--names", default=None, help="comma-separated class names (default: data.yaml names)")
    a = ap.parse_args()
    if a.pred_masks:
        print(json.dumps(evaluate_masks(a.data, a.pred_masks)))
        return
    if not a.pred:
        ap.error("--pred or --pred-masks is required")
    if a.names:
        names = a.names.split(",")
    else:
        import yaml
        with open(os.path.join(a.data, "data.yaml")) as f:
            y = yaml.safe_load(f)
        names = y["names"] if isinstance(y["names"], list) else [y["names"][k] for k in sorted(y["names"])]
    print(json.dumps(evaluate(load_ground_truth(a.data), load_predictions(a.pred), names, a.agnostic, a.score)))


if __name__ == "__main__":
    main()
