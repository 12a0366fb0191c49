"""`scctn query ...` commands of the ledger's modules, one module per area. Each module
here defines `def register(group: click.Group) -> None`, adding its commands to the query
group; `register_all` loads every module found in this package."""

from __future__ import annotations

import importlib
import pkgutil

import click


def register_all(group: click.Group) -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        importlib.import_module(f"{__name__}.{info.name}").register(group)
