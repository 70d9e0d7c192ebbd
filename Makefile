# Slipway developer entry points. `make up` and `make test` work on a fresh machine: they create
# the virtual environment and install what they need themselves.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# A virtual environment named on the command line (`make check VENV=/path/to/.venv`) is used as it
# is: nothing is installed into it, since it may serve other checkouts as well.
VENV_READY := $(if $(filter command line,$(origin VENV)),,venv)
# The checkout being checked is the one imported, even when the venv's editable install points at
# another checkout of the repository.
SOURCE_PATH := PYTHONPATH="$(CURDIR)/services:$(CURDIR)/clients/python$${PYTHONPATH:+:$$PYTHONPATH}"
# pytest-xdist workers for `make check`: one per core.
CHECK_WORKERS ?= auto
# pytest-xdist workers for `make test`. Most of the suite waits on spawned servers rather than
# computing, so more workers than cores still shorten the wall time on a two-core machine
# (measured on a clean clone: 1,540 tests in 943 s with two workers; 1,789 in 555 s with three).
TEST_WORKERS ?= 3
TOOLS := .tools
BUF_VERSION := 1.61.0
BUF := $(TOOLS)/node/node_modules/.bin/buf
PROTO_FILES := $(shell find protos/slipway -name '*.proto' | sort)
GENERATED_DIRS := common registry lineage training monitoring audit inference
# Code generators of the Go, Java and TypeScript clients (buf.gen.yaml), pinned, under .tools/.
# protoc and protoc-gen-grpc-java come from Maven Central; protoc's version is the protobuf-java
# that grpc-protobuf $(GRPC_JAVA_VERSION) depends on (clients/java/pom.xml), so that the generated
# Java code matches its runtime.
PROTOC_GEN_GO_VERSION := v1.36.12
PROTOC_GEN_GO_GRPC_VERSION := v1.6.2
PROTOC_GEN_ES_VERSION := 2.17.0
PROTOC_VERSION := 3.25.9
GRPC_JAVA_VERSION := 1.85.0
MAVEN_DEPENDENCY_PLUGIN := org.apache.maven.plugins:maven-dependency-plugin:3.8.1
PROTOC_GEN_GO := $(TOOLS)/go/bin/protoc-gen-go
PROTOC_GEN_GO_GRPC := $(TOOLS)/go/bin/protoc-gen-go-grpc
PROTOC_GEN_ES := $(TOOLS)/node/node_modules/.bin/protoc-gen-es
PROTOC := $(TOOLS)/java/protoc
PROTOC_GEN_GRPC_JAVA := $(TOOLS)/java/protoc-gen-grpc-java
# Folders of generated code in the other clients, emptied before each generation.
GENERATED_OTHER := $(addprefix clients/go/,$(GENERATED_DIRS)) clients/java/src/main/java clients/ts/src

.PHONY: venv tools codegen-tools postgres deploy-tools up demo test check check-types check-tests mutate fmt lint protos docs bench-audit bench-refusals bench-registry bench-training bench-serving bench-monitoring bench-watch bench-estimation clean

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml clients/python/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e clients/python -e '.[dev]'
	touch $@

# buf (lint and breaking-change checks) from the npm registry, pinned; it runs offline.
tools: $(BUF)

$(BUF):
	mkdir -p $(TOOLS)/node
	npm install --silent --no-audit --no-fund --prefix $(TOOLS)/node @bufbuild/buf@$(BUF_VERSION)

# The code generators of buf.gen.yaml, and what the generated clients build with (Go modules, Maven
# artifacts, npm packages), so that generation and the build tests run offline afterwards.
codegen-tools: $(BUF) $(PROTOC_GEN_GO) $(PROTOC_GEN_GO_GRPC) $(PROTOC_GEN_ES) $(PROTOC) \
  $(PROTOC_GEN_GRPC_JAVA) $(TOOLS)/go/.modules $(TOOLS)/java/.dependencies clients/ts/node_modules/.installed

$(PROTOC_GEN_GO):
	GOBIN="$(abspath $(TOOLS))/go/bin" go install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)

$(PROTOC_GEN_GO_GRPC):
	GOBIN="$(abspath $(TOOLS))/go/bin" go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)

$(PROTOC_GEN_ES): | $(BUF)
	npm install --silent --no-audit --no-fund --prefix $(TOOLS)/node @bufbuild/protoc-gen-es@$(PROTOC_GEN_ES_VERSION)

$(PROTOC):
	mkdir -p $(TOOLS)/java
	mvn -q -B $(MAVEN_DEPENDENCY_PLUGIN):copy -DoutputDirectory=$(TOOLS)/java \
	  -Dartifact=com.google.protobuf:protoc:$(PROTOC_VERSION):exe:linux-x86_64
	mv $(TOOLS)/java/protoc-$(PROTOC_VERSION)-linux-x86_64.exe $@
	chmod +x $@

$(PROTOC_GEN_GRPC_JAVA):
	mkdir -p $(TOOLS)/java
	mvn -q -B $(MAVEN_DEPENDENCY_PLUGIN):copy -DoutputDirectory=$(TOOLS)/java \
	  -Dartifact=io.grpc:protoc-gen-grpc-java:$(GRPC_JAVA_VERSION):exe:linux-x86_64
	mv $(TOOLS)/java/protoc-gen-grpc-java-$(GRPC_JAVA_VERSION)-linux-x86_64.exe $@
	chmod +x $@

$(TOOLS)/go/.modules: clients/go/go.mod clients/go/go.sum
	cd clients/go && go mod download
	mkdir -p $(@D) && touch $@

$(TOOLS)/java/.dependencies: clients/java/pom.xml
	cd clients/java && mvn -q -B dependency:go-offline
	mkdir -p $(@D) && touch $@

clients/ts/node_modules/.installed: clients/ts/package.json clients/ts/package-lock.json
	cd clients/ts && npm ci --silent --no-audit --no-fund
	touch $@

# PostgreSQL server binaries for the tests that start a throwaway cluster.
postgres:
	@if ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  echo "installing the PostgreSQL server for the tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	fi

# Tools of the deployment tests (tests/deploy): hadolint and kubernetes-validate come with the
# venv (dev extras); kubectl (for `kubectl kustomize`) and promtool (alert rules) from Debian's
# packages where missing. Debian's kubernetes-client is old (kustomize v2): the tests then name
# the kustomize they need.
deploy-tools: $(VENV_READY)
	@if ! command -v kubectl >/dev/null; then \
	  echo "installing kubectl for the manifest tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kubernetes-client >/dev/null; \
	fi
	@if ! command -v promtool >/dev/null; then \
	  echo "installing promtool for the alert-rule tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus >/dev/null; \
	fi
	@test -x $(VENV)/bin/hadolint && test -x $(VENV)/bin/kubernetes-validate || \
	  { echo "hadolint or kubernetes-validate missing from $(VENV): make venv"; exit 1; }

# Start the whole suite on the embedded default (SQLite and a local artifact folder in $SLIPWAY_HOME);
# UP_ARGS are passed to `slipway up` (e.g. UP_ARGS="--grpc-port-base 0").
up: $(VENV_READY)
	$(VENV)/bin/slipway up $(UP_ARGS)

# The whole lifecycle on a fresh suite of its own (SQLite, a temporary data folder), with a summary.
demo: $(VENV_READY)
	$(VENV)/bin/slipway demo $(DEMO_ARGS)

# Every test: contracts, shared core, services, on SQLite and on a throwaway PostgreSQL.
test: $(VENV_READY) tools codegen-tools postgres deploy-tools
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	PATH="$(abspath $(TOOLS))/node/node_modules/.bin:$$PATH" $(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# Before every commit (about two minutes): lint and formatting, then the types and the fast tests
# side by side (the tests mostly wait on servers and processes, so mypy costs little beside them).
# Fast means neither `postgres` nor `slow`; `make test` runs those as well.
check: $(VENV_READY) tools codegen-tools
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	@$(MAKE) --no-print-directory -j 2 --output-sync=target check-types check-tests

check-types:
	$(SOURCE_PATH) $(VENV)/bin/mypy

check-tests:
	$(SOURCE_PATH) PATH="$(abspath $(TOOLS))/node/node_modules/.bin:$$PATH" \
	  $(PY) -m pytest -n $(CHECK_WORKERS) -m "not postgres and not slow" $(PYTEST_ARGS)

# Mutation testing of the core promises (auth, audit, artifacts, batching, drift, alias rules):
# tools/mutate.py breaks each on purpose and runs the tests that guard it; every mutation must be
# killed. A few minutes, so not part of `make test`. MUTATE_ARGS="--only NAME" runs one.
mutate: $(VENV_READY) postgres
	$(PY) tools/mutate.py $(MUTATE_ARGS)

# Format the tree and sort imports the way `make check` expects.
fmt: $(VENV_READY)
	$(VENV)/bin/ruff check --select I --fix .
	$(VENV)/bin/ruff format .

lint: $(VENV_READY)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# Regenerate the Python API in clients/python from protos/ with the pinned generator, then the Go,
# Java and TypeScript clients with buf (buf.gen.yaml).
protos: $(VENV_READY) codegen-tools
	cd clients/python/slipway && rm -rf $(GENERATED_DIRS)
	$(PY) -m grpc_tools.protoc -Iprotos \
	  --plugin=protoc-gen-mypy=$(VENV)/bin/protoc-gen-mypy \
	  --plugin=protoc-gen-mypy_grpc=$(VENV)/bin/protoc-gen-mypy_grpc \
	  --python_out=clients/python --grpc_python_out=clients/python \
	  --mypy_out=clients/python --mypy_grpc_out=clients/python \
	  $(PROTO_FILES)
	find $(addprefix clients/python/slipway/,$(GENERATED_DIRS)) -type d -exec touch {}/__init__.py \;
	for d in $(GENERATED_DIRS); do touch clients/python/slipway/$$d/py.typed; done
	rm -rf $(GENERATED_OTHER)
	$(BUF) generate
	$(BUF) generate --template buf.gen.googleapis.yaml

# Reference pages generated from the code; tests/core/test_reasons.py and test_rpc_reasons.py
# fail when one is stale.
docs: $(VENV_READY)
	PYTHONPATH=services $(PY) -m slipway.core.reasons_doc > docs/errors.md
	PYTHONPATH=services $(PY) -m slipway.core.rpc_doc > docs/rpcs.md

# Benchmarks print figures; they start what they need (a throwaway PostgreSQL included).
bench-audit: $(VENV_READY) postgres
	$(PY) bench/audit_append.py

bench-refusals: $(VENV_READY) postgres
	$(PY) bench/anonymous_refusals.py

bench-registry: $(VENV_READY)
	$(PY) bench/registry.py

bench-training: $(VENV_READY)
	$(PY) bench/training.py

bench-serving: $(VENV_READY)
	$(PY) bench/serving.py

bench-monitoring: $(VENV_READY)
	$(PY) bench/monitoring.py

bench-watch: $(VENV_READY)
	$(PY) bench/watch_streams.py

bench-estimation: $(VENV_READY)
	$(PY) bench/estimation_vs_nannyml.py

clean:
	rm -rf $(VENV) $(TOOLS) clients/ts/node_modules clients/java/target
