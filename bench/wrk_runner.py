"""Running wrk and reading its report: requests/s, latency percentiles, statuses, errors."""

from __future__ import annotations

import re
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

LUA_DIR = Path(__file__).resolve().parent / "lua"
STATUS_SCRIPT = LUA_DIR / "statuses.lua"
# Beyond the run itself: wrk's start-up, and its wait for the last responses.
WRK_GRACE_SECONDS = 30

_UNIT_TO_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_LATENCY_LINE = re.compile(r"^\s*(\d+)%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.MULTILINE)
_RPS_LINE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_TOTAL_LINE = re.compile(r"^\s*(\d+) requests in ", re.MULTILINE)
_NON_2XX_LINE = re.compile(r"^\s*Non-2xx or 3xx responses:\s+(\d+)", re.MULTILINE)
_SOCKET_LINE = re.compile(
    r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", re.MULTILINE
)
_STATUS_LINE = re.compile(r"^status (\d+) (\d+)$", re.MULTILINE)


class WrkError(RuntimeError):
    """wrk failed, or printed something this module cannot read."""


@dataclass(frozen=True)
class LoadSettings:
    duration_s: int
    connections: int
    threads: int
    timeout_s: int


@dataclass(frozen=True)
class WrkResult:
    requests: int
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    # Every response's status, counted by statuses.lua.
    statuses: dict[int, int]
    # connect / read / write / timeout, as wrk counts them.
    socket_errors: dict[str, int] = field(default_factory=dict)
    # wrk's own count of responses with a status of 400 or more.
    non_2xx_or_3xx: int = 0
    raw: str = ""
    # CPU time the server's processes spent per request answered, in ms, where measured: a
    # figure that another load on the machine changes far less than requests per second.
    server_cpu_ms: float | None = None

    def unexpected(self, expected_status: int) -> int:
        """Responses with any status other than the one the scenario is about."""
        return sum(count for status, count in self.statuses.items() if status != expected_status)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["statuses"] = {str(status): count for status, count in self.statuses.items()}
        return data


def to_ms(value: str, unit: str) -> float:
    return float(value) * _UNIT_TO_MS[unit]


def parse(output: str) -> WrkResult:
    """Read wrk's `--latency` report, plus the status lines statuses.lua adds to it."""
    rps = _RPS_LINE.search(output)
    total = _TOTAL_LINE.search(output)
    percentiles = {int(p): to_ms(v, u) for p, v, u in _LATENCY_LINE.findall(output)}
    if rps is None or total is None or 50 not in percentiles or 99 not in percentiles:
        raise WrkError(f"could not read wrk's report:\n{output}")
    socket = _SOCKET_LINE.search(output)
    non_2xx = _NON_2XX_LINE.search(output)
    return WrkResult(
        requests=int(total.group(1)),
        requests_per_s=float(rps.group(1)),
        p50_ms=percentiles[50],
        p99_ms=percentiles[99],
        statuses={int(s): int(n) for s, n in _STATUS_LINE.findall(output)},
        socket_errors=dict(
            zip(
                ("connect", "read", "write", "timeout"),
                (int(n) for n in socket.groups()) if socket else (0, 0, 0, 0),
                strict=True,
            )
        ),
        non_2xx_or_3xx=int(non_2xx.group(1)) if non_2xx else 0,
        raw=output,
    )


def compose_script(
    workdir: Path, name: str, scenario_script: Path | None, prelude: str = ""
) -> Path:
    """statuses.lua, then `prelude` (data as Lua globals), then the scenario's own script,
    as one file for `wrk -s`."""
    parts = [STATUS_SCRIPT.read_text(), prelude]
    if scenario_script is not None:
        parts.append(scenario_script.read_text())
    path = workdir / f"{name}.lua"
    path.write_text("\n".join(parts))
    return path


def run(
    url: str,
    load: LoadSettings,
    script: Path,
    headers: dict[str, str] | None = None,
    duration_s: int | None = None,
) -> WrkResult:
    duration = load.duration_s if duration_s is None else duration_s
    command = [
        "wrk",
        "--latency",
        f"--threads={load.threads}",
        f"--connections={load.connections}",
        f"--duration={duration}s",
        f"--timeout={load.timeout_s}s",
        f"--script={script}",
    ]
    for name, value in (headers or {}).items():
        command += ["--header", f"{name}: {value}"]
    command.append(url)
    try:
        finished = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=duration + load.timeout_s + WRK_GRACE_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise WrkError(f"wrk did not finish in time: {' '.join(command)}") from None
    if finished.returncode != 0:
        raise WrkError(f"wrk exited with {finished.returncode}:\n{finished.stderr}")
    return parse(finished.stdout)


def version() -> str:
    # `wrk -v` prints its banner and usage, then exits with status 1.
    finished = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    return (finished.stdout or finished.stderr).splitlines()[0].strip()
