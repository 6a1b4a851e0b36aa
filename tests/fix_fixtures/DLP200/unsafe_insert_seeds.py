# dlp-fix: --unsafe-fixes
import numpy as np
import torch
from torch import nn

x = torch.tensor(np.random.rand(32, 2), dtype=torch.float32)
model = nn.Linear(2, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for step in range(10):
    opt.zero_grad()
    loss = model(x).pow(2).mean()
    loss.backward()
    opt.step()
