# Spindrift: the two commands are `make demo` and `make test`; both install what they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install flink-env demo test test-unit test-parity kafka kafka-jars up down bench bench-runtime lint typecheck clean

install: $(STAMP)  ## create .venv with every dependency (idempotent)

$(STAMP): pyproject.toml libs/sparkml_runtime/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e libs/sparkml_runtime -e '.[dev,deploy]'
	touch $(STAMP)

# PyFlink gets a venv of its own: apache-flink pins py4j (and pandas, pyarrow) apart from pyspark's.
FLINK_VENV ?= .venv-flink
FLINK_STAMP := $(FLINK_VENV)/.installed

flink-env: $(FLINK_STAMP)  ## create .venv-flink with apache-flink and sparkml_runtime (examples/flink; idempotent)

$(FLINK_STAMP): libs/sparkml_runtime/pyproject.toml
	test -x $(FLINK_VENV)/bin/python || $(PYTHON) -m venv $(FLINK_VENV)
	$(FLINK_VENV)/bin/python -m pip install -q --upgrade pip
	$(FLINK_VENV)/bin/python -m pip install -q apache-flink==2.3.0 -e libs/sparkml_runtime
	mvn -q -B dependency:copy -Dartifact=org.apache.flink:flink-sql-connector-kafka:4.0.1-2.0 -DoutputDirectory=$(FLINK_VENV)/jars
	touch $(FLINK_STAMP)

kafka-jars: install  ## fetch the pinned Apache Kafka jars with Maven (cached in .kafka/)
	$(PY) -m spindrift.kafka.embedded fetch

# demo, up, test and bench run on the cluster KAFKA_BOOTSTRAP_SERVERS names when it is set, so they
# fetch the jars of the embedded broker only when it is not (the compose stack fetches its own).
KAFKA_FOR_RUN := $(if $(KAFKA_BOOTSTRAP_SERVERS),install,kafka-jars)

kafka: kafka-jars  ## run a single-node KRaft broker on 127.0.0.1 in the foreground
	$(PY) -m spindrift.kafka.embedded run

demo: up  ## `make up`, then the seed's tutorial over HTTP: train with a progress bar, score over /v1, /v2 and Kafka
	$(PY) -m spindrift.demo

up: $(KAFKA_FOR_RUN)  ## Kafka, a trainer, two scorers and the gateway in the background; returns once ready
	$(PY) -m spindrift.cli up

down:  ## stop what `make up` started (does nothing when nothing runs)
	@if [ -x $(PY) ]; then $(PY) -m spindrift.cli down; else echo "nothing is running (no $(VENV))"; fi

test: $(KAFKA_FOR_RUN) flink-env  ## every test: unit, Spark parity, Kafka integration
	$(PY) -m pytest

test-unit: install
	$(PY) -m pytest -m "not parity and not kafka and not spark"

test-parity: install
	$(PY) -m pytest -m parity

bench: $(KAFKA_FOR_RUN) flink-env bench-runtime  ## all benchmarks, each printing a table against Spark
	$(PY) -m benchmarks.kafka_roundtrip
	$(PY) -m benchmarks.trainer_overhead
	$(PY) -m benchmarks.gateway_roundtrip
	$(PY) -m benchmarks.lambda_handler
	$(PY) -m benchmarks.flink_job

bench-runtime: install
	$(PY) -m benchmarks.runtime

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy

.PHONY: compose-up compose-down compose-test

compose-up: $(KAFKA_FOR_RUN)  ## the stack in containers on 127.0.0.1 (Kafka 9092, Prometheus 9090); see README
	tools/docker-engine.sh up
	$(PY) deploy/docker_context.py
	docker compose up -d --build --pull never --wait

compose-down:  ## stop the compose stack (its volumes are kept; `docker compose down -v` drops them)
	docker compose down

# `make test` runs these too (marked `compose`); they set up the Docker engine when it is missing
# (tools/docker-engine.sh up) and are skipped, with the reason in one line, where none can run.
compose-test: $(KAFKA_FOR_RUN)  ## build and start the compose stack, train, score, scrape, then remove it
	$(PY) -m pytest -m compose tests/deploy

clean:
	rm -rf $(VENV) $(FLINK_VENV) .kafka build *.egg-info .pytest_cache .mypy_cache .ruff_cache
