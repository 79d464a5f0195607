"""A small U-Net for the water mask: 4 down, 4 up, skip connections.

Input `images` [N,3,256,256] (stretched frame, RGB 0..1); output `logits`
[N,1,256,256]: water where logit > 0 (sigmoid > 0.5).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


def block(c1, c2, s=1):
    return nn.Sequential(nn.Conv2d(c1, c2, 3, s, 1, bias=False), nn.BatchNorm2d(c2), nn.ReLU(inplace=True),
                         nn.Conv2d(c2, c2, 3, 1, 1, bias=False), nn.BatchNorm2d(c2), nn.ReLU(inplace=True))


class UNet(nn.Module):
    def __init__(self, ch=(12, 24, 40, 64, 96)):
        super().__init__()
        self.e0 = block(3, ch[0], 2)        # /2  (full-res features are not worth the CPU)
        self.e1 = block(ch[0], ch[1], 2)    # /4
        self.e2 = block(ch[1], ch[2], 2)    # /8
        self.e3 = block(ch[2], ch[3], 2)    # /16
        self.e4 = block(ch[3], ch[4], 2)    # /32 (context: is this flat region water or sky?)
        self.d3 = block(ch[4] + ch[3], ch[3])
        self.d2 = block(ch[3] + ch[2], ch[2])
        self.d1 = block(ch[2] + ch[1], ch[1])
        self.d0 = block(ch[1] + ch[0], ch[0])
        self.out = nn.Conv2d(ch[0] + 3, 1, 3, 1, 1)  # last layer sees the full-res image for crisp edges

    def forward(self, x):
        e0 = self.e0(x)
        e1 = self.e1(e0)
        e2 = self.e2(e1)
        e3 = self.e3(e2)
        e4 = self.e4(e3)
        up = lambda t: F.interpolate(t, scale_factor=2.0, mode="bilinear", align_corners=False)
        d = self.d3(torch.cat((up(e4), e3), 1))
        d = self.d2(torch.cat((up(d), e2), 1))
        d = self.d1(torch.cat((up(d), e1), 1))
        d = self.d0(torch.cat((up(d), e0), 1))
        return self.out(torch.cat((up(d), x), 1))
