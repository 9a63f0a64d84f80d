# Convenience wrappers around tools/dev.sh (which also installs packages).
.PHONY: run run-mqtt test bench
run:
	./tools/dev.sh run
run-mqtt:
	./tools/dev.sh run-mqtt
test:
	./tools/dev.sh test
bench:
	./tools/dev.sh bench
