"""Tests for the suffixes the bundles read: one list, split in any case, the same names listed and stripped."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlcen_monai.data import DICOM_SUFFIXES, IMAGE_SUFFIXES, RadiographDicomReader, case_id, list_images, split_name

SPLITS = [
    ("ISIC_1.JPG", ("ISIC_1", ".JPG")),
    ("scan.NII.GZ", ("scan", ".NII.GZ")),
    ("scan.nii", ("scan", ".nii")),
    ("x/y/JPCLN001.IMG", ("JPCLN001", ".IMG")),
    ("study.v2.dcm", ("study.v2", ".dcm")),
    ("notes.txt", None),
    ("scan.gz", None),
    (".png", None),
]

# (file name, case id): the suffixes where a wrong split would show (two dots, four letters, any case)
CASES = [
    ("a.nii.gz", "a"),
    ("B.NII.GZ", "B"),
    ("c.nii", "c"),
    ("d.dcm", "d"),
    ("e.DICOM", "e"),
    ("f.tiff", "f"),
    ("g.TIF", "g"),
    ("JPCLN001.IMG", "JPCLN001"),
    ("h.png", "h"),
]


@pytest.mark.parametrize("name, expected", SPLITS)
def test_split_name(name, expected):
    assert split_name(name) == expected
    assert split_name(Path(name)) == expected


def test_longest_suffix_wins_in_any_order():
    assert split_name("scan.nii.gz", (".gz", ".nii.gz")) == ("scan", ".nii.gz")
    assert split_name("scan.nii.gz", (".nii.gz", ".gz")) == ("scan", ".nii.gz")
    assert split_name("scan.tiff", (".tif",)) is None


def test_suffixes_are_lower_case_and_dotted():
    assert all(s.startswith(".") and s == s.lower() for s in IMAGE_SUFFIXES)
    assert set(DICOM_SUFFIXES) <= set(IMAGE_SUFFIXES)


def test_listed_images_and_case_ids_agree(tmp_path):
    """What inference lists is what a record names without its suffix; other files are neither."""
    for name, _ in CASES:
        (tmp_path / name).touch()
    for other in ("notes.txt", "mask.gif", "scan.gz"):
        (tmp_path / other).touch()
    listed = [item["image"] for item in list_images(tmp_path)]
    assert sorted(Path(p).name for p in listed) == sorted(name for name, _ in CASES)
    assert sorted(case_id(p) for p in listed) == sorted(expected for _, expected in CASES)
    assert case_id(tmp_path / "notes.txt") == "notes.txt"  # not an image: kept whole


@pytest.mark.parametrize("name, expected", CASES)
def test_case_id(name, expected):
    assert case_id(f"/data/test/{name}") == expected
    assert case_id(Path("data") / name) == expected


def test_dicom_reader_reads_the_dicom_suffixes():
    reader = RadiographDicomReader()
    assert all(reader.verify_suffix(f"x{s}") and reader.verify_suffix(f"x{s.upper()}") for s in DICOM_SUFFIXES)
    assert not any(reader.verify_suffix(f"x{s}") for s in IMAGE_SUFFIXES if s not in DICOM_SUFFIXES)
