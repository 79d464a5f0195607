"""What the dataset importers (import_voc.py, import_yolo.py, import_coco.py) share:
class maps from the command line, box clipping and writing the YOLO layout."""
import os
import shutil

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp")


def parse_class_map(spec, flag="--map"):
    """'their name=bottle,other=bag' -> {their name: bottle, other: bag}. Names may hold
    spaces (COCO's do); an empty target ('leaf=') drops that class."""
    mapping = {}
    for item in spec.split(","):
        if not item.strip():
            continue
        if "=" not in item:
            raise SystemExit(f"{flag}: '{item.strip()}' is not theirs=ours (e.g. 'plastic bottle=bottle')")
        k, v = item.split("=", 1)
        mapping[k.strip()] = v.strip()
    return mapping


def clip_box(x1, y1, x2, y2, W, H):
    """Pixel corners ordered and clipped to a W x H image."""
    x1, x2 = sorted((max(0.0, min(W, x1)), max(0.0, min(W, x2))))
    y1, y2 = sorted((max(0.0, min(H, y1)), max(0.0, min(H, y2))))
    return x1, y1, x2, y2


def make_layout(out):
    os.makedirs(os.path.join(out, "images"), exist_ok=True)
    os.makedirs(os.path.join(out, "labels"), exist_ok=True)


def place_image(src, out, name, copy=False):
    """out/images/<name>: a symlink to src (cheap for large sets), or a copy with copy=True."""
    dst = os.path.join(out, "images", name)
    if os.path.lexists(dst):
        os.remove(dst)
    if copy:
        shutil.copyfile(src, dst)
    else:
        os.symlink(os.path.abspath(src), dst)


def write_labels(out, stem, lines):
    """out/labels/<stem>.txt; an empty file is an image with no debris (a hard negative)."""
    with open(os.path.join(out, "labels", stem + ".txt"), "w") as f:
        f.write("".join(line + "\n" for line in lines))
