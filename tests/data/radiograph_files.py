"""Write one radiograph the ways a clinic stores it: 8-, 16- and 12-bit PNG, DICOM (MONOCHROME1 and 2), and a
truncated JPEG; shared by the reader, segmenter and inference-bundle tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def write_dicom(path: Path, stored: np.ndarray, photometric: str = "MONOCHROME2", bits: int = 12, **tags) -> Path:
    """A one-frame DICOM file of ``stored`` (rows, columns) unsigned values with ``bits`` bits stored, plus ``tags``."""
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    ds.Modality, ds.PatientName, ds.PatientID = "DX", "Test^Phantom", "0"
    ds.Rows, ds.Columns = stored.shape
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, photometric
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, bits, bits - 1, 0
    ds.PixelSpacing = [0.5, 0.25]
    for name, value in tags.items():
        setattr(ds, name, value)
    ds.PixelData = stored.astype("<u2").tobytes()
    ds.save_as(str(path), enforce_file_format=True)
    return path


def write_radiograph_copies(grey: np.ndarray, folder: Path, stem: str = "case") -> dict[str, Path]:
    """``grey`` (rows, columns) uint8 spanning 0..255, saved as every kind of file; returns ``{kind: path}``."""
    folder.mkdir(parents=True, exist_ok=True)
    values = grey.astype(np.uint16)
    files = {
        "png8": folder / f"{stem}_8bit.png",
        "png16": folder / f"{stem}_16bit.png",
        "png12": folder / f"{stem}_12bit.png",
    }
    Image.fromarray(grey).save(files["png8"])
    Image.fromarray(values * 257).save(files["png16"])  # 0..65535
    Image.fromarray(np.rint(values * (4095 / 255)).astype(np.uint16)).save(files["png12"])  # 0..4095
    files["dicom_m2"] = write_dicom(folder / f"{stem}_mono2.dcm", values * 16)
    files["dicom_m1"] = write_dicom(folder / f"{stem}_mono1.dcm", 4095 - values * 16, photometric="MONOCHROME1")
    return files


def write_truncated_jpeg(grey: np.ndarray, path: Path) -> Path:
    """A JPEG of ``grey`` cut to half its bytes (the odd broken file of a folder)."""
    full = path.with_suffix(".full.jpg")
    Image.fromarray(grey).save(full, quality=90)
    path.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    full.unlink()
    return path
