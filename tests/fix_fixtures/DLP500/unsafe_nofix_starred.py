# dlp-fix: --unsafe-fixes
import torch

torch.autograd.set_detect_anomaly(True)
args = (torch.nn.Linear(8, 1),)
model = torch.compile(*args)
