"""ResNet on flat features: layout, shapes, gradcheck, PyTorch cross-check, and the plain
20-layer twin training worse than the residual one on the same budget."""

import numpy as np
import pytest

import gradlab
from gradlab import nn, optim
from gradlab.data import DataLoader, TensorDataset, load_digits, train_test_split
from gradlab.gradcheck import gradcheck
from gradlab.models import ResidualBlock, ResNet
from gradlab.train import GradientFlow, Trainer


def test_depth_counts_linear_layers_and_twins_share_the_parameter_count():
    residual, plain = ResNet(64, depth=20), ResNet(64, depth=20, residual=False)
    assert len(residual.blocks) == 9
    names = [name for name, _ in residual.linear_layers()]
    assert len(names) == 20
    assert names[:3] == ["stem.0", "blocks.0.fc1", "blocks.0.fc2"] and names[-1] == "head"
    count = sum(p.numpy().size for p in residual.parameters())
    assert count == sum(p.numpy().size for p in plain.parameters())
    # stem 64·64+64 + BN 128; 9 blocks of 2·(64·64+64) + 2·128; head 64·10+10
    assert count == 4160 + 128 + 9 * (2 * 4160 + 256) + 650
    assert len(ResNet(8, depth=2).blocks) == 0


@pytest.mark.parametrize("residual", [True, False])
def test_forward_and_backward_shapes(residual):
    model = ResNet(12, num_classes=3, depth=6, width=8, residual=residual)
    x = gradlab.randn(5, 3, 4, requires_grad=True)  # (B, 3, 4) is flattened to (B, 12)
    out = model(x)
    assert out.shape == (5, 3)
    out.sum().backward()
    assert x.grad.shape == (5, 3, 4)
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.shape == p.shape, name


@pytest.mark.parametrize("residual", [True, False])
def test_block_gradcheck(residual):
    gradlab.manual_seed(0)
    block = ResidualBlock(4, residual=residual).double()
    block.eval()  # running statistics: a fixed function of x
    block.bn1.running_mean.numpy()[...] = [0.1, -0.2, 0.3, 0.0]
    block.bn1.running_var.numpy()[...] = [0.5, 2.0, 1.0, 1.5]
    x = gradlab.randn(3, 4, dtype="float64", requires_grad=True)
    assert gradcheck(block, (x,))


def test_identity_shortcut():
    block = ResidualBlock(4, batch_norm=False)
    block.fc2.weight.numpy()[...] = 0.0
    block.fc2.bias.numpy()[...] = 0.0
    x = gradlab.tensor(np.array([[1.0, -2.0, 3.0, 0.5]], dtype=np.float32))
    np.testing.assert_allclose(block(x).numpy(), [[1.0, 0.0, 3.0, 0.5]])  # relu(x + 0)
    assert not ResidualBlock(4, residual=False, batch_norm=False).extra_repr().endswith("True")


def _torch_twin(torch, model):
    tnn = torch.nn

    class Block(tnn.Module):
        def __init__(self, width, residual):
            super().__init__()
            self.residual = residual
            self.fc1, self.bn1 = tnn.Linear(width, width), tnn.BatchNorm1d(width)
            self.fc2, self.bn2 = tnn.Linear(width, width), tnn.BatchNorm1d(width)

        def forward(self, x):
            out = self.bn2(self.fc2(torch.relu(self.bn1(self.fc1(x)))))
            return torch.relu(x + out if self.residual else out)

    class Net(tnn.Module):
        def __init__(self):
            super().__init__()
            self.stem = tnn.Sequential(tnn.Linear(model.in_features, model.width),
                                       tnn.BatchNorm1d(model.width), tnn.ReLU())  # fmt: skip
            self.blocks = tnn.ModuleList(Block(model.width, model.residual) for _ in model.blocks)
            self.head = tnn.Linear(model.width, model.num_classes)

        def forward(self, x):
            x = self.stem(x)
            for block in self.blocks:
                x = block(x)
            return self.head(x)

    net = Net()
    net.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in model.state_dict().items()})
    return net


@pytest.mark.parametrize("residual", [True, False])
def test_matches_torch_in_training_mode(residual):
    torch = pytest.importorskip("torch")
    model = ResNet(6, num_classes=3, depth=6, width=5, residual=residual)
    ref = _torch_twin(torch, model)
    x = np.random.default_rng(0).standard_normal((8, 6)).astype(np.float32)
    y = np.random.default_rng(1).integers(0, 3, 8)
    loss = nn.CrossEntropyLoss()(model(gradlab.tensor(x)), gradlab.tensor(y))
    ref_loss = torch.nn.CrossEntropyLoss()(ref(torch.from_numpy(x)), torch.from_numpy(y))
    loss.backward()
    ref_loss.backward()
    np.testing.assert_allclose(loss.item(), ref_loss.item(), atol=1e-5, rtol=1e-4)
    ref_params = dict(ref.named_parameters())
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.grad, ref_params[name].grad.numpy(), atol=1e-5, rtol=1e-4,
                                   err_msg=name)  # fmt: skip
    ref_var = dict(ref.named_buffers())["blocks.1.bn2.running_var"].numpy()
    np.testing.assert_allclose(model.blocks[1].bn2.running_var.numpy(), ref_var, rtol=1e-5)


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="depth must be an even number >= 2.*got 7"):
        ResNet(4, depth=7)
    with pytest.raises(ValueError, match=r"ResNet\(in_features=4\).*\(2, 5\)"):
        ResNet(4, depth=4)(gradlab.randn(2, 5))


def _train(residual, epochs):
    """The example's setting (examples/resnet_vs_plain.py) on a shorter budget."""
    data = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(
        data.X / 16.0, data.y, test_size=0.25, seed=0, stratify=True
    )
    gradlab.manual_seed(0)
    model = ResNet(64, num_classes=10, depth=20, width=64, residual=residual)
    flow = GradientFlow()
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    schedule = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    trainer = Trainer(model, nn.CrossEntropyLoss(), optimizer, metrics=["accuracy"],
                      callbacks=[flow], scheduler=schedule)  # fmt: skip
    # drop_last: 1347 % 64 leaves a batch of 3, whose batch-norm statistics are noise
    loader = DataLoader(TensorDataset(X_train.astype(np.float32), y_train), batch_size=64,
                        shuffle=True, drop_last=True)  # fmt: skip
    history = trainer.fit(loader, epochs=epochs, validation_data=(X_test, y_test), verbose=0)
    return model, history, flow


def test_short_training_lowers_the_loss():
    _, history, _ = _train(residual=True, epochs=2)
    assert history["loss"][1] < history["loss"][0]


def test_plain_20_layer_net_trains_worse_than_its_residual_twin():
    res_model, residual, res_flow = _train(residual=True, epochs=4)
    _, plain, plain_flow = _train(residual=False, epochs=4)
    # same budget (4 epochs, same data, same optimizer): the residual net is far ahead
    assert residual["loss"][-1] < 0.5 * plain["loss"][-1], (residual["loss"], plain["loss"])
    assert residual["val_accuracy"][-1] > plain["val_accuracy"][-1] + 0.2
    # gradient norms for every one of the 20 layers, every epoch
    weights = [f"{name}.weight" for name, _ in res_model.linear_layers()]
    for flow in (res_flow, plain_flow):
        assert all(len(flow.norms[w]) == 4 and flow.norms[w][0] > 0 for w in weights)
