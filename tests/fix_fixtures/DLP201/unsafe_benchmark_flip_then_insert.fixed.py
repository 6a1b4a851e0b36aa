# dlp-fix: --unsafe-fixes
import torch

if __name__ == "__main__":
    torch.manual_seed(0)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    model = torch.nn.Conv2d(2, 2, 1).cuda()
