#!/usr/bin/env python3
"""Checks of the detector training input: letterbox geometry and random crops
(run: /usr/bin/python3 training/test_augment.py)."""
import os
import sys
import unittest

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from riverkit import common as C  # noqa: E402


class LetterboxTest(unittest.TestCase):
    def test_native_scale_only_pads(self):
        rgb = np.random.default_rng(0).integers(0, 255, (360, 640, 3), dtype=np.uint8)
        out, r, (px, py) = C.letterbox(rgb, C.DETECT_INPUT)
        self.assertEqual(out.shape, (384, 640, 3))
        self.assertEqual((r, px, py), (1.0, 0, 12))
        self.assertTrue(np.array_equal(out[12:372], rgb))  # pixels untouched
        self.assertTrue((out[:12] == C.PAD).all() and (out[372:] == C.PAD).all())

    def test_square_halves_a_wide_frame(self):
        out, r, (px, py) = C.letterbox(np.zeros((360, 640, 3), np.uint8), 320)
        self.assertEqual((out.shape, r, px, py), ((320, 320, 3), 0.5, 0, 70))


class RandomCropTest(unittest.TestCase):
    def setUp(self):
        self.img = np.zeros((3, 384, 640), np.uint8)
        self.img[:, 100:140, 200:260] = 255  # the object's pixels
        self.lab = np.array([[2, 200, 100, 260, 140]], np.float32)

    def test_boxes_follow_the_pixels(self):
        rng = np.random.default_rng(1)
        for _ in range(200):
            out, lab = C.random_crop(rng, self.img, self.lab, C.TRAIN_CROP)
            self.assertEqual(out.shape, (3, 256, 320))
            for c, x1, y1, x2, y2 in lab:
                self.assertEqual(c, 2)
                self.assertTrue(0 <= x1 < x2 <= 320 and 0 <= y1 < y2 <= 256)
                # The box's interior is the object's (white) pixels, up to resampling at the edges.
                inner = out[0, int(y1) + 2:int(y2) - 2, int(x1) + 2:int(x2) - 2]
                if inner.size:
                    self.assertGreater(inner.min(), 200)

    def test_mostly_visible_objects_are_kept_and_slivers_dropped(self):
        rng = np.random.default_rng(2)
        kept = 0
        for _ in range(300):
            out, lab = C.random_crop(rng, self.img, self.lab, C.TRAIN_CROP, on_object=1.0)
            white = (out[0] > 128).sum()
            if len(lab):
                kept += 1
            else:
                # Dropped: less than 40% of the object's 60x40 px is inside the crop
                # (crops are resized by at most 1.25; allow an edge row of resampling).
                self.assertLess(white, 0.4 * 60 * 40 * 1.25 ** 2 + 80)
        self.assertGreater(kept, 200)  # centred on the object most of the time

    def test_empty_images_still_crop(self):
        out, lab = C.random_crop(np.random.default_rng(3), self.img, np.zeros((0, 5), np.float32), C.TRAIN_CROP)
        self.assertEqual((out.shape, len(lab)), ((3, 256, 320), 0))


if __name__ == "__main__":
    unittest.main(verbosity=0)
