# make fragment for postern's benchmark (bench/README.md).  The Makefile
# includes it; until then, from the repository's root:
#     make -f bench/bench.mk bench-quick
#
#   bench        1 GiB transfers, 10,000 round trips, 3 runs of each
#   bench-quick  64 MiB and 1,000: proves the harness works (CI)
#   bench-analyze  strace / callgrind / ld.so / smaps evidence
#
# Both install the peers from Debian's packages when run as root and
# missing (bench/deps.sh), build postern with `$(MAKE) all` and the C
# helpers below with cc -O2, and write bench/results/latest.md and
# bench/results/chart.png (copied to bench/chart.png).

# Keep the including Makefile's default goal.
_bench_saved_goal := $(.DEFAULT_GOAL)

BENCH_DIR	?= build/bench
BENCH_CC	?= cc
BENCH_CFLAGS	?= -O2 -Wall -Wextra
BENCH_PROGS	= fastproxy discard source echo sink pingpong launch thinrelay
BENCH_BINS	= $(BENCH_PROGS:%=$(BENCH_DIR)/%)
BENCH_POSTERN	?= $(or $(B),build)/postern
BENCH_ARGS	?=
BENCH_RUN	= --postern $(BENCH_POSTERN) --bindir $(BENCH_DIR) $(BENCH_ARGS)

$(BENCH_DIR)/%: bench/%.c bench/common.h
	@mkdir -p $(@D)
	$(BENCH_CC) $(BENCH_CFLAGS) -D_GNU_SOURCE -o $@ $< -lpthread

bench-bins: $(BENCH_BINS)

bench-postern:
	$(MAKE) all

bench: bench-postern bench-bins
	bench/run $(BENCH_RUN)

bench-quick: bench-postern bench-bins
	bench/run --quick $(BENCH_RUN)

# Where the cost goes: strace, callgrind, ld.so and smaps figures for
# postern and the peers (bench/results/analysis.md); a few minutes.
bench-analyze: bench-postern bench-bins
	python3 bench/analyze.py --postern $(BENCH_POSTERN) --bindir $(BENCH_DIR)

.PHONY: bench bench-quick bench-analyze bench-bins bench-postern

.DEFAULT_GOAL := $(_bench_saved_goal)
