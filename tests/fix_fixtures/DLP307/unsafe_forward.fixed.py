# dlp-fix: --unsafe-fixes
import torch
from torch import nn


class Net(nn.Module):
    def forward(self, x):
        return x


model = Net()
with torch.no_grad():
    out = model(torch.zeros(1))
    print(out)
