# dlp-fix: --unsafe-fixes
from torchvision import datasets, transforms as T

augment = T.Compose([T.RandomResizedCrop(224), T.ToTensor()])
plain = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor()])

train_ds = datasets.ImageFolder("data/train", transform=augment)
val_ds = datasets.ImageFolder("data/val", transform=plain); print(len(val_ds))
