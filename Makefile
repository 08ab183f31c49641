# nimo — the two commands a newcomer needs, and a few more.
#   make try    build, load the sample corpus, chat in the terminal (no Discord token needed)
#   make test   every check CI runs: formatting, clippy, all tests (on SQLite, and on a
#               throw-away PostgreSQL that scripts/with-postgres.sh starts and removes)
.PHONY: try test test-both bench dict dict-from-debian lint fmt clean-data

CARGO ?= cargo
DATA  ?= data

try: dict
	$(CARGO) build --release
	./target/release/nimo --data-dir $(DATA) ingest corpus
	./target/release/nimo --data-dir $(DATA) chat

test: dict
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets --locked -- -D warnings
	scripts/with-postgres.sh $(MAKE) --no-print-directory test-both

# Every test (SQLite, plus the tests that need PostgreSQL), then the integration tests again
# with every app they open on PostgreSQL. Needs NIMO_TEST_POSTGRES_URL (see `test`).
test-both:
	$(CARGO) test --locked
	NIMO_TEST_DATABASE=postgres $(CARGO) test --locked --test it

bench: dict
	$(CARGO) bench --locked

# lindera needs a compiled IPADIC at build time; this provides it without the internet.
dict:
	@scripts/ensure-dictionary.sh

# Rebuild the dictionary from Debian's mecab-ipadic even when a prebuilt one is around.
dict-from-debian:
	rm -rf .lindera-cache
	scripts/build-dictionary-from-debian.sh

lint:
	$(CARGO) clippy --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

clean-data:
	rm -rf $(DATA)
