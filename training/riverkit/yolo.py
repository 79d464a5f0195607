"""A small YOLOv5-style detector (CSP backbone, SPPF, PAN neck, 3 anchor scales).

Follows YOLOv5 v6 closely where it matters for compatibility: the Detect
head decodes exactly like an official export (xy = (2*sig - 0.5 + grid) *
stride, wh = (2*sig)^2 * anchor, objectness and class scores sigmoid-ed),
rows ordered scale by scale, anchor by anchor, row-major, so
`output0` is [N, 3*(S/8)^2 + 3*(S/16)^2 + 3*(S/32)^2, 5 + nc].
The loss is YOLOv5's (CIoU box loss, BCE objectness with IoU targets, BCE
classes, neighbour-cell assignment, anchor ratio threshold 4).
"""
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

STRIDES = (8, 16, 32)


class Conv(nn.Module):
    def __init__(self, c1, c2, k=1, s=1):
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, k, s, k // 2, bias=False)
        self.bn = nn.BatchNorm2d(c2, eps=1e-3, momentum=0.03)
        self.act = nn.SiLU()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class Bottleneck(nn.Module):
    def __init__(self, c, shortcut=True):
        super().__init__()
        self.cv1, self.cv2 = Conv(c, c, 1), Conv(c, c, 3)
        self.add = shortcut

    def forward(self, x):
        y = self.cv2(self.cv1(x))
        return x + y if self.add else y


class C3(nn.Module):
    def __init__(self, c1, c2, n=1, shortcut=True):
        super().__init__()
        c = c2 // 2
        self.cv1, self.cv2, self.cv3 = Conv(c1, c, 1), Conv(c1, c, 1), Conv(2 * c, c2, 1)
        self.m = nn.Sequential(*(Bottleneck(c, shortcut) for _ in range(n)))

    def forward(self, x):
        return self.cv3(torch.cat((self.m(self.cv1(x)), self.cv2(x)), 1))


class SPPF(nn.Module):
    def __init__(self, c1, c2):
        super().__init__()
        c = c1 // 2
        self.cv1, self.cv2 = Conv(c1, c, 1), Conv(c * 4, c2, 1)
        self.m = nn.MaxPool2d(5, 1, 2)

    def forward(self, x):
        x = self.cv1(x)
        y1 = self.m(x)
        y2 = self.m(y1)
        return self.cv2(torch.cat((x, y1, y2, self.m(y2)), 1))


class YoloDetector(nn.Module):
    def __init__(self, nc=5, anchors=None, width=(16, 32, 64, 128, 192)):
        super().__init__()
        w = width
        self.nc, self.no, self.na, self.nl = nc, nc + 5, 3, 3
        # anchors: (3 levels, 3 anchors, 2) in input pixels
        self.register_buffer("anchors", torch.tensor(anchors, dtype=torch.float32).view(3, 3, 2))
        self.stem = Conv(3, w[0], 3, 2)                                    # /2
        self.b1 = nn.Sequential(Conv(w[0], w[1], 3, 2), C3(w[1], w[1], 1))  # /4
        self.b2 = nn.Sequential(Conv(w[1], w[2], 3, 2), C3(w[2], w[2], 2))  # /8  P3
        self.b3 = nn.Sequential(Conv(w[2], w[3], 3, 2), C3(w[3], w[3], 2))  # /16 P4
        self.b4 = nn.Sequential(Conv(w[3], w[4], 3, 2), C3(w[4], w[4], 1), SPPF(w[4], w[4]))  # /32 P5
        # PAN neck
        self.lat5 = Conv(w[4], w[3], 1)
        self.td4 = C3(w[3] * 2, w[3], 1, False)
        self.lat4 = Conv(w[3], w[2], 1)
        self.td3 = C3(w[2] * 2, w[2], 1, False)   # -> out P3
        self.down3 = Conv(w[2], w[2], 3, 2)
        self.bu4 = C3(w[2] * 2, w[3], 1, False)   # -> out P4
        self.down4 = Conv(w[3], w[3], 3, 2)
        self.bu5 = C3(w[3] * 2, w[4], 1, False)   # -> out P5
        self.head = nn.ModuleList(nn.Conv2d(c, self.na * self.no, 1) for c in (w[2], w[3], w[4]))
        self._init_bias()
        self.export = False

    def _init_bias(self):
        # YOLOv5's prior: ~8 objects per 640 image, class prior 0.6/nc.
        for conv, s in zip(self.head, STRIDES):
            b = conv.bias.view(self.na, -1)
            b.data[:, 4] += math.log(8 / (640 / s) ** 2)
            b.data[:, 5:] += math.log(0.6 / (self.nc - 0.99))

    def raw(self, x):
        """Per-level raw maps shaped (bs, na, ny, nx, no)."""
        x = self.stem(x)
        x = self.b1(x)
        p3 = self.b2(x)
        p4 = self.b3(p3)
        p5 = self.b4(p4)
        l5 = self.lat5(p5)
        t4 = self.td4(torch.cat((F.interpolate(l5, scale_factor=2.0, mode="nearest"), p4), 1))
        l4 = self.lat4(t4)
        o3 = self.td3(torch.cat((F.interpolate(l4, scale_factor=2.0, mode="nearest"), p3), 1))
        o4 = self.bu4(torch.cat((self.down3(o3), l4), 1))
        o5 = self.bu5(torch.cat((self.down4(o4), l5), 1))
        out = []
        for i, f in enumerate((o3, o4, o5)):
            y = self.head[i](f)
            bs, _, ny, nx = y.shape
            out.append(y.view(bs, self.na, self.no, ny, nx).permute(0, 1, 3, 4, 2).contiguous())
        return out

    def decode(self, raw):
        """Official YOLOv5 inference output: (bs, rows, 5 + nc)."""
        z = []
        for i, y in enumerate(raw):
            bs, na, ny, nx, no = y.shape
            s = STRIDES[i]
            yv, xv = torch.meshgrid(torch.arange(ny, dtype=torch.float32, device=y.device), torch.arange(nx, dtype=torch.float32, device=y.device), indexing="ij")
            grid = torch.stack((xv, yv), 2).view(1, 1, ny, nx, 2) - 0.5
            ag = self.anchors[i].view(1, na, 1, 1, 2)
            y = y.sigmoid()
            xy = (y[..., :2] * 2 + grid) * s
            wh = (y[..., 2:4] * 2) ** 2 * ag
            z.append(torch.cat((xy, wh, y[..., 4:]), -1).view(bs, -1, no))
        return torch.cat(z, 1)

    def forward(self, x):
        r = self.raw(x)
        return self.decode(r) if self.export else r


# ---------------------------------------------------------------- anchors
def kmeans_anchors(wh, k=9, iters=30, seed=0):
    """k-means on box sizes with 1 - IoU distance (like YOLOv5's autoanchor seed)."""
    rng = np.random.default_rng(seed)
    wh = wh[(wh > 1).all(1)]
    c = wh[rng.choice(len(wh), k, replace=False)]
    for _ in range(iters):
        inter = np.minimum(wh[:, None], c[None]).prod(2)
        iou = inter / (wh.prod(1)[:, None] + c.prod(1)[None] - inter)
        a = iou.argmax(1)
        c = np.array([np.median(wh[a == j], 0) if (a == j).any() else c[j] for j in range(k)])
    c = c[np.argsort(c.prod(1))]
    return np.round(c, 1)


# ---------------------------------------------------------------- loss
def bbox_ciou(b1, b2, eps=1e-7):
    """CIoU between matched xywh boxes (n,4)."""
    (x1, y1, w1, h1), (x2, y2, w2, h2) = b1.T, b2.T
    b1x1, b1x2, b1y1, b1y2 = x1 - w1 / 2, x1 + w1 / 2, y1 - h1 / 2, y1 + h1 / 2
    b2x1, b2x2, b2y1, b2y2 = x2 - w2 / 2, x2 + w2 / 2, y2 - h2 / 2, y2 + h2 / 2
    inter = (torch.min(b1x2, b2x2) - torch.max(b1x1, b2x1)).clamp(0) * \
            (torch.min(b1y2, b2y2) - torch.max(b1y1, b2y1)).clamp(0)
    union = w1 * h1 + w2 * h2 - inter + eps
    iou = inter / union
    cw = torch.max(b1x2, b2x2) - torch.min(b1x1, b2x1)
    ch = torch.max(b1y2, b2y2) - torch.min(b1y1, b2y1)
    c2 = cw ** 2 + ch ** 2 + eps
    rho2 = ((x2 - x1) ** 2 + (y2 - y1) ** 2)
    v = (4 / math.pi ** 2) * torch.pow(torch.atan(w2 / (h2 + eps)) - torch.atan(w1 / (h1 + eps)), 2)
    with torch.no_grad():
        alpha = v / (v - iou + (1 + eps))
    return iou - (rho2 / c2 + v * alpha)


class YoloLoss:
    def __init__(self, model, imgsz=320, anchor_t=4.0):
        self.m = model
        nl, nc = model.nl, model.nc
        self.balance = [4.0, 1.0, 0.4]
        self.box_gain = 0.05 * 3 / nl
        self.cls_gain = 0.5 * nc / 80 * 3 / nl
        self.obj_gain = 1.0 * (imgsz / 640) ** 2 * 3 / nl
        self.anchor_t = anchor_t
        self.bce = nn.BCEWithLogitsLoss()

    def __call__(self, raw, targets):
        """targets: (n, 6) = image index, class, cx, cy, w, h in input pixels."""
        lbox = lcls = lobj = torch.zeros(())
        for i, pi in enumerate(raw):
            b, a, gj, gi, tbox, anch, tcls = self._targets(i, pi.shape, targets)
            tobj = torch.zeros(pi.shape[:4])
            if len(b):
                ps = pi[b, a, gj, gi]
                pxy = ps[:, :2].sigmoid() * 2 - 0.5
                pwh = (ps[:, 2:4].sigmoid() * 2) ** 2 * anch
                iou = bbox_ciou(torch.cat((pxy, pwh), 1), tbox)
                lbox = lbox + (1 - iou).mean()
                tobj[b, a, gj, gi] = iou.detach().clamp(0)
                t = torch.zeros_like(ps[:, 5:])
                t[torch.arange(len(b)), tcls] = 1.0
                lcls = lcls + self.bce(ps[:, 5:], t)
            lobj = lobj + self.bce(pi[..., 4], tobj) * self.balance[i]
        bs = raw[0].shape[0]
        loss = lbox * self.box_gain + lobj * self.obj_gain + lcls * self.cls_gain
        return loss * bs, torch.stack((lbox, lobj, lcls)).detach()

    def _targets(self, i, shape, targets):
        s = STRIDES[i]
        _, na, ny, nx, _ = shape
        anchors = self.m.anchors[i] / s  # grid units
        t = targets.clone()
        t[:, 2:6] /= s
        nt = len(t)
        empty = torch.zeros(0, dtype=torch.long)
        if nt == 0:
            return empty, empty, empty, empty, torch.zeros(0, 4), torch.zeros(0, 2), empty
        ai = torch.arange(na).view(na, 1).repeat(1, nt)
        t = torch.cat((t.repeat(na, 1, 1), ai[..., None].float()), 2)  # (na, nt, 7)
        r = t[..., 4:6] / anchors[:, None]
        j = torch.max(r, 1 / r).max(2)[0] < self.anchor_t
        t = t[j]
        g = 0.5
        off = torch.tensor([[0, 0], [1, 0], [0, 1], [-1, 0], [0, -1]], dtype=torch.float32) * g
        gxy = t[:, 2:4]
        gxi = torch.tensor([nx, ny], dtype=torch.float32) - gxy
        jj, kk = ((gxy % 1 < g) & (gxy > 1)).T
        ll, mm = ((gxi % 1 < g) & (gxi > 1)).T
        sel = torch.stack((torch.ones_like(jj), jj, kk, ll, mm))
        t = t.repeat((5, 1, 1))[sel]
        offsets = (torch.zeros_like(gxy)[None] + off[:, None])[sel]
        b, c = t[:, 0].long(), t[:, 1].long()
        gxy, gwh, a = t[:, 2:4], t[:, 4:6], t[:, 6].long()
        gij = (gxy - offsets).long()
        gi, gj = gij[:, 0].clamp(0, nx - 1), gij[:, 1].clamp(0, ny - 1)
        tbox = torch.cat((gxy - torch.stack((gi, gj), 1).float(), gwh), 1)
        return b, a, gj, gi, tbox, anchors[a], c


def postprocess(out, conf_thr=0.001, iou_thr=0.6, max_det=100):
    """Decoded output (bs, rows, 5+nc) -> per image (boxes xyxy, scores, classes).

    Same rule as YOLOv5's non_max_suppression (single label per box):
    score = obj * cls, best class only, per-class NMS."""
    from .common import batched_nms
    res = []
    for o in out:
        scores_all = o[:, 5:] * o[:, 4:5]
        score, cls = scores_all.max(1)
        k = score > conf_thr
        o, score, cls = o[k], score[k], cls[k]
        if len(o) > 3000:
            top = score.argsort(descending=True)[:3000]
            o, score, cls = o[top], score[top], cls[top]
        boxes = torch.cat((o[:, :2] - o[:, 2:4] / 2, o[:, :2] + o[:, 2:4] / 2), 1)
        keep = batched_nms(boxes, score, cls, iou_thr, max_det)
        res.append((boxes[keep], score[keep], cls[keep]))
    return res
