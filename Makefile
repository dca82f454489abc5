# CovetPy developer commands. `make serve` and `make test` work on a fresh machine:
# each creates .venv, installs the project with its extras and compiles the Cython kernels.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install build serve test test-interpreted bench bench-micro tfb-setup lint clean

# The build tools go into the venv too: `make build` recompiles in place with them.
$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip "setuptools>=77" "cython>=3.0.10" wheel

$(VENV)/.installed: pyproject.toml setup.py | $(PY)
	$(PY) -m pip install --quiet -e '.[test,bench,lint]'
	touch $@

install: $(VENV)/.installed

# Recompile the kernels in covet/_speedups/ in place (a no-op when nothing changed).
build: install
	$(PY) setup.py -q build_ext --inplace

serve: build
	$(PY) -m covet serve examples.demo:app --host $(HOST) --port $(PORT)

# The whole suite on the compiled kernels (with branch coverage), then the server tests again
# on the interpreted kernels (COVET_NO_EXTENSIONS=1) so both modes stay in agreement.
# pytest's exit code 5 (nothing collected) means a broken suite, so it fails too.
test: build
	$(PY) -m pytest --cov=covet --cov-branch --cov-report=term $(PYTEST_ARGS) || { rc=$$?; \
		[ $$rc -eq 5 ] && echo "make test: pytest collected no tests" >&2; exit $$rc; }
	COVET_NO_EXTENSIONS=1 $(PY) -m pytest -q -p no:cacheprovider tests/server tests/test_app.py \
		tests/middleware tests/test_mount.py tests/test_params.py \
		tests/db/test_query_select.py tests/db/test_query_insert_update_delete.py tests/db/test_query_compound.py \
		tests/test_requests.py tests/test_responses.py tests/test_fileresponse.py tests/test_sse.py \
		tests/orm/test_queryset.py tests/orm/test_multivalued.py \
		tests/security/test_secure_defaults.py \
		$(PYTEST_ARGS) || { rc=$$?; [ $$rc -eq 5 ] && echo "make test: no interpreted-mode tests" >&2; exit $$rc; }

bench: build
	$(PY) -m bench

# bench/micro (pytest-benchmark) compiled, then with COVET_NO_EXTENSIONS=1, writing
# bench/results/micro-{compiled,interpreted}.json, then the table of the two. BENCH_ARGS="--max-time 0.1".
bench-micro: build
	$(PY) -m bench.micro $(BENCH_ARGS)

# The TechEmpower database (COVET_TFB_DSN, default the local hello_world); `make bench` does it too.
tfb-setup: install
	$(PY) -m bench.tfb.setup

lint: install
	$(VENV)/bin/ruff check covet tests bench
	$(VENV)/bin/mypy
	PATH=$(VENV)/bin:$$PATH $(VENV)/bin/cython-lint --max-line-length 110 --ignore E301 E302 -- covet/_speedups/*.pxd
	$(VENV)/bin/bandit -q -r covet -ll

clean:
	rm -rf build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .coverage htmlcov
	find covet -name '*.so' -delete -o -name '*.c' -delete -o -name '__pycache__' -prune -exec rm -rf {} +
