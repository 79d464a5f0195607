#!/usr/bin/env python3
"""A rendered clip (render_clip.py's output) as a YOLO evaluation set, so that
`riverwatch eval` can score a detector on it, false positives on the banks included.

  /usr/bin/python3 training/clip_dataset.py --clip DIR --out DIR [--every N]

Takes every N-th frame (default 5) with its truth boxes as labels and the clip's
water mask as each frame's masks/<id>.png.
"""
import argparse
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from riverkit.dataset import write_data_yaml, yolo_line  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clip", required=True, help="a render_clip.py output folder (truth.json, frames/, water_mask.png)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--every", type=int, default=5)
    a = ap.parse_args()
    truth_path = os.path.join(a.clip, "truth.json")
    if not os.path.exists(truth_path):
        raise SystemExit(f"{a.clip}: no truth.json (expected render_clip.py's output)")
    truth = json.load(open(truth_path))
    W, H = truth["width"], truth["height"]
    for sub in ("images", "labels", "masks"):
        os.makedirs(os.path.join(a.out, sub), exist_ok=True)
    frames = truth["frames"][::max(1, a.every)]
    for f in frames:
        stem = f"{f['index']:06d}"
        shutil.copy(os.path.join(a.clip, f["file"]), os.path.join(a.out, "images", stem + ".jpg"))
        shutil.copy(os.path.join(a.clip, truth["waterMask"]), os.path.join(a.out, "masks", stem + ".png"))
        with open(os.path.join(a.out, "labels", stem + ".txt"), "w") as out:
            out.write("".join(yolo_line(o["class"], o["box"], W, H) + "\n" for o in f["objects"]))
    write_data_yaml(a.out, extra={"clip": truth["scenario"], "every": a.every, "count": len(frames)})
    print(json.dumps({"clip": truth["scenario"], "images": len(frames), "out": a.out}))


if __name__ == "__main__":
    main()
