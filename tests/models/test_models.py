import pytest
import torch

from sedkit.models.attention import StripAttention
from sedkit.models.crnn import CRNN, CRNNConfig, linear_softmax_pooling
from sedkit.models.grl import DomainClassifier, grad_reverse
from sedkit.models.registry import count_parameters, get


def test_crnn_shapes_at_paper_defaults_and_other_lengths():
    model = CRNN(CRNNConfig())
    out = model(torch.randn(2, 512, 128))
    assert out["frame"].shape == (2, 128, 10) and out["clip"].shape == (2, 10)
    assert out["rnn"].shape == (2, 128, 256) and out["cnn"].shape == (2, 128, 128)
    assert out["domain_features"].shape == (2, 128, 256)
    assert CRNN(CRNNConfig())(torch.randn(1, 300, 128))["frame"].shape == (1, 75, 10)
    assert 0 <= float(out["frame"].detach().min()) and float(out["frame"].detach().max()) <= 1
    assert get("crnn") == (CRNN, CRNNConfig) and count_parameters(model) > 0


def test_linear_softmax_pooling():
    one_hot = torch.zeros(1, 10, 2)
    one_hot[0, 3, 0] = 1.0
    assert torch.allclose(linear_softmax_pooling(one_hot)[0, 0], torch.tensor(1.0), atol=1e-6)
    constant = torch.full((1, 10, 2), 0.3)
    assert torch.allclose(linear_softmax_pooling(constant), torch.full((1, 2), 0.3), atol=1e-6)
    p = torch.rand(3, 7, 4)
    expected = (p ** 2).sum(1) / p.sum(1)
    assert torch.allclose(linear_softmax_pooling(p), expected, atol=1e-6)


def _mlp(module, y):
    """W2 ReLU(W1 y) written with einsum over channels (1x1 convolutions)."""
    w1, b1 = module[0].weight[:, :, 0, 0], module[0].bias
    w2, b2 = module[2].weight[:, :, 0, 0], module[2].bias
    hidden = torch.relu(torch.einsum("hc,bc...->bh...", w1, y) + b1.view(1, -1, *([1] * (y.dim() - 2))))
    return torch.einsum("ch,bh...->bc...", w2, hidden) + b2.view(1, -1, *([1] * (y.dim() - 2)))


@pytest.mark.parametrize("kind", ["se", "tsp", "fsp", "ftsp"])
def test_attention_against_equations(kind):
    torch.manual_seed(0)
    u = torch.randn(2, 16, 12, 8)  # (B, C, T, F)
    module = StripAttention(kind, 16, reduction=4)
    out = module(u)
    assert out.shape == u.shape
    if kind == "se":
        m = torch.sigmoid(_mlp(module.excitation, u.mean(dim=(2, 3))))[:, :, None, None]
    elif kind == "tsp":  # Eq. 8: Y^T(c, f) = 1/T sum_t U(c, t, f); Eq. 10: M in R^{C x F}
        y_t = torch.einsum("bctf->bcf", u) / u.shape[2]
        m = torch.sigmoid(_mlp(module.excitation, y_t))[:, :, None, :]
    elif kind == "fsp":  # Eq. 9: Y^F(c, t) = 1/F sum_f U(c, t, f)
        y_f = torch.einsum("bctf->bct", u) / u.shape[3]
        m = torch.sigmoid(_mlp(module.excitation, y_f))[:, :, :, None]
    else:
        a_t = _mlp(module.time_branch, u.mean(2))[:, :, None, :]
        a_f = _mlp(module.freq_branch, u.mean(3))[:, :, :, None]
        m = torch.sigmoid(a_t + a_f)
    torch.testing.assert_close(out, m * u, atol=1e-5, rtol=1e-5)  # Eq. 11
    amap = module.attention_map(u).detach()
    assert float(amap.min()) > 0 and float(amap.max()) < 1
    if kind == "tsp":
        assert amap.shape == (2, 16, 1, 8)  # constant along time
    if kind == "fsp":
        assert amap.shape == (2, 16, 12, 1)  # constant along frequency
    if kind == "se":
        assert amap.shape == (2, 16, 1, 1)


def test_gradient_reversal():
    x = torch.randn(4, 3, requires_grad=True)
    y = grad_reverse(x, 0.7)
    assert torch.equal(y, x)
    y.sum().backward()
    assert torch.allclose(x.grad, torch.full_like(x, -0.7))


def test_domain_classifier_gets_positive_gradient_backbone_negative():
    torch.manual_seed(0)
    features = torch.randn(2, 5, 6, requires_grad=True)
    head = DomainClassifier(6, hidden=4, dropout=0.0)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(head(features, 1.0), torch.tensor([1.0, 0.0]))
    loss.backward()
    reference = features.detach().clone().requires_grad_(True)
    plain = torch.nn.functional.binary_cross_entropy_with_logits(
        head.net(reference).squeeze(-1).mean(-1), torch.tensor([1.0, 0.0]))
    head_grads = [p.grad.clone() for p in head.parameters()]
    head.zero_grad()
    plain.backward()
    assert torch.allclose(features.grad, -reference.grad)  # the backbone is pushed the other way
    for got, expected in zip(head_grads, (p.grad for p in head.parameters())):
        assert torch.allclose(got, expected)  # the classifier itself learns normally


def test_classifier_sizes_match_the_papers():
    """The recipes' full-size models have the papers' parameter counts (GTZAN nnet1 0.46 M, nnet2 1.25 M)
    within 5 %, and return logits plus pooled features for any clip length."""
    from sedkit.models.classifiers import CNNClassifier, CNNClassifierConfig, CPResNet, CPResNetConfig

    nnet1 = CNNClassifier(CNNClassifierConfig(n_classes=10))
    nnet2 = CNNClassifier(CNNClassifierConfig(n_classes=10, channels=[64, 128, 256, 320]))
    assert abs(count_parameters(nnet1) / 0.46e6 - 1) < 0.05
    assert abs(count_parameters(nnet2) / 1.25e6 - 1) < 0.05
    for net in (nnet1, CPResNet(CPResNetConfig(n_classes=10))):
        for frames in (130, 431):
            out = net(torch.randn(2, frames, 64))
            assert out["logits"].shape == (2, 10) and out["features"].shape[0] == 2
