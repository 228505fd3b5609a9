"""SED batch augmentation: FilterAugment's gains, random gain and frame shift, by value."""
import numpy as np
import pytest

from sedkit.config import ConfigError
from sedkit.data.augment import AugmentConfig, augment_batch, filter_gains_db


def _batch(n_clips=4, frames=16, mels=6, pool=2):
    rng = np.random.default_rng(0)
    strong = np.zeros((n_clips, frames // pool, 2), dtype=np.float32)
    strong[:, 4, 0] = 1.0  # one active output frame, far enough from the ends for shifts of up to 3
    return {"x": rng.normal(size=(n_clips, frames, mels)).astype(np.float32), "strong": strong,
            "weak": strong.max(axis=1), "is_strong": np.ones(n_clips, bool), "is_weak": np.zeros(n_clips, bool),
            "is_unlabel": np.zeros(n_clips, bool)}


def test_filter_gains_step_by_hand():
    # two bands cut at bin 4: bins 0-3 get +3 dB, bins 4-9 get -3 dB
    gains = filter_gains_db(10, 2, np.array([3.0, -3.0]), np.array([4]), "step")
    assert gains.tolist() == [3.0] * 4 + [-3.0] * 6


def test_filter_gains_linear_by_hand():
    # bands [0, 2) and [2, 4): centres at bins 0.5 and 2.5; 0 dB and 6 dB there, linear between, flat outside
    gains = filter_gains_db(4, 2, np.array([0.0, 6.0]), np.array([2]), "linear")
    np.testing.assert_allclose(gains, [0.0, 1.5, 4.5, 6.0])


def test_gain_moves_every_bin_by_its_db_scale():
    batch = _batch()
    scale = np.array([0.5, 1, 1, 1, 1, 2.0])
    out = augment_batch(batch, AugmentConfig(gain_db=10.0), np.random.default_rng(1), 0.04, scale, 2)
    shift = out["x"] - batch["x"]
    # one gain per clip, the same on every frame, times the bin's scale, within +-10 dB
    np.testing.assert_allclose(shift[:, :, 5], 4 * shift[:, :, 0], atol=1e-5)
    np.testing.assert_allclose(shift, shift[:, :1, :].repeat(shift.shape[1], axis=1), atol=1e-5)
    assert np.all(np.abs(shift[:, 0, 1]) <= 10.0) and np.ptp(shift[:, 0, 1]) > 0


def test_frame_shift_moves_features_and_targets_together():
    batch = _batch()
    # frame hop 0.05 s, pooling 2: output frames of 0.1 s; up to 0.3 s = 3 output frames = 6 input frames
    out = augment_batch(batch, AugmentConfig(time_shift_max_s=0.3), np.random.default_rng(2), 0.05, None, 2)
    moved = set()
    for clip in range(4):
        shift = int(np.argmax(out["strong"][clip, :, 0])) - 4
        assert -3 <= shift <= 3
        np.testing.assert_array_equal(out["x"][clip], np.roll(batch["x"][clip], 2 * shift, axis=0))
        moved.add(shift)
    assert len(moved) > 1
    np.testing.assert_array_equal(out["weak"], batch["weak"])


def test_filter_augment_changes_bins_within_range():
    batch = _batch(mels=32)
    scale = np.ones(32)
    out = augment_batch(batch, AugmentConfig(filter_db=6.0, filter_bands=(3, 6)), np.random.default_rng(3),
                        0.04, scale, 2)
    shift = out["x"] - batch["x"]
    assert np.all(np.abs(shift) <= 6.0 + 1e-5)
    np.testing.assert_allclose(shift, shift[:, :1, :].repeat(shift.shape[1], axis=1), atol=1e-5)  # per bin
    assert np.ptp(shift[0, 0]) > 0.1  # not one gain for all bins


def test_defaults_are_off_and_bad_values_refused():
    assert not AugmentConfig().enabled
    batch = _batch()
    out = augment_batch(batch, AugmentConfig(), np.random.default_rng(0), 0.04)
    np.testing.assert_array_equal(out["x"], batch["x"])
    with pytest.raises(ConfigError):
        AugmentConfig(gain_db=-1.0)
    with pytest.raises(ConfigError):
        AugmentConfig(filter_bands=(3, 2))
    with pytest.raises(ValueError, match="db_to_normalised"):
        augment_batch(batch, AugmentConfig(gain_db=3.0), np.random.default_rng(0), 0.04)
