# dlp-fix: --unsafe-fixes
import torch

if __name__ == "__main__":
    torch.manual_seed(0)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    model = torch.nn.Linear(2, 2).cuda()
