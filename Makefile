# FinSent Monitor. `make run` and `make test` install missing system packages first.
PREFIX     ?= /usr/local
CONFIG     ?= config.json
SWIFT_JOBS ?= 2
# Seconds of fuzzing per target at the end of `make test`.
FUZZ_SECONDS ?= 20
SYSCONFDIR ?= /etc/finsent
STATEDIR   ?= /var/lib/finsent
UNITDIR    ?= /etc/systemd/system
DATADIR    ?= $(PREFIX)/share/finsent
# Where install takes the binaries from (the tests install a debug build: make -o build install BUILDDIR=.build/debug).
BUILDDIR   ?= .build/release

.PHONY: run test build deps install uninstall migrations bench demo screenshots fuzz clean

deps:
	@scripts/install-deps.sh

build: deps
	swift build -c release -j $(SWIFT_JOBS)

run: build
	.build/release/monitord --config $(CONFIG)

# The offline demo: replayed local feeds, monitord, a webhook receiver, the risk report (Ctrl-C stops it).
demo: build
	.build/release/monitorctl demo

# The README's dashboard pictures: the browser test (headless Chromium) against monitord with the demo's headlines.
screenshots:
	@scripts/install-deps.sh --tests
	swift build --build-tests -j $(SWIFT_JOBS)
	FINSENT_SCREENSHOTS=docs/screenshots swift test --skip-build --filter DashboardBrowserTests

# The PostgreSQL tests start their own server (initdb in a temporary folder, a free port on 127.0.0.1).
test:
	@scripts/install-deps.sh --tests
	scripts/fetch-test-models.sh
	swift build --build-tests -j $(SWIFT_JOBS)
	swift test --skip-build --skip DashboardBrowserTests
	# Headless Chromium runs on its own, so its processes cannot starve the timing-sensitive tests.
	swift test --skip-build --filter DashboardBrowserTests
	# A short libFuzzer run of every parser of untrusted bytes (FUZZ_SECONDS=0 skips it; scripts/fuzz.sh for long runs).
	if [ "$(FUZZ_SECONDS)" != 0 ]; then FUZZ_CONFIG=debug scripts/fuzz.sh --all $(FUZZ_SECONDS); fi

# Speed against Hugging Face tokenizers and ONNX Runtime (needs tools/*/requirements.txt).
bench: deps
	scripts/fetch-test-models.sh
	swift build -c release -j $(SWIFT_JOBS) --product monitorctl
	python3 tools/tokenizer/bench.py
	python3 tools/engine/bench.py
	swift build -c release -j $(SWIFT_JOBS)
	python3 tools/pipeline/bench.py

# One target for a long run: make fuzz TARGET=feed SECONDS=3600 (scripts/fuzz.sh --list names the targets).
fuzz:
	scripts/fuzz.sh $(TARGET) $(SECONDS)

# Regenerate the migrations compiled into the binary after adding migrations/NNNN_*.sql.
migrations:
	scripts/embed-migrations.sh

install: build
	install -D -m 0755 -s $(BUILDDIR)/monitord $(DESTDIR)$(PREFIX)/bin/monitord
	install -D -m 0755 -s $(BUILDDIR)/monitorctl $(DESTDIR)$(PREFIX)/bin/monitorctl
	install -d $(DESTDIR)$(DATADIR)/migrations $(DESTDIR)$(DATADIR)/demo
	install -m 0644 migrations/*.sql $(DESTDIR)$(DATADIR)/migrations/
	install -m 0644 demo/config.json demo/timeline.jsonl $(DESTDIR)$(DATADIR)/demo/
	if [ -d models ]; then cp -R models $(DESTDIR)$(DATADIR)/; fi
	install -D -m 0644 README.md $(DESTDIR)$(PREFIX)/share/doc/finsent/README.md
	# Shell completions (--format, --sort and other fixed values complete too).
	$(BUILDDIR)/monitorctl --generate-completion-script bash | install -D -m 0644 /dev/stdin $(DESTDIR)$(PREFIX)/share/bash-completion/completions/monitorctl
	$(BUILDDIR)/monitorctl --generate-completion-script zsh | install -D -m 0644 /dev/stdin $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_monitorctl
	$(BUILDDIR)/monitorctl --generate-completion-script fish | install -D -m 0644 /dev/stdin $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/monitorctl.fish
	sed 's|/usr/local/bin/monitord|$(PREFIX)/bin/monitord|; s|/etc/finsent|$(SYSCONFDIR)|g' systemd/monitord.service \
	  | install -D -m 0644 /dev/stdin $(DESTDIR)$(UNITDIR)/monitord.service
	# The default configuration, with paths for a system install; an existing one is kept.
	if [ ! -e $(DESTDIR)$(SYSCONFDIR)/config.json ]; then \
	  sed 's|"var/monitor.sqlite"|"$(STATEDIR)/monitor.sqlite"|; s|"models/|"$(DATADIR)/models/|' config.json \
	    | install -D -m 0644 /dev/stdin $(DESTDIR)$(SYSCONFDIR)/config.json; \
	fi
	# Secrets for the unit's EnvironmentFile=, readable by root only; an existing one is kept.
	if [ ! -e $(DESTDIR)$(SYSCONFDIR)/monitord.env ]; then \
	  install -D -m 0600 systemd/monitord.env $(DESTDIR)$(SYSCONFDIR)/monitord.env; \
	fi
	@echo "Installed monitord and monitorctl in $(PREFIX)/bin, the model and demo in $(DATADIR)."
	@echo "Configuration: $(SYSCONFDIR)/config.json (secrets: $(SYSCONFDIR)/monitord.env); database: $(STATEDIR)/monitor.sqlite."
	@echo "Next:"
	@echo "  monitorctl config check --config $(SYSCONFDIR)/config.json"
	@echo "  systemctl daemon-reload && systemctl enable --now monitord"
	@echo "  journalctl -u monitord -f        (then: monitorctl query --config $(SYSCONFDIR)/config.json)"

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/monitord $(DESTDIR)$(PREFIX)/bin/monitorctl $(DESTDIR)$(UNITDIR)/monitord.service
	rm -f $(DESTDIR)$(PREFIX)/share/bash-completion/completions/monitorctl $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_monitorctl
	rm -f $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/monitorctl.fish
	rm -rf $(DESTDIR)$(DATADIR) $(DESTDIR)$(PREFIX)/share/doc/finsent
	@echo "Kept $(SYSCONFDIR) and $(STATEDIR) (configuration, secrets and database)."

clean:
	rm -rf .build
