#!/usr/bin/env python3
"""Convert COCO detection annotations (instances.json) to the YOLO layout.

  /usr/bin/python3 training/import_coco.py --json instances.json --images DIR --out DIR
        [--map "plastic bottle=bottle,plastic bag=bag,leaf="] [--keep-categories]
        [--agnostic-class debris] [--copy]

Every entry of "images" becomes DIR/images/<file_name> (symlinked, or copied with
--copy; '/' in file_name becomes '_') and DIR/labels/<stem>.txt; an image without
annotations gets an empty label file (no debris there). Boxes are COCO's
[x, y, width, height] in pixels of the image's width/height.

Classes: by default riverwatch's (bottle, bag, foam, can, wood); every category
that has boxes must be one of them after --map, or be dropped with 'name=' in
--map. --keep-categories keeps the dataset's own categories (in id order, --map
renames). --agnostic-class NAME makes every category one class NAME (for
`riverwatch eval --agnostic` on a set labelled with other classes).

iscrowd=1 annotations are skipped and counted; boxes reaching outside the image
are clipped and counted; boxes under 1 px after clipping are skipped and counted.
Malformed JSON, a missing image file, a box on an unknown image or category, or a
category that is not a class stops the import before anything is written, with a
message naming the problem. Prints a JSON summary on success.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from riverkit.dataset import write_data_yaml, yolo_line  # noqa: E402
from riverkit.importers import clip_box, make_layout, parse_class_map, place_image, write_labels  # noqa: E402
from riverkit.objects import CLASSES  # noqa: E402

MAX_LISTED = 5  # problems named in one message; the rest are counted


class CocoError(Exception):
    """The annotations cannot be imported as they are; the message says why."""


def load_coco(path):
    """instances.json -> (images by id, category names by id, annotations), structure checked."""
    try:
        with open(path) as f:
            js = json.load(f)
    except OSError as e:
        raise CocoError(f"cannot read {path}: {e.strerror}")
    except ValueError as e:
        raise CocoError(f"{path} is not valid JSON: {e}")
    if not isinstance(js, dict):
        raise CocoError(f"{path}: expected a COCO object with images, annotations and categories")
    for key in ("images", "annotations", "categories"):
        if not isinstance(js.get(key), list):
            raise CocoError(f"{path}: no '{key}' list (is this a COCO detection file, instances_*.json?)")
    images = {}
    for im in js["images"]:
        need(im, ("id", "file_name"), "image")
        if im["id"] in images:
            raise CocoError(f"image id {im['id']} appears twice")
        images[im["id"]] = im
    categories = {}
    for c in js["categories"]:
        need(c, ("id", "name"), "category")
        categories[c["id"]] = str(c["name"]).strip()
    for a in js["annotations"]:
        need(a, ("image_id", "category_id", "bbox"), "annotation")
        b = a["bbox"]
        if not (isinstance(b, list) and len(b) == 4 and all(is_number(v) for v in b)):
            raise CocoError(f"annotation {a.get('id', '?')}: bbox must be [x, y, width, height] numbers, got {b!r}")
        if a["image_id"] not in images:
            raise CocoError(f"annotation {a.get('id', '?')}: image_id {a['image_id']} is not in 'images'")
        if a["category_id"] not in categories:
            raise CocoError(f"annotation {a.get('id', '?')}: category_id {a['category_id']} is not in 'categories'")
    return images, categories, js["annotations"]


def need(entry, keys, what):
    missing = [k for k in keys if not isinstance(entry, dict) or k not in entry]
    if missing:
        raise CocoError(f"{what} {str(entry)[:80]}: missing {', '.join(missing)}")


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def class_plan(categories, used, mapping, keep, agnostic):
    """-> (class names written to data.yaml, {category id: class index or None to drop}).
    `used` counts non-crowd boxes per category; only used categories must resolve."""
    renamed = {cid: mapping.get(name, name) for cid, name in categories.items()}
    if agnostic is not None:
        return [agnostic], {cid: None if renamed[cid] == "" else 0 for cid in categories}
    if keep:
        names = list(dict.fromkeys(renamed[cid] for cid in sorted(categories) if renamed[cid]))
    else:
        names = list(CLASSES)
        unknown = [cid for cid in sorted(used) if renamed[cid] and renamed[cid] not in names]
        if unknown:
            listed = ", ".join(f"'{categories[c]}' ({used[c]} box{'es' if used[c] != 1 else ''})" for c in unknown[:MAX_LISTED])
            more = f" and {len(unknown) - MAX_LISTED} more" if len(unknown) > MAX_LISTED else ""
            raise CocoError(f"categories not among riverwatch's classes {names}: {listed}{more}. Map them "
                            f"(--map '{categories[unknown[0]]}=bottle'), drop them (--map '{categories[unknown[0]]}='), "
                            "or keep the dataset's classes (--keep-categories)")
    return names, {cid: names.index(renamed[cid]) if renamed[cid] in names else None for cid in categories}


def image_size(im, path):
    """The image's width and height from the JSON, or from the file when the JSON has none."""
    W, H = im.get("width"), im.get("height")
    if is_number(W) and is_number(H) and W > 0 and H > 0:
        return W, H
    import cv2
    arr = cv2.imread(path)
    if arr is None:
        raise CocoError(f"image {im['file_name']}: not a readable image and no width/height in the JSON")
    return arr.shape[1], arr.shape[0]


def output_names(images):
    """{image id: file name in out/images}: file_name flattened, and stems unique
    because the label file is named by the stem."""
    names = {iid: im["file_name"].replace("\\", "/").replace("/", "_") for iid, im in images.items()}
    seen = {}
    for iid, n in names.items():
        stem = os.path.splitext(n)[0]
        if stem in seen:
            raise CocoError(f"images {images[seen[stem]]['file_name']} and {images[iid]['file_name']} "
                            f"would share the label file labels/{stem}.txt")
        seen[stem] = iid
    return names


def image_paths(images, images_dir):
    """{image id: path}; every file must exist."""
    paths = {iid: os.path.join(images_dir, im["file_name"]) for iid, im in images.items()}
    missing = sorted(images[iid]["file_name"] for iid, p in paths.items() if not os.path.isfile(p))
    if missing:
        more = f" and {len(missing) - MAX_LISTED} more" if len(missing) > MAX_LISTED else ""
        raise CocoError(f"{len(missing)} image file(s) missing under {images_dir}: {', '.join(missing[:MAX_LISTED])}{more}")
    return paths


def label_line(a, categories, cls_of, size, stats):
    """One annotation as a YOLO label line, or None (crowd, dropped class, no area), counted in stats."""
    if a.get("iscrowd"):
        stats["crowdSkipped"] += 1  # a crowd region is not one object to find
        return None
    c = cls_of[a["category_id"]]
    if c is None:
        name = categories[a["category_id"]]
        stats["dropped"][name] = stats["dropped"].get(name, 0) + 1
        return None
    W, H = size
    x, y, w, h = (float(v) for v in a["bbox"])
    box = clip_box(x, y, x + w, y + h, W, H)
    if w <= 0 or h <= 0 or box[2] - box[0] < 1 or box[3] - box[1] < 1:
        stats["degenerate"] += 1  # no area, or (almost) all of it outside the image
        return None
    stats["clipped"] += box != (x, y, x + w, y + h)
    stats["boxes"] += 1
    return yolo_line(c, box, W, H)


def convert(json_path, images_dir, out, mapping=None, keep=False, agnostic=None, copy=False):
    """The whole import; raises CocoError before writing anything if the input is bad.
    Returns the summary printed on success."""
    images, categories, annotations = load_coco(json_path)
    stats = {"images": 0, "boxes": 0, "crowdSkipped": 0, "clipped": 0, "degenerate": 0, "dropped": {}, "emptyImages": 0}
    used = {}
    for a in annotations:
        if not a.get("iscrowd"):
            used[a["category_id"]] = used.get(a["category_id"], 0) + 1
    names, cls_of = class_plan(categories, used, mapping or {}, keep, agnostic)
    out_names = output_names(images)
    paths = image_paths(images, images_dir)
    sizes = {iid: image_size(im, paths[iid]) for iid, im in images.items()}
    lines = {iid: [] for iid in images}
    for a in annotations:
        line = label_line(a, categories, cls_of, sizes[a["image_id"]], stats)
        if line:
            lines[a["image_id"]].append(line)
    make_layout(out)
    for iid, name in out_names.items():
        place_image(paths[iid], out, name, copy)
        write_labels(out, os.path.splitext(name)[0], lines[iid])
        stats["images"] += 1
        stats["emptyImages"] += not lines[iid]
    write_data_yaml(out, names)
    stats["names"] = names
    return stats


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", required=True, help="COCO detection annotations (instances.json)")
    ap.add_argument("--images", required=True, help="folder the file_name entries are relative to")
    ap.add_argument("--out", required=True)
    ap.add_argument("--map", default="", help="rename categories: 'their name=bottle,...'; 'name=' drops one")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--keep-categories", action="store_true", help="keep the dataset's categories as the classes")
    mode.add_argument("--agnostic-class", metavar="NAME", default=None, help="every category becomes this one class")
    ap.add_argument("--copy", action="store_true", help="copy images instead of symlinking")
    a = ap.parse_args()
    if a.agnostic_class is not None and not a.agnostic_class.strip():
        ap.error("--agnostic-class needs a class name, e.g. debris")
    try:
        stats = convert(a.json, a.images, a.out, parse_class_map(a.map), a.keep_categories, a.agnostic_class, a.copy)
    except CocoError as e:
        raise SystemExit(f"import_coco.py: {e}")
    print(json.dumps(stats))


if __name__ == "__main__":
    main()
