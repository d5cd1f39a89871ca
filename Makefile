# FinSent Monitor. `make run` and `make test` install missing system packages first.
PREFIX     ?= /usr/local
CONFIG     ?= config.json
SWIFT_JOBS ?= 2
SYSCONFDIR ?= /etc/finsent
STATEDIR   ?= /var/lib/finsent
UNITDIR    ?= /etc/systemd/system
DATADIR    ?= $(PREFIX)/share/finsent

.PHONY: run test build deps install uninstall migrations bench demo clean

deps:
	@scripts/install-deps.sh

build: deps
	swift build -c release -j $(SWIFT_JOBS)

run: build
	.build/release/monitord --config $(CONFIG)

# The offline demo: replayed local feeds, monitord, a webhook receiver, the risk report (Ctrl-C stops it).
demo: build
	.build/release/monitorctl demo --root .

# The PostgreSQL tests start their own server (initdb in a temporary folder, a free port on 127.0.0.1).
test:
	@scripts/install-deps.sh --tests
	scripts/fetch-test-models.sh
	swift build --build-tests -j $(SWIFT_JOBS)
	swift test --skip-build

# Speed against Hugging Face tokenizers and ONNX Runtime (needs tools/*/requirements.txt).
bench: deps
	scripts/fetch-test-models.sh
	swift build -c release -j $(SWIFT_JOBS) --product monitorctl
	python3 tools/tokenizer/bench.py
	python3 tools/engine/bench.py
	swift build -c release -j $(SWIFT_JOBS)
	python3 tools/pipeline/bench.py

# Regenerate the migrations compiled into the binary after adding migrations/NNNN_*.sql.
migrations:
	scripts/embed-migrations.sh

install: build
	install -D -m 0755 .build/release/monitord $(DESTDIR)$(PREFIX)/bin/monitord
	install -D -m 0755 .build/release/monitorctl $(DESTDIR)$(PREFIX)/bin/monitorctl
	install -d $(DESTDIR)$(DATADIR)/migrations
	install -m 0644 migrations/*.sql $(DESTDIR)$(DATADIR)/migrations/
	if [ -d models ]; then cp -R models $(DESTDIR)$(DATADIR)/; fi
	install -D -m 0644 README.md $(DESTDIR)$(PREFIX)/share/doc/finsent/README.md
	sed 's|/usr/local/bin/monitord|$(PREFIX)/bin/monitord|; s|/etc/finsent|$(SYSCONFDIR)|g' systemd/monitord.service \
	  | install -D -m 0644 /dev/stdin $(DESTDIR)$(UNITDIR)/monitord.service
	# The default configuration, with paths for a system install; an existing one is kept.
	if [ ! -e $(DESTDIR)$(SYSCONFDIR)/config.json ]; then \
	  sed 's|"var/monitor.sqlite"|"$(STATEDIR)/monitor.sqlite"|; s|"models/|"$(DATADIR)/models/|' config.json \
	    | install -D -m 0644 /dev/stdin $(DESTDIR)$(SYSCONFDIR)/config.json; \
	fi
	@echo "Installed. Next: systemctl daemon-reload && systemctl enable --now monitord"

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/monitord $(DESTDIR)$(PREFIX)/bin/monitorctl $(DESTDIR)$(UNITDIR)/monitord.service
	rm -rf $(DESTDIR)$(DATADIR) $(DESTDIR)$(PREFIX)/share/doc/finsent
	@echo "Kept $(SYSCONFDIR) and $(STATEDIR) (configuration and database)."

clean:
	rm -rf .build
