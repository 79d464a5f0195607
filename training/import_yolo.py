#!/usr/bin/env python3
"""Validate a user's YOLO dataset and import it into the riverwatch layout.

  /usr/bin/python3 training/import_yolo.py --src DIR_OR_DATA_YAML [--out DIR] [--split val]
        [--map their_name=bottle,...] [--copy]

Accepts the common layouts: DIR/images + DIR/labels, Ultralytics'
images/{train,val} + labels/{train,val} (pick one with --split), or a
data.yaml whose train/val entries point at image folders (labels found by
replacing the last /images/ with /labels/). Checks every label line (5
fields, class in range, normalised centre inside [0,1], positive size,
box inside the image within 1%), reports problems, and with --out writes a
clean copy in riverwatch's layout (DIR/images, DIR/labels, data.yaml), with
classes remapped to riverwatch's names when --map is given. Without --out
it only validates. Prints a JSON report; exits 1 on any error.
"""
import argparse
import json
import os
import sys

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from riverkit.dataset import write_data_yaml  # noqa: E402
from riverkit.importers import IMAGE_EXTS, make_layout, parse_class_map, place_image, write_labels  # noqa: E402
from riverkit.objects import CLASSES  # noqa: E402


def resolve(src, split):
    """-> (image dir, label dir, class names or None)."""
    names = None
    if src.endswith((".yaml", ".yml")):
        with open(src) as f:
            y = yaml.safe_load(f)
        base = y.get("path") or os.path.dirname(os.path.abspath(src))
        if not os.path.isabs(base):
            base = os.path.join(os.path.dirname(os.path.abspath(src)), base)
        rel = y.get(split) or y.get("val") or y.get("train")
        img_dir = rel if os.path.isabs(rel) else os.path.join(base, rel)
        n = y.get("names")
        names = n if isinstance(n, list) else [n[k] for k in sorted(n)] if n else None
    else:
        img_dir = os.path.join(src, "images")
        if os.path.isdir(os.path.join(img_dir, split)):
            img_dir = os.path.join(img_dir, split)
        dy = os.path.join(src, "data.yaml")
        if os.path.exists(dy):
            with open(dy) as f:
                n = (yaml.safe_load(f) or {}).get("names")
            names = n if isinstance(n, list) else [n[k] for k in sorted(n)] if n else None
    p = os.path.normpath(img_dir)
    head, sep, tail = p.rpartition(os.sep + "images")
    lbl_dir = head + os.sep + "labels" + tail if sep else os.path.join(os.path.dirname(p), "labels")
    return img_dir, lbl_dir, names


def check_file(path, nc, W=None, H=None):
    errors, boxes = [], []
    with open(path) as f:
        for i, line in enumerate(f, 1):
            p = line.split()
            if not p:
                continue
            if len(p) != 5:
                errors.append(f"line {i}: expected 5 fields, got {len(p)} (segments are not supported)")
                continue
            try:
                c = int(p[0])
                cx, cy, w, h = map(float, p[1:])
            except ValueError:
                errors.append(f"line {i}: not numbers")
                continue
            if not 0 <= c < nc:
                errors.append(f"line {i}: class {c} out of range 0..{nc - 1}")
            if not (0 <= cx <= 1 and 0 <= cy <= 1) or w <= 0 or h <= 0:
                errors.append(f"line {i}: box not normalised (cx cy w h in 0..1, w,h > 0)")
            elif cx - w / 2 < -0.01 or cx + w / 2 > 1.01 or cy - h / 2 < -0.01 or cy + h / 2 > 1.01:
                errors.append(f"line {i}: box leaves the image")
            boxes.append((c, cx, cy, w, h))
    return errors, boxes


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--src", required=True)
    ap.add_argument("--out", default=None)
    ap.add_argument("--split", default="val")
    ap.add_argument("--names", default=None, help="class names if the dataset has no data.yaml")
    ap.add_argument("--map", default="", help="their_name=riverwatch_name,... (unmapped classes are dropped)")
    ap.add_argument("--copy", action="store_true")
    a = ap.parse_args()
    img_dir, lbl_dir, names = resolve(a.src, a.split)
    if a.names:
        names = a.names.split(",")
    report = {"images": img_dir, "labels": lbl_dir, "names": names, "imageCount": 0, "boxes": 0,
              "missingLabels": 0, "errors": {}}
    if not os.path.isdir(img_dir):
        report["errors"]["<dataset>"] = [f"no image folder {img_dir}"]
        print(json.dumps(report))
        sys.exit(1)
    if not names:
        report["errors"]["<dataset>"] = ["no class names: add data.yaml or pass --names"]
        print(json.dumps(report))
        sys.exit(1)
    mapping = parse_class_map(a.map)
    target = list(CLASSES) if mapping else list(names)
    if a.out:
        make_layout(a.out)
    for fn in sorted(os.listdir(img_dir)):
        if not fn.lower().endswith(IMAGE_EXTS):
            continue
        stem = os.path.splitext(fn)[0]
        report["imageCount"] += 1
        lp = os.path.join(lbl_dir, stem + ".txt")
        if not os.path.exists(lp):
            report["missingLabels"] += 1  # YOLO convention: no file = background image
            errors, boxes = [], []
        else:
            errors, boxes = check_file(lp, len(names))
        if errors:
            report["errors"][fn] = errors
        report["boxes"] += len(boxes)
        if a.out and not errors:
            place_image(os.path.join(img_dir, fn), a.out, fn, a.copy)
            renamed = [(mapping.get(names[c], names[c]), cx, cy, w, h) for c, cx, cy, w, h in boxes]
            write_labels(a.out, stem, [f"{target.index(n)} {cx:.6f} {cy:.6f} {w:.6f} {h:.6f}"
                                       for n, cx, cy, w, h in renamed if n in target])
    if a.out:
        write_data_yaml(a.out, target)
    report["ok"] = not report["errors"]
    print(json.dumps(report))
    sys.exit(0 if report["ok"] else 1)


if __name__ == "__main__":
    main()
