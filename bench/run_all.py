"""Every benchmark of the performance issue, one table with each figure and its target.

    python bench/run_all.py            # the full run (about 10 minutes on 2 cores)
    python bench/run_all.py --quick    # a smoke run with small sizes (about a minute)
    python bench/run_all.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test

Runs bench/delivery.py (fan-out to 1,000 simulated instances at 1k, 10k and 100k followers),
bench/http_bench.py inbox and reads (a real uvicorn in a child process, 50 concurrent
clients), bench/dead_peers.py, bench/first_contact.py (1,000 Follows from new actors on 20
instances over TLS), and — on PostgreSQL — bench/workers.py (one vs two `hearth
worker` processes), each as a child process with a time limit, then prints the table. A MISS
is reported, not an error: the script fails only if a benchmark breaks. All traffic stays on
127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent


@dataclass(frozen=True)
class Row:
    """One figure, its target and whether it was met (None: no target)."""

    figure: str
    value: str
    target: str
    met: bool | None


def run(script: str, args: list[str], json_path: Path, limit: float) -> dict[str, Any]:
    """Run a benchmark script (its own output goes to ours) and read its JSON figures."""
    command = [sys.executable, str(HERE / script), *args, "--json", str(json_path)]
    print(f"$ {' '.join(command[1:])}", flush=True)
    subprocess.run(command, check=True, timeout=limit)
    return dict(json.loads(json_path.read_text()))


def fan_out_rows(data: dict[str, Any]) -> list[Row]:
    rows = []
    for result in data["results"]:
        rate, ratio = result["rate"], result["rate"] / result["bare_rate"]
        rows.append(
            Row(
                f"fan-out, {result['followers']:,} followers → {result['inboxes']:,} inboxes",
                f"{rate:,.0f} deliv/s, {ratio:.2f}× bare loop "
                f"(publish {result['publish_s']:.2f} s, drain {result['drain_s']:.1f} s)",
                "≥ 1,000/s and ≥ 0.7×",
                rate >= 1000 and ratio >= 0.7,
            )
        )
    publish = [r["publish_s"] for r in data["results"]]
    rows.append(
        Row(
            "fan-out: publishing cost as followers grow",
            " / ".join(f"{p * 1000:.0f} ms" for p in publish),
            "flat-ish (streamed)",
            None,
        )
    )
    rows.append(
        Row(
            "peak RSS during fan-out",
            f"{data['peak_rss_mib']:.0f} MiB",
            "< 200 MB",
            data["peak_rss_mib"] < 200,
        )
    )
    return rows


def _share(figure: dict[str, Any], of: dict[str, Any]) -> float:
    """``figure``'s rate as a fraction of ``of``'s."""
    return figure["rate"] / of["rate"] if of["rate"] else 0.0


def http_rows(kind: str, data: dict[str, Any]) -> list[Row]:
    figures = {f["name"]: f for f in data["figures"]}
    rows = []
    if kind == "inbox":
        bare, hearth = figures["bare Starlette 202"], figures["Hearth inbox"]
        floor = figures["signature-check floor"]
        ratio = hearth["rate"] / bare["rate"] if bare["rate"] else 0.0
        ceiling = floor["rate"] / bare["rate"] if bare["rate"] else 0.0
        rows.append(
            Row(
                "inbox, signed POSTs at 50 concurrent",
                f"{hearth['rate']:,.0f}/s (p50 {hearth['p50_ms']:.0f} ms, "
                f"p99 {hearth['p99_ms']:.0f} ms) vs bare {bare['rate']:,.0f}/s: {ratio:.2f}×",
                "≥ 0.6× bare",
                ratio >= 0.6 and hearth["errors"] == 0,
            )
        )
        rows.append(
            Row(
                "inbox ceiling: verify + parse only, same server",
                f"{floor['rate']:,.0f}/s = {ceiling:.2f}× bare; Hearth is "
                f"{_share(hearth, floor):.2f}× of it",
                "(no target: the most any verifying inbox can do here)",
                None if floor["errors"] == 0 else False,
            )
        )
        if stored := figures.get("stored floor"):
            rows.append(
                Row(
                    "inbox ceiling: verify + parse + store durably",
                    f"{stored['rate']:,.0f}/s = {_share(stored, floor):.2f}× the verify-only "
                    f"ceiling; Hearth is {_share(hearth, stored):.2f}× of it",
                    "(no target: the most an inbox that loses nothing can do here)",
                    None if stored["errors"] == 0 else False,
                )
            )
    else:
        for name, figure in figures.items():
            rows.append(
                Row(
                    f"read: {name}",
                    f"{figure['rate']:,.0f} req/s, p99 {figure['p99_ms']:.0f} ms"
                    + (f", {figure['errors']} errors" if figure["errors"] else ""),
                    "p99 < 50 ms",
                    figure["p99_ms"] < 50 and figure["errors"] == 0,
                )
            )
    rows.append(
        Row(
            f"server peak RSS ({kind})",
            f"{data['rss_mib']:.0f} MiB",
            "< 200 MB",
            data["rss_mib"] < 200,
        )
    )
    return rows


def dead_peer_rows(data: dict[str, Any]) -> list[Row]:
    change = data["mixed_s"] / data["alone_s"] - 1
    return [
        Row(
            f"{data['healthy']} healthy peers with {data['hung']} hung + {data['failing']} failing",
            f"{data['alone_s']:.2f} s alone, {data['mixed_s']:.2f} s among them ({change:+.0%})",
            "≤ +10 %",
            change <= 0.10,
        )
    ]


def first_contact_rows(data: dict[str, Any]) -> list[Row]:
    ratio = data["rate"] / data["floor_rate"] if data["floor_rate"] else 0.0
    first, after = data["first_accept_s"], data["after_last_follow_s"]
    complete = data["follows_accepted"] == data["followers"] and not data["duplicates"]
    timely = first is not None and first <= 1.0 and after is not None and after <= 2.0
    return [
        Row(
            f"first contact, {data['followers']:,} new followers on {data['instances']} instances",
            f"{data['rate']:,.0f} Follows/s (p99 {data['p99_ms']:.0f} ms), "
            f"{ratio:.2f}× bare loop, {data['cpu_ms_per_follow']:.1f} ms CPU each",
            "≥ 250/s, ≥ 0.6×, ≤ 6 ms",
            data["rate"] >= 250 and ratio >= 0.6 and data["cpu_ms_per_follow"] <= 6,
        ),
        Row(
            "first contact: Accepts after the first Follow / after the last",
            f"first {first if first is None else round(first, 2)} s, "
            f"last +{after if after is None else round(after, 2)} s; "
            f"{data['follows_accepted']:,} accepted, {data['duplicates']} twice, "
            f"{data['verified']} verified, {len(data['failures'])} bad",
            "≤ 1 s / ≤ 2 s, all once",
            timely and complete and not data["failures"],
        ),
    ]


def worker_rows(data: dict[str, Any]) -> list[Row]:
    one, two = data["runs"]
    return [
        Row(
            "fan-out, 2 hearth worker processes vs 1 (PostgreSQL)",
            f"{two['rate']:,.0f} vs {one['rate']:,.0f} deliv/s: {data['speedup']:.2f}× "
            f"(cores busy {two['cores_busy']:.0%} vs {one['cores_busy']:.0%})",
            "≥ 1.6×",
            data["speedup"] >= 1.6,
        )
    ]


def print_table(rows: list[Row]) -> None:
    width = max(len(r.figure) for r in rows)
    value_width = max(len(r.value) for r in rows)
    print()
    print(f"Hearth benchmarks — load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} cores")
    for row in rows:
        verdict = "" if row.met is None else "PASS" if row.met else "MISS"
        print(f"  {row.figure:<{width}}  {row.value:<{value_width}}  {row.target:<22} {verdict}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, about a minute")
    parser.add_argument("--database-url", default="", help="PostgreSQL (default: SQLite)")
    args = parser.parse_args()
    db = ["--database-url", args.database_url] if args.database_url else []
    if args.quick:
        delivery = ["--followers", "200,1000", "--sinks", "50", "--unshared", "0"]
        inbox = ["inbox", "--requests", "300"]
        reads = ["reads", "--events", "1000", "--followers", "2000", "--requests", "100"]
        dead = ["--peers", "100", "--hung", "5", "--failing", "5"]
        first = ["--followers", "200", "--instances", "10"]
    else:
        delivery = ["--followers", "1000,10000,100000", "--sinks", "1000", "--unshared", "0"]
        inbox = ["inbox", "--requests", "3000"]
        reads = ["reads", "--requests", "1000"]
        dead = []
        first = []
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="hearth-run-all-") as tmp:
        out = Path(tmp)
        schema = ["--schema"] if args.database_url else []
        fan_out = run(
            "delivery.py", [*delivery, *db, *schema, "--time-limit", "400"], out / "d.json", 500
        )
        rows += fan_out_rows(fan_out)
        rows += http_rows("inbox", run("http_bench.py", [*inbox, *db], out / "i.json", 300))
        rows += http_rows("reads", run("http_bench.py", [*reads, *db], out / "r.json", 600))
        rows += dead_peer_rows(run("dead_peers.py", dead, out / "p.json", 300))
        rows += first_contact_rows(run("first_contact.py", [*first, *db], out / "f.json", 600))
        if args.database_url:  # several workers share one PostgreSQL
            posts = ["--posts", "1"] if args.quick else []
            rows += worker_rows(run("workers.py", [*db, *posts], out / "w.json", 600))
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
