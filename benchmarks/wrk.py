"""Drive `wrk` (Debian package `wrk`) with a Lua script that posts distinct request bodies.

Each wrk thread reads its own file of bodies (one compact JSON per line) and sends them in order,
so no body is sent twice unless the run outlasts the file (then it starts over and the wraps are
counted and reported as repeats). Non-2xx answers are counted in Lua.
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

MARKER = "WRK-RESULT "
LUA = r"""
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  prefix = args[1]
  file = assert(io.open(prefix .. id .. ".jsonl", "r"))
  sent = 0
  wraps = 0
  non2xx = 0
  headers = {["Content-Type"] = "application/json"}
end

function request()
  local body = file:read("*l")
  if body == nil or body == "" then
    file:seek("set", 0)
    wraps = wraps + 1
    body = assert(file:read("*l"), "no request bodies for this wrk thread")
  end
  sent = sent + 1
  return wrk.format("POST", wrk.path, headers, body)
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local non2xx_total, wraps_total, sent_total = 0, 0, 0
  for _, thread in ipairs(threads) do
    non2xx_total = non2xx_total + thread:get("non2xx")
    wraps_total = wraps_total + thread:get("wraps")
    sent_total = sent_total + thread:get("sent")
  end
  local e = summary.errors
  io.write(string.format(
    "WRK-RESULT {\"requests\":%d,\"duration_us\":%d,\"bytes\":%d,\"non2xx\":%d," ..
    "\"socket_errors\":%d,\"timeouts\":%d,\"wraps\":%d,\"sent\":%d," ..
    "\"p50_us\":%d,\"p90_us\":%d,\"p99_us\":%d,\"max_us\":%d,\"mean_us\":%.1f}\n",
    summary.requests, summary.duration, summary.bytes, non2xx_total,
    e.connect + e.read + e.write, e.timeout, wraps_total, sent_total,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean))
end
"""


@dataclass
class WrkResult:
    label: str
    connections: int
    threads: int
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    non2xx: int
    socket_errors: int
    timeouts: int
    distinct_bodies: int
    repeats: int
    wrk_cpu_s: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit("wrk is not installed: `apt-get install wrk` (make bench does this)")
    return found


def write_bodies(directory: Path, name: str, bodies: Sequence[bytes], threads: int) -> str:
    """One file of bodies per wrk thread (bodies dealt out in turn); returns the file prefix."""
    prefix = directory / f"{name}-"
    for thread in range(threads):
        with open(f"{prefix}{thread}.jsonl", "wb") as out:
            for body in bodies[thread::threads]:
                out.write(body.rstrip(b"\n") + b"\n")
    return str(prefix)


def run(
    url: str,
    bodies: Sequence[bytes],
    *,
    label: str,
    workdir: Path,
    seconds: float,
    connections: int,
    threads: int = 1,
) -> WrkResult:
    """One wrk run of `seconds` against `url`, posting `bodies` (distinct unless it wraps)."""
    script = workdir / "post.lua"
    script.write_text(LUA)
    if len(bodies) < threads:
        raise ValueError(f"{label}: {len(bodies)} bodies cannot feed {threads} wrk threads")
    prefix = write_bodies(workdir, label.replace(" ", "_").replace("/", "_"), bodies, threads)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [
            wrk_binary(),
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            url,
            "--",
            prefix,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=False,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith(MARKER)]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    raw = json.loads(lines[0][len(MARKER) :])
    duration = raw["duration_us"] / 1e6
    per_thread = len(bodies) // threads
    return WrkResult(
        label=label,
        connections=connections,
        threads=threads,
        requests=raw["requests"],
        seconds=round(duration, 2),
        rps=round(raw["requests"] / duration, 1),
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        non2xx=raw["non2xx"],
        socket_errors=raw["socket_errors"],
        timeouts=raw["timeouts"],
        distinct_bodies=len(bodies),
        repeats=max(0, raw["sent"] - per_thread * threads) if raw["wraps"] else 0,
        wrk_cpu_s=round((after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime), 2),
    )
