"""Built-in detectors. Each module (or subpackage) here registers its detectors with
`frdeid.text.registry.register` when imported; importing this package imports them all."""

from __future__ import annotations

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
