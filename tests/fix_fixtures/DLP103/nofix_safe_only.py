from torchvision import datasets, transforms

train_tf = transforms.Compose([transforms.RandomCrop(32, padding=4), transforms.ToTensor()])
test_tf = transforms.Compose([transforms.ToTensor()])
val_set = datasets.ImageFolder("data/val", transform=train_tf)
