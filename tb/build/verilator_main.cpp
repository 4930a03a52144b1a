// The project's Verilator main (issue 15, docs/speed-plan.md "Step 3e"): cocotb's
// share/lib/verilator/verilator.cpp (cocotb 2.1: the same loop, callbacks, trace options and
// exit status), plus a clock the main owns and lazy falling edges.
//
// The clock.  Python starts it with ima_clock_start() (tb/bfm/clock.py, through ctypes; the
// symbols are exported with --export-dynamic-symbol, tb/build/runner.py).  It behaves as cocotb's
// GPI clock writing Immediate did: the first value (high) is put through the VPI by the caller,
// then each edge is a VPI timed callback (cbAfterDelay, registered half a period ahead from the
// previous edge's callback, so its order among the other timed callbacks of its time step is the
// GPI clock's) which sets the top's clk.  The value-change callbacks (RisingEdge / FallingEdge)
// fire in the settle_value_callbacks() that follows the timed callbacks, as before.
//
// Lazy falling edges.  At a falling edge's time step where nothing but clk changed since the last
// eval() -- no vpi_put_value (VerilatedVpi::evalNeeded()), no vpi_put_value_array (which does
// not set evalNeeded in Verilator 5.048: tb/bfm/vpi_array.py reports it through
// ima_clock_eval_needed()), no timing event due, no trace being dumped -- the design cannot
// change (no negedge logic, no logic reading the clock: proven per model from the generated code
// by tb/build/lazy_fall.py, which writes ima_model.h), so the main does the stores that eval()
// would have done (the internal copies of clk and the triggers' previous values) instead of the
// eval().  Everything after it in the time step (inertial puts, value callbacks, ReadWrite,
// ReadOnly) runs as before; any write in between makes the next iteration a real eval().

#include <libgen.h>  // basename
#include <stdint.h>
#include <stdio.h>  // stderr, fprintf

#include <memory>  // std::unique_ptr
#include <string>  // std::string

#include "Vtop.h"
#include "ima_model.h"
#include "verilated.h"
#include "verilated_vpi.h"

#ifndef VM_TRACE_FST
// emulate new verilator behavior for legacy versions
#define VM_TRACE_FST 0
#endif

#if VM_TRACE
#if VM_TRACE_FST
#include <verilated_fst_c.h>
using verilated_trace_t = VerilatedFstC;
#elif VM_TRACE_SAIF
#include <verilated_saif_c.h>
using verilated_trace_t = VerilatedSaifC;
#else
// VM_TRACE_VCD
#include <verilated_vcd_c.h>
using verilated_trace_t = VerilatedVcdC;
#endif
static verilated_trace_t *tfp;
#endif

static vluint64_t main_time = 0;  // Current simulation time
#if VM_COVERAGE
static bool coverage_per_instance = false;
#endif

double sc_time_stamp() {  // Called by $time in Verilog
    return main_time;     // converts to double, to match
                          // what SystemC does
}

extern "C" {
void vlog_startup_routines_bootstrap(void);
}

static inline bool settle_value_callbacks() {
    bool cbs_called, again;

    // Call Value Change callbacks
    // These can modify signal values so we loop
    // until there are no more changes
    cbs_called = again = VerilatedVpi::callValueCbs();
    while (again) {
        again = VerilatedVpi::callValueCbs();
    }

    return cbs_called;
}

void wrap_up() {
    VerilatedVpi::callCbs(cbEndOfSimulation);

#if VM_TRACE
    if (tfp) {
        // We don't delete the trace object to avoid deadlock in verilator sims.
        tfp->close();
    }
#endif

    // VM_COVERAGE is a define which is set if Verilator is
    // instructed to collect coverage (when compiling the simulation)
#if VM_COVERAGE
    if (coverage_per_instance) {
        Verilated::threadContextp()->coveragep()->forcePerInstance(true);
    }
    VerilatedCov::write();  // Uses +verilator+coverage+file+<filename>,
                            // defaults to coverage.dat
#endif
}

// ---- the clock and the lazy falling edges ------------------------------------------------------

static Vtop *g_top = nullptr;
static struct {
    vpiHandle cb = nullptr;   // the pending edge's timed callback
    uint64_t period = 0, high = 0;
    unsigned value = 0;
    bool lazy = false;
} g_clk;
static bool g_fall_pending = false;  // the clock fell (lazily) since the last eval()
static bool g_force_eval = false;    // a write the VPI does not flag (vpi_put_value_array)
static bool g_tracing = false;
static uint64_t g_stats[4] = {0, 0, 0, 0};  // edges, evals, falling edges skipped, -

static PLI_INT32 clock_edge_cb(p_cb_data);

static bool clock_schedule(uint64_t delay) {
    s_vpi_time t{};
    t.type = vpiSimTime;
    t.high = static_cast<PLI_UINT32>(delay >> 32);
    t.low = static_cast<PLI_UINT32>(delay);
    s_cb_data cb{};
    cb.reason = cbAfterDelay;
    cb.cb_rtn = clock_edge_cb;
    cb.time = &t;
    g_clk.cb = vpi_register_cb(&cb);
    return g_clk.cb != nullptr;
}

static PLI_INT32 clock_edge_cb(p_cb_data) {
    vpi_release_handle(g_clk.cb);
    g_clk.cb = nullptr;
    g_clk.value ^= 1U;
    ima_clk_set(*g_top->rootp, g_clk.value);
    ++g_stats[0];
    if (!g_clk.value && g_clk.lazy && !g_tracing) g_fall_pending = true;
    clock_schedule(g_clk.value ? g_clk.high : g_clk.period - g_clk.high);
    return 0;
}

extern "C" {

// Start the clock on the top's clk, which the caller has just set high with an Immediate
// (vpiNoDelay) write, as the GPI clock's first value (tb/bfm/clock.py): an edge every high /
// period - high steps from now.  Returns 0, or 1 (already running), 2 (bad period), 3 (the model
// has no clk), 4 (lazy asked for and the model does not allow it: ima_clock_why() says why),
// 5 (the top's clk is not high: the caller wrote another signal), 6 (a VPI call failed).
__attribute__((visibility("default"))) int ima_clock_start(uint64_t period, uint64_t high,
                                                           int lazy) {
    if (g_clk.cb) return 1;
    if (period < 2 || high < 1 || high >= period) return 2;
    if (!IMA_CLOCK_OK) return 3;
    if (lazy && !IMA_LAZY_FALL_OK) return 4;
    if (ima_clk_get(*g_top->rootp) != 1) return 5;
    g_clk.period = period;
    g_clk.high = high;
    g_clk.value = 1;
    g_clk.lazy = lazy != 0;
    return clock_schedule(high) ? 0 : 6;
}

// Stop the clock (the pending edge is dropped); 0, or 1 when it was not running.
__attribute__((visibility("default"))) int ima_clock_stop(void) {
    if (!g_clk.cb) return 1;
    vpi_remove_cb(g_clk.cb);  // also releases the handle (IEEE 1800 37.2.2)
    g_clk.cb = nullptr;
    return 0;
}

// A write the VPI does not flag (vpi_put_value_array) happened: evaluate at the next time step
// even if it is a falling edge.
__attribute__((visibility("default"))) void ima_clock_eval_needed(void) { g_force_eval = true; }

// Why lazy falling edges are not allowed on this model ("" when they are).
__attribute__((visibility("default"))) const char *ima_clock_why(void) {
    return IMA_LAZY_FALL_WHY;
}

// Counters since the start of the simulation: clock edges, eval() calls, falling edges skipped.
__attribute__((visibility("default"))) void ima_clock_stats(uint64_t *out) {
    for (int i = 0; i < 3; i++) out[i] = g_stats[i];
}
}

// One evaluation of the time step: the model's eval_step(), or at a lazy falling edge with
// nothing else to do the stores it would have done.
static inline void eval_step(Vtop *top) {
    if (g_fall_pending && !g_force_eval && !VerilatedVpi::evalNeeded()
        && !(top->eventsPending() && top->nextTimeSlot() <= main_time)) {
        ima_lazy_fall_apply(*top->rootp);
        ++g_stats[2];
    } else {
        top->eval_step();
        ++g_stats[1];
    }
    g_fall_pending = false;
    g_force_eval = false;
}

int main(int argc, char **argv) {
#if VM_TRACE_FST
    const char *traceFile = "dump.fst";
#elif VM_TRACE_SAIF
    const char *traceFile = "dump.saif";
#else
    const char *traceFile = "dump.vcd";
#endif
    bool traceOn = false;
    bool traceFlush = false;
    bool coveragePerInstance = false;

    for (int i = 1; i < argc; i++) {
        std::string arg = std::string(argv[i]);
        if (arg == "--coverage-per-instance") {
#if VM_COVERAGE
            coveragePerInstance = true;
#else
            fprintf(stderr,
                    "Error: --coverage-per-instance requires the design to be "
                    "built with coverage support\n");
            return -1;
#endif
        } else if (arg == "--trace") {
#if VM_TRACE
            traceOn = true;
#else
            fprintf(stderr,
                    "Error: --trace requires the design to be built with trace "
                    "support\n");
            return -1;
#endif
        } else if (arg == "--trace-flush") {
            traceFlush = true;
        } else if (arg == "--trace-file") {
            if (++i < argc) {
                traceFile = argv[i];
            } else {
                fprintf(stderr, "Error: --trace-file requires a parameter\n");
                return -1;
            }
        } else if (arg == "--help") {
            fprintf(
                stderr,
                "usage: %s [--coverage-per-instance] [--trace] [--trace-flush] "
                "[--trace-file TRACEFILE]\n"
                "\n"
                "cocotb + Verilator sim\n"
                "\n"
                "options:\n"
                "  --coverage-per-instance  Force per-instance coverage "
                "(requires coverage build)\n"
                "  --trace                  Enable tracing (VCD, SAIF or FST)\n"
                "  --trace-flush            Flush trace at each time step "
                "(slow)\n"
                "  --trace-file             Specify the trace file name (%s by "
                "default)\n",
                basename(argv[0]), traceFile);
            return 0;
        }
    }

    Verilated::commandArgs(argc, argv);
#if VM_COVERAGE
    coverage_per_instance = coveragePerInstance;
#endif
#ifdef VERILATOR_SIM_DEBUG
    Verilated::debug(99);
#endif
    std::unique_ptr<Vtop> top(new Vtop(""));
    g_top = top.get();
    Verilated::fatalOnVpiError(false);  // otherwise it will fail on systemtf

#ifdef VERILATOR_SIM_DEBUG
    Verilated::internalsDump();
#endif

#if VM_TRACE
    Verilated::traceEverOn(true);
    if (traceOn) {
        tfp = new verilated_trace_t;
        top->trace(tfp, 99);
        tfp->open(traceFile);
        g_tracing = true;  // every edge evaluated, so the trace shows the falling edges
    }
#endif

    vlog_startup_routines_bootstrap();
    Verilated::addExitCb([](void *) { wrap_up(); }, nullptr);
    VerilatedVpi::callCbs(cbStartOfSimulation);
    settle_value_callbacks();

    while (!Verilated::gotFinish()) {
        do {
            // We must evaluate whole design until we process all 'events' for
            // this time step
            do {
                eval_step(top.get());
                VerilatedVpi::clearEvalNeeded();
                VerilatedVpi::doInertialPuts();
                settle_value_callbacks();
            } while (VerilatedVpi::evalNeeded());

            // Run ReadWrite callback as we are done processing this eval step
            VerilatedVpi::callCbs(cbReadWriteSynch);
            VerilatedVpi::doInertialPuts();
            settle_value_callbacks();
        } while (VerilatedVpi::evalNeeded());

        top->eval_end_step();

        // Call ReadOnly callbacks
        VerilatedVpi::callCbs(cbReadOnlySynch);

#if VM_TRACE
        if (tfp) {
            tfp->dump(main_time);
            if (traceFlush) {
                tfp->flush();
            }
        }
#endif
        // cocotb controls the clock inputs using cbAfterDelay so
        // skip ahead to the next registered callback
        const vluint64_t NO_TOP_EVENTS_PENDING = static_cast<vluint64_t>(~0ULL);
        vluint64_t next_time_cocotb = VerilatedVpi::cbNextDeadline();
        vluint64_t next_time_timing =
            top->eventsPending() ? top->nextTimeSlot() : NO_TOP_EVENTS_PENDING;
        vluint64_t next_time = std::min(next_time_cocotb, next_time_timing);

        // If there are no more cbAfterDelay callbacks,
        // the next deadline is max value, so end the simulation now
        if (next_time == NO_TOP_EVENTS_PENDING) {
            break;
        } else {
            main_time = next_time;
        }

        // Call registered NextSimTime
        // It should be called in simulation cycle before everything else
        // but not on first cycle
        VerilatedVpi::callCbs(cbNextSimTime);
        settle_value_callbacks();

        // Call registered timed callbacks (e.g. clock timer)
        // These are called at the beginning of the time step
        // before the iterative regions (IEEE 1800-2012 4.4.1)
        VerilatedVpi::callTimedCbs();
        settle_value_callbacks();
    }

    top->final();

    wrap_up();

#if VM_TRACE
    if (tfp) {
        delete tfp;
        tfp = nullptr;
    }
#endif

    // Fail the sim if any assertion/error fired during the run.
    if (Verilated::threadContextp()->errorCount() > 0) {
        return 1;
    }

    return 0;
}
