import torch

torch.manual_seed(0)  # noqa: DLP201 - determinism is set by the launcher
model = torch.nn.Conv2d(2, 2, 1).cuda()
