# dlp-fix: --unsafe-fixes
from torchvision import datasets, transforms as T

augment = T.Compose([T.RandomResizedCrop(224), T.ToTensor()])
plain = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor()])
other = T.Compose([T.Resize(224), T.ToTensor()])
val_ds = datasets.ImageFolder("data/val", transform=augment)
