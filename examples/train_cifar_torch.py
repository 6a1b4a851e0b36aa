"""A CIFAR-10 training script with the mistakes flake8-dlpractice is built to catch.

Run `flake8 --select DLP examples/` to see them; `dlp-fix --diff examples/` shows the safe fixes.
"""
import random

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

random.seed(0)
np.random.seed(0)
torch.manual_seed(0)
torch.backends.cudnn.benchmark = True

# one augmenting transform shared by the training and the test set
transform = transforms.Compose([
    transforms.RandomCrop(32, padding=4),
    transforms.RandomHorizontalFlip(),
    transforms.ToTensor(),
    transforms.Normalize((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
])
train_set = datasets.CIFAR10("data", train=True, download=True, transform=transform)
test_set = datasets.CIFAR10("data", train=False, download=True, transform=transform)
train_loader = DataLoader(train_set, batch_size=128, shuffle=True, num_workers=2)
test_loader = DataLoader(test_set, batch_size=256, num_workers=2)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.fc = nn.Linear(64 * 8 * 8, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc(x.flatten(1))


def train_one_epoch(model, loader, optimizer, scheduler):
    model.train()
    running = 0.0
    for images, labels in loader:
        optimizer.zero_grad()
        outputs = model(images)
        loss = F.nll_loss(torch.log(F.softmax(outputs, dim=1)), labels)
        loss.backward()
        optimizer.step()
        scheduler.step()
        running += loss
    return running / len(loader)


def evaluate(model, loader):
    correct = 0
    for images, labels in loader:
        correct += (model(images).argmax(1) == labels).sum().item()
    return correct / len(loader.dataset)


model = torch.compile(Net())
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=30 * len(train_loader))
best_acc = 0.0
for epoch in range(30):
    train_loss = train_one_epoch(model, train_loader, optimizer, scheduler)
    test_acc = evaluate(model, test_loader)
    print(f"epoch {epoch}: loss {train_loss:.3f} test acc {test_acc:.3f}")
    if test_acc > best_acc:
        best_acc = test_acc
        torch.save(model.state_dict(), "best.pt")
