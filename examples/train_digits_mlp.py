"""Train an MLP on scikit-learn's digits with a plain PyTorch-style loop.

Every piece is gradlab's: the dataset and DataLoader, nn.Sequential with Linear/ReLU/Dropout,
CrossEntropyLoss, Adam with a cosine schedule, and the metrics. Run:
``python examples/train_digits_mlp.py`` (needs ``pip install 'gradlab[lab]'``).
"""

import gradlab
from gradlab import nn, optim
from gradlab.data import DataLoader, TensorDataset, load_digits, train_test_split
from gradlab.train import metrics


def train(epochs: int = 30, seed: int = 0, verbose: bool = True) -> float:
    """Train and return the test accuracy."""
    gradlab.manual_seed(seed)
    digits = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(
        digits.X / 16.0, digits.y, test_size=0.25, seed=seed, stratify=True
    )
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=32, shuffle=True)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Dropout(0.1), nn.Linear(128, 10))
    loss_fn = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=3e-3)
    schedule = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    for epoch in range(epochs):
        model.train()
        total = 0.0
        for x, y in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(y)
        schedule.step()
        if verbose and (epoch + 1) % 5 == 0:
            print(f"epoch {epoch + 1:3d}  loss {total / len(X_train):.4f}")
    model.eval()
    with gradlab.no_grad():
        predicted = model(gradlab.tensor(X_test)).argmax(dim=1).numpy()
    accuracy = metrics.accuracy(y_test, predicted)
    if verbose:
        print(metrics.classification_report(y_test, predicted))
        print(f"test accuracy {accuracy:.4f}")
    return accuracy


if __name__ == "__main__":
    train()
