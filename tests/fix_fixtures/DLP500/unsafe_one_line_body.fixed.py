# dlp-fix: --unsafe-fixes
import torch

torch.autograd.set_detect_anomaly(True)
model = torch.nn.Linear(8, 1)
if torch.cuda.is_available(): print("compiled")
