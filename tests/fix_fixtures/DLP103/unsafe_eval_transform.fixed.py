# dlp-fix: --unsafe-fixes
from torchvision import datasets, transforms

train_tf = transforms.Compose([
    transforms.RandomHorizontalFlip(),  # augmentation
    transforms.ToTensor(),
])
test_tf = transforms.Compose([transforms.ToTensor()])

train_set = datasets.CIFAR10("data", train=True, transform=train_tf)
test_set = datasets.CIFAR10(
    "data",
    train=False,
    transform=test_tf,  # copy-paste bug
)
