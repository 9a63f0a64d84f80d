# Convenience wrappers around tools/dev.sh (which also installs packages).
.PHONY: run test bench
run:
	./tools/dev.sh run
test:
	./tools/dev.sh test
bench:
	./tools/dev.sh bench
