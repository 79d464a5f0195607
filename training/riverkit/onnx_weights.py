"""PyTorch weights back from a shipped ONNX export, whose BatchNorms were folded into
the convolutions at export time (so there is no state dict to read).

Convolutions are matched in execution order (the order torch.onnx traced them in): each
ONNX Conv's weight and bias go to the module's Conv2d, and a BatchNorm after it becomes
the identity that carries the bias. The result computes the same function, trains like
the original (BatchNorm statistics restart from identity), and lets a shipped model be
fine-tuned without its training checkpoint.
"""
import onnx
import torch
from onnx import numpy_helper


def conv_execution_order(model, example):
    """Conv2d modules in the order forward() runs them, each with the BatchNorm2d that reads its
    output (or None), wherever the two sit in the module tree."""
    order, follower, made_by, hooks = [], {}, {}, []

    def on_conv(mod, i, o):
        order.append(mod)
        made_by[id(o)] = (o, mod)  # the tensor is kept so that its id is not reused in this pass

    def on_bn(mod, i, o):
        hit = made_by.get(id(i[0]))
        if hit is not None and hit[0] is i[0]:
            follower[hit[1]] = mod

    for m in model.modules():
        if isinstance(m, torch.nn.Conv2d):
            hooks.append(m.register_forward_hook(on_conv))
        elif isinstance(m, torch.nn.BatchNorm2d):
            hooks.append(m.register_forward_hook(on_bn))
    try:
        with torch.no_grad():
            model.eval()(example)
    finally:
        for h in hooks:
            h.remove()
    return [(c, follower.get(c)) for c in order]


@torch.no_grad()
def load_folded_onnx(model, onnx_path, example):
    """Fills `model` (a freshly built module of the exported architecture) from `onnx_path`."""
    g = onnx.load(onnx_path).graph
    init = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    convs = [n for n in g.node if n.op_type == "Conv"]
    mods = conv_execution_order(model, example)
    if len(convs) != len(mods):
        raise SystemExit(f"{onnx_path}: {len(convs)} convolutions in the ONNX graph, {len(mods)} in the model: not this architecture")
    for node, (conv, bn) in zip(convs, mods):
        w = torch.from_numpy(init[node.input[1]].copy())
        if tuple(w.shape) != tuple(conv.weight.shape):
            raise SystemExit(f"{onnx_path}: conv {node.name} has weight {tuple(w.shape)}, the model's is {tuple(conv.weight.shape)}")
        b = torch.from_numpy(init[node.input[2]].copy()) if len(node.input) > 2 else torch.zeros(w.shape[0])
        conv.weight.copy_(w)
        if conv.bias is not None:
            conv.bias.copy_(b)
        elif bn is not None:
            bn.weight.fill_(1.0)
            bn.bias.copy_(b)
            bn.running_mean.zero_()
            bn.running_var.fill_(1.0 - bn.eps)
        else:
            raise SystemExit(f"{onnx_path}: conv {node.name} has a bias but its module has neither bias nor BatchNorm")
    return model
