"""Interface text of one feature each (`MESSAGES = {key: (zh, en)}` per module), merged into
`web.i18n.MESSAGES` at import: features added side by side never edit one shared catalogue."""

from __future__ import annotations

import importlib
import pkgutil


def catalogue() -> dict[str, tuple[str, str]]:
    merged: dict[str, tuple[str, str]] = {}
    for module in pkgutil.iter_modules(__path__):
        texts: dict[str, tuple[str, str]] = importlib.import_module(f"{__name__}.{module.name}").MESSAGES
        clash = merged.keys() & texts.keys()
        if clash:
            raise RuntimeError(f"interface text defined twice: {sorted(clash)}")
        merged.update(texts)
    return merged
