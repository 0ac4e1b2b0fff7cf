"""The import layers of docs/architecture.md, checked on every import statement of the source
(function-level imports included), so the rooms do not rot back into a tangle."""
from __future__ import annotations

import ast
from pathlib import Path

from tests.helpers.paths import REPO

PACKAGES = ("teafarm", "bot", "monitor", "copier", "protocol")

# The rooms (docs/architecture.md). A room may import itself, the rooms it lists and the bottom.
ROOMS: dict[str, tuple[str, ...]] = {
    # the bottom of teafarm: the config mechanism, units and the version, usable by everyone
    "teafarm.typed_config": (),
    "teafarm.units": (),
    "teafarm.__init__": (),
    # the top: command line, assembled config, `up`; it may import every feature
    "teafarm": ("bot", "monitor.server", "monitor.store", "monitor.client", "monitor", "copier", "protocol"),
    "bot": ("bot.charts", "monitor.server", "monitor.store", "monitor", "protocol"),
    "bot.charts": (),                       # drawing only: series in, PNG out (the numbers come from bot.stats)
    "monitor.server": ("monitor.store", "monitor", "protocol"),
    "monitor.store": ("monitor", "protocol"),
    "monitor.client": ("monitor", "copier", "protocol"),
    "monitor": ("protocol",),               # monitor/*.py: certificates, TLS, sqlite helpers shared by both sides
    "copier": (),
    "protocol": (),
}
BOTTOM = ("teafarm.typed_config", "teafarm.units", "teafarm.__init__")


def room_of(module: str) -> str:
    if module == "teafarm":
        return "teafarm.__init__"
    if module.startswith("monitor.") and module.count(".") == 1 and module.split(".")[1] not in ("server", "store", "client"):
        return "monitor"
    for room in sorted(ROOMS, key=len, reverse=True):
        if module == room or module.startswith(room + "."):
            return room
    raise AssertionError(f"{module}: in no room of the layer map")


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, root: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            # `from teafarm import units` imports the module teafarm.units
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names
                      if (root / node.module.replace(".", "/") / f"{alias.name}.py").is_file()]
    return [(line, name) for line, name in found if name.split(".")[0] in PACKAGES]


def sources(root: Path) -> list[Path]:
    return sorted(p for package in PACKAGES for p in (root / package).rglob("*.py")
                  if not p.name.endswith(("_pb2.py", "_pb2_grpc.py")))


def violations(root: Path) -> list[str]:
    wrong = []
    for path in sources(root):
        here = room_of(module_name(path, root))
        allowed = {here, *ROOMS[here], *BOTTOM}
        for line, imported in imports_of(path, root):
            if room_of(imported) not in allowed:
                wrong.append(f"{path.relative_to(root)}:{line}: {here} imports {imported}")
    return wrong


def test_every_import_points_down_the_layers():
    wrong = violations(REPO)
    assert not wrong, "imports against the layers (docs/architecture.md):\n" + "\n".join(wrong)


def test_no_feature_imports_the_assembled_config():
    offenders = [f"{path.relative_to(REPO)}:{line}" for path in sources(REPO)
                 if not module_name(path, REPO).startswith("teafarm")
                 for line, imported in imports_of(path, REPO) if imported == "teafarm.config"]
    assert not offenders, f"features get their own settings object, not teafarm.config: {offenders}"


def test_the_check_catches_an_import_against_the_layers(tmp_path):
    for package in PACKAGES:
        (tmp_path / package).mkdir()
    (tmp_path / "bot" / "app.py").write_text("X = 1\n")
    (tmp_path / "copier" / "mover.py").write_text("def f():\n    from bot.app import X\n")
    (tmp_path / "monitor" / "tls.py").write_text("from teafarm.typed_config import ConfigError\n")
    assert violations(tmp_path) == ["copier/mover.py:2: copier imports bot.app"]
