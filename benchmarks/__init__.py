"""Benchmarks and fault drills, run by `make bench` (scripts/bench.sh), never by `make test`.

Every module is a script: `python -m benchmarks.<name> --help`."""
