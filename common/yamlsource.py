"""YAML loading that remembers where each value came from, so errors can say `file:line`.

PyYAML's `compose()` gives a node tree whose nodes carry `start_mark.line`; we substitute
`${ENV_VAR}` in scalar nodes (so secrets stay out of the file), construct plain data from the
same tree, and keep the tree to map a pydantic error location back to a line.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import yaml

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class ConfigError(Exception):
    """A config problem, already formatted as `file:line: field: message` lines."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class YamlDocument:
    path: Path
    data: Any
    root: yaml.Node | None

    def line_of(self, loc: Sequence[int | str], *, at_key: bool = False) -> int:
        """1-based line of the deepest node on `loc` that exists.

        A missing field points at its parent mapping; with `at_key` (an unknown key) the line
        is the key's own rather than its value's.
        """
        node = self.root
        line = node.start_mark.line + 1 if node is not None else 1
        for part in loc:
            found = _child(node, part)
            if found is None:
                break
            key, node = found
            line = (key if at_key and key is not None else node).start_mark.line + 1
        return line


def _child(node: yaml.Node | None, part: int | str) -> tuple[yaml.Node | None, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == part:
                return key, value
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        return None, node.value[part]
    return None


def _substitute_env(node: yaml.Node, path: Path, problems: list[str]) -> None:
    if isinstance(node, yaml.ScalarNode) and isinstance(node.value, str) and "${" in node.value:
        def replace(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            value = os.environ.get(name, default)
            if value is None:
                problems.append(
                    f"{path}:{node.start_mark.line + 1}: environment variable {name} is not set"
                )
                return ""
            return value

        node.value = _ENV_REF.sub(replace, node.value)
        node.style = node.style or "'"  # a substituted value is always a string, never re-typed
    elif isinstance(node, yaml.MappingNode):
        for _, value in node.value:
            _substitute_env(value, path, problems)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _substitute_env(item, path, problems)


def load_yaml(path: str | Path) -> YamlDocument:
    """Parse `path`; raise ConfigError naming the file and line on any YAML or env problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([f"{path}:1: cannot read config: {exc.strerror or exc}"]) from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise ConfigError([f"{path}:{line}: invalid YAML: {exc.problem or exc}"]) from None
    if root is None:
        return YamlDocument(path=path, data={}, root=None)
    problems: list[str] = []
    _substitute_env(root, path, problems)
    if problems:
        raise ConfigError(problems)
    loader = yaml.SafeLoader("")
    try:
        data = loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise ConfigError([f"{path}:{line}: invalid YAML: {exc.problem or exc}"]) from None
    finally:
        loader.dispose()
    return YamlDocument(path=path, data=data, root=root)
