"""Shared training plumbing: seeding, letterboxing, in-memory datasets, NMS, EMA, logging."""
import argparse
import copy
import math
import os
import random
import sys
import time

import cv2
import numpy as np
import torch

from .dataset import list_images, read_labels

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CACHE = os.environ.get("RIVERWATCH_DATA", os.path.join(REPO, "data", "training-cache"))
PAD = 114
# Detector input (h, w): a 640x360 frame letterboxed at scale 1 (12 rows of padding
# top and bottom), so 8 px debris stays 8 px. Detectors train on crops of it.
DETECT_INPUT = (384, 640)
TRAIN_CROP = (256, 320)


def train_args(name, iters, batch, lr, quick_iters, description=None, extra=None):
    """The command line every training script shares; defaults differ per model.
    extra(parser) adds a model's own options."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--iters", type=int, default=iters)
    ap.add_argument("--batch", type=int, default=batch)
    ap.add_argument("--lr", type=float, default=lr)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--train-count", type=int, default=4000, help="classic-style rendered training images")
    ap.add_argument("--real-count", type=int, default=None,
                    help="real-style rendered training images (riverkit/realism.py; default: --train-count); 0: classic only")
    ap.add_argument("--hard", default=None, metavar="DIR",
                    help="mined hard frames (training/mine_hard.py) added to training, --hard-repeat times")
    ap.add_argument("--hard-repeat", type=int, default=2)
    ap.add_argument("--eval-count", type=int, default=300)
    ap.add_argument("--quick", action="store_true", help=f"short run for integration ({quick_iters} iterations)")
    ap.add_argument("--max-minutes", type=float, default=0, help="stop early (cosine schedule is compressed)")
    ap.add_argument("--init", default=None, help="start from this checkpoint instead of scratch")
    ap.add_argument("--out", default=os.path.join(REPO, "models", name))
    ap.add_argument("--checkpoint", default=os.path.join(CACHE, name + ".pt"),
                    help="where the trained weights (for --init and predict.py) are saved")
    if extra:
        extra(ap)
    a = ap.parse_args()
    if a.quick:
        a.iters = quick_iters
    if a.real_count is None:
        a.real_count = a.train_count
    return a


def start_run(name, a):
    """Seeds, threads, the training log and both dataset splits (rendered if missing).
    Returns (log, train_dir, eval_dir)."""
    seed_all(a.seed)
    threads = set_threads()
    log = Logger(os.path.join(a.out, "train_log.txt"))
    log(f"{name}: iters={a.iters} batch={a.batch} lr={a.lr} seed={a.seed} threads={threads}")
    return log, ensure_dataset("train", a.train_count), ensure_dataset("eval", a.eval_count)


def load_train_sets(a, log, size=DETECT_INPUT):
    """The detectors' training set: the classic rendered split plus the real-style one
    (small pale debris, rafts, leaves, glint, IR night, blocking). Returns (imgs, labels)."""
    imgs, labels, _ = load_detection_set(ensure_dataset("train", a.train_count), size, limit=a.train_count)
    log(f"classic train images {len(imgs)} boxes {sum(len(l) for l in labels)}")
    if a.real_count:
        x, y, _ = load_detection_set(ensure_dataset("train-real", a.real_count), size, limit=a.real_count)
        log(f"real-style train images {len(x)} boxes {sum(len(l) for l in y)}")
        imgs, labels = np.concatenate([imgs, x]), labels + y
    if a.hard:
        x, y, _ = load_detection_set(a.hard, size)
        log(f"hard frames {len(x)} boxes {sum(len(l) for l in y)} x{a.hard_repeat}")
        imgs, labels = np.concatenate([imgs] + [x] * a.hard_repeat), labels + y * a.hard_repeat
    return imgs, labels


def evaluate_real_style(infer, size, names, log, count=300):
    """The held-out real-style eval split (render.py --split eval-real): reported beside
    the classic figures, so the effect of the realism work is visible."""
    m, _ = evaluate_detector(infer, ensure_dataset("eval-real", count), size, names)
    log("eval real-style", {k: m[k] for k in ("mAP50", "mAP50_95", "precision", "recall")})
    return m


def seed_all(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def set_threads(n=None):
    n = int(os.environ.get("RIVERWATCH_THREADS", n or 1))
    torch.set_num_threads(n)
    return n


def letterbox(rgb, size, pad=PAD):
    """Resize keeping aspect ratio into `size` (an int for a square, or (h, w)),
    centred, padded with `pad`.

    Returns (image, scale r, (pad_x, pad_y)); image pixel p maps to p * r + pad.
    Same rule as YOLOv5's letterbox(auto=False) and packages/vision.
    """
    sh, sw = (size, size) if isinstance(size, int) else size
    h, w = rgb.shape[:2]
    r = min(sw / w, sh / h)
    nw, nh = int(round(w * r)), int(round(h * r))
    px, py = (sw - nw) // 2, (sh - nh) // 2
    out = np.full((sh, sw, 3), pad, np.uint8)
    out[py:py + nh, px:px + nw] = rgb if (nw, nh) == (w, h) else cv2.resize(rgb, (nw, nh), interpolation=cv2.INTER_LINEAR)
    return out, r, (px, py)


def ensure_dataset(split, count, path=None):
    """Render the split under the data cache unless it is already there."""
    path = path or os.path.join(CACHE, split)
    img_dir = os.path.join(path, "images")
    have = len(os.listdir(img_dir)) if os.path.isdir(img_dir) else 0
    if not os.path.exists(os.path.join(path, "data.yaml")) and have < count:
        sys.path.insert(0, os.path.join(REPO, "training"))
        from render import render_dataset
        render_dataset(split, count, path)
    return path


def load_detection_set(root, size=DETECT_INPUT, limit=None):
    """Letterbox every image to `size`. Returns uint8 NCHW array and per-image
    float arrays of [cls, x1, y1, x2, y2] in tensor pixels."""
    names = list_images(root)[:limit]
    imgs, labels = [], []
    for n in names:
        rgb = cv2.cvtColor(cv2.imread(os.path.join(root, "images", n)), cv2.COLOR_BGR2RGB)
        H, W = rgb.shape[:2]
        lb, r, (px, py) = letterbox(rgb, size)
        boxes = read_labels(os.path.join(root, "labels", os.path.splitext(n)[0] + ".txt"), W, H)
        lab = np.array([[c, x1 * r + px, y1 * r + py, x2 * r + px, y2 * r + py]
                        for c, x1, y1, x2, y2 in boxes], np.float32).reshape(-1, 5)
        imgs.append(lb.transpose(2, 0, 1))
        labels.append(lab)
    return np.stack(imgs), labels, names


def add_finetune_sets(imgs, labels, dirs, repeat, size, classes, log):
    """--finetune: each set's images `repeat` times, so that a few hundred
    operator-labelled frames weigh against thousands of rendered ones."""
    return add_training_sets(imgs, labels, [(d, repeat) for d in dirs], size, classes, log)


def add_training_sets(imgs, labels, sets, size, classes, log, flag="--finetune"):
    """Appends YOLO datasets (images/, labels/, optional data.yaml; what `riverwatch
    dataset export` and the importers write) to a training set; `sets` is [(dir, weight)],
    each image counted `weight` times (see weighted_indices)."""
    for d, weight in sets:
        if not os.path.isdir(os.path.join(d, "images")):
            raise SystemExit(f"{flag} {d}: no images/ folder (expected a YOLO dataset, e.g. from riverwatch dataset export)")
        names = dataset_class_names(d)
        if names is not None and list(names) != list(classes):
            raise SystemExit(f"{flag} {d}: data.yaml classes {names} differ from the model's {list(classes)}")
        x, y, n = load_detection_set(d, size)
        if not len(n):
            raise SystemExit(f"{flag} {d}: images/ is empty")
        idx = weighted_indices(len(n), weight)
        if not len(idx):
            raise SystemExit(f"{flag} {d}: weight {weight:g} keeps none of its {len(n)} images")
        log(f"{flag[2:]} set {d}: {len(n)} images, {sum(len(l) for l in y)} boxes, x{weight:g} ({len(idx)} train images)")
        imgs = np.concatenate([imgs, x[idx]])
        labels = labels + [y[i] for i in idx]
    return imgs, labels


def weighted_indices(n, weight):
    """Indices into a set of n images in which each appears `weight` times on average:
    int(weight) whole passes in file order, then fraction * n (rounded) images spread
    evenly over the set (2.5: every image twice, every other one a third time)."""
    whole = int(weight)
    extra = int((weight - whole) * n + 0.5)  # half up, not Python's half to even
    spread = np.arange(extra) * n // extra if extra else np.zeros(0, int)
    return np.concatenate([np.tile(np.arange(n), whole), spread]).astype(int)


def mix_set(spec):
    """argparse type of --mix: 'DIR:WEIGHT' -> (DIR, WEIGHT)."""
    d, _, w = spec.rpartition(":")
    try:
        weight = float(w)
    except ValueError:
        weight = float("nan")
    if not d or not 0 < weight < float("inf"):
        raise argparse.ArgumentTypeError(f"expected DIR:WEIGHT with a WEIGHT above 0 (e.g. ./review-set:4), got '{spec}'")
    return d, weight


def mix_args(ap):
    """--mix, shared by the detector training scripts."""
    ap.add_argument("--mix", action="append", type=mix_set, default=[], metavar="DIR:WEIGHT",
                    help="add a YOLO dataset (e.g. your labelled camera frames) to the training images, each of its "
                         "images WEIGHT times as often as a rendered one (fractions spread evenly); repeatable")


def dataset_class_names(root):
    """`names` from a YOLO data.yaml (list or {id: name} form), None without one."""
    path = os.path.join(root, "data.yaml")
    if not os.path.exists(path):
        return None
    import yaml
    with open(path) as f:
        names = (yaml.safe_load(f) or {}).get("names")
    if isinstance(names, dict):
        names = [names[k] for k in sorted(names)]
    return names


def random_crop(rng, img, lab, crop, scale=(0.8, 1.25), on_object=0.75, min_visible=0.4):
    """A (h, w) = `crop` window of a CHW uint8 image at a random scale,
    centred on a random labelled object `on_object` of the time (most of a
    16:9 frame is empty water). Boxes cut by the window are clipped and kept
    when at least `min_visible` of them is inside."""
    ch, cw = crop
    _, H, W = img.shape
    s = rng.uniform(*scale)
    rw, rh = min(W, cw / s), min(H, ch / s)
    if len(lab) and rng.random() < on_object:
        b = lab[rng.integers(len(lab))]
        cx = (b[1] + b[3]) / 2 + rng.uniform(-0.4, 0.4) * rw
        cy = (b[2] + b[4]) / 2 + rng.uniform(-0.4, 0.4) * rh
    else:
        cx, cy = rng.uniform(0, W), rng.uniform(0, H)
    x0 = int(np.clip(cx - rw / 2, 0, W - rw))
    y0 = int(np.clip(cy - rh / 2, 0, H - rh))
    x1, y1 = x0 + int(round(rw)), y0 + int(round(rh))
    patch = np.ascontiguousarray(img[:, y0:y1, x0:x1].transpose(1, 2, 0))
    sx, sy = cw / (x1 - x0), ch / (y1 - y0)
    out = cv2.resize(patch, (cw, ch), interpolation=cv2.INTER_LINEAR).transpose(2, 0, 1)
    if not len(lab):
        return out, lab
    bx = lab[:, 1:5] - np.array([x0, y0, x0, y0], np.float32)
    area = (bx[:, 2] - bx[:, 0]) * (bx[:, 3] - bx[:, 1])
    cl = np.clip(bx, 0, [x1 - x0, y1 - y0, x1 - x0, y1 - y0])
    vis = (cl[:, 2] - cl[:, 0]) * (cl[:, 3] - cl[:, 1])
    cl *= np.array([sx, sy, sx, sy], np.float32)
    keep = (vis >= min_visible * area) & (cl[:, 2] - cl[:, 0] >= 2) & (cl[:, 3] - cl[:, 1] >= 2)
    return out, np.concatenate([lab[keep, :1], cl[keep]], 1).astype(np.float32)


def augment_batch(rng, imgs, labels, crop=None):
    """Random crops (when `crop` is set), horizontal flips, brightness/contrast
    and per-channel colour jitter (cheap; data is plentiful)."""
    if crop:
        pairs = [random_crop(rng, im, lab, crop) for im, lab in zip(imgs, labels)]
        imgs, labels = np.stack([p[0] for p in pairs]), [p[1] for p in pairs]
    x = torch.from_numpy(imgs).float() / 255.0
    out_labels = []
    for i in range(len(x)):
        lab = labels[i].copy()
        if rng.random() < 0.5:
            x[i] = x[i].flip(-1)
            w = x.shape[-1]
            lab[:, [1, 3]] = w - lab[:, [3, 1]]
        a, b = rng.uniform(0.75, 1.25), rng.uniform(-0.08, 0.08)
        g = torch.from_numpy(rng.uniform(0.92, 1.08, 3).astype(np.float32)).view(3, 1, 1)
        x[i] = (x[i] * a * g + b).clamp(0, 1)
        out_labels.append(lab)
    return x, out_labels


def box_iou(a, b):
    """IoU matrix between (n,4) and (m,4) xyxy tensors."""
    area_a = (a[:, 2] - a[:, 0]).clamp(0) * (a[:, 3] - a[:, 1]).clamp(0)
    area_b = (b[:, 2] - b[:, 0]).clamp(0) * (b[:, 3] - b[:, 1]).clamp(0)
    lt = torch.max(a[:, None, :2], b[None, :, :2])
    rb = torch.min(a[:, None, 2:], b[None, :, 2:])
    inter = (rb - lt).clamp(0).prod(2)
    return inter / (area_a[:, None] + area_b[None] - inter + 1e-9)


def nms(boxes, scores, iou_thr):
    """Greedy NMS (no torchvision here). Returns kept indices, best first."""
    order = scores.argsort(descending=True)
    boxes = boxes[order]
    keep = []
    suppressed = torch.zeros(len(order), dtype=torch.bool)
    iou = box_iou(boxes, boxes) if len(order) <= 3000 else None
    for i in range(len(order)):
        if suppressed[i]:
            continue
        keep.append(order[i].item())
        row = iou[i] if iou is not None else box_iou(boxes[i:i + 1], boxes)[0]
        suppressed |= row > iou_thr
    return torch.tensor(keep, dtype=torch.long)


def batched_nms(boxes, scores, classes, iou_thr, max_det=100):
    """Per-class NMS via the coordinate-offset trick."""
    if len(boxes) == 0:
        return torch.zeros(0, dtype=torch.long)
    off = classes.float()[:, None] * 4096.0
    keep = nms(boxes + off, scores, iou_thr)
    return keep[:max_det]


class EMA:
    """Exponential moving average of weights (as YOLOv5 does); evaluated/exported model."""

    def __init__(self, model, decay=0.999, tau=500):
        self.ema = copy.deepcopy(model).eval()
        self.updates, self.decay, self.tau = 0, decay, tau
        for p in self.ema.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, model):
        self.updates += 1
        d = self.decay * (1 - math.exp(-self.updates / self.tau))
        msd = model.state_dict()
        for k, v in self.ema.state_dict().items():
            if v.dtype.is_floating_point:
                v.mul_(d).add_(msd[k].detach(), alpha=1 - d)
            else:
                v.copy_(msd[k])


def cosine_lr(step, total, base, warmup=200, final=0.05):
    if step < warmup:
        return base * (step + 1) / warmup
    p = (step - warmup) / max(1, total - warmup)
    return base * (final + (1 - final) * 0.5 * (1 + math.cos(math.pi * p)))


class Logger:
    """Tee to stdout and a log file committed next to the model."""

    def __init__(self, path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        self.f = open(path, "w")
        self.t0 = time.time()

    def __call__(self, *a):
        msg = f"[{time.time() - self.t0:7.1f}s] " + " ".join(str(x) for x in a)
        print(msg, flush=True)
        self.f.write(msg + "\n")
        self.f.flush()


@torch.no_grad()
def predict_dataset(infer, root, size, batch=16, limit=None):
    """Run `infer(x) -> [(boxes xyxy, scores, classes)]` (input-pixel boxes) over
    a dataset with letterboxing; returns the predictions-JSON dict with boxes
    mapped back to image pixels (the format training/evaluate.py reads)."""
    names = list_images(root)[:limit]
    out = []
    for i in range(0, len(names), batch):
        chunk = names[i:i + batch]
        xs, metas = [], []
        for n in chunk:
            rgb = cv2.cvtColor(cv2.imread(os.path.join(root, "images", n)), cv2.COLOR_BGR2RGB)
            lb, r, (px, py) = letterbox(rgb, size)
            xs.append(lb.transpose(2, 0, 1))
            metas.append((os.path.splitext(n)[0], rgb.shape[1], rgb.shape[0], r, px, py))
        x = torch.from_numpy(np.stack(xs)).float() / 255.0
        for (stem, W, H, r, px, py), (b, s, c) in zip(metas, infer(x)):
            b = b.clone()
            b[:, [0, 2]] = ((b[:, [0, 2]] - px) / r).clamp(0, W)
            b[:, [1, 3]] = ((b[:, [1, 3]] - py) / r).clamp(0, H)
            out.append({"id": stem, "width": W, "height": H, "detections": [
                {"class": int(cc), "score": round(float(ss), 5), "box": [round(float(v), 2) for v in bb]}
                for bb, ss, cc in zip(b, s, c)]})
    return {"images": out}


def evaluate_detector(infer, root, size, names, log=None, score_thr=0.25):
    """Predict + COCO-evaluate; returns (metrics dict, predictions dict)."""
    sys.path.insert(0, os.path.join(REPO, "training"))
    import evaluate as E
    preds = predict_dataset(infer, root, size)
    pmap = {im["id"]: [(d["class"], d["score"], *d["box"]) for d in im["detections"]] for im in preds["images"]}
    m = E.evaluate(E.load_ground_truth(root), pmap, names, False, score_thr)
    if log:
        log("eval", {k: m[k] for k in ("mAP50", "mAP50_95", "precision", "recall")})
    return m, preds


def batch_targets(labels):
    """List of (n,5) [cls,x1,y1,x2,y2] -> (N,6) [img, cls, cx, cy, w, h] tensor."""
    rows = []
    for i, lab in enumerate(labels):
        for c, x1, y1, x2, y2 in lab:
            rows.append([i, c, (x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1])
    return torch.tensor(rows, dtype=torch.float32).reshape(-1, 6)


def train_loop(model, step_fn, imgs, labels, a, log, augment=True, crop=None):
    """Shared loop: AdamW, warmup + cosine, EMA, grad clipping.

    Progress is max(step / a.iters, elapsed / budget) when a.max_minutes is
    set, so on a busy CPU the cosine schedule still completes (fewer steps,
    same shape) and the run ends on time. step_fn(model, x, labels) -> (loss, parts).
    """
    decay, no_decay = [], []
    for n, p in model.named_parameters():
        (no_decay if p.ndim <= 1 else decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 5e-4}, {"params": no_decay, "weight_decay": 0}], lr=a.lr)
    ema = EMA(model, tau=min(500, a.iters // 5 + 1))
    rng = np.random.default_rng(a.seed)
    t0 = time.time()
    budget = a.max_minutes * 60 if a.max_minutes else float("inf")
    warm = min(300, a.iters // 10)
    step, agg, progress = 0, None, 0.0
    while progress < 1:
        perm = rng.permutation(len(imgs))
        for i in range(0, len(perm) - a.batch + 1, a.batch):
            el = time.time() - t0
            progress = max(step / a.iters, el / budget)
            if progress >= 1:
                break
            idx = np.sort(perm[i:i + a.batch])
            if augment:
                x, lab = augment_batch(rng, imgs[idx], [labels[j] for j in idx], crop)
            else:
                x, lab = torch.from_numpy(imgs[idx]).float() / 255.0, [labels[j] for j in idx]
            lr = a.lr * (step + 1) / warm if step < warm else \
                a.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))
            for g in opt.param_groups:
                g["lr"] = lr
            model.train()
            loss, parts = step_fn(model, x, lab)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
            opt.step()
            ema.update(model)
            parts = np.asarray(parts, dtype=np.float64)
            agg = parts if agg is None else agg + parts
            step += 1
            if step % 50 == 0:
                log(f"step {step} progress {progress:.3f} loss parts {np.round(agg / 50, 4).tolist()} "
                    f"lr {lr:.2e} {el / step:.2f}s/it")
                agg = None
    log(f"trained {step} steps in {time.time() - t0:.0f}s")
    return ema.ema.eval(), step, time.time() - t0
