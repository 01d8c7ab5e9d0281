"""Helpers with no domain of their own, shared by the other packages: the atomic file writer and where the
shared config files are."""

from __future__ import annotations

from .atomic import atomic_write, atomic_write_json, atomic_write_png, atomic_write_text
from .configs import config_file, configs_dir

__all__ = [
    "atomic_write",
    "atomic_write_json",
    "atomic_write_png",
    "atomic_write_text",
    "config_file",
    "configs_dir",
]
