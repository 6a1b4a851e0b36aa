# dlp-fix: --unsafe-fixes
import os

import torch
from torch import nn

os.environ["CUDA_LAUNCH_BLOCKING"] = "1"


class Net(nn.Module):
    def forward(self, x):
        return x


def build(device):
    net = torch.compile(
        Net(),  # the model
        mode="reduce-overhead",
    ).to(device)
    return net
