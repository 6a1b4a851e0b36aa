# dlp-fix: --unsafe-fixes
import torch

torch.autograd.set_detect_anomaly(True)  # debugging NaNs

model = torch.nn.Linear(8, 1)
