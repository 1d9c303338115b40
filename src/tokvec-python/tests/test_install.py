"""The package builds offline from the tree with Debian's setuptools, schemas included."""

import os
import subprocess
import sys
import zipfile

from conftest import PACKAGE, ROOT


def test_the_package_builds_offline_into_a_wheel_with_the_schemas(tmp_path):
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                        "--no-cache-dir", "-q", "-w", str(tmp_path), PACKAGE], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    [wheel] = [f for f in os.listdir(tmp_path) if f.endswith(".whl")]
    with zipfile.ZipFile(tmp_path / wheel) as z:
        names = set(z.namelist())
        assert {"tokvec/__init__.py", "tokvec/torch.py", "tokvec/py.typed"} <= names
        for schema in os.listdir(os.path.join(ROOT, "schemas")):
            with open(os.path.join(ROOT, "schemas", schema), "rb") as f:
                assert z.read("tokvec/schemas/" + schema) == f.read(), schema
        metadata = z.read(wheel.split("-")[0] + "-" + wheel.split("-")[1] + ".dist-info/METADATA").decode()
    assert "Requires-Dist: confluent-kafka" in metadata and "Requires-Dist: numpy" in metadata
