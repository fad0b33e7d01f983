"""The explicit name -> module registry each model stage resolves its backend from.

A backend is one module with an `Options` model (its config keys), a `Backend` class taking
`(options, config)` and `weights(options, config)`: the weight files it needs, each with the
URLs its package downloads it from. Modules import their model framework
inside `Backend.__init__`, so validating a config never loads a model.
"""
from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

if TYPE_CHECKING:  # common.config validates backends through this module
    from common.config import BackendChoice, FaasConfig


class BackendRegistry:
    def __init__(self, stage: str, modules: dict[str, str]) -> None:
        self.stage = stage
        self.modules = modules

    def _module(self, choice: BackendChoice) -> ModuleType:
        if choice.type not in self.modules:
            raise ValueError(
                f"unknown {self.stage} backend {choice.type!r}; one of {sorted(self.modules)}"
            )
        return importlib.import_module(self.modules[choice.type])

    def options(self, choice: BackendChoice) -> Any:
        return self._module(choice).Options.model_validate(choice.options)

    def validate(self, choice: BackendChoice) -> None:
        """Raise ValueError naming the option, for the config loader to place on a line."""
        try:
            self.options(choice)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ValueError(f"{choice.type} backend option {where}: {first['msg']}") from None

    def weights(self, choice: BackendChoice, config: FaasConfig) -> dict[str, list[str]]:
        """File name under the weights folder -> source URLs, for what this config needs."""
        return dict(self._module(choice).weights(self.options(choice), config))

    def weight_files(self, choice: BackendChoice, config: FaasConfig) -> list[str]:
        return list(self.weights(choice, config))

    def create(self, choice: BackendChoice, config: FaasConfig) -> Any:
        return self._module(choice).Backend(self.options(choice), config)
