// The bare Verilated cluster model clocked from C++ (issue 15): no VPI callbacks, no cocotb, no
// Python. Linked by tb/bench/speed.py (case "raw") against the objects of a cocotb build of the
// same model (its Vtop*.o and verilated*.o, everything but cocotb's main), so it measures exactly
// the model `limit_<N>` runs under cocotb. Reset for three cycles, then `cycles` cycles with every
// input at 0 (every master idle), two eval() per cycle as cocotb's clock gives.
// Prints one JSON line: {"cycles": N, "cpu_s": CPU seconds of the clocked loop, "wall_s": ...,
// "fall_wall_s": wall seconds inside the falling edges' eval()}. The falling edge changes no flop
// (nothing in the design is sensitive to it) but Verilator still runs its input region there; its
// share of the loop (fall_wall_s / wall_s, a steady_clock read around each falling eval(), tens of
// nanoseconds against tens of microseconds per cycle) says what skipping it could save. It cannot
// simply be left out: Verilator detects the rising edge against the clock seen at the last eval().
#include "Vtop.h"
#include "verilated.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>

double sc_time_stamp() { return 0; }

static double cpu_s() {
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double fall_s = 0;

static void cycle(Vtop* top) {
    top->clk = 0;
    const auto t0 = std::chrono::steady_clock::now();
    top->eval();
    fall_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    top->clk = 1;
    top->eval();
}

int main(int argc, char** argv) {
    const long n = argc > 1 ? atol(argv[1]) : 100000;
    if (n <= 0) {
        fprintf(stderr, "cycles must be > 0, not %s\n", argv[1]);
        return 2;
    }
    auto ctx = std::make_unique<VerilatedContext>();
    auto top = std::make_unique<Vtop>(ctx.get(), "");
    top->rst = 1;
    for (int i = 0; i < 3; ++i) cycle(top.get());
    top->rst = 0;
    fall_s = 0;
    const double c0 = cpu_s();
    const auto w0 = std::chrono::steady_clock::now();
    for (long i = 0; i < n; ++i) cycle(top.get());
    const double c = cpu_s() - c0;
    const double w = std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
    printf("{\"cycles\": %ld, \"cpu_s\": %.6f, \"wall_s\": %.6f, \"fall_wall_s\": %.6f}\n", n, c, w,
           fall_s);
    top->final();
    return 0;
}
