"""Give an exported model a UINT8 input: raw RGB pixels in, normalisation in the graph.

A served request then carries 1 byte per pixel channel instead of 4 (320x320:
300 KB instead of 1.2 MB), which is most of what the gRPC hop costs on CPU.
The float graph is untouched: `images` (uint8) -> Cast -> (x/scale - mean)/std -> old graph.

usage: /usr/bin/python3 training/uint8_input.py models/<name> [--in-place]
"""
import argparse
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def to_uint8_input(model, scale, mean, std):
    graph = model.graph
    inp = graph.input[0]
    name = inp.name
    if inp.type.tensor_type.elem_type == TensorProto.UINT8:
        return model  # already converted
    float_name = name + "_normalized"
    for node in graph.node:
        for i, x in enumerate(node.input):
            if x == name:
                node.input[i] = float_name
    inp.type.tensor_type.elem_type = TensorProto.UINT8
    # (x/scale - mean)/std per channel, as one multiply and one add: x*a + b.
    a = (1.0 / (scale * np.asarray(std, dtype=np.float32))).reshape(1, -1, 1, 1).astype(np.float32)
    b = (-np.asarray(mean, dtype=np.float32) / np.asarray(std, dtype=np.float32)).reshape(1, -1, 1, 1).astype(np.float32)
    graph.initializer.extend([numpy_helper.from_array(a, name + "_mul"), numpy_helper.from_array(b, name + "_add")])
    nodes = [
        helper.make_node("Cast", [name], [name + "_f32"], to=TensorProto.FLOAT),
        helper.make_node("Mul", [name + "_f32", name + "_mul"], [name + "_scaled"]),
        helper.make_node("Add", [name + "_scaled", name + "_add"], [float_name]),
    ]
    for n in reversed(nodes):
        graph.node.insert(0, n)
    onnx.checker.check_model(model)
    return model


def convert(model_dir, versions=None):
    """Raw-pixel input for the model's versions (all, or only `versions`: a version already
    converted must not be converted twice), and config.json to say so."""
    cfg_path = os.path.join(model_dir, "config.json")
    with open(cfg_path) as f:
        cfg = json.load(f)
    inp = cfg["input"]
    if inp["dtype"] == "UINT8":
        return cfg
    norm = inp["normalize"]
    for version in sorted(os.listdir(model_dir)):
        path = os.path.join(model_dir, version, "model.onnx")
        if version.isdigit() and os.path.exists(path) and (versions is None or version in versions):
            onnx.save(to_uint8_input(onnx.load(path), norm["scale"], norm["mean"], norm["std"]), path)
    inp["dtype"] = "UINT8"
    inp["normalize"] = {"scale": 1, "mean": [0, 0, 0], "std": [1, 1, 1], "inGraph": norm}
    with open(cfg_path, "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    return cfg


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model_dir")
    args = ap.parse_args()
    print(json.dumps(convert(args.model_dir)["input"]))
