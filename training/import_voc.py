#!/usr/bin/env python3
"""Convert a Pascal VOC dataset (labelImg's XML) to the YOLO layout.

  /usr/bin/python3 training/import_voc.py --xml DIR_OF_XML [--images DIR] --out DIR
        [--classes bottle,bag,foam,can,wood] [--map plastic_bottle=bottle,...] [--copy]

Every <annotation> becomes DIR/images/<stem>.<ext> (symlinked, or copied with
--copy) and DIR/labels/<stem>.txt. Image size comes from <size> when present,
else from the image file. Objects whose class is not in --classes (after
--map) are skipped and counted; `difficult` objects are kept. Boxes are
clipped to the image. Prints a JSON summary; exits 1 if nothing was imported.
"""
import argparse
import json
import os
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from riverkit.dataset import write_data_yaml, yolo_line  # noqa: E402
from riverkit.importers import IMAGE_EXTS, clip_box, make_layout, parse_class_map, place_image, write_labels  # noqa: E402
from riverkit.objects import CLASSES  # noqa: E402


def find_image(xml_path, root, images_dir):
    fn = (root.findtext("filename") or "").strip()
    stem = os.path.splitext(os.path.basename(xml_path))[0]
    cands = []
    for d in filter(None, [images_dir, os.path.dirname(xml_path)]):
        if fn:
            cands.append(os.path.join(d, fn))
        cands += [os.path.join(d, stem + e) for e in IMAGE_EXTS]
    p = (root.findtext("path") or "").strip()
    if p:
        cands.append(p)
    return next((c for c in cands if os.path.isfile(c)), None)


def parse(xml_path, images_dir, classes, mapping, stats):
    root = ET.parse(xml_path).getroot()
    img = find_image(xml_path, root, images_dir)
    if img is None:
        stats["missingImages"].append(os.path.basename(xml_path))
        return None
    W = int(float(root.findtext("size/width") or 0))
    H = int(float(root.findtext("size/height") or 0))
    if W <= 0 or H <= 0:
        import cv2
        im = cv2.imread(img)
        H, W = im.shape[:2]
    lines = []
    for obj in root.iter("object"):
        name = (obj.findtext("name") or "").strip()
        name = mapping.get(name, name)
        if name not in classes:
            stats["skipped"][name] = stats["skipped"].get(name, 0) + 1
            continue
        bb = obj.find("bndbox")
        x1, y1, x2, y2 = clip_box(*(float(bb.findtext(k)) for k in ("xmin", "ymin", "xmax", "ymax")), W, H)
        if x2 - x1 < 1 or y2 - y1 < 1:
            stats["degenerate"] += 1
            continue
        lines.append(yolo_line(classes.index(name), (x1, y1, x2, y2), W, H))
        stats["boxes"] += 1
    return img, lines


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--xml", required=True, help="directory of VOC .xml files (searched recursively)")
    ap.add_argument("--images", default=None, help="directory of the images (default: next to each XML)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--classes", default=",".join(CLASSES))
    ap.add_argument("--map", default="", help="rename classes: voc_name=yolo_name,...")
    ap.add_argument("--copy", action="store_true", help="copy images instead of symlinking")
    a = ap.parse_args()
    classes = [c.strip() for c in a.classes.split(",") if c.strip()]
    mapping = parse_class_map(a.map)
    make_layout(a.out)
    stats = {"images": 0, "boxes": 0, "skipped": {}, "degenerate": 0, "missingImages": []}
    xmls = sorted(os.path.join(d, f) for d, _, fs in os.walk(a.xml) for f in fs if f.lower().endswith(".xml"))
    for x in xmls:
        r = parse(x, a.images, classes, mapping, stats)
        if r is None:
            continue
        img, lines = r
        stem = os.path.splitext(os.path.basename(x))[0]
        place_image(img, a.out, stem + os.path.splitext(img)[1].lower(), a.copy)
        write_labels(a.out, stem, lines)
        stats["images"] += 1
    write_data_yaml(a.out, classes)
    print(json.dumps(stats))
    sys.exit(0 if stats["images"] else 1)


if __name__ == "__main__":
    main()
