#!/usr/bin/env python3
"""A user's real data in: COCO import (import_coco.py) and mixing labelled sets into
training by weight (riverkit/common.py). Run: /usr/bin/python3 training/test_import.py"""
import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import unittest

import cv2
import numpy as np
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import import_coco as I  # noqa: E402
from riverkit import common as C  # noqa: E402
from riverkit.importers import parse_class_map  # noqa: E402
from riverkit.objects import CLASSES  # noqa: E402


def write_image(path, w, h):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    cv2.imwrite(path, np.full((h, w, 3), 90, np.uint8))


def read_label_boxes(out, stem, W, H):
    """labels/<stem>.txt back to (cls, x1, y1, x2, y2) in pixels."""
    rows = []
    with open(os.path.join(out, "labels", stem + ".txt")) as f:
        for line in f:
            c, cx, cy, w, h = line.split()
            cx, cy, w, h = float(cx) * W, float(cy) * H, float(w) * W, float(h) * H
            rows.append((int(c), cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2))
    return rows


class CocoImportTest(unittest.TestCase):
    """A 200x100 river photo with debris, and a 64x48 one with none."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        self.images = os.path.join(self.dir, "photos")
        write_image(os.path.join(self.images, "river1.jpg"), 200, 100)
        write_image(os.path.join(self.images, "night", "river2.jpg"), 64, 48)
        self.coco = {
            "images": [{"id": 7, "file_name": "river1.jpg", "width": 200, "height": 100},
                       {"id": 8, "file_name": "night/river2.jpg", "width": 64, "height": 48}],
            "categories": [{"id": 1, "name": "plastic bottle"}, {"id": 2, "name": "bag"}, {"id": 3, "name": "person"}],
            "annotations": [
                {"id": 1, "image_id": 7, "category_id": 1, "bbox": [10, 20, 40, 40], "iscrowd": 0},
                {"id": 2, "image_id": 7, "category_id": 2, "bbox": [180, 90, 40, 30]},  # leaves the image
                {"id": 3, "image_id": 7, "category_id": 2, "bbox": [0, 0, 100, 50], "iscrowd": 1},
                {"id": 4, "image_id": 7, "category_id": 3, "bbox": [50, 50, 5, 5]},
                {"id": 5, "image_id": 7, "category_id": 1, "bbox": [300, 10, 5, 5]},  # wholly outside
            ],
        }
        self.out = os.path.join(self.dir, "out")

    def tearDown(self):
        self.tmp.cleanup()

    def json_path(self, coco=None):
        p = os.path.join(self.dir, "instances.json")
        with open(p, "w") as f:
            f.write(coco if isinstance(coco, str) else json.dumps(coco or self.coco))
        return p

    def convert(self, coco=None, **kw):
        kw.setdefault("mapping", {"plastic bottle": "bottle", "person": ""})
        return I.convert(self.json_path(coco), self.images, self.out, **kw)

    def test_boxes_in_pixels_clipped_crowd_and_dropped_counted(self):
        stats = self.convert()
        self.assertEqual(stats, {"images": 2, "boxes": 2, "crowdSkipped": 1, "clipped": 1, "degenerate": 1,
                                 "dropped": {"person": 1}, "emptyImages": 1, "names": CLASSES})
        got = read_label_boxes(self.out, "river1", 200, 100)
        want = [(CLASSES.index("bottle"), 10, 20, 50, 60), (CLASSES.index("bag"), 180, 90, 200, 100)]
        self.assertEqual([r[0] for r in got], [w[0] for w in want])
        for g, w in zip(got, want):
            np.testing.assert_allclose(g[1:], w[1:], atol=0.01)
        # An image with no boxes is a hard negative: an empty label file, and its path flattened.
        with open(os.path.join(self.out, "labels", "night_river2.txt")) as f:
            self.assertEqual(f.read(), "")
        self.assertTrue(os.path.islink(os.path.join(self.out, "images", "night_river2.jpg")))
        with open(os.path.join(self.out, "data.yaml")) as f:
            self.assertEqual(yaml.safe_load(f)["names"], CLASSES)

    def test_keeps_the_datasets_categories_when_asked(self):
        stats = self.convert(mapping={"plastic bottle": "bottle"}, keep=True, copy=True)
        self.assertEqual(stats["names"], ["bottle", "bag", "person"])
        self.assertEqual([r[0] for r in read_label_boxes(self.out, "river1", 200, 100)], [0, 1, 2])
        self.assertFalse(os.path.islink(os.path.join(self.out, "images", "river1.jpg")))

    def test_agnostic_class_makes_one_class(self):
        stats = self.convert(mapping={}, agnostic="debris")
        self.assertEqual((stats["names"], stats["boxes"]), (["debris"], 3))
        self.assertEqual({r[0] for r in read_label_boxes(self.out, "river1", 200, 100)}, {0})

    def test_size_read_from_the_file_when_the_json_has_none(self):
        del self.coco["images"][0]["width"]
        self.convert()
        np.testing.assert_allclose(read_label_boxes(self.out, "river1", 200, 100)[0][1:], (10, 20, 50, 60), atol=0.01)

    def assertRefused(self, pattern, coco=None, **kw):
        with self.assertRaisesRegex(I.CocoError, pattern):
            self.convert(coco, **kw)
        self.assertFalse(os.path.exists(self.out), "nothing is written when the input is refused")

    def test_refuses_malformed_json(self):
        self.assertRefused(r"instances.json is not valid JSON: .*line 1", '{"images": [')
        self.assertRefused(r"no 'annotations' list", {"images": [], "categories": []})
        self.assertRefused(r"expected a COCO object", "[1, 2]")

    def test_refuses_malformed_entries(self):
        self.coco["annotations"][0]["bbox"] = [10, 20, 40]
        self.assertRefused(r"annotation 1: bbox must be \[x, y, width, height\] numbers")
        self.coco["annotations"][0]["bbox"] = [10, 20, 40, 40]
        self.coco["annotations"][1]["image_id"] = 99
        self.assertRefused(r"annotation 2: image_id 99 is not in 'images'")
        self.coco["annotations"][1]["image_id"] = 7
        self.coco["annotations"][1]["category_id"] = 42
        self.assertRefused(r"annotation 2: category_id 42 is not in 'categories'")
        del self.coco["images"][1]["file_name"]
        self.assertRefused(r"image .*: missing file_name")

    def test_refuses_a_missing_image_file(self):
        os.remove(os.path.join(self.images, "night", "river2.jpg"))
        self.assertRefused(r"1 image file\(s\) missing under .*photos: night/river2.jpg")

    def test_refuses_an_unmapped_category_and_says_how_to_fix_it(self):
        self.assertRefused(r"not among riverwatch's classes .*'plastic bottle' \(2 boxes\), 'person' \(1 box\).*"
                           r"--map 'plastic bottle=bottle'.*--keep-categories", mapping={})

    def test_refuses_two_images_sharing_a_label_file(self):
        write_image(os.path.join(self.images, "river1.png"), 200, 100)
        self.coco["images"].append({"id": 9, "file_name": "river1.png", "width": 200, "height": 100})
        self.assertRefused(r"river1.jpg and river1.png would share the label file labels/river1.txt")

    def test_command_line(self):
        run = lambda *args: subprocess.run([sys.executable, os.path.join(HERE, "import_coco.py"), "--json", self.json_path(),
                                            "--images", self.images, "--out", self.out, *args], capture_output=True, text=True)
        bad = run()
        self.assertEqual(bad.returncode, 1)
        self.assertIn("import_coco.py: categories not among riverwatch's classes", bad.stderr)
        ok = run("--map", "plastic bottle=bottle, person=")
        self.assertEqual(ok.returncode, 0, ok.stderr)
        self.assertEqual(json.loads(ok.stdout)["boxes"], 2)
        both = run("--keep-categories", "--agnostic-class", "debris")
        self.assertEqual(both.returncode, 2)
        self.assertIn("not allowed with argument", both.stderr)


class ClassMapTest(unittest.TestCase):
    def test_names_with_spaces_and_drops(self):
        self.assertEqual(parse_class_map(" plastic bottle=bottle,leaf=,"), {"plastic bottle": "bottle", "leaf": ""})

    def test_refuses_an_entry_without_equals(self):
        with self.assertRaisesRegex(SystemExit, "--map: 'bottle' is not theirs=ours"):
            parse_class_map("plastic bottle=bottle,bottle")


class WeightedIndicesTest(unittest.TestCase):
    def test_whole_weights_repeat_the_set_in_order(self):
        # Exactly what --finetune-repeat always did: the set appended `repeat` times.
        self.assertEqual(C.weighted_indices(3, 4).tolist(), [0, 1, 2] * 4)

    def test_fractions_spread_evenly(self):
        idx = C.weighted_indices(4, 2.5)
        self.assertEqual(idx.tolist(), [0, 1, 2, 3, 0, 1, 2, 3, 0, 2])
        self.assertEqual(C.weighted_indices(10, 0.3).tolist(), [0, 3, 6])
        self.assertEqual(len(C.weighted_indices(3, 0.5)), 2)  # 1.5 rounds half up

    def test_a_weight_too_small_for_the_set_keeps_nothing(self):
        self.assertEqual(len(C.weighted_indices(3, 0.1)), 0)


class MixArgumentTest(unittest.TestCase):
    def parse(self, *argv):
        ap = argparse.ArgumentParser()
        C.mix_args(ap)
        return ap.parse_args(argv).mix

    def test_repeatable_dir_and_weight(self):
        self.assertEqual(self.parse("--mix", "real:2", "--mix", "cams/a:b:0.5"), [("real", 2.0), ("cams/a:b", 0.5)])
        self.assertEqual(self.parse(), [])

    def test_refuses_a_bad_weight(self):
        for bad in ("real", "real:0", "real:-1", "real:x", ":3", "real:inf", "real:nan"):
            err = io.StringIO()
            with self.subTest(bad=bad), contextlib.redirect_stderr(err), self.assertRaises(SystemExit):
                self.parse("--mix", bad)
            self.assertIn("expected DIR:WEIGHT with a WEIGHT above 0", err.getvalue())


class AddTrainingSetsTest(unittest.TestCase):
    SIZE = (32, 64)

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.set = os.path.join(self.tmp.name, "real")
        for i, (c, x) in enumerate([(0, 0.25), (1, 0.5), (2, 0.75)]):
            write_image(os.path.join(self.set, "images", f"f{i}.jpg"), 64, 32)
            os.makedirs(os.path.join(self.set, "labels"), exist_ok=True)
            with open(os.path.join(self.set, "labels", f"f{i}.txt"), "w") as f:
                f.write(f"{c} {x} 0.5 0.25 0.5\n")
        self.base = np.zeros((2, 3, *self.SIZE), np.uint8), [np.zeros((0, 5), np.float32)] * 2
        self.log = []

    def tearDown(self):
        self.tmp.cleanup()

    def add(self, weight, flag="--mix"):
        return C.add_training_sets(*self.base, [(self.set, weight)], self.SIZE, CLASSES, self.log.append, flag)

    def test_each_image_weight_times_with_its_labels(self):
        imgs, labels = self.add(1.5)
        self.assertEqual(len(imgs), 2 + 5)  # 4.5 rounded half up
        self.assertEqual([int(l[0, 0]) for l in labels[2:]], [0, 1, 2, 0, 1])
        self.assertTrue((imgs[2:] == 90).all())
        self.assertEqual(self.log, [f"mix set {self.set}: 3 images, 3 boxes, x1.5 (5 train images)"])

    def test_finetune_repeat_appends_whole_copies(self):
        imgs, labels = C.add_finetune_sets(*self.base, [self.set], 4, self.SIZE, CLASSES, self.log.append)
        self.assertEqual([int(l[0, 0]) for l in labels[2:]], [0, 1, 2] * 4)
        self.assertRegex(self.log[0], r"finetune set .*real: 3 images, 3 boxes, x4 ")

    def test_refuses_sets_it_cannot_use(self):
        with self.assertRaisesRegex(SystemExit, r"--mix .*: weight 0.1 keeps none of its 3 images"):
            self.add(0.1)
        with open(os.path.join(self.set, "data.yaml"), "w") as f:
            yaml.safe_dump({"names": ["debris"]}, f)
        with self.assertRaisesRegex(SystemExit, r"--mix .*: data.yaml classes \['debris'\] differ from the model's"):
            self.add(2)
        with self.assertRaisesRegex(SystemExit, r"--mix .*nowhere: no images/ folder"):
            C.add_training_sets(*self.base, [(os.path.join(self.tmp.name, "nowhere"), 1)], self.SIZE, CLASSES, print, "--mix")


if __name__ == "__main__":
    unittest.main(verbosity=0)
