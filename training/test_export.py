#!/usr/bin/env python3
"""The model entry a training run writes (riverkit/export.py write_config) keeps how the
model is served. Run: /usr/bin/python3 training/test_export.py"""
import json
import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from riverkit.common import REPO  # noqa: E402
from riverkit.export import write_config  # noqa: E402

SHIPPED = os.path.join(REPO, "models", "debris-yolov5", "config.json")


def write(root, name="debris-yolov5", extra=None):
    return write_config(name, "detect", "yolov5", (384, 640), "letterbox", {"output0": [-1, 15120, 10]},
                        extra=extra, root=root, uint8_input=False)


class ServingBlocksKept(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        with open(SHIPPED) as f:
            self.shipped = json.load(f)
        # The property under test needs a shipped model that is tiled and decoded on the server.
        self.assertIn("tiling", self.shipped)
        self.assertIn("postprocess", self.shipped)

    def tearDown(self):
        self.tmp.cleanup()

    def test_new_folder_takes_the_shipped_models_serving_blocks(self):
        cfg = write(self.tmp.name)
        for k in ("tiling", "postprocess", "maxBatchSize"):
            self.assertEqual(cfg[k], self.shipped[k], k)

    def test_existing_folder_keeps_its_own(self):
        d = os.path.join(self.tmp.name, "debris-yolov5")
        os.makedirs(d)
        own = {"tiling": {"enabled": False}, "maxBatchSize": 4}
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(own, f)
        cfg = write(self.tmp.name)
        self.assertEqual(cfg["tiling"], {"enabled": False})
        self.assertEqual(cfg["maxBatchSize"], 4)
        self.assertNotIn("postprocess", cfg)

    def test_extra_wins_and_unknown_models_get_defaults(self):
        cfg = write(self.tmp.name, extra={"tiling": {"enabled": False}})
        self.assertEqual(cfg["tiling"], {"enabled": False})
        cfg = write(self.tmp.name, name="my-detector")
        self.assertNotIn("tiling", cfg)
        self.assertEqual(cfg["maxBatchSize"], 8)


if __name__ == "__main__":
    unittest.main(verbosity=0)
