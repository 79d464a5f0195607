"""YOLO dataset layout helpers (images/, labels/, masks/, data.yaml)."""
import os

import yaml

from .objects import CLASSES


def yolo_line(cls, box, W, H):
    """YOLO label line: class cx cy w h, normalised to the image size."""
    x1, y1, x2, y2 = box
    return f"{cls} {(x1 + x2) / 2 / W:.6f} {(y1 + y2) / 2 / H:.6f} {(x2 - x1) / W:.6f} {(y2 - y1) / H:.6f}"


def write_data_yaml(out, names=CLASSES, train="images", val="images", extra=None):
    """data.yaml as YOLOv5 reads it; paths are relative to `path`."""
    d = {"path": os.path.abspath(out), "train": train, "val": val, "nc": len(names), "names": list(names)}
    if extra:
        d.update(extra)
    with open(os.path.join(out, "data.yaml"), "w") as f:
        yaml.safe_dump(d, f, sort_keys=False)


def read_labels(path, W, H):
    """YOLO label file -> [(cls, x1, y1, x2, y2)] in pixels; missing file = no objects."""
    out = []
    if not os.path.exists(path):
        return out
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) < 5:
                continue
            c, cx, cy, w, h = int(p[0]), *map(float, p[1:5])
            out.append((c, (cx - w / 2) * W, (cy - h / 2) * H, (cx + w / 2) * W, (cy + h / 2) * H))
    return out


def list_images(root):
    d = os.path.join(root, "images")
    return sorted(f for f in os.listdir(d) if f.lower().endswith((".jpg", ".jpeg", ".png", ".bmp")))
