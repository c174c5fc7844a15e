"""CNNs: LeNet (padded, for 8x8 digits), the notes' CIFAR-10 tutorial net / example 14:
shapes, parameter counts, PyTorch cross-check, and LeNet on digits >= 0.98."""

import numpy as np
import pytest

import gradlab
from gradlab import nn, optim
from gradlab.data import load_digits, train_test_split
from gradlab.models import CifarTutorialCNN, LeNet, NotesCNN
from gradlab.train import Trainer, metrics


@pytest.mark.parametrize(
    "model, shape",
    [(LeNet(), (2, 1, 8, 8)), (LeNet(3, 5, image_size=28), (2, 3, 28, 28)),
     (CifarTutorialCNN(), (2, 3, 32, 32)), (NotesCNN(1, 4, image_size=18), (2, 1, 18, 18))],
)  # fmt: skip
def test_forward_and_backward_shapes(model, shape):
    x = gradlab.randn(*shape, requires_grad=True)
    out = model(x)
    assert out.shape == (shape[0], model.num_classes)
    out.sum().backward()
    assert x.grad.shape == shape
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.shape == p.shape, name


def test_flat_input_is_viewed_as_images():
    model = LeNet()
    x = np.random.default_rng(0).random((3, 64)).astype(np.float32)
    model.eval()
    np.testing.assert_allclose(model(gradlab.tensor(x)).numpy(),
                               model(gradlab.tensor(x.reshape(3, 1, 8, 8))).numpy())  # fmt: skip


def test_notes_cnn_is_the_keras_model_of_example_14():
    # Keras summary of the notes' model: 896 + 18,496 + 36,928 + 65,600 + 650 = 122,570
    model = NotesCNN()
    counts = [p.numpy().size for p in model.parameters()]
    assert sum(counts) == 122_570
    assert isinstance(model, CifarTutorialCNN)
    kinds = [type(m).__name__ for m in (*model.features, *model.classifier)]
    assert kinds == ["Conv2d", "ReLU", "MaxPool2d", "Conv2d", "ReLU", "MaxPool2d", "Conv2d",
                     "ReLU", "Flatten", "Linear", "ReLU", "Linear"]  # fmt: skip


def test_cifar_tutorial_cnn_matches_torch():
    torch = pytest.importorskip("torch")
    tnn = torch.nn
    model = CifarTutorialCNN()
    features = tnn.Sequential(tnn.Conv2d(3, 32, 3), tnn.ReLU(), tnn.MaxPool2d(2),
                              tnn.Conv2d(32, 64, 3), tnn.ReLU(), tnn.MaxPool2d(2),
                              tnn.Conv2d(64, 64, 3), tnn.ReLU(), tnn.Flatten())  # fmt: skip
    classifier = tnn.Sequential(tnn.Linear(1024, 64), tnn.ReLU(), tnn.Linear(64, 10))
    ref = tnn.Module()
    ref.features, ref.classifier = features, classifier
    ref.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in model.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((2, 3, 32, 32)).astype(np.float32)
    y = np.array([3, 7])
    loss = nn.CrossEntropyLoss()(model(gradlab.tensor(x)), gradlab.tensor(y))
    ref_loss = tnn.CrossEntropyLoss()(classifier(features(torch.from_numpy(x))),
                                      torch.from_numpy(y))  # fmt: skip
    loss.backward()
    ref_loss.backward()
    np.testing.assert_allclose(loss.item(), ref_loss.item(), atol=1e-5, rtol=1e-4)
    ref_params = dict(ref.named_parameters())
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.grad, ref_params[name].grad.numpy(), atol=1e-5, rtol=1e-4,
                                   err_msg=name)  # fmt: skip


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"LeNet\(in_channels=1, image_size=8\).*\(2, 1, 7, 7\)"):
        LeNet()(gradlab.randn(2, 1, 7, 7))
    with pytest.raises(ValueError, match="image_size 16 is too small.*>= 18"):
        CifarTutorialCNN(image_size=16)
    with pytest.raises(ValueError, match="LeNet: image_size must be >= 4"):
        LeNet(image_size=3)


def _train(epochs, seed=0):
    data = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(
        data.X.reshape(-1, 1, 8, 8) / 16.0, data.y, test_size=0.25, seed=seed, stratify=True
    )
    gradlab.manual_seed(seed)
    model = LeNet(1, 10, image_size=8)
    optimizer = optim.Adam(model.parameters(), lr=2e-3)
    schedule = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    trainer = Trainer(model, nn.CrossEntropyLoss(), optimizer, scheduler=schedule)
    history = trainer.fit(X_train, y_train, epochs=epochs, batch_size=32, verbose=0)
    return history, metrics.accuracy(y_test, trainer.predict(X_test).argmax(axis=1))


def test_short_training_lowers_the_loss():
    history, _ = _train(epochs=2)
    assert history["loss"][1] < history["loss"][0]


def test_lenet_digits_test_accuracy_at_least_0_98():
    _, accuracy = _train(epochs=60)
    assert accuracy >= 0.98, accuracy
