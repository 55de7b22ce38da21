# Fuzzing: one libFuzzer target per tests/fuzz/fuzz_*.c, each linked with
# every src/*.c but main.c.  Included from the Makefile, or on its own:
#
#	make -f tests/fuzz.mk fuzz-check	short fixed runs, seeds first
#	make -f tests/fuzz.mk fuzz FUZZ_SECONDS=600
#
# New inputs found go to build/fuzz/corpus/NAME, never into the seed corpus
# tests/fuzz/corpus/NAME; crash reproducers go to build/fuzz/.

fuzz_goal_ := $(.DEFAULT_GOAL)

FUZZ_CC		?= clang
FUZZ_SECONDS	?= 60
FUZZ_RUNS	?= 50000
FUZZ_B		?= build/fuzz
FUZZ_FLAGS	?= -g -O1 -fno-omit-frame-pointer \
		   -fsanitize=fuzzer,address,undefined \
		   -fno-sanitize-recover=undefined
FUZZ_PKG_CONFIG	?= pkg-config
FUZZ_SSL_CFLAGS	:= $(shell $(FUZZ_PKG_CONFIG) --cflags openssl \
		   2>/dev/null)
FUZZ_SSL_LIBS	:= $(shell $(FUZZ_PKG_CONFIG) --libs openssl \
		   2>/dev/null || echo -lssl -lcrypto)
FUZZ_CFLAGS	= -std=c11 -D_GNU_SOURCE -DPOSTERN_VERSION='"fuzz"' -Isrc \
		  $(FUZZ_SSL_CFLAGS) $(FUZZ_FLAGS)

FUZZ_SRCS	:= $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_NAMES	:= $(FUZZ_SRCS:tests/fuzz/fuzz_%.c=%)
FUZZ_BINS	:= $(FUZZ_NAMES:%=$(FUZZ_B)/fuzz_%)
FUZZ_LIBSRCS	:= $(filter-out src/main.c,$(sort $(wildcard src/*.c)))
FUZZ_LIBOBJS	:= $(FUZZ_LIBSRCS:src/%.c=$(FUZZ_B)/obj/%.o)

$(FUZZ_B)/obj/%.o: src/%.c $(wildcard src/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_B)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIBOBJS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_LIBOBJS) $(FUZZ_SSL_LIBS) \
	    -lpthread

fuzz-build: $(FUZZ_BINS)

# Each target over its seeds and then mutations, up to FUZZ_RUNS inputs in
# all, the same every time (fixed seed, fresh scratch corpus); a crash, a
# leak or a failed property stops make.
fuzz-check: $(FUZZ_BINS)
	@for n in $(FUZZ_NAMES); do \
		rm -rf $(FUZZ_B)/check/$$n; \
		mkdir -p $(FUZZ_B)/check/$$n tests/fuzz/corpus/$$n || exit 1; \
		echo "fuzz-check: $$n ($(FUZZ_RUNS) runs)"; \
		$(FUZZ_B)/fuzz_$$n -runs=$(FUZZ_RUNS) -seed=1 \
		    -artifact_prefix=$(FUZZ_B)/$$n- \
		    $(FUZZ_B)/check/$$n tests/fuzz/corpus/$$n \
		    >$(FUZZ_B)/$$n.log 2>&1 || \
		    { tail -n 40 $(FUZZ_B)/$$n.log; \
		      echo "fuzz-check: $$n FAILED (log: $(FUZZ_B)/$$n.log)"; \
		      exit 1; }; \
	done

# Each target for FUZZ_SECONDS; the last status line of each is shown.
fuzz: $(FUZZ_BINS)
	@for n in $(FUZZ_NAMES); do \
		mkdir -p $(FUZZ_B)/corpus/$$n tests/fuzz/corpus/$$n || exit 1; \
		echo "fuzz: $$n for $(FUZZ_SECONDS) s"; \
		$(FUZZ_B)/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) \
		    -print_final_stats=1 -artifact_prefix=$(FUZZ_B)/$$n- \
		    $(FUZZ_B)/corpus/$$n tests/fuzz/corpus/$$n \
		    >$(FUZZ_B)/$$n.log 2>&1; st=$$?; \
		grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' \
		    $(FUZZ_B)/$$n.log | tail -n 1; \
		grep -E '^stat::(number_of_executed|average_exec)' \
		    $(FUZZ_B)/$$n.log; \
		if [ $$st -ne 0 ]; then tail -n 40 $(FUZZ_B)/$$n.log; \
		    echo "fuzz: $$n FAILED (log: $(FUZZ_B)/$$n.log)"; \
		    exit 1; fi; \
	done

.PHONY: fuzz fuzz-check fuzz-build
.SECONDARY: $(FUZZ_LIBOBJS)

# Leave the including Makefile's default goal alone.
.DEFAULT_GOAL := $(fuzz_goal_)
