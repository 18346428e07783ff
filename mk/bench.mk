# make bench: rb measured side by side with the alternatives on this
# machine (rule application, forwarding, bring-up, rb-verify); writes
# bench/RESULTS.md and prints it. Timing targets live here, never in
# make check. Knobs: RB_BENCH_* (see bench/RESULTS.md).
.PHONY: bench
bench: all images
	RB_BIN=$(RB_BIN) bash bench/run.sh
