import numpy as np
import pytest
import soundfile as sf

from sedkit.data.corpora import GTZAN_GENRES, prepare_esc50, prepare_gtzan, prepare_tau2020_3class, prepare_tut2018
from sedkit.errors import InputError
from sedkit.io import read_tsv


def _wav(path, seconds, rate=22050):
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, np.zeros(int(seconds * rate), dtype=np.float32), rate)


def test_gtzan_split_and_clips(tmp_path):
    root = tmp_path / "GTZAN" / "genres_original"
    for genre in GTZAN_GENRES:
        for k in range(10):
            _wav(root / genre / f"{genre}.{k:05d}.wav", 30.0)
    (root / "jazz" / "jazz.00054.wav").write_bytes(b"corrupt")
    with pytest.warns(UserWarning, match="jazz.00054.wav: unreadable"):
        counts = prepare_gtzan(tmp_path / "GTZAN", tmp_path / "out")
    assert counts == {"train": 8 * 10 * 19, "valid": 10 * 19, "test": 10 * 19}  # 19 clips per 30 s song
    wav = read_tsv(tmp_path / "out" / "wav.tsv", ("filename", "path", "start_s", "duration_s"))
    assert float(wav[1]["start_s"]) == pytest.approx(32768 / 22050)
    assert float(wav[1]["duration_s"]) == pytest.approx(65536 / 22050)
    groups = {part: {r["group"] for r in read_tsv(tmp_path / "out" / f"{part}.tsv", ("filename", "label", "group"))}
              for part in ("train", "valid", "test")}
    assert not (groups["train"] & groups["test"]) and not (groups["train"] & groups["valid"])  # split by song
    with pytest.raises(InputError, match="missing blues"):
        prepare_gtzan(tmp_path / "out", tmp_path / "x")


def test_tut2018_official_split_and_locations(tmp_path):
    root = tmp_path / "TUT"
    meta, train, test = ["filename\tscene_label\tidentifier"], [], []
    for i in range(40):
        name = f"audio/airport-{i:03d}.wav"
        _wav(root / name, 0.1)
        meta.append(f"{name}\tairport\tloc{i % 10}")
        (train if i < 30 else test).append(f"{name}\tairport")
    (root / "evaluation_setup").mkdir()
    (root / "meta.csv").write_text("\n".join(meta) + "\n")
    (root / "evaluation_setup" / "fold1_train.txt").write_text("\n".join(train) + "\n")
    (root / "evaluation_setup" / "fold1_evaluate.txt").write_text("\n".join(test) + "\n")
    counts = prepare_tut2018(root, tmp_path / "out")
    assert counts["test"] == 10 and counts["train"] + counts["valid"] == 30 and counts["valid"] == 3  # 1 of 10 loc.
    # The MrKD paper's protocol: every clip of fold 1's training list trains, no hold-out.
    assert prepare_tut2018(root, tmp_path / "all", valid_share=0.0) == {"train": 30, "valid": 0, "test": 10}
    with pytest.raises(InputError, match="valid share must be in"):
        prepare_tut2018(root, tmp_path / "bad", valid_share=1.0)
    with pytest.raises(InputError, match="missing meta.csv"):
        (root / "meta.csv").unlink()
        prepare_tut2018(root, tmp_path / "out")


def test_tau2020_3class_csv_setup_and_locations_from_names(tmp_path):
    """DCASE 2020 task 1b: .csv setup files with headers, meta.csv without identifiers (locations from the
    file names), validation locations disjoint from training ones."""
    root = tmp_path / "TAU"
    meta, train, test = ["filename\tscene_label"], ["filename\tscene_label"], ["filename\tscene_label"]
    scenes = {"airport": "indoor", "park": "outdoor", "bus": "transportation"}
    for i in range(60):
        scene = list(scenes)[i % 3]
        name = f"audio/{scene}-lyon-{i % 12}-{i}-a.wav"
        _wav(root / name, 0.1)
        meta.append(f"{name}\t{scenes[scene]}")
        (train if i % 12 < 9 else test).append(f"{name}\t{scenes[scene]}")
    (root / "evaluation_setup").mkdir()
    (root / "meta.csv").write_text("\n".join(meta) + "\n")
    (root / "evaluation_setup" / "fold1_train.csv").write_text("\n".join(train) + "\n")
    (root / "evaluation_setup" / "fold1_evaluate.csv").write_text("\n".join(test) + "\n")
    counts = prepare_tau2020_3class(root, tmp_path / "out")
    assert counts == {"train": 40, "valid": 5, "test": 15}  # 9 training locations, 1 (10 %) held out
    rows = read_tsv(tmp_path / "out" / "valid.tsv", ("filename",))
    held = {r["filename"].split("-")[2] for r in rows}
    train_locations = {r["filename"].split("-")[2] for r in read_tsv(tmp_path / "out" / "train.tsv", ("filename",))}
    assert len(held) == 1 and not held & train_locations
    test_labels = {r["label"] for r in read_tsv(tmp_path / "out" / "test.tsv", ("label",))}
    assert test_labels == {"indoor", "outdoor", "transportation"}
    with pytest.raises(InputError, match="missing evaluation_setup/fold1_train.csv"):
        (root / "evaluation_setup" / "fold1_train.csv").unlink()
        prepare_tau2020_3class(root, tmp_path / "out2")


def test_esc50_folds(tmp_path):
    root = tmp_path / "ESC-50"
    lines = ["filename,fold,target,category,esc10,src_file,take"]
    for i in range(25):
        name = f"{i % 5 + 1}-{i}-A-0.wav"
        _wav(root / "audio" / name, 0.1)
        lines.append(f"{name},{i % 5 + 1},0,dog,True,{i},A")
    (root / "meta").mkdir()
    (root / "meta" / "esc50.csv").write_text("\n".join(lines) + "\n")
    assert prepare_esc50(root, tmp_path / "out") == {"train": 15, "valid": 5, "test": 5}
    with pytest.raises(InputError, match="two different folds"):
        prepare_esc50(root, tmp_path / "out", test_fold=3, valid_fold=3)
    (root / "audio" / "1-0-A-0.wav").unlink()
    with pytest.raises(InputError, match="1-0-A-0.wav: missing"):
        prepare_esc50(root, tmp_path / "out")


def _desed_metadata(root, synth, weak_rows: str, validation_rows: str) -> None:
    """DESED's three metadata tables: every synthetic soundscape with one Dog event, and the given rows."""
    (root / "metadata/train/synthetic20").mkdir(parents=True)
    (root / "metadata/validation").mkdir(parents=True)
    (root / "metadata/train/synthetic20/soundscapes.tsv").write_text(
        "filename\tonset\toffset\tevent_label\n" + "".join(f"{n}\t0.1\t0.5\tDog\n" for n in synth))
    (root / "metadata/train/weak.tsv").write_text("filename\tevent_labels\n" + weak_rows)
    (root / "metadata/validation/validation.tsv").write_text("filename\tonset\toffset\tevent_label\n" + validation_rows)


def test_desed_sets_and_synthetic_model_selection_set(tmp_path):
    """DESED 2020 as distributed -> the SED recipe's sets; every 10th synthetic soundscape (sorted) is held out
    of train_synth as validation_synth, with its labels and durations."""
    from sedkit.data.corpora import prepare_desed
    from sedkit.data.soundbank import DESED_CLASSES
    from sedkit.io import read_events

    root = tmp_path / "DESED"
    synth = [f"synth_{k:02d}.wav" for k in range(12)]
    for name in synth:
        _wav(root / "audio/train/synthetic20/soundscapes" / name, 1.0, 16000)
    for folder, n in (("weak", 2), ("unlabel_in_domain", 3)):
        for k in range(n):
            _wav(root / f"audio/train/{folder}/{folder}_{k}.wav", 1.0, 16000)
    _wav(root / "audio/validation/val_0.wav", 2.5, 16000)
    _wav(root / "audio/validation/val_1.wav", 10.0, 16000)
    _desed_metadata(root, synth, "weak_0.wav\tCat\nweak_1.wav\tDog,Cat\n",
                    "val_0.wav\t0.0\t1.0\tSpeech\nval_1.wav\t\t\t\n")
    with pytest.raises(InputError, match="not the DESED 2020 layout; missing audio/train/weak"):
        import shutil

        broken = tmp_path / "broken"
        shutil.copytree(root, broken)
        shutil.rmtree(broken / "audio/train/weak")
        prepare_desed(broken, tmp_path / "no")
    assert not (tmp_path / "no").exists()  # nothing written

    out = tmp_path / "data"
    counts = prepare_desed(root, out)
    assert counts == {"validation_synth": 2, "train_synth": 10, "train_weak": 2, "train_unlabel": 3, "validation": 2}
    held = read_events(out / "validation_synth/strong.tsv")
    assert held.files == ["synth_00.wav", "synth_10.wav"]  # every 10th, sorted by name
    assert set(read_events(out / "train_synth/strong.tsv").files) == set(synth) - set(held.files)
    durations = read_tsv(out / "validation/durations.tsv", ("filename", "duration"))
    assert [(r["filename"], r["duration"]) for r in durations] == [("val_0.wav", "2.500"), ("val_1.wav", "10.000")]
    assert read_events(out / "validation/strong.tsv").files == ["val_0.wav", "val_1.wav"]  # the empty clip kept
    assert (out / "train_weak/audio").resolve() == (root / "audio/train/weak").resolve()
    assert (out / "classes.txt").read_text().split() == DESED_CLASSES


def test_desed_with_missing_audio(tmp_path, capsys):
    """An incomplete copy: the summary line, the list, the refusal without --allow-missing, the counts with it."""
    from sedkit.cli.main import main
    from sedkit.io import read_events

    root = tmp_path / "DESED"
    synth = [f"synth_{k:02d}.wav" for k in range(12)]
    for name in synth[:-1]:  # synth_11 missing
        _wav(root / "audio/train/synthetic20/soundscapes" / name, 1.0, 16000)
    _wav(root / "audio/train/weak/weak_0.wav", 1.0, 16000)  # weak_1 missing
    _wav(root / "audio/train/unlabel_in_domain/u_0.wav", 1.0, 16000)
    for k in (0, 2):  # val_1 and val_3 missing
        _wav(root / f"audio/validation/val_{k}.wav", 10.0, 16000)
    _desed_metadata(root, synth, "weak_0.wav\tCat\nweak_1.wav\tDog\n",
                    "".join(f"val_{k}.wav\t1.0\t2.0\tSpeech\n" for k in range(4)))
    out = tmp_path / "data"
    assert main(["prepare-corpus", "desed", str(root), str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert ("4 clips listed in the metadata have no audio (train_synth 1 of 12, train_weak 1 of 2, "
            "validation 2 of 4; the list: " in err) and "--allow-missing" in err
    listed = read_tsv(out / "missing_audio.tsv", ("set", "filename"))
    assert [(r["set"], r["filename"]) for r in listed] == [
        ("train_synth", "synth_11.wav"), ("train_weak", "weak_1.wav"), ("validation", "val_1.wav"),
        ("validation", "val_3.wav")]
    assert not (out / "validation").exists()

    assert main(["prepare-corpus", "desed", str(root), str(out), "--allow-missing"]) == 0
    assert "proceeding with the clips that exist" in capsys.readouterr().err
    assert read_events(out / "validation/strong.tsv").files == ["val_0.wav", "val_2.wav"]
    assert "weak_1.wav" not in (out / "train_weak/weak.tsv").read_text()
    table = read_tsv(out / "counts.tsv", ("set", "official", "present"))
    counts = {r["set"]: (r["official"], r["present"]) for r in table}
    assert counts == {"validation_synth": ("2", "2"), "train_synth": ("10", "9"), "train_weak": ("2", "1"),
                      "train_unlabel": ("1", "1"), "validation": ("4", "2")}


def test_split_labeled_command_keeps_groups_whole(tmp_path, capsys):
    from sedkit.cli.main import main

    rows = "".join(f"c{k}.wav\t{'ab'[k % 2]}\tg{k // 4}{'ab'[k % 2]}\n" for k in range(16))
    (tmp_path / "train.tsv").write_text("filename\tlabel\tgroup\n" + rows)
    assert main(["split-labeled", str(tmp_path / "train.tsv"), str(tmp_path / "l.tsv"), str(tmp_path / "u.tsv")]) == 0
    labeled = read_tsv(tmp_path / "l.tsv", ("filename", "label", "group"))
    unlabeled = read_tsv(tmp_path / "u.tsv", ("filename", "label", "group"))
    # 4 groups of 2 clips per class: 2 groups of each class labelled, no group split
    assert len(labeled) == len(unlabeled) == 8
    assert not ({r["group"] for r in labeled} & {r["group"] for r in unlabeled})
    assert sorted(r["label"] for r in labeled) == ["a"] * 4 + ["b"] * 4
    assert main(["split-labeled", str(tmp_path / "train.tsv"), str(tmp_path / "l.tsv"), str(tmp_path / "u.tsv"),
                 "--share", "1.5"]) == 2
    assert "--share must be in (0, 1)" in capsys.readouterr().err
