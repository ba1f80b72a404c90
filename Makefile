# kvmexitstat — build into $(O) (default build/), never into the tree.
#   make                 build build/kvmexitstat
#   make check           install test dependencies, build, run every test
#   make check-asan      the unit and CLI tests under ASan + UBSan
#   make run             the main job (see README)
#   make bench           benchmarks (bench/README.md)
#   make install PREFIX=/usr/local DESTDIR=
#   make clean
# V=1 shows the commands.

O ?= build
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
COMPLETIONSDIR ?= $(PREFIX)/share/bash-completion/completions
CC ?= cc
CFLAGS ?= -O2 -g
# Flags the code needs; CFLAGS (optimisation, sanitizers) may be set on the command line.
# src/: model/ (the snapshot, reasons, health), util/, traces/ (text and
# trace.dat into the model), kvm/ (the BPF loaders, KVM's binary stats),
# live/ (the engine, its sources and the sink interface), sinks/ (outputs),
# commands/ (the command line)
SRC_DIRS := model util traces kvm live sinks commands
ALL_CFLAGS = -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Wshadow -Wstrict-prototypes -Wformat=2 \
	$(SRC_DIRS:%=-Isrc/%) $(CFLAGS)
LDLIBS = -lm -pthread
BPF_LIBS = -lbpf -lelf -lz
STORE_LIBS = -lsqlite3 -lncursesw

ifeq ($(V),1)
Q =
msg = @true
else
Q = @
msg = @printf '  %-8s %s\n' $(1) $(2)
endif

LIB_SRCS := src/kvm/bpf_log.c src/model/reasons.c src/model/detail.c src/model/kvm_counters.c src/util/numparse.c src/util/text.c src/model/health.c \
	src/model/snapshot.c src/traces/trace_line.c src/traces/quoted_printable.c src/traces/importer.c \
	src/traces/importer_parallel.c src/sinks/render.c src/sinks/prom.c
CLI_SRCS := src/commands/main.c src/commands/cmd_report.c src/commands/cmd_reasons.c src/commands/cmd_live.c \
	src/commands/cmd_top.c src/commands/cmd_serve.c src/commands/cmd_record.c src/commands/cmd_plot.c \
	src/live/live_opts.c src/live/engine.c src/live/live_run.c src/live/source_tracepoint.c \
	src/live/source_vcpu_stats.c src/live/vm_names.c src/live/host_kvm.c \
	src/sinks/sink_print.c src/sinks/sink_store.c src/sinks/sink_prom.c src/sinks/sink_top.c \
	src/sinks/store.c src/sinks/plot.c src/sinks/top.c \
	src/kvm/exitstat_bpf.c src/kvm/vcpustats_bpf.c src/kvm/kvm_stats.c src/kvm/bpf_util.c \
	src/traces/trace_intervals.c src/traces/guest_symbols.c
FUZZ_TARGETS := fuzz_trace fuzz_klog fuzz_store fuzz_numparse fuzz_http
UNIT_TESTS := test_bpf_log test_reasons test_detail test_numparse test_text test_quoted_printable test_snapshot test_trace_line test_importer test_render test_prom test_trace_dat test_guest_symbols test_store

GEN_SRCS := exitgen/main.c exitgen/vm.c
GEN_OBJS := $(GEN_SRCS:exitgen/%.c=$(O)/obj/exitgen/%.o) $(O)/obj/exitgen/guest.o $(O)/obj/util/numparse.o \
	$(O)/obj/live/host_kvm.o $(O)/obj/kvm/kvm_stats.o

LIB_OBJS := $(LIB_SRCS:src/%.c=$(O)/obj/%.o)
CLI_OBJS := $(CLI_SRCS:src/%.c=$(O)/obj/%.o)
UNIT_BINS := $(UNIT_TESTS:%=$(O)/tests/%)

.PHONY: fuzz check-fuzz bench-kernel all check check-asan check-vm test test-prereqs deps run bench bench-live install clean static vm-image kernel experiment
all: $(O)/kvmexitstat $(O)/kvmexitgen

# BPF: .bpf.c -> .bpf.o -> .skel.h (bpftool), included by its loader of the
# same name (bpf/exitstat.bpf.c: src/kvm/exitstat_bpf.c; vcpustats: vcpustats_bpf.c).
# bpf/vmlinux.h is committed (Debian 6.1's BTF): the build does not depend
# on the kernel it runs on.
BPF_CLANG ?= clang
$(O)/bpf/%.bpf.o: bpf/%.bpf.c bpf/*.h src/model/detail_codes.h | $(O)/bpf
	$(call msg,BPF,$@)
	$(Q)$(BPF_CLANG) -g -O2 -target bpf -D__TARGET_ARCH_x86 -Ibpf -Isrc/model -c $< -o $@

$(O)/bpf/%.skel.h: $(O)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)bpftool gen skeleton $< name $*_bpf >$@

$(O)/obj/kvm/exitstat_bpf.o: $(O)/bpf/exitstat.skel.h
$(O)/obj/kvm/vcpustats_bpf.o: $(O)/bpf/vcpustats.skel.h
$(O)/obj/kvm/exitstat_bpf.o $(O)/obj/kvm/vcpustats_bpf.o: ALL_CFLAGS += -I$(O)/bpf -Ibpf

$(O)/obj/%.o: src/%.c $(wildcard src/*/*.h) | $(O)/obj
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(O)/obj/exitgen/%.o: exitgen/%.c $(wildcard exitgen/*.h) src/util/numparse.h | $(O)/obj/exitgen
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Iexitgen -c $< -o $@

$(O)/obj/exitgen/guest.o: exitgen/guest.S exitgen/guest.h | $(O)/obj/exitgen
	$(call msg,AS,$@)
	$(Q)$(CC) -Iexitgen -c $< -o $@

$(O)/kvmexitgen: $(GEN_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

# serve's HTTP side; the static build takes src/sinks/serve_none.c instead
SERVE_OBJ ?= $(O)/obj/sinks/serve.o
HTTP_LIBS ?= -lmicrohttpd
# trace.dat reading (libtracecmd); the static build takes src/traces/trace_dat_none.c
TRACE_DAT_OBJ ?= $(O)/obj/traces/trace_dat.o
TRACE_DAT_LIBS ?= -ltracecmd -ltraceevent
TRACE_DAT_CFLAGS := $(or $(shell pkg-config --cflags libtracecmd 2>/dev/null),-I/usr/include/trace-cmd -I/usr/include/traceevent -I/usr/include/tracefs)
$(O)/obj/traces/trace_dat.o: ALL_CFLAGS += $(TRACE_DAT_CFLAGS)
$(O)/tests/test_trace_dat: $(O)/obj/traces/trace_dat.o
$(O)/tests/test_trace_dat: ALL_CFLAGS += $(TRACE_DAT_CFLAGS)
$(O)/tests/test_trace_dat: LDLIBS += $(O)/obj/traces/trace_dat.o -ltracecmd -ltraceevent
$(O)/tests/test_guest_symbols: $(O)/obj/traces/guest_symbols.o
$(O)/tests/test_guest_symbols: LDLIBS += $(O)/obj/traces/guest_symbols.o -lelf
$(O)/tests/test_store: $(O)/obj/sinks/store.o
$(O)/tests/test_store: LDLIBS += $(O)/obj/sinks/store.o -lsqlite3

$(O)/kvmexitstat: $(CLI_OBJS) $(LIB_OBJS) $(SERVE_OBJ) $(TRACE_DAT_OBJ) $(STATIC_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $^ -o $@ $(BPF_LIBS) $(STORE_LIBS) $(HTTP_LIBS) $(TRACE_DAT_LIBS) $(LDLIBS)

$(O)/tests/%: tests/unit/%.c $(LIB_OBJS) $(wildcard tests/unit/*.h src/*/*.h) | $(O)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -Itests/unit $< $(LIB_OBJS) -o $@ $(LDLIBS) -lcmocka

$(O)/obj $(O)/obj/exitgen $(O)/tests $(O)/helpers $(O)/bpf:
	$(Q)mkdir -p $@

# Test dependencies come from Debian; the script installs what is missing.
deps:
	$(Q)tests/deps.sh

$(O)/helpers/%: tests/helpers/%.c | $(O)/helpers
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $< -o $@

$(O)/helpers/bpfprogs: tests/helpers/bpfprogs.c | $(O)/helpers
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $< -o $@ $(BPF_LIBS)

test-prereqs: $(O)/kvmexitstat $(O)/kvmexitgen $(UNIT_BINS) $(O)/helpers/deny vm-image kernel $(FUZZ_TARGETS:%=$(O)/fuzz/%)

test: test-prereqs
	$(Q)O=$(O) RUN_VM=1 FUZZ_REPLAY=1 tests/run.sh

# KVM's modules rebuilt from Debian's linux-source-6.1: stock, and with the
# patch series in kernel/patches (kernel/build.sh).
kernel:
	$(Q)$(MAKE) --no-print-directory -C kernel O=$(abspath $(O))

# The testbeds' images (tests/vm/testbed.sh): nested SVM under QEMU, one per
# guest kernel (scripts/kernels.bash), and VMX under Bochs (6.1); and their
# tests alone.
TESTBED_KERNELS ?= 6.1 6.12
vm-image: static
	$(Q)for k in $(TESTBED_KERNELS); do O=$(O) TESTBED_KERNEL=$$k tests/vm/testbed.sh build || exit; done
	$(Q)O=$(O) TESTBED_KERNEL=6.1 TESTBED_ISA=vmx tests/vm/testbed.sh build

check-vm: deps
	$(Q)$(MAKE) --no-print-directory $(O)/kvmexitstat $(O)/kvmexitgen vm-image kernel
	$(Q)O=$(O) RUN_VM=only tests/run.sh

# every stage runs even when one fails; one summary of all ends it
check: deps
	$(Q)MAKE="$(MAKE)" O=$(O) tests/check.sh

check-asan:
	$(Q)$(MAKE) --no-print-directory O=$(O)/asan CC=clang \
		CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all -Werror" \
		LDFLAGS="-fsanitize=address,undefined" $(O)/asan/kvmexitstat $(O)/asan/kvmexitgen $(O)/asan/helpers/deny \
		$(UNIT_TESTS:%=$(O)/asan/tests/%)
	$(Q)O=$(O)/asan SUITE=asan tests/run.sh

# Static binaries for the testbed's initramfs (no libraries inside it).
static:
	$(Q)$(MAKE) --no-print-directory O=$(O)/static LDFLAGS="-static -Wl,--wrap=dlopen,--wrap=dlsym,--wrap=dlclose,--wrap=dlerror" BPF_LIBS="-lbpf -lelf -lz -lzstd" STATIC_OBJS='$$(O)/obj/commands/static_nodl.o' \
		SERVE_OBJ='$$(O)/obj/sinks/serve_none.o' HTTP_LIBS= TRACE_DAT_OBJ='$$(O)/obj/traces/trace_dat_none.o' TRACE_DAT_LIBS= STORE_LIBS="-lsqlite3 -lncursesw -ltinfo" \
		$(O)/static/kvmexitstat $(O)/static/kvmexitgen $(O)/static/helpers/deny $(O)/static/helpers/fifo $(O)/static/helpers/bpfprogs $(O)/static/helpers/holdvcpu \
		$(O)/static/helpers/pty

# The main job: live exit statistics (scripts/run-live.sh: on this host when
# it has VMX/SVM, else inside the nested-SVM testbed), kvmexitgen as workload;
# GUEST=linux: a booting Linux guest instead.
GUEST ?= kvmexitgen
run: deps
	$(Q)$(MAKE) --no-print-directory $(O)/kvmexitstat $(O)/kvmexitgen vm-image
	$(Q)O=$(O) GUEST=$(GUEST) scripts/run-live.sh

# The classic exit-count study in both testbeds (tests/vm/experiment.sh):
# the report in $(O)/experiment/report.md.
EXPERIMENT_ISAS ?= svm vmx
experiment: deps
	$(Q)$(MAKE) --no-print-directory $(O)/kvmexitstat $(O)/kvmexitgen vm-image kernel
	$(Q)O=$(O) tests/vm/experiment.sh $(EXPERIMENT_ISAS)

bench: $(O)/kvmexitstat $(O)/kvmexitgen vm-image
	bench/report_bench.sh
	O=$(O) bench/exitgen_bench.sh
	O=$(O) bench/stats_cost.sh

# libFuzzer targets (tests/fuzz/README.md): make fuzz runs each for
# FUZZ_TIME seconds on a corpus in $(O)/fuzz; check-fuzz (in make check)
# replays the seeds and the inputs that once crashed.
FUZZ_TIME ?= 600
FUZZ_SRCS := $(LIB_SRCS) src/sinks/store.c src/sinks/serve.c

$(O)/fuzz/%: tests/fuzz/%.c $(FUZZ_SRCS) $(wildcard src/*/*.h)
	@mkdir -p $(@D)
	$(call msg,FUZZ,$@)
	$(Q)clang $(ALL_CFLAGS) -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all $< $(FUZZ_SRCS) \
		-o $@ -lsqlite3 -lmicrohttpd $(LDLIBS)

fuzz: deps $(FUZZ_TARGETS:%=$(O)/fuzz/%)
	$(Q)for t in $(FUZZ_TARGETS); do \
		mkdir -p $(O)/fuzz/corpus-$$t $(O)/fuzz/crash-$$t; \
		echo "== $$t: $(FUZZ_TIME) s"; \
		$(O)/fuzz/$$t -max_total_time=$(FUZZ_TIME) -print_final_stats=1 -artifact_prefix=$(O)/fuzz/crash-$$t/ \
			$(O)/fuzz/corpus-$$t tests/fuzz/corpus/$$t 2>&1 | tee $(O)/fuzz/$$t.log | grep -E "^(#[0-9]+ +DONE|stat::|==[0-9]+==ERROR)"; \
	done

check-fuzz: $(FUZZ_TARGETS:%=$(O)/fuzz/%)
	$(Q)O=$(O) tests/fuzz/replay.sh $(FUZZ_TARGETS)

# What the live collector costs each exit, against perf kvm stat and tracefs.
bench-live: vm-image
	O=$(O) bench/live_cost.sh
	O=$(O) bench/live_rss.sh
	O=$(O) TESTBED_ISA=vmx bench/stop_time.sh

# What the kernel patch series costs a CPUID exit, against stock KVM and the
# naive counter (kernel/naive).
bench-kernel: vm-image kernel $(O)/bench/counter_contention
	O=$(O) bench/kernel_cost.sh
	$(O)/bench/counter_contention

$(O)/bench/counter_contention: bench/counter_contention.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< -pthread

install: $(O)/kvmexitstat $(O)/kvmexitgen
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(COMPLETIONSDIR)
	install -m 0755 $(O)/kvmexitstat $(DESTDIR)$(BINDIR)/kvmexitstat
	install -m 0755 $(O)/kvmexitgen $(DESTDIR)$(BINDIR)/kvmexitgen
	install -m 0644 docs/man/kvmexitstat.1 docs/man/kvmexitgen.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 completions/kvmexitstat.bash $(DESTDIR)$(COMPLETIONSDIR)/kvmexitstat
	ln -sf kvmexitstat $(DESTDIR)$(COMPLETIONSDIR)/kvmexitgen

clean:
	rm -rf $(O)
