"""Static files collected for the reverse proxy: outside the data folder, readable by its user."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_collected_static_files_are_public_while_the_data_folder_stays_private(
    tmp_path: Path,
) -> None:
    data, static = tmp_path / "data", tmp_path / "public" / "static"
    env = {**os.environ, "PONTON_DATA_DIR": str(data), "PONTON_STATIC_ROOT": str(static)}
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    ponton = str(Path(sys.executable).parent / "ponton")
    subprocess.run([ponton, "collectstatic", "--noinput", "-v0"], env=env, check=True, timeout=300)

    assert _mode(data) == 0o700
    assert not (data / "static").exists()
    widget = static / "ponton" / "widget.js"
    source = (
        Path(__file__).parents[1] / "connectors" / "webchat" / "static" / "ponton" / "widget.js"
    )
    assert widget.read_bytes() == source.read_bytes()
    assert _mode(static) == 0o755
    collected = list(static.rglob("*"))
    assert widget in collected
    for path in collected:
        assert _mode(path) == (0o755 if path.is_dir() else 0o644), path
