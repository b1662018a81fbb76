# The two set-up commands: `make demo` and `make test`. Each installs what it needs.
PYTHON ?= python3
VENV := .venv
UV_VERSION := 0.13.9
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: demo test bench install services chromium system-libs screenshots clean

$(VENV)/bin/uv:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: $(VENV)/bin/uv uv.lock pyproject.toml
	$(VENV)/bin/uv sync --frozen --quiet
	touch $@

install: $(VENV)/.installed

services:
	@scripts/services.sh

# WeasyPrint draws PDFs with Pango (invoices, receipts, superbills).
system-libs:
	@ldconfig -p | grep -q libpangoft2-1.0 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 >/dev/null)

chromium:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

demo: install system-libs
	DEBUG=1 $(VENV)/bin/alliance demo

test: install system-libs services chromium
	@scripts/check.sh

bench: install services
	@for b in benchmarks/[a-z]*.py; do echo "# $$b" >&2; $(VENV)/bin/python $$b || exit 1; done

screenshots: install chromium
	$(VENV)/bin/python scripts/screenshots.py

clean:
	rm -rf $(VENV) var
