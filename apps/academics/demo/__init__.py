"""Demo data: a deterministic, realistic school for trying the system and benchmarking it.

``names``, ``catalog`` and ``term`` hold the raw material, ``generator`` plans the school
from a seed, ``writer`` stores it in bulk. ``manage.py seed_demo`` drives them.
"""

from apps.academics.demo.generator import PASSWORDS, SIZES, DemoDataset, build_dataset
from apps.academics.demo.writer import (
    SeedResult,
    database_is_empty,
    reset_demo_data,
    write_dataset,
)

__all__ = [
    "PASSWORDS",
    "SIZES",
    "DemoDataset",
    "SeedResult",
    "build_dataset",
    "database_is_empty",
    "reset_demo_data",
    "write_dataset",
]
