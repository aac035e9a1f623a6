.PHONY: run test stop lint setup bench replica replica-stop

## make run: install what is missing, start PostgreSQL + Redis, migrate, create the demo
## tenant, then web (127.0.0.1:8000), Celery worker and beat in the foreground.
run:
	bash scripts/run.sh

## make test: the same set-up, then the whole test suite.
test:
	bash scripts/test.sh

## make stop: stop whatever a run left behind.
stop:
	bash scripts/stop.sh

## make setup: everything `make run` does before starting the processes.
setup:
	bash scripts/setup.sh

## make bench: benchmarks and fault drills (docs/performance.md) against gunicorn on its
## own database; results in benchmarks/results/. Takes ~15 min the first time.
bench:
	bash scripts/bench.sh

## make replica / replica-stop: a hot standby of the local PostgreSQL for stale reads
## (docs/replica.md); `POS_DB_REPLICA=1 make run` starts it and points the app at it.
replica:
	bash scripts/replica.sh start && bash scripts/replica.sh status

replica-stop:
	bash scripts/replica.sh stop

lint:
	bash scripts/bootstrap.sh && .venv/bin/ruff check .
