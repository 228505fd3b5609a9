"""sedkit.data.encoder.LabelEncoder: seconds <-> model frames, both ways, at the edges."""
import numpy as np
import pytest

from sedkit.data.encoder import LabelEncoder


def test_strong_targets_by_hand():
    # Frame hop 0.5 s: frame t covers [0.5 t, 0.5 t + 0.5). An event [0.7, 1.5) overlaps frames 1 and 2
    # (frame 3 starts at 1.5: an offset on a boundary does not reach it); [0.0, 0.2) frame 0 only.
    encoder = LabelEncoder(["Dog", "Cat"], frame_hop_s=0.5)
    target = encoder.strong([(0.7, 1.5, "Dog"), (0.0, 0.2, "Cat")], n_frames=6)
    assert target.dtype == np.float32 and target.shape == (6, 2)
    assert target[:, 0].tolist() == [0, 1, 1, 0, 0, 0]
    assert target[:, 1].tolist() == [1, 0, 0, 0, 0, 0]


def test_events_beyond_the_clip_are_cut_and_empty_ones_dropped():
    encoder = LabelEncoder(["Dog"], frame_hop_s=1.0)
    assert encoder.strong([(3.5, 9.0, "Dog")], n_frames=5)[:, 0].tolist() == [0, 0, 0, 1, 1]
    assert encoder.strong([(7.0, 9.0, "Dog")], n_frames=5).sum() == 0  # starts after the last frame
    assert encoder.strong([(2.0, 2.0, "Dog")], n_frames=5).sum() == 0  # zero length
    assert encoder.strong([(1.0, 2.0, "Dog")], n_frames=5)[:, 0].tolist() == [0, 1, 0, 0, 0]  # exact boundaries


def test_timestamps_invert_the_frame_grid():
    from sedkit.postprocess.decode import frame_timestamps

    # 22050 Hz, hop 431, time pooling 4 (the paper's): 0.0782 s frames; 128 frames end at 10.008 s.
    hop = 4 * 431 / 22050
    encoder = LabelEncoder(["Dog"], frame_hop_s=hop)
    stamps = frame_timestamps(128, encoder.frame_hop_s)  # 512 input frames / time pooling 4
    assert stamps.shape == (129,) and stamps[0] == 0.0 and stamps[-1] == pytest.approx(128 * hop)
    # An event spanning exactly frames 10..19 in seconds comes back as those frames.
    target = encoder.strong([(stamps[10], stamps[20], "Dog")], n_frames=128)[:, 0]
    assert np.flatnonzero(target).tolist() == list(range(10, 20))


def test_weak_targets_and_output_frames():
    encoder = LabelEncoder(["Dog", "Cat", "Speech"], frame_hop_s=0.1)
    assert encoder.weak(["Speech", "Dog", "Dog"]).tolist() == [1, 0, 1]
    with pytest.raises(KeyError):
        encoder.weak(["Owl"])
    from sedkit.models.crnn import CRNN, CRNNConfig

    paper = CRNN(CRNNConfig())  # time pooling 2, 2, 1, 1, 1; each average pooling floors
    assert paper.output_frames(512) == 128 and paper.output_frames(501) == 125 and paper.frame_pooling == 4
