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
# bench/results/chart.png (copied to bench/chart.png by `bench` only).
#
#   make bench BENCH_PREVIOUS=<git rev>   (bench-quick too)
# also builds that revision, from `git archive`, in
# build/bench-prev/<short commit> (reused while it holds that commit)
# and runs it beside the current build: a "postern <rev> (previous)"
# row in every section and "postern ÷ previous" ratio rows.

# Keep the including Makefile's default goal.
_bench_saved_goal := $(.DEFAULT_GOAL)

BENCH_DIR	?= build/bench
BENCH_CC	?= cc
BENCH_CFLAGS	?= -O2 -Wall -Wextra
BENCH_PROGS	= fastproxy discard source echo sink pingpong launch thinrelay \
		  echod tunnels
BENCH_BINS	= $(BENCH_PROGS:%=$(BENCH_DIR)/%)
BENCH_POSTERN	?= $(or $(B),build)/postern
BENCH_ARGS	?=
BENCH_PREVIOUS	?=
BENCH_PREV_ROOT	?= build/bench-prev
BENCH_PREV_DEP	=
BENCH_PREV_ARGS	=
ifneq ($(strip $(BENCH_PREVIOUS)),)
BENCH_PREV_COMMIT := $(shell git rev-parse --verify --quiet '$(BENCH_PREVIOUS)^{commit}' 2>/dev/null)
BENCH_PREV_SHORT := $(if $(BENCH_PREV_COMMIT),$(shell git rev-parse --short $(BENCH_PREV_COMMIT)))
BENCH_PREV_DIR	= $(BENCH_PREV_ROOT)/$(BENCH_PREV_SHORT)
BENCH_PREV_DEP	= bench-previous
BENCH_PREV_ARGS	= --previous $(BENCH_PREV_DIR)/build/postern \
		  --previous-label $(BENCH_PREV_SHORT)
endif
BENCH_RUN	= --postern $(BENCH_POSTERN) --bindir $(BENCH_DIR) \
		  $(BENCH_PREV_ARGS) $(BENCH_ARGS)

$(BENCH_DIR)/%: bench/%.c bench/common.h
	@mkdir -p $(@D)
	$(BENCH_CC) $(BENCH_CFLAGS) -D_GNU_SOURCE -o $@ $< -lpthread

bench-bins: $(BENCH_BINS)

bench-postern:
	$(MAKE) all

# The previous build: the revision's tree from `git archive` (no worktree,
# nothing in .git changes), made with its own Makefile into <dir>/build.
# The command line's CFLAGS and the like reach it as they reach `all`.
bench-previous:
	$(if $(BENCH_PREV_COMMIT),,$(error BENCH_PREVIOUS=$(BENCH_PREVIOUS) is not a commit here))
	@d='$(BENCH_PREV_DIR)'; \
	if [ "$$(cat "$$d/.bench-commit" 2>/dev/null)" != '$(BENCH_PREV_COMMIT)' ]; then \
		echo "bench: $(BENCH_PREVIOUS) ($(BENCH_PREV_SHORT)) from git archive into $$d"; \
		rm -rf "$$d" "$$d.tar" && mkdir -p "$$d" && \
		git archive -o "$$d.tar" '$(BENCH_PREV_COMMIT)' && \
		tar -xf "$$d.tar" -C "$$d" && rm -f "$$d.tar" && \
		echo '$(BENCH_PREV_COMMIT)' >"$$d/.bench-commit" || exit 1; \
	fi
	$(MAKE) -C $(BENCH_PREV_DIR) all B=build BENCH_PREVIOUS=

bench: bench-postern bench-bins $(BENCH_PREV_DEP)
	bench/run $(BENCH_RUN)

bench-quick: bench-postern bench-bins $(BENCH_PREV_DEP)
	bench/run --quick $(BENCH_RUN)

# Where the cost goes: strace, callgrind, ld.so and smaps figures for
# postern and the peers (bench/results/analysis.md); a few minutes.
bench-analyze: bench-postern bench-bins
	python3 bench/analyze.py --postern $(BENCH_POSTERN) --bindir $(BENCH_DIR)

.PHONY: bench bench-quick bench-analyze bench-bins bench-postern \
	bench-previous

.DEFAULT_GOAL := $(_bench_saved_goal)
