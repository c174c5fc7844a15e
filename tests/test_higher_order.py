"""Higher-order gradients (create_graph=True): the API (backward, grad, hooks), torch's errors,
ops without a recorded backward, and WGAN-GP training steps against torch. (Op by op:
test_higher_order_ops.py.)"""

import numpy as np
import pytest

import gradlab

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
X = RNG.normal(size=(3, 4)) + 0.1


def test_backward_create_graph_gives_grad_with_a_graph():
    for lib in (gradlab, torch):
        x = lib.tensor([0.3, -1.2], dtype=lib.float64, requires_grad=True)
        (x**3).sum().backward(create_graph=True)
        assert x.grad.requires_grad
        g = x.grad.clone()
        x.grad = None
        g.sum().backward()
        np.testing.assert_allclose(x.grad.detach().numpy(), 6 * np.array([0.3, -1.2]))


def test_third_derivative():
    x = gradlab.tensor([0.7, -0.4], dtype=gradlab.float64, requires_grad=True)
    y = (x.sin() * x**4).sum()
    (g,) = gradlab.autograd.grad(y, x, create_graph=True)
    (h,) = gradlab.autograd.grad(g.sum(), x, create_graph=True)
    (t,) = gradlab.autograd.grad(h.sum(), x)
    xt = torch.tensor([0.7, -0.4], dtype=torch.float64, requires_grad=True)
    yt = (xt.sin() * xt**4).sum()
    (gt,) = torch.autograd.grad(yt, xt, create_graph=True)
    (ht,) = torch.autograd.grad(gt.sum(), xt, create_graph=True)
    (tt,) = torch.autograd.grad(ht.sum(), xt)
    np.testing.assert_allclose(t.numpy(), tt.numpy(), rtol=1e-10)


def test_hessian_vector_product_with_a_grad_output_that_requires_grad():
    # the double-backward trick: v -> J^T v is linear in v, so differentiating it by v gives J v
    x = gradlab.tensor(X, requires_grad=True)
    v = gradlab.tensor(np.ones((3, 4)), requires_grad=True)
    y = x.sin() * x
    (jtv,) = gradlab.autograd.grad(y, x, grad_outputs=v, create_graph=True)
    (jv,) = gradlab.autograd.grad(jtv.sum(), v)
    np.testing.assert_allclose(jv.numpy(), np.cos(X) * X + np.sin(X), rtol=1e-12)


def test_constant_first_derivative_does_not_require_grad_as_torch():
    for lib in (gradlab, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        (g,) = lib.autograd.grad((x * 3).sum(), x, create_graph=True)
        assert not g.requires_grad
        with pytest.raises(RuntimeError, match="does not require grad"):
            lib.autograd.grad(g.sum(), x)


def test_grad_errors_as_torch():
    for lib in (gradlab, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        z = lib.tensor([1.0, 2.0], requires_grad=True)
        c = lib.tensor([1.0, 2.0])
        y = (x * x).sum()
        with pytest.raises(RuntimeError, match="does not require grad"):
            lib.autograd.grad(y, c, create_graph=True)
        with pytest.raises(RuntimeError, match="allow_unused=True"):
            lib.autograd.grad(y, [x, z], create_graph=True)
        gx, gz = lib.autograd.grad(y, [x, z], create_graph=True, allow_unused=True)
        assert gz is None and gx.requires_grad
        gz = lib.autograd.grad(y, [x, z], allow_unused=True, materialize_grads=True)[1]
        np.testing.assert_array_equal(np.asarray(gz.detach().numpy()), [0.0, 0.0])


def test_retain_graph_defaults_to_create_graph():
    for lib in (gradlab, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (x.exp() * x).sum()
        lib.autograd.grad(y, x, create_graph=True)
        lib.autograd.grad(y, x)  # the graph was kept: create_graph retains it
        with pytest.raises(RuntimeError, match="second time"):
            lib.autograd.grad(y, x)
        y = (x.exp() * x).sum()
        lib.autograd.grad(y, x, create_graph=True, retain_graph=False)
        with pytest.raises(RuntimeError, match="second time"):
            lib.autograd.grad(y, x)


def test_double_backward_of_an_op_without_one_raises_naming_it():
    x = gradlab.tensor(np.abs(X) + 1, requires_grad=True)
    y = (x.lgamma() * x).sum()
    (g,) = gradlab.autograd.grad(y, x, create_graph=True)  # first derivatives are fine
    xt = torch.tensor(np.abs(X) + 1, requires_grad=True)
    (gt,) = torch.autograd.grad((xt.lgamma() * xt).sum(), xt)
    np.testing.assert_allclose(g.detach().numpy(), gt.numpy(), rtol=1e-7)  # digamma's accuracy
    assert g.requires_grad
    with pytest.raises(
        RuntimeError, match="double backward is not implemented in gradlab for Lgamma"
    ):
        gradlab.autograd.grad(g.sum(), x)


def test_hooks_see_tensors_with_a_graph():
    results = []
    for lib in (gradlab, torch):
        x = lib.tensor([0.5, 1.5], dtype=lib.float64, requires_grad=True)
        y = x * x
        seen = []
        y.register_hook(lambda g, seen=seen: seen.append(g) or g * 2)
        (g,) = lib.autograd.grad((y * x).sum(), x, create_graph=True)
        assert isinstance(seen[0], lib.Tensor)
        (h,) = lib.autograd.grad(g.sum(), x)  # the hook fires in this pass too, as torch's
        results.append((g.detach().numpy(), h.numpy(), len(seen)))
    (g, h, n), (tg, th, tn) = results
    np.testing.assert_allclose(g, tg)
    np.testing.assert_allclose(h, th)
    assert n == tn


def _cnn_critic(lib):
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # fused in gradlab
        nn.Conv2d(4, 4, 3), nn.LeakyReLU(0.2), nn.AvgPool2d(2), nn.Flatten(),
        nn.Linear(4, 8), nn.LayerNorm(8), nn.ReLU(), nn.Linear(8, 1),
    ).double()  # fmt: skip


def _critic(lib, activation):
    nn = lib.nn
    return nn.Sequential(
        nn.Linear(4, 16), activation(nn), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 1)
    ).double()


@pytest.mark.parametrize(
    "activation",
    [lambda nn: nn.LeakyReLU(0.2), lambda nn: nn.ReLU(), lambda nn: nn.GELU(), "cnn"],
    ids=["leaky_relu", "relu", "gelu", "cnn"],
)
def test_wgan_gp_training_steps_match_torch(activation):
    """The WGAN-GP critic step (Gulrajani et al. 2017): the gradient penalty
    ((||d D(x_hat) / d x_hat||_2 - 1)^2).mean() needs the critic's gradient as a tensor with a
    graph; three Adam steps, losses and parameters against torch."""
    if activation == "cnn":
        critic, ours, shape = _cnn_critic(torch), _cnn_critic(gradlab), (8, 1, 8, 8)
    else:
        critic, ours, shape = _critic(torch, activation), _critic(gradlab, activation), (8, 4)
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in critic.state_dict().items()})
    runs = []
    for lib, model in ((torch, critic), (gradlab, ours)):
        optimizer = lib.optim.Adam(model.parameters(), lr=1e-2, betas=(0.5, 0.9))
        data = np.random.default_rng(4)
        losses, grads = [], []
        for _ in range(3):
            real = lib.tensor(data.normal(size=shape))
            fake = lib.tensor(data.normal(size=shape) * 2)
            alpha = lib.tensor(data.uniform(size=(8,) + (1,) * (len(shape) - 1)))
            x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
            d_hat = model(x_hat)
            gradients = lib.autograd.grad(
                outputs=d_hat,
                inputs=x_hat,
                grad_outputs=lib.ones(d_hat.size(), dtype=lib.float64),
                create_graph=True,
                retain_graph=True,
            )[0]
            penalty = ((gradients.reshape(8, -1).norm(2, dim=1) - 1) ** 2).mean() * 10
            loss = model(fake).mean() - model(real).mean() + penalty
            optimizer.zero_grad()
            loss.backward()
            grads.append([p.grad.detach().numpy().copy() for p in model.parameters()])
            optimizer.step()
            losses.append((loss.item(), penalty.item()))
        runs.append((losses, grads, [p.detach().numpy() for p in model.parameters()]))
    (t_losses, t_grads, t_params), (losses, grads, params) = runs
    np.testing.assert_allclose(losses, t_losses, rtol=1e-10)
    for step, t_step in zip(grads, t_grads):
        for g, tg in zip(step, t_step):
            np.testing.assert_allclose(g, tg, rtol=1e-8, atol=1e-12)
    for p, tp in zip(params, t_params):
        np.testing.assert_allclose(p, tp, rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize(
    "op",
    [
        lambda lib, z: lib.nn.functional.mse_loss(z, lib.ones(3, 4, dtype=lib.float64)),
        lambda lib, z: lib.nn.functional.layer_norm(z, (4,)).sum(),
        lambda lib, z: lib.nn.functional.gelu(z).sum(),
        lambda lib, z: lib.nn.functional.max_pool2d(z.reshape(1, 1, 3, 4), 2).sum(),
    ],
    ids=["mse_loss", "layer_norm", "gelu", "max_pool2d"],
)
def test_an_input_changed_in_place_after_forward_raises_as_torch(op):
    # the recorded backward of these ops reads their inputs' values: a change would make a
    # second derivative silently wrong, so backward checks their versions (torch saves them)
    for lib in (gradlab, torch):
        x = lib.tensor(X, requires_grad=True)
        z = x * 2
        loss = op(lib, z)
        z.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            lib.autograd.grad(loss, x, create_graph=True)


def test_backward_with_inputs_and_create_graph_as_torch():
    results = []
    for lib in (gradlab, torch):
        x = lib.tensor([0.5, -1.0], dtype=lib.float64, requires_grad=True)
        w = lib.tensor([2.0, 3.0], dtype=lib.float64, requires_grad=True)
        y = (x.sin() * w).sum()
        y.backward(inputs=[x], create_graph=True)
        assert w.grad is None and x.grad.requires_grad
        (x.grad * x.grad).sum().backward(inputs=[w])
        results.append((x.grad.detach().numpy().copy(), w.grad.numpy().copy()))
    (gx, gw), (tx, tw) = results
    np.testing.assert_allclose(gx, tx, rtol=1e-12)
    np.testing.assert_allclose(gw, tw, rtol=1e-12)
