"""Where things are, so a test file can move between folders without its paths breaking."""
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"
