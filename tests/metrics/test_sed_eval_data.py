"""sedkit against sed_eval on sed_eval's own test data (tests/metrics/fixtures/sed_eval/README.md).

sed_eval is called exactly as DESED_task calls it: ``EventBasedMetrics(..., t_collar=0.2,
percentage_of_length=0.2, empty_system_output_handling="zero_score")`` and ``SegmentBasedMetrics(...,
time_resolution=1.0)`` with nothing set afterwards. Each convention of sedkit is compared with the sed_eval
object that computes it.
"""
from pathlib import Path

import numpy as np
import pytest

from sedkit.io import read_events
from sedkit.metrics.event_based import event_based_metrics
from sedkit.metrics.segment_based import segment_based_metrics
from tests.metrics.conftest import assert_same_as_sed_eval, sed_eval_event, sed_eval_segment, zero_score_from_default

FIXTURES = Path(__file__).parent / "fixtures" / "sed_eval"
RECORDINGS = ["office_snr0_high_v2", "office_snr0_med_v2"]


def _tables(tmp_path):
    """Both recordings in one DCASE table each (sed_eval's files have no filename column)."""
    def convert(suffix, name):
        lines = ["filename\tonset\toffset\tevent_label"]
        for recording in RECORDINGS:
            for line in (FIXTURES / f"{recording}{suffix}.txt").read_text().splitlines():
                if line.strip():
                    lines.append(f"{recording}.wav\t{line}")
        (tmp_path / name).write_text("\n".join(lines) + "\n")
        return read_events(tmp_path / name)

    return convert("", "reference.tsv"), convert("_detected", "estimated.tsv")


@pytest.fixture
def office(tmp_path):
    reference, estimated = _tables(tmp_path)
    return reference, estimated, reference.labels, reference.files


def test_segment_default_is_sed_eval_default(office):
    reference, estimated, classes, files = office
    theirs = sed_eval_segment(reference, estimated, classes, files)
    ours = segment_based_metrics(reference, estimated)
    assert_same_as_sed_eval(ours, theirs)
    # mouse, phone, switch: reference segments, no estimated segment -> left out of the macro mean.
    for name in ("mouse", "phone", "switch"):
        assert ours.per_class[name]["n_est"] == 0 and np.isnan(ours.per_class[name]["f1"])
    assert ours.macro["f1"] == pytest.approx(theirs["class_wise_average"]["f_measure"]["f_measure"], abs=1e-12)
    assert ours.macro["f1"] == pytest.approx(0.4334, abs=5e-5)


def test_segment_zero_score(office):
    reference, estimated, classes, files = office
    theirs = zero_score_from_default(sed_eval_segment(reference, estimated, classes, files))
    ours = segment_based_metrics(reference, estimated, empty_system_output="zero_score")
    assert_same_as_sed_eval(ours, theirs)
    assert ours.per_class["mouse"]["f1"] == 0.0
    assert ours.macro["f1"] == pytest.approx(0.3467, abs=5e-5)


@pytest.mark.parametrize("handling", ["zero_score", "default"])
@pytest.mark.parametrize("options", [{}, {"evaluate_offset": False}, {"evaluate_onset": False}])
def test_event_both_conventions(office, handling, options):
    reference, estimated, classes, files = office
    theirs = sed_eval_event(reference, estimated, classes, files, empty_system_output=handling,
                            t_collar=0.2, percentage_of_length=0.2, **options)
    ours = event_based_metrics(reference, estimated, empty_system_output=handling, **options)
    assert_same_as_sed_eval(ours, theirs)
    if handling == "default":
        assert np.isnan(ours.per_class["mouse"]["f1"])
    else:
        assert ours.per_class["mouse"]["f1"] == 0.0


def test_event_zero_score_rule_matches_sed_eval(office):
    """The derivation used for the segment test, checked where sed_eval can compute both."""
    reference, estimated, classes, files = office
    default = sed_eval_event(reference, estimated, classes, files, empty_system_output="default",
                             t_collar=0.2, percentage_of_length=0.2)
    zero = sed_eval_event(reference, estimated, classes, files, t_collar=0.2, percentage_of_length=0.2)
    derived = zero_score_from_default(default)
    for name in classes:
        for key in ("f_measure", "precision"):
            a, b = derived["class_wise"][name]["f_measure"][key], zero["class_wise"][name]["f_measure"][key]
            assert (np.isnan(a) and np.isnan(b)) or a == pytest.approx(b, abs=1e-12)
    assert derived["class_wise_average"]["f_measure"]["f_measure"] == pytest.approx(
        zero["class_wise_average"]["f_measure"]["f_measure"], abs=1e-12)
