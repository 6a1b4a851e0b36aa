import torch

torch.autograd.set_detect_anomaly(True)
model = torch.compile(torch.nn.Linear(8, 1))
