"""The floors in pyproject.toml are real: the oldest boto3 they allow has what we call.

`crawler.store.s3` builds `botocore.config.Config(request_checksum_calculation=...)` and
sends `IfNoneMatch` on PutObject. Each test installs one boto3/botocore pair into a
throwaway virtualenv (only those packages, from the package registry as pip is set up)
and asks that interpreter.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib

import pytest

from tests.conftest import ROOT

PROBE = """
import json
import botocore.config, botocore.session
try:
    botocore.config.Config(request_checksum_calculation="when_required")
    checksum_setting = True
except TypeError:
    checksum_setting = False
s3 = botocore.session.get_session().get_service_model("s3")
put = s3.operation_model("PutObject").input_shape.members
print(json.dumps({"checksum_setting": checksum_setting, "if_none_match": "IfNoneMatch" in put,
                  "botocore": botocore.__version__}))
"""


def boto3_floor() -> str:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    (floor,) = [m.group(1) for d in deps if (m := re.fullmatch(r"boto3>=([\d.]+)", d))]
    return floor


def probe(tmp_path, version: str) -> dict:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    # botocore pinned too: the oldest botocore that boto3 release accepts, not its newest
    pip = subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-input",
            f"boto3=={version}",
            f"botocore=={version}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert pip.returncode == 0, pip.stdout + pip.stderr
    out = subprocess.run([str(python), "-c", PROBE], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.mark.slow
def test_boto3_floor_has_what_the_s3_store_uses(tmp_path):
    floor = boto3_floor()
    found = probe(tmp_path, floor)
    assert found["checksum_setting"] and found["if_none_match"], found
    assert found["botocore"] in (floor, floor + ".0")


@pytest.mark.slow
def test_the_release_below_the_floor_lacks_it(tmp_path):
    # the newest boto3 1.35: IfNoneMatch, but no request_checksum_calculation, so the floor
    # cannot be lower (and the probe above can fail)
    assert boto3_floor() == "1.36"
    found = probe(tmp_path, "1.35.99")
    assert found["if_none_match"] and not found["checksum_setting"]
