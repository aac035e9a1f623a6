"""Before and after, side by side: the on-sale figures and request costs of a baseline run
(`POS_BENCH_BASELINE=<commit> make bench` writes `baseline-*.json`) and of this checkout,
measured back to back by the same `make bench`.

    python -m benchmarks.compare [--results benchmarks/results] [--json out.json]"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from benchmarks.common import RESULTS_DIR, write_json

ONSALE = [
    ("successful holds/s", ("holds_per_s",)),
    ("trivial GET/s", ("trivial_get_per_s",)),
    ("ratio holds/s ÷ GET/s", ("ratio_holds_to_trivial_get",)),
    ("hold p50 ms", ("latency", "hold", "p50_ms")),
    ("hold p99 ms", ("latency", "hold", "p99_ms")),
    ("checkouts/s", ("checkouts_per_s",)),
    ("busy (503)/s", ("busy_per_s",)),
    ("5xx", ("http_5xx",)),
    ("oversold seats", ("oversold_seats",)),
    ("database consistent", ("database", "ok")),
]


def _dig(data: dict[str, Any] | None, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _load(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text()) if path.exists() else None


def compare(results: Path) -> dict[str, Any]:
    before, after = _load(results / "baseline-onsale.json"), _load(results / "onsale.json")
    costs_before = _load(results / "baseline-request_costs.json")
    costs_after = _load(results / "request_costs.json")
    rows = [{"figure": name, "before": _dig(before, path), "after": _dig(after, path)}
            for name, path in ONSALE]
    for kind in ("trivial_get", "hold", "release", "checkout"):
        for measure in ("cpu_ms", "statements"):
            rows.append({"figure": f"{kind} {measure.replace('_', ' ')}",
                         "before": _dig(costs_before, ("costs", kind, measure)),
                         "after": _dig(costs_after, ("costs", kind, measure))})
    rows.append({"figure": "hold cycle CPU ms",
                 "before": _dig(costs_before, ("hold_cycle_cpu_ms",)),
                 "after": _dig(costs_after, ("hold_cycle_cpu_ms",))})
    return {"benchmark": "compare",
            "baseline_commit": _dig(before, ("machine", "git_commit")),
            "commit": _dig(after, ("machine", "git_commit")), "rows": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", type=Path, default=RESULTS_DIR)
    parser.add_argument("--json", help="write the comparison here")
    args = parser.parse_args(argv)
    result = compare(args.results)
    print(f"\nbefore ({result['baseline_commit']}) → after ({result['commit']})")
    print(f"  {'figure':<26}{'before':>12}{'after':>12}")
    for row in result["rows"]:
        print(f"  {row['figure']:<26}{row['before']!s:>12}{row['after']!s:>12}")
    write_json(args.json, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
