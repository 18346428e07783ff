# make bench: rb measured side by side with the alternatives on this
# machine (rule application, forwarding, bring-up, rb-verify); writes
# bench/RESULTS.md and prints it. Timing targets live here, never in
# make check. Knobs: RB_BENCH_* (see bench/RESULTS.md).
.PHONY: bench
bench: all images
	RB_BIN=$(RB_BIN) bash bench/run.sh

# One section alone, printed and not written to bench/RESULTS.md:
# make bench-one BENCH=live (bench/live.sh).
.PHONY: bench-one
bench-one: all images
	@[ -f bench/$(BENCH).sh ] && [ "$(BENCH)" != lib ] && [ "$(BENCH)" != run ] || \
		{ echo "bench-one: BENCH=name of a bench/NAME.sh section (live, fleet, ...)" >&2; exit 1; }
	RB_BIN=$(RB_BIN) bash bench/$(BENCH).sh
