"""Packaging for nlcen-monai: the Non-Local Context Encoder (AAAI 2019) on MONAI."""

from setuptools import find_packages, setup

setup(
    name="nlcen-monai",
    version="0.1.0",
    description="Non-Local Context Encoder networks and adversarial robustness evaluation on MONAI",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.9",
    # the shared override files (configs/networks, ablation, attacks, defense) ship as package data
    # nlcen_monai/configs/, where the network registry and the ablation protocol read them when installed
    packages=find_packages(include=["nlcen_monai", "nlcen_monai.*"]) + ["nlcen_monai.configs"],
    package_dir={"nlcen_monai.configs": "configs"},
    package_data={"nlcen_monai.configs": ["*.json", "*/*.json"]},
    install_requires=[
        # torch is pinned exactly in requirements.txt (the CPU build on local disk);
        # here only the minimum that the code needs (SDPA with ``scale=``).
        "torch>=2.4",
        # earlier MONAI releases load checkpoints with weights_only=False
        "monai>=1.5.1",
        "pytorch-ignite>=0.4.11",
        "numpy>=1.24",
        "nibabel>=5.0",
        "itk>=5.3",
        "scikit-image>=0.21",
        "scipy>=1.10",
        "pillow>=9.0",
        "pyyaml>=6.0",
        # DICOM radiographs: their display steps (VOI LUT, MONOCHROME1), which MONAI's and ITK's readers skip
        "pydicom>=3.0",
        # optional in MONAI, required here: bundle CLI, TensorBoard handler, progress bar, figures
        "fire>=0.5",
        "tensorboard>=2.12",
        "tqdm>=4.60",
        "matplotlib>=3.7",
    ],
    extras_require={"dev": ["pytest>=7.0", "parameterized>=0.9", "jsonschema>=4.0"]},
)
