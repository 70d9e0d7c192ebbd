"""What serving's access log costs on the inference hot path: LR, 1 row, 1 client.

Three `slipway serving` children on one registry child, loading the same registered versions
(the LogisticRegression of bench/serving.py, 20 features): at `--log-level info` with
`--access-log-sample-rate 1.0` (a JSON line per call, the behaviour before sampling), at
`--log-level info` with serving's default rate (0.01: one successful ModelInfer in a hundred),
and at `--log-level warning` (no line for a successful call; what bench/serving.py runs). Each
is driven by bench/serving.py's load generator (its own process, one client, raw FP32 [1, 20]
tensor, `predict`), taking turns for a few rounds; medians of the rounds are shown: calls per
second, the serving process's CPU time per call (less swayed than the rate by other load on a
shared machine), the log bytes each wrote per call and what that makes in ten minutes.

Run: `.venv/bin/python bench/access_log.py` (about a minute on 2 cores; `--rounds`,
`--seconds`). Loopback only; leaves nothing behind. Logs go to files, as a container's
standard error would go to its runtime's.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import serving as bench

VARIANTS = {
    "info, rate 1.0": ["--log-level", "info", "--access-log-sample-rate", "1.0"],
    "info, default (0.01)": ["--log-level", "info"],
    "warning (no lines)": ["--log-level", "warning"],
}


def start_serving(
    folder: Path, children: bench.Children, slipway: bench.Slipway, name: str, extra: list[str]
) -> bench.Server:
    """A serving process on the registry of ``slipway``, with ``extra`` flags."""
    home = folder / "slipway"
    key = str(len(list(folder.glob("serving-*.log"))))
    ready = folder / f"serving-{key}-ready.json"
    log = folder / f"serving-{key}.log"
    process = children.start(
        [
            sys.executable,
            "-m",
            "slipway.cli.main",
            "serving",
            "--home",
            str(folder / f"serving-{key}-home"),
            "--ready-file",
            str(ready),
            "--database-url",
            f"sqlite:///{home / 'slipway.db'}",
            "--grpc-address",
            "127.0.0.1:0",
            "--metrics-address",
            "off",
            "--tokens-file",
            str(home / "tokens.json"),
            "--log-format",
            "json",
            "--registry-target",
            slipway.registry.address,
            "--registry-token-file",
            str(home / "service.token"),
            "--deployments",
            "lr@production",
            *extra,
        ],
        log,
        cwd=folder,
    )
    address = bench.wait_for_file(ready, process, log, f"serving ({name})")
    return bench.Server(name, address["grpc_address"], process, log)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds (default 3)")
    parser.add_argument("--seconds", type=float, default=5.0, help="cap of one measurement")
    args = parser.parse_args(argv)
    plan = dataclasses.replace(
        bench.FULL, rounds=max(1, args.rounds), seconds=args.seconds, count=200_000
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    children = bench.Children()
    with tempfile.TemporaryDirectory(prefix="slipway-bench-access-log-") as tmp:
        try:
            return run(Path(tmp), children, plan)
        finally:
            children.stop_all()


def run(folder: Path, children: bench.Children, plan: bench.Plan) -> int:
    began = time.monotonic()
    data_root = folder / "data"
    data_root.mkdir()
    rows = bench.make_data(data_root)
    trained = bench.train_models(data_root, folder / "trained")
    (folder / "slipway").mkdir()
    slipway = bench.start_slipway(folder / "slipway", children, trained)
    children.stop(slipway.serving.process)  # only its registry is used
    servers = {
        name: start_serving(folder, children, slipway, name, extra)
        for name, extra in VARIANTS.items()
    }
    auth = (("authorization", f"Bearer {slipway.service_token}"),)
    bench.check_predictions(
        list(servers.values()), rows[: bench.CHECK_ROWS], {"lr": trained["lr"]}, auth
    )
    request = folder / "request-lr-1.bin"
    request.write_bytes(bench.infer_request("lr", rows[:1]).SerializeToString())
    load = bench.LoadClients(1, folder, children)
    rates: dict[str, list[float]] = {name: [] for name in servers}
    p50s: dict[str, list[float]] = {name: [] for name in servers}
    cpu_us: dict[str, list[float]] = {name: [] for name in servers}
    calls = dict.fromkeys(servers, 0)
    start_bytes = {name: server.log.stat().st_size for name, server in servers.items()}
    print(
        f"access log benchmark: LR, 1 row, 1 client; {plan.rounds} round(s), each server "
        f"{plan.warmup_count} warm-up calls then up to {plan.seconds:g} s",
        flush=True,
    )
    names = list(servers)
    for round_index in range(plan.rounds):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            figures = load.run(servers[name], request, auth, 1, plan)
            if figures["errors"]:
                raise SystemExit(f"{name}: {figures['errors']} failed calls")
            rates[name].append(figures["rps"])
            p50s[name].append(figures["p50"])
            if figures["rps"] > 0:  # the server's CPU per call: less swayed by other load
                cpu_us[name].append(figures["server_cpu"] / figures["rps"] * 1e6)
            calls[name] += figures["calls"] + plan.warmup_count
    load.close()
    base = statistics.median(rates[names[0]])
    base_cpu = statistics.median(cpu_us[names[0]])
    print(
        f"\n  {'serving':<22}{'calls/s':>10}{'vs 1.0':>8}{'p50 ms':>9}{'CPU us/call':>13}"
        f"{'vs 1.0':>8}{'log B/call':>12}{'MB / 10 min':>13}"
    )
    for name, server in servers.items():
        rate = statistics.median(rates[name])
        cpu = statistics.median(cpu_us[name])
        per_call = (server.log.stat().st_size - start_bytes[name]) / max(1, calls[name])
        print(
            f"  {name:<22}{rate:>10,.0f}{rate / base:>7.2f}x{statistics.median(p50s[name]):>9.3f}"
            f"{cpu:>13.0f}{cpu / base_cpu:>7.2f}x{per_call:>12.1f}"
            f"{per_call * rate * 600 / 1e6:>13.1f}"
        )
    print(f"\n  medians of {plan.rounds} rounds; per round:")
    for name in names:
        print(
            f"    {name:<22} calls/s {'/'.join(f'{r:,.0f}' for r in rates[name])}; "
            f"CPU us/call {'/'.join(f'{c:.0f}' for c in cpu_us[name])}"
        )
    print(f"  total {time.monotonic() - began:.0f} s; load average {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
