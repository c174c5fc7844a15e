"""GAN: generator/discriminator shapes and gradients, the notes' objectives against their
formulas and PyTorch, single steps that lower each loss, coverage, and the quality bar: on a
ring of 8 Gaussians the generator covers every mode (and most samples lie near a mode)."""

import numpy as np
import pytest

import gradlab
from gradlab import optim
from gradlab.lab.applications.gan_mixture import mode_coverage, run_gan_mixture
from gradlab.models.gan import Discriminator, Generator, discriminator_loss, generator_loss


def _log_sigmoid(x):
    return -np.logaddexp(0.0, -x)


def test_shapes_and_gradients():
    gradlab.manual_seed(0)
    g, d = Generator(latent_dim=3, hidden_sizes=(8,), out_features=5), Discriminator(5, (7, 4))
    z = gradlab.randn(6, 3)
    fake = g(z)
    assert fake.shape == (6, 5)
    logits = d(fake)
    assert logits.shape == (6, 1)
    generator_loss(logits).backward()
    assert all(p.grad is not None and p.grad.shape == p.shape for p in g.parameters())
    assert d(gradlab.randn(2, 5, 1)).shape == (2, 1)  # (B, ...) is flattened
    with pytest.raises(ValueError, match=r"Generator\(latent_dim=3\): noise has shape \(6, 2\)"):
        g(gradlab.randn(6, 2))


def test_objectives_follow_the_formulas():
    real = np.array([[2.0], [-0.5], [0.3]], dtype=np.float64)
    fake = np.array([[-1.0], [0.7]], dtype=np.float64)
    d = discriminator_loss(gradlab.tensor(real), gradlab.tensor(fake)).item()
    # -(mean log D(x) + mean log(1 - D(G(z)))), with log(1 - sigmoid(t)) = log sigmoid(-t)
    assert d == pytest.approx(-(_log_sigmoid(real).mean() + _log_sigmoid(-fake).mean()))
    g = generator_loss(gradlab.tensor(fake)).item()
    assert g == pytest.approx(-_log_sigmoid(fake).mean())
    g_sat = generator_loss(gradlab.tensor(fake), saturating=True).item()
    assert g_sat == pytest.approx(_log_sigmoid(-fake).mean())


def test_objective_gradients_match_torch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(0)
    real, fake = rng.standard_normal((4, 1)), rng.standard_normal((3, 1))
    for saturating in (False, True):
        r, f = gradlab.tensor(real, requires_grad=True), gradlab.tensor(fake, requires_grad=True)
        (discriminator_loss(r, f) + generator_loss(f, saturating)).backward()
        rt = torch.tensor(real, requires_grad=True)
        ft = torch.tensor(fake, requires_grad=True)
        bce = F.binary_cross_entropy_with_logits
        g_t = -bce(ft, torch.zeros_like(ft)) if saturating else bce(ft, torch.ones_like(ft))
        (bce(rt, torch.ones_like(rt)) + bce(ft, torch.zeros_like(ft)) + g_t).backward()
        np.testing.assert_allclose(r.grad, rt.grad.numpy(), rtol=1e-10)
        np.testing.assert_allclose(f.grad, ft.grad.numpy(), rtol=1e-10)


def test_one_step_lowers_each_objective():
    gradlab.manual_seed(0)
    g, d = Generator(), Discriminator()
    real = gradlab.randn(64, 2) * 0.1 + 2.0
    z = gradlab.randn(64, 2)
    d_opt, g_opt = optim.SGD(d.parameters(), lr=0.05), optim.SGD(g.parameters(), lr=0.05)

    def d_loss():
        return discriminator_loss(d(real), d(g(z).detach()))

    before = d_loss()
    before.backward()
    d_opt.step()
    assert d_loss().item() < before.item()
    before = generator_loss(d(g(z)))
    g_opt.zero_grad()
    before.backward()
    g_opt.step()
    assert generator_loss(d(g(z))).item() < before.item()


def test_mode_coverage():
    centers = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]])
    # 50 samples at mode 0, 40 at mode 1, 5 at mode 2 (below 1/(4K) = 6.25%), 5 far away
    samples = np.concatenate(
        [
            np.zeros((50, 2)),
            np.tile([10.0, 0.1], (40, 1)),
            np.tile([0.0, 10.0], (5, 1)),
            np.tile([5.0, 5.0], (5, 1)),
        ]
    )
    result = mode_coverage(samples, centers, std=0.1)
    np.testing.assert_allclose(result["shares"], [0.5, 0.4, 0.05, 0.0])
    assert result["covered"] == 2
    assert result["quality"] == pytest.approx(0.95)


def test_generator_covers_every_mode_of_an_eight_gaussian_ring():
    result = run_gan_mixture(n_modes=8, std=0.1, radius=2.0, steps=1500, seed=0)
    coverage = result["coverage"]
    assert coverage["covered"] == 8
    assert coverage["quality"] >= 0.5
