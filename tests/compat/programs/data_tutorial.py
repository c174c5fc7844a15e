# source: https://github.com/pytorch/tutorials/blob/main/beginner_source/basics/data_tutorial.py
# adapted: the image files and annotations CSV replaced by NumPy arrays (a custom Dataset over
#   them, with transform and target_transform as in the tutorial); no plots.
# compare: none (the shuffled order is drawn differently in the two frameworks)
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset


class CustomImageDataset(Dataset):
    def __init__(self, images, labels, transform=None, target_transform=None):
        self.img_labels = labels
        self.images = images
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self):
        return len(self.img_labels)

    def __getitem__(self, idx):
        image = self.images[idx]
        label = self.img_labels[idx]
        if self.transform:
            image = self.transform(image)
        if self.target_transform:
            label = self.target_transform(label)
        return image, label


def to_tensor(image):
    return torch.from_numpy(image.astype(np.float32) / 255.0).unsqueeze(0)


def one_hot(y):
    return torch.zeros(10, dtype=torch.float).scatter_(0, torch.tensor(y), value=1)


rng = np.random.default_rng(0)
images = rng.integers(0, 256, (150, 28, 28), dtype=np.uint8)
labels = rng.integers(0, 10, 150)
training_data = CustomImageDataset(images[:100], labels[:100], to_tensor)
test_data = CustomImageDataset(images[100:], labels[100:], to_tensor, one_hot)

train_dataloader = DataLoader(training_data, batch_size=64, shuffle=True)
test_dataloader = DataLoader(test_data, batch_size=64, shuffle=True)

train_features, train_labels = next(iter(train_dataloader))
print(f"Feature batch shape: {train_features.size()}")
print(f"Labels batch shape: {train_labels.size()}")
img = train_features[0].squeeze()
label = train_labels[0]
print(f"Image shape: {tuple(img.shape)}, label: {label}")
test_features, test_targets = next(iter(test_dataloader))
print(f"One-hot targets: {tuple(test_targets.shape)}, sums {test_targets.sum(1)[:3].tolist()}")
