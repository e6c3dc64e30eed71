"""Starts Harbor: the action server, then the Rasa server; waits until both answer.

    python -m bot.launcher --model models/harbor.tar.gz      (what `make run` does)

Ctrl-C (or SIGTERM) stops both. Tests use `Stack` to run the real servers the same way.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import yaml

from bot.logfiles import pipe_to_log
from bot.storage.keys import checked_secret
from bot.storage.settings import data_dir

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


def server_env(extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    env = dict(os.environ)
    env.update({
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "SANIC_HOST": HOST,                 # the action server listens on loopback only
        "LOG_LEVEL": env.get("LOG_LEVEL", "WARNING"),  # no conversation text in logs
        "PYTHONPATH": str(ROOT),
    })
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


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
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
        log = pipe_to_log(self.log)  # mode 600, rotated (bot/logfiles.py)
        try:
            self.process = subprocess.Popen(self.command, cwd=ROOT, env=env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        finally:
            os.close(log)

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process and self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with code {self.process.returncode}; "
                                   f"see {self.log}:\n{tail(self.log)}")
            if answers(self.ready_url):
                return
            time.sleep(0.25)
        raise RuntimeError(f"{self.name} did not answer within {timeout:.0f} s; see {self.log}")

    def stop(self, timeout: float = 15) -> None:
        if not self.process or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


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
            f"http://{HOST}:{self.action_port}/health", self.log_dir / f"actions-{self.action_port}.log")
        self.rasa = Server(
            "Rasa server",
            [python, "-m", "bot.rasa_cli", "run", "--model", str(self.model),
             "--interface", HOST, "--port", str(self.rasa_port),
             "--credentials", str(ROOT / "credentials.yml"),
             "--endpoints", str(endpoints_for(self.action_port, data_dir() / "run")), *api],
            f"http://{HOST}:{self.rasa_port}/", self.log_dir / f"rasa-{self.rasa_port}.log")

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT / "models" / "harbor.tar.gz"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("HARBOR_PORT", 5005)))
    parser.add_argument("--action-port", type=int, default=int(os.environ.get("HARBOR_ACTION_PORT", 5055)))
    args = parser.parse_args()

    stack = Stack(Path(args.model), args.port, args.action_port)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("Starting Harbor (this takes a little while)…", flush=True)
    try:
        stack.start()
        print(f"\nHarbor is ready.\n"
              f"  Chat:    {stack.url}/widget/\n"
              f"  REST:    POST {stack.url}/webhooks/rest/webhook  {{\"sender\": \"…\", \"message\": \"hello\"}}\n"
              f"  Actions: http://{HOST}:{args.action_port}\n"
              f"  Logs:    {stack.log_dir}\n"
              f"Press Ctrl-C to stop.", flush=True)
        while all(s.process and s.process.poll() is None for s in (stack.actions, stack.rasa)):
            time.sleep(1)
        print("A server stopped unexpectedly; see the logs above.", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        pass
    finally:
        print("\nStopping Harbor…", flush=True)
        stack.stop()


if __name__ == "__main__":
    main()
