"""gradlab.save / gradlab.load: state dicts, file objects, PyTorch's .pt files, refusals."""

import io
import os
import pickle
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import gradlab
from gradlab import nn
from gradlab.torch_format import UnsafeFileError

torch = pytest.importorskip("torch")


def test_state_dict_round_trip_through_a_path_and_a_file_object(tmp_path):
    model = nn.Linear(3, 2)
    state = {"model": model.state_dict(), "epoch": 4, "losses": [0.5, 0.25], "t": (1, "a")}
    gradlab.save(state, tmp_path / "s.pt")
    buffer = io.BytesIO()
    gradlab.save(state, buffer)
    buffer.seek(0)
    for loaded in (gradlab.load(tmp_path / "s.pt"), gradlab.load(buffer, weights_only=True)):
        assert loaded["epoch"] == 4 and loaded["losses"] == [0.5, 0.25] and loaded["t"] == (1, "a")
        weight = loaded["model"]["weight"]
        assert isinstance(weight, gradlab.Tensor)
        np.testing.assert_array_equal(weight.numpy(), model.weight.numpy())
        fresh = nn.Linear(3, 2)
        fresh.load_state_dict(loaded["model"])
        np.testing.assert_array_equal(fresh.bias.numpy(), model.bias.numpy())


def test_the_checkpoint_format_of_train_checkpoint_still_loads(tmp_path):
    from gradlab.train import checkpoint

    checkpoint.save({"w": np.arange(3.0)}, tmp_path / "c.safetensors")
    assert gradlab.load(tmp_path / "c.safetensors")["w"].tolist() == [0.0, 1.0, 2.0]


def test_saving_a_whole_module_is_refused_pointing_to_state_dict(tmp_path):
    with pytest.raises(TypeError, match=r"whole Module \(Linear\).*state_dict\(\)"):
        gradlab.save(nn.Linear(2, 2), tmp_path / "m.pt")
    with pytest.raises(TypeError, match=r"obj\['net'\] is a whole Module"):
        gradlab.save({"net": nn.Sequential(nn.Linear(2, 2))}, tmp_path / "m.pt")
    opt = gradlab.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1)
    with pytest.raises(TypeError, match="whole Optimizer"):
        gradlab.save(opt, io.BytesIO())
    assert not (tmp_path / "m.pt").exists()


def _torch_objects():
    tm = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 2))
    opt = torch.optim.Adam(tm.parameters(), lr=0.01)
    tm(torch.randn(5, 3)).sum().backward()
    opt.step()
    base = torch.arange(12.0).reshape(3, 4)
    return tm, opt, {
        "model": tm.state_dict(), "optimizer": opt.state_dict(), "epoch": 7,
        "view": base[:, 1], "transposed": base.t(), "param": torch.nn.Parameter(torch.ones(2)),
        "dtype": torch.float64, "size": torch.Size([2, 3]), "bytes": b"\x00\xff",
        "half": torch.tensor([1.5, -2.0], dtype=torch.float16), "mask": torch.tensor([True, False]),
        "empty": torch.zeros(0, 3), "scalar": torch.tensor(3.25), "set": {1, 2},
    }  # fmt: skip


def test_reads_files_written_by_torch_save(tmp_path):
    tm, opt, obj = _torch_objects()
    torch.save(obj, tmp_path / "t.pt")
    with open(tmp_path / "t.pt", "rb") as f:
        from_file = gradlab.load(f, map_location="cpu")
    for got in (gradlab.load(tmp_path / "t.pt"), from_file):
        assert isinstance(got["model"], OrderedDict) and list(got["model"]) == list(obj["model"])
        for key, value in obj["model"].items():
            assert got["model"][key].dtype == value.numpy().dtype
            np.testing.assert_array_equal(got["model"][key].numpy(), value.numpy())
        state = got["optimizer"]["state"][0]
        np.testing.assert_array_equal(state["exp_avg"].numpy(), obj["optimizer"]["state"][0]
                                      ["exp_avg"].numpy())  # fmt: skip
        assert got["optimizer"]["param_groups"][0]["lr"] == 0.01
        np.testing.assert_array_equal(got["view"].numpy(), [1.0, 5.0, 9.0])
        np.testing.assert_array_equal(got["transposed"].numpy(), obj["transposed"].numpy())
        assert isinstance(got["param"], nn.Parameter) and got["param"].requires_grad
        assert got["dtype"] == gradlab.float64 and got["size"] == (2, 3)
        assert got["bytes"] == b"\x00\xff" and got["set"] == {1, 2} and got["epoch"] == 7
        assert got["half"].dtype == np.float16 and got["half"].tolist() == [1.5, -2.0]
        assert got["mask"].tolist() == [True, False] and got["empty"].shape == (0, 3)
        assert got["scalar"].item() == 3.25


def test_a_torch_state_dict_file_loads_into_the_same_gradlab_model(tmp_path):
    tm = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    torch.save(tm.state_dict(), tmp_path / "w.pt")
    gm = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    gm.load_state_dict(gradlab.load(tmp_path / "w.pt", weights_only=True))
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    expected = tm(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(gm(gradlab.tensor(x)).numpy(), expected, rtol=1e-6, atol=1e-6)


class _Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _zip_with_pickle(path, payload: bytes):
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", payload)
        z.writestr("archive/byteorder", "little")
        z.writestr("archive/version", "3\n")


def test_a_malicious_pt_file_is_refused_and_runs_no_code(tmp_path):
    marker = tmp_path / "pwned"
    _zip_with_pickle(tmp_path / "evil.pt", pickle.dumps({"w": _Payload(marker)}, protocol=2))
    with pytest.raises(UnsafeFileError, match=r"names posix\.system, which gradlab does not load"):
        gradlab.load(tmp_path / "evil.pt", weights_only=False)
    assert not marker.exists()
    # The same payload as a bare pickle: refused before any unpickling.
    (tmp_path / "evil.pkl").write_bytes(pickle.dumps(_Payload(marker)))
    with pytest.raises(pickle.UnpicklingError, match="never unpickles"):
        gradlab.load(tmp_path / "evil.pkl")
    assert not marker.exists()
    # torch itself refuses it too (weights_only=True is its default).
    with pytest.raises(pickle.UnpicklingError):
        torch.load(tmp_path / "evil.pt")
    assert not marker.exists()


def test_a_whole_torch_module_file_is_refused_with_a_pointer_to_state_dict(tmp_path):
    torch.save(torch.nn.Linear(2, 2), tmp_path / "module.pt")
    with pytest.raises(UnsafeFileError, match=r"torch\.nn\.modules\.linear\.Linear.*state_dict"):
        gradlab.load(tmp_path / "module.pt")


def test_corrupt_storages_are_refused(tmp_path):
    torch.save({"w": torch.arange(4.0)}, tmp_path / "t.pt")
    with zipfile.ZipFile(tmp_path / "t.pt") as z:
        members = {n: z.read(n) for n in z.namelist()}
    key = next(n for n in members if n.endswith("/data/0"))
    members[key] = members[key][:6]
    with zipfile.ZipFile(tmp_path / "bad.pt", "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    with pytest.raises(UnsafeFileError, match="not a whole number|past its storage"):
        gradlab.load(tmp_path / "bad.pt")


def test_a_checkpoint_whose_header_size_starts_with_byte_0x80_still_loads(tmp_path):
    """The first byte of a checkpoint is its header size's low byte, which may be 0x80 (the
    first byte of a pickle): such files must load, not be taken for pickles."""
    for n in range(1, 400):
        state = {"w" * n: np.zeros(1)}
        gradlab.save(state, tmp_path / "c.pt")
        if (tmp_path / "c.pt").read_bytes()[:1] == b"\x80":
            assert list(gradlab.load(tmp_path / "c.pt")) == ["w" * n]
            with open(tmp_path / "c.pt", "rb") as f:
                assert list(gradlab.load(f)) == ["w" * n]
            return
    pytest.fail("no checkpoint with a header size of 0x..80 bytes was made")
