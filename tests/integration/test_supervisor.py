"""The real launcher (`python -m bot.launcher`, what `make run` starts) keeps Harbor answering.

- The action server is killed (SIGKILL, as a crash): danger still gets 911 within a second, a
  question gets the apology with 911 and the hotline, and the supervisor brings the action server
  back; normal answers come back within 10 s of its restart.
- Ctrl-C (SIGINT), SIGTERM and SIGKILL of the launcher each leave no process behind and free both
  ports.
- The supervisor's policy, with real (tiny) processes: restarts with backoff, gives up on Rasa.
"""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import tarfile
import time
from pathlib import Path
from typing import Dict, Optional, Set

import pytest

from bot.launcher import HOST, ROOT, GiveUp, RestartPolicy, Server, Stack, Supervisor, answers
from tests.integration.conftest import joined, require_model, say
from tests.waiting import wait_until

RASA_PORT, ACTION_PORT = 15805, 15855
HOTLINE = "1-888-373-7888"
DANGER = "he has a gun and says he will kill me"
QUESTION = "how long does a t visa last"
UNAVAILABLE = "can't look that up right now"  # utter_service_unavailable


# --- processes, as /proc shows them ---------------------------------------------------------------


def processes() -> Dict[int, dict]:
    """pid -> ppid, process group, state, command line: every live process of this machine."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        table[int(entry.name)] = {"state": fields[0], "ppid": int(fields[1]), "pgid": int(fields[2]), "cmd": cmdline}
    return table


def alive(pids: Set[int]) -> Set[int]:
    table = processes()
    return {pid for pid in pids if pid in table and table[pid]["state"] not in "ZX"}


def family(launcher: int) -> Dict[str, Set[int]]:
    """The launcher's servers, and every process in their process groups."""
    table = processes()
    servers = {pid for pid, p in table.items() if p["ppid"] == launcher}
    groups = {pid for pid, p in table.items() if p["pgid"] in servers}
    return {"servers": servers, "all": servers | groups | {launcher}}


def server_pid(launcher: int, marker: str) -> int:
    table = processes()
    found = [pid for pid, p in table.items() if p["ppid"] == launcher and marker in p["cmd"]]
    assert len(found) == 1, found
    return found[0]


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers bind
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


class Launcher:
    """`python -m bot.launcher` on ports of its own, its output in files."""

    def __init__(
        self, tmp: Path, rasa_port: int = RASA_PORT, action_port: int = ACTION_PORT, model: Optional[Path] = None
    ):
        self.url, self.ports = f"http://{HOST}:{rasa_port}", (rasa_port, action_port)
        self.stdout, self.stderr = tmp / "launcher.out", tmp / "launcher.err"
        env = {**os.environ, "HARBOR_DATA_DIR": str(tmp / "data"), "PYTHONPATH": str(ROOT)}
        assert all(port_free(p) for p in self.ports), f"ports {self.ports} are taken"
        with self.stdout.open("wb") as out, self.stderr.open("wb") as err:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "bot.launcher",
                    "--model",
                    str(model or require_model()),
                    "--port",
                    str(rasa_port),
                    "--action-port",
                    str(action_port),
                ],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )

    def wait_ready(self) -> "Launcher":
        wait_until(
            lambda: self.process.poll() is not None or "Harbor is ready" in self.stdout.read_text(),
            timeout=300,
            interval=0.25,
            what="the launcher to report ready",
        )
        assert self.process.poll() is None, self.stderr.read_text()[-3000:]
        return self

    def log(self) -> str:
        return self.stderr.read_text(errors="replace")

    def kill_everything(self) -> None:
        """Cleanup after a failed test: the launcher and whatever it started."""
        for pid in alive(family(self.process.pid)["all"]):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait(30)


@pytest.fixture(scope="module")
def harbor(tmp_path_factory):
    launcher = Launcher(tmp_path_factory.mktemp("supervised")).wait_ready()
    yield launcher
    launcher.process.send_signal(signal.SIGTERM)
    try:
        launcher.process.wait(60)
    finally:
        launcher.kill_everything()


def test_a_killed_action_server_is_restarted_and_nobody_meets_silence(harbor):
    before = server_pid(harbor.process.pid, "rasa_sdk")
    os.kill(before, signal.SIGKILL)
    wait_until(lambda: not alive({before}), timeout=10, what="the action server to die")

    started = time.monotonic()
    danger = say(harbor.url, DANGER)
    danger_took = time.monotonic() - started
    assert "911" in danger[0]["text"] and HOTLINE in joined(danger)
    assert danger_took < 1.0, f"911 took {danger_took:.2f} s"

    started = time.monotonic()
    question = joined(say(harbor.url, QUESTION))
    assert "Sorry" in question and "911" in question and HOTLINE in question, question
    assert time.monotonic() - started < 2.0  # a refused connection: no wait for the timeout

    # the supervisor starts it again (after 1 s), and says so; no user text in what it says
    after = wait_until(
        lambda: (
            alive(family(harbor.process.pid)["servers"]) - {before}
            and answers(f"http://{HOST}:{ACTION_PORT}/health", timeout=0.5)
            and server_pid(harbor.process.pid, "rasa_sdk")
        ),
        timeout=60,
        interval=0.1,
        what="the action server to be back",
    )
    restarted = time.monotonic()
    assert after != before
    log = harbor.log()
    assert "action server was stopped by SIGKILL" in log and "started again" in log
    assert "t visa" not in log.lower() and "gun" not in log

    def normal_answer():
        reply = joined(say(harbor.url, QUESTION))
        return reply.strip() and UNAVAILABLE not in reply and "Sorry" not in reply and reply

    answer = wait_until(normal_answer, timeout=10, interval=0.2, what="a normal answer")
    assert time.monotonic() - restarted < 10 and "4 years" in answer  # the knowledge base's answer
    assert harbor.process.poll() is None  # the launcher itself never stopped


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=["ctrl-c", "sigterm", "sigkill"])
def test_stopping_the_launcher_leaves_no_process_and_frees_both_ports(tmp_path, how):
    # on ports of its own, apart from the module's launcher
    launcher = Launcher(tmp_path, rasa_port=RASA_PORT + 1, action_port=ACTION_PORT + 1)
    try:
        launcher.wait_ready()
        assert say(launcher.url, "hello")
        started = family(launcher.process.pid)
        assert len(started["servers"]) == 2, started
        launcher.process.send_signal(how)
        code = launcher.process.wait(60)
        assert code == (-signal.SIGKILL if how == signal.SIGKILL else 0), launcher.log()[-2000:]
        wait_until(
            lambda: not alive(started["all"]), timeout=30, interval=0.1, what="every process of the launcher to end"
        )
        wait_until(
            lambda: all(port_free(p) for p in launcher.ports), timeout=30, interval=0.1, what="both ports to be free"
        )
    finally:
        launcher.kill_everything()


def broken_safety_net(model: Path, into: Path) -> Path:
    """A copy of the trained model whose danger safety net has no patterns."""
    broken = into / "broken-safety-net.tar.gz"
    with tarfile.open(model) as source, tarfile.open(broken, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member) if member.isfile() else None
            if "DangerDetector" in member.name and member.name.endswith("state.json"):
                body = json.dumps({"danger": [], "self_harm": []}).encode()
                member.size, data = len(body), io.BytesIO(body)
            target.addfile(member, data)
    return broken


def test_a_model_whose_safety_net_is_broken_does_not_serve(tmp_path):
    """Rasa serves with no model when loading fails; the safety net stops it instead, loudly."""
    model = broken_safety_net(require_model(), tmp_path)
    launcher = Launcher(tmp_path, rasa_port=RASA_PORT + 2, action_port=ACTION_PORT + 2, model=model)
    try:
        code = launcher.process.wait(300)
        assert code == 1
        assert "could not start" in launcher.log() and "Rasa server exited" in launcher.log()
        rasa_log = (tmp_path / "data" / "logs" / f"rasa-{RASA_PORT + 2}.log").read_text(errors="replace")
        assert "danger safety net" in rasa_log and "will not start" in rasa_log
        wait_until(lambda: all(port_free(p) for p in launcher.ports), timeout=30, what="free ports")
    finally:
        launcher.kill_everything()


# --- the supervisor's policy, with real short-lived processes ---------------------------------------


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def quick_stack(tmp_path: Path, rasa_code: str, action_code: str) -> Stack:
    """A Stack whose 'servers' are tiny Python processes (a real exit code, no Rasa)."""
    stack = Stack(tmp_path / "no-model.tar.gz", rasa_port=1, action_port=2, log_dir=tmp_path)
    for server, code in ((stack.rasa, rasa_code), (stack.actions, action_code)):
        server.command = [sys.executable, "-c", code]
        server.ready_url = "http://127.0.0.1:9/"  # never answers: readiness is not tested here
        server.start({"PATH": os.environ.get("PATH", "")})
    return stack


def exited(server: Server) -> bool:
    return server.process.poll() is not None


def test_a_crashing_action_server_is_restarted_with_growing_delays(tmp_path):
    stack = quick_stack(tmp_path, "import time; time.sleep(600)", "raise SystemExit(3)")
    clock = Clock()
    supervisor = Supervisor(stack, RestartPolicy(ready_timeout=1e9), clock=clock)
    try:
        delays = []
        for _ in range(7):
            wait_until(lambda: exited(stack.actions), timeout=30, what="the action server to exit")
            supervisor.step()  # notices the exit, schedules a restart
            watch = supervisor.watches[0]
            delays.append(watch.restart_at - clock.now)
            clock.now = watch.restart_at
            supervisor.step()  # starts it again
        assert delays == [1, 2, 4, 8, 16, 30, 30]
        clock.now += 61  # it stayed up a minute: back to 1 s
        wait_until(lambda: exited(stack.actions), timeout=30, what="the action server to exit")
        supervisor.step()
        assert supervisor.watches[0].restart_at - clock.now == 1
        assert not exited(stack.rasa)  # Rasa untouched all along
        log = (tmp_path / "actions-2.log").read_text()
        assert "exited with code 3" in log and "starting it again in 30 s" in log
    finally:
        stack.stop()


def test_the_supervisor_gives_up_when_rasa_cannot_be_kept_up(tmp_path):
    stack = quick_stack(tmp_path, "raise SystemExit(1)", "import time; time.sleep(600)")
    clock = Clock()
    policy = RestartPolicy(ready_timeout=1e9, rasa_max_restarts=3, rasa_window=600)
    supervisor = Supervisor(stack, policy, clock=clock)
    try:
        with pytest.raises(GiveUp, match="Rasa server cannot be kept up"):
            for _ in range(10):
                wait_until(lambda: exited(stack.rasa), timeout=30, what="Rasa to exit")
                supervisor.step()
                clock.now = supervisor.watches[1].restart_at
                supervisor.step()
        assert len(supervisor.watches[1].restarts) == 4  # the 4th exit within 10 min: give up
        assert "giving up" in (tmp_path / "rasa-1.log").read_text()
    finally:
        stack.stop()
    assert exited(stack.rasa) and exited(stack.actions)
