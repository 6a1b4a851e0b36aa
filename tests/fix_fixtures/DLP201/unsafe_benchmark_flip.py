# dlp-fix: --unsafe-fixes
import torch

torch.manual_seed(0)
torch.backends.cudnn.deterministic = True
torch.backends.cudnn.benchmark = (True)  # speed
model = torch.nn.Conv2d(2, 2, 1).cuda()
