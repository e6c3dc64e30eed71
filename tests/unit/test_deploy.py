"""The systemd unit in deploy/systemd: valid for systemd, restarting, hardened, and pointing at real code."""

import configparser
import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.conftest import ROOT

UNIT = ROOT / "deploy" / "systemd" / "harbor.service"
ENV_EXAMPLE = ROOT / "deploy" / "systemd" / "harbor.env.example"
INSTALLED = "/opt/harbor"


def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string(UNIT.read_text(encoding="utf-8"))
    return parser


def test_the_unit_restarts_and_is_hardened():
    service = unit()["Service"]
    assert service["Restart"] == "always" and float(service["RestartSec"]) > 0
    assert service["KillMode"] == "control-group"  # `systemctl stop` leaves nothing
    assert service["NoNewPrivileges"] == "yes" and service["ProtectSystem"] == "strict"
    assert service["PrivateTmp"] == "yes" and service["ProtectHome"] == "yes"
    assert service["User"] != "root" and service["CapabilityBoundingSet"] == ""
    assert service["EnvironmentFile"].startswith("/etc/")  # secrets outside the checkout
    assert int(unit()["Unit"]["StartLimitBurst"]) > 0


def test_the_unit_starts_the_launcher_with_the_model_make_train_writes():
    command = unit()["Service"]["ExecStart"].split()
    assert command[0] == f"{INSTALLED}/.venv/bin/python" and command[1:3] == ["-m", "bot.launcher"]
    assert importlib.util.find_spec("bot.launcher") is not None
    model = command[command.index("--model") + 1]
    make_model = re.search(r"^MODEL\s*:=\s*(\S+)", (ROOT / "Makefile").read_text(), re.M).group(1)
    assert model == f"{INSTALLED}/{make_model}"


def test_every_variable_of_the_example_environment_is_read_by_harbor():
    names = re.findall(r"^#?([A-Z][A-Z0-9_]+)=", ENV_EXAMPLE.read_text(encoding="utf-8"), re.M)
    assert len(names) >= 10
    code = "\n".join(
        p.read_text(encoding="utf-8") for folder in ("bot", "actions") for p in (ROOT / folder).rglob("*.py")
    )
    unread = [n for n in names if n not in code and n != "LOG_LEVEL"]  # LOG_LEVEL: Rasa's own
    assert unread == []


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")
def test_systemd_accepts_the_unit(tmp_path):
    """`systemd-analyze verify` on the unit, with this checkout in place of /opt/harbor."""
    python = Path(sys.executable)
    text = UNIT.read_text(encoding="utf-8")
    text = text.replace(f"{INSTALLED}/.venv/bin/python", str(python)).replace(INSTALLED, str(ROOT))
    text = text.replace("/etc/harbor/harbor.env", str(ENV_EXAMPLE))
    (tmp_path / "harbor.service").write_text(text, encoding="utf-8")
    done = subprocess.run(
        ["systemd-analyze", "verify", str(tmp_path / "harbor.service")], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and not (done.stdout + done.stderr).strip(), done.stdout + done.stderr
