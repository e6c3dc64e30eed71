"""Starts Harbor: the action server, then the Rasa server; waits until both answer; keeps them up.

    python -m bot.launcher --model models/harbor.tar.gz      (what `make run` does)

Supervision (docs/operations.md): a server that dies is started again after 1 s, then 2, 4 … up
to 30 s between attempts (back to 1 s once it has stayed up for a minute), each time with a line
on stderr and in the server's log (never any user text). While the action server is away, Rasa
keeps answering: danger gets 911, questions get an apology with 911 and the hotline
(bot/resilience.py). The launcher gives up, stops everything and exits with code 1 only when the
Rasa server cannot be kept up (more than 5 restarts within 10 minutes), so that systemd or an
operator notices. Ctrl-C or SIGTERM stop both servers (exit code 0). The servers die with the
launcher even when it is killed with SIGKILL (Linux: PR_SET_PDEATHSIG).

Tests use `Stack` to run the real servers the same way.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Deque, Dict, List, Optional

import yaml

from bot.logfiles import pipe_to_log
from bot.storage.keys import checked_secret
from bot.storage.settings import data_dir

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
logger = logging.getLogger("harbor.launcher")

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _load_libc() -> Optional[ctypes.CDLL]:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None


_LIBC = _load_libc()  # loaded here, not in the forked child


def die_with_parent() -> Callable[[], None]:
    """A preexec_fn: the child gets SIGTERM when the process that started it ends, even by SIGKILL.

    Linux only (elsewhere it does nothing). The signal goes when the *thread* that started the
    child ends: start servers from the main thread (as Stack and the launcher do).
    """
    parent = os.getpid()
    libc = _LIBC

    def preexec() -> None:
        if libc is not None:
            libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os.kill(os.getpid(), signal.SIGTERM)

    return preexec


def server_env(extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "SANIC_HOST": HOST,  # the action server listens on loopback only
            "LOG_LEVEL": env.get("LOG_LEVEL", "WARNING"),  # no conversation text in logs
            "PYTHONPATH": str(ROOT),
        }
    )
    env.update(extra or {})
    return env


def endpoints_for(action_port: int, run_dir: Path) -> Path:
    """endpoints.yml, pointed at the action server's port."""
    config = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8")) or {}
    config["action_endpoint"] = {"url": f"http://{HOST}:{action_port}/webhook"}
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / f"endpoints-{action_port}.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def answers(url: str, timeout: float = 2) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200
    except OSError:
        return False


@dataclass
class Server:
    name: str
    command: List[str]
    ready_url: str
    log: Path
    process: Optional[subprocess.Popen] = None

    def start(self, env: Dict[str, str]) -> None:
        """Starts the server in a process group (session) of its own, which dies with us. Its
        output goes to its log file, mode 600 and rotated (bot/logfiles.py)."""
        log = pipe_to_log(self.log)
        try:
            self.process = subprocess.Popen(
                self.command,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent(),
            )
        finally:
            os.close(log)

    def running(self) -> bool:
        return bool(self.process) and self.process.poll() is None

    def note(self, line: str) -> None:
        """A line in this server's log (the supervisor's events: no user text)."""
        try:
            fd = os.open(self.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as log:
                log.write(f"[harbor launcher {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}] {line}\n")
        except OSError:
            pass

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process and self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with code {self.process.returncode}; see {self.log}:\n{tail(self.log)}"
                )
            if answers(self.ready_url):
                return
            time.sleep(0.25)
        raise RuntimeError(f"{self.name} did not answer within {timeout:.0f} s; see {self.log}")

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM to the server's whole process group, SIGKILL after `timeout` s; nothing stays."""
        if not self.process:
            return
        if self.process.poll() is None:
            _signal_group(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.reap()

    def reap(self) -> None:
        """Whatever the server started and left behind in its group goes too."""
        if self.process:
            _signal_group(self.process.pid, signal.SIGKILL)


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@dataclass
class Stack:
    """The action server and the Rasa server, started together."""

    model: Path
    rasa_port: int = 5005
    action_port: int = 5055
    log_dir: Path = field(default_factory=lambda: data_dir() / "logs")
    env: Dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        python = sys.executable
        # Rasa's HTTP API (conversations, model, tracker) stays off unless a token protects it.
        token = self.env.get("HARBOR_API_TOKEN", os.environ.get("HARBOR_API_TOKEN", ""))
        api = ["--enable-api", "--auth-token", checked_secret("HARBOR_API_TOKEN", token)] if token else []
        self.actions = Server(
            "action server",
            [python, "-m", "rasa_sdk", "--actions", "actions", "--port", str(self.action_port)],
            f"http://{HOST}:{self.action_port}/health",
            self.log_dir / f"actions-{self.action_port}.log",
        )
        self.rasa = Server(
            "Rasa server",
            [
                python,
                "-m",
                "bot.rasa_cli",
                "run",
                "--model",
                str(self.model),
                "--interface",
                HOST,
                "--port",
                str(self.rasa_port),
                "--credentials",
                str(ROOT / "credentials.yml"),
                "--endpoints",
                str(endpoints_for(self.action_port, data_dir() / "run")),
                *api,
            ],
            f"http://{HOST}:{self.rasa_port}/",
            self.log_dir / f"rasa-{self.rasa_port}.log",
        )

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.rasa_port}"

    def start(self, timeout: float = 240) -> "Stack":
        env = server_env(self.env)
        try:
            self.actions.start(env)
            self.rasa.start(env)
            self.actions.wait_ready(timeout)
            self.rasa.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        self.rasa.stop()
        self.actions.stop()

    def __enter__(self) -> "Stack":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# --- supervision -------------------------------------------------------------------------------


@dataclass
class RestartPolicy:
    """When to start a server again, and when to give up on Rasa."""

    first_delay: float = 1.0  # seconds before the first restart …
    max_delay: float = 30.0  # … doubling up to this
    stable_after: float = 60.0  # up this long: the next crash starts again from first_delay
    ready_timeout: float = 240.0  # a restarted server that does not answer by then is killed
    rasa_max_restarts: int = 5  # more Rasa restarts than this …
    rasa_window: float = 600.0  # … within this many seconds: give up (exit code 1)

    def delay(self, attempt: int) -> float:
        return min(self.first_delay * 2**attempt, self.max_delay)


class GiveUp(RuntimeError):
    """The Rasa server cannot be kept up."""


@dataclass
class _Watch:
    server: Server
    critical: bool  # Rasa: without it, nobody gets any answer
    started_at: float = 0.0
    ready: bool = True
    attempt: int = 0  # restarts since it last stayed up for `stable_after`
    restart_at: Optional[float] = None
    restarts: Deque[float] = field(default_factory=deque)


class Supervisor:
    """Keeps the servers of a started Stack running: `step()` notices deaths and restarts."""

    def __init__(
        self, stack: "Stack", policy: Optional[RestartPolicy] = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.stack, self.policy, self.clock = stack, policy or RestartPolicy(), clock
        now = clock()
        self.watches = [
            _Watch(stack.actions, critical=False, started_at=now),
            _Watch(stack.rasa, critical=True, started_at=now),
        ]

    def _event(self, watch: _Watch, message: str, level: int = logging.WARNING) -> None:
        logger.log(level, "%s %s", watch.server.name, message)
        watch.server.note(message)

    def step(self) -> None:
        now = self.clock()
        for watch in self.watches:
            server = watch.server
            if watch.restart_at is not None:
                if now >= watch.restart_at:
                    watch.restart_at, watch.started_at, watch.ready = None, now, False
                    server.start(server_env(self.stack.env))
                    self._event(watch, f"started again (pid {server.process.pid})", logging.INFO)
                continue
            code = server.process.poll() if server.process else 0
            if code is not None:
                self._died(watch, now, _describe_exit(code))
            elif not watch.ready:
                if answers(server.ready_url, timeout=0.5):
                    watch.ready = True
                    self._event(watch, f"is answering again after {now - watch.started_at:.1f} s", logging.INFO)
                elif now - watch.started_at > self.policy.ready_timeout:
                    server.stop(timeout=5)
                    self._died(watch, now, f"did not answer within {self.policy.ready_timeout:.0f} s")

    def _died(self, watch: _Watch, now: float, how: str) -> None:
        watch.server.reap()  # anything it left behind in its process group
        up = now - watch.started_at
        if up >= self.policy.stable_after:
            watch.attempt = 0
        delay = self.policy.delay(watch.attempt)
        watch.attempt += 1
        if watch.critical:
            window = self.policy.rasa_window
            watch.restarts.append(now)
            while watch.restarts and now - watch.restarts[0] > window:
                watch.restarts.popleft()
            if len(watch.restarts) > self.policy.rasa_max_restarts:
                self._event(
                    watch,
                    f"{how} after {up:.0f} s; more than "
                    f"{self.policy.rasa_max_restarts} restarts within {window:.0f} s: "
                    f"giving up",
                    logging.ERROR,
                )
                raise GiveUp(f"the {watch.server.name} cannot be kept up; see {watch.server.log}")
        watch.restart_at = now + delay
        self._event(watch, f"{how} after {up:.0f} s; starting it again in {delay:g} s")

    def run(self, stopping: threading.Event, interval: float = 0.5) -> None:
        """Supervises until `stopping` is set; raises GiveUp if Rasa cannot be kept up."""
        while not stopping.is_set():
            self.step()
            stopping.wait(interval)


def _describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"was stopped by {signal.Signals(-code).name}"
        except ValueError:
            return f"was stopped by signal {-code}"
    return f"exited with code {code}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT / "models" / "harbor.tar.gz"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("HARBOR_PORT", 5005)))
    parser.add_argument("--action-port", type=int, default=int(os.environ.get("HARBOR_ACTION_PORT", 5055)))
    args = parser.parse_args()
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        format="%(asctime)s harbor launcher: %(message)s",
        datefmt="%Y-%m-%dT%H:%M:%S",
    )

    stack = Stack(Path(args.model), args.port, args.action_port)
    stopping = threading.Event()

    def interrupt(signum, _frame) -> None:  # while starting: stop at once (Stack.start cleans up)
        raise KeyboardInterrupt

    def stop(signum, _frame) -> None:  # while supervising: finish the step, then stop
        stopping.set()

    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGINT, interrupt)
    print("Starting Harbor (this takes a little while)…", flush=True)
    code = 0
    try:
        stack.start()
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        print(
            f"\nHarbor is ready.\n"
            f"  Chat:    {stack.url}/widget/\n"
            f'  REST:    POST {stack.url}/webhooks/rest/webhook  {{"sender": "…", "message": "hello"}}\n'
            f"  Actions: http://{HOST}:{args.action_port}\n"
            f"  Logs:    {stack.log_dir}\n"
            f"A server that stops is started again. Press Ctrl-C to stop.",
            flush=True,
        )
        Supervisor(stack).run(stopping)
    except KeyboardInterrupt:
        pass
    except GiveUp as error:
        print(f"Harbor stopped: {error}", file=sys.stderr, flush=True)
        code = 1
    except RuntimeError as error:  # a server did not start
        print(f"Harbor could not start: {error}", file=sys.stderr, flush=True)
        code = 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # stopping is not interrupted
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("\nStopping Harbor…", flush=True)
        stack.stop()
    sys.exit(code)


if __name__ == "__main__":
    main()
