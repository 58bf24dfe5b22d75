# luciapg developer tasks. `make help` lists them.

GO            ?= go
# Tools pinned in tools/go.mod. -modfile cannot be used in workspace mode
# (go.work), hence GOWORK=off; staticcheck must load each module's packages
# through go.work, so it runs as the binary `go tool -n` builds and names.
TOOL          := GOWORK=off $(GO) tool -modfile=$(CURDIR)/tools/go.mod
STATICCHECK    = $$($(TOOL) -n staticcheck)
DATABASE_URL  ?= postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
# A scratch database, created and dropped by `make generate` to dump the schema.
SCHEMA_DUMP_URL ?= postgres://postgres@127.0.0.1:5432/luciapg_schema_dump?sslmode=disable
# luciapg's own migrations table: the same one Migrate uses, not the
# application's schema_migrations.
MIGRATIONS_TABLE := luciapg_schema_migrations
DBMATE        := $(TOOL) dbmate --migrations-dir db/migrations --migrations-table $(MIGRATIONS_TABLE)

.DEFAULT_GOAL := help

# Modules (docs/development.md): the library at the root needs only pgx,
# golang.org/x and golang-lru; cmd/luciapg, auth/passkey, examples, bench,
# internal/pgserver, internal/oauthprovider and auth/oauth/e2e are modules
# of their own, tied together by go.work, so that what only the CLI,
# passkeys (go-webauthn), the demos, the benchmarks, the Docker fallback
# or the test OAuth provider (used by the end-to-end tests and the
# examples' tests) need never reaches a library user's go.sum. .ci/modules runs a step in each of them.
#
# Nothing is published yet, so the submodules require the library (and
# internal/oauthprovider, where their tests use it) at the placeholder
# v0.0.0-00010101000000-000000000000, with no replace in their go.mod (a
# replace would break `go install .../cmd/luciapg@VERSION`).
# - Builds and tests: go.work maps the placeholders onto their directories.
# - go mod tidy ignores go.work: .ci/modules tidies and checks each
#   submodule against a temporary go.mod that adds a replace for every
#   other workspace module (-modfile), so every line but those modules' own
#   checksums (which need a published version) is exactly what tidy writes.
# - Installing: .ci/install-check runs `go install ./cmd/luciapg` in a fresh
#   clone, and `go install .../cmd/luciapg@<placeholder>` against a
#   GOPROXY=file:// proxy built from this tree, with GOWORK=off.
# - A release tags the library, raises the submodules' requirement to the
#   tag, and runs `make tidy`.
MODULES       := .ci/modules
# Runs a command with TEST_DATABASE_URL (or -env NAME) set to the server it
# names, else the local server (PGSERVER_LOCAL names another), else a
# testcontainers PostgreSQL in Docker, else an embedded PostgreSQL it
# starts itself (LUCIAPG_PG_BINARIES: binaries on disk instead of a
# download; docs/development.md).
PGSERVER      := $(GO) run ./internal/pgserver

.PHONY: help
help: ## Show this list.
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

.PHONY: generate
generate: ## Regenerate dbgen/ with sqlc and db/schema.sql from the migrations.
	$(TOOL) sqlc generate
	$(DBMATE) --url "$(SCHEMA_DUMP_URL)" --schema-file db/schema.sql drop >/dev/null 2>&1 || true
	$(DBMATE) --url "$(SCHEMA_DUMP_URL)" --schema-file db/schema.sql create
	$(DBMATE) --url "$(SCHEMA_DUMP_URL)" --schema-file db/schema.sql up
	$(DBMATE) --url "$(SCHEMA_DUMP_URL)" --schema-file db/schema.sql drop
	@# Server and pg_dump versions vary between machines; the schema does not.
	sed -i '/^-- Dumped \(from\|by\) /d' db/schema.sql

.PHONY: migrate
migrate: ## Apply pending migrations to DATABASE_URL with the dbmate CLI.
	$(DBMATE) --url "$(DATABASE_URL)" --no-dump-schema up

.PHONY: new-migration
new-migration: ## Create db/migrations/<timestamp>_$(name).sql (make new-migration name=add_x).
	@test -n "$(name)" || { echo "usage: make new-migration name=<what_it_does>"; exit 2; }
	$(DBMATE) new $(name)

# TESTS='go test arguments' runs only those, in the root module, with the
# same server: `make test TESTS="-run 'TestMigrate' ."`.
TESTS         ?=

.PHONY: test
test: interop/lucia-v1/node_modules bench/e2e/node/node_modules ## Run every module's tests with the race detector (PostgreSQL: TEST_DATABASE_URL, the local server, Docker, or an embedded one).
	$(PGSERVER) -- $(if $(TESTS),$(GO) test -count=1 $(TESTS),$(MAKE) --no-print-directory test-modules)

# The tests of every module, against whatever TEST_DATABASE_URL names (the
# library's tests alone need nothing else: TEST_DATABASE_URL or the local
# server, else they fail saying what to run). The root package runs the
# conformance suite directly and through PgBouncer in three modes, which under
# -race on a 2-core machine nears go test's default 10-minute limit.
.PHONY: test-modules
test-modules:
	$(MODULES) run $(GO) test -race -count=1 -timeout 30m ./...

# The Lucia v1 app the interop tests run against (interop/), installed from
# its lock file when missing or older than it.
interop/lucia-v1/node_modules: interop/lucia-v1/package-lock.json
	@command -v npm >/dev/null || { echo "npm is needed for the Lucia v1 interop tests: install Node.js 18 or later with npm"; exit 1; }
	npm ci --prefix interop/lucia-v1 --no-audit --no-fund
	@touch $@

# The Node peers of the end-to-end benchmark (bench/e2e: Lucia v1 and
# Better Auth), installed from their lock file when missing or older than
# it. make test runs the benchmark's smoke, which needs them.
bench/e2e/node/node_modules: bench/e2e/node/package-lock.json
	@command -v npm >/dev/null || { echo "npm is needed for the end-to-end benchmark's Node peers (Lucia v1, Better Auth): install Node.js 20 or later with npm"; exit 1; }
	npm ci --prefix bench/e2e/node --no-audit --no-fund
	@touch $@

.PHONY: lint
lint: ## gofmt; vet, staticcheck and go mod tidy -diff in every module; a consumer's go.sum; generated code up to date.
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(MODULES) run $(GO) vet ./...
	sc=$(STATICCHECK) && $(MODULES) run $$sc ./...
	@# The submodules require the library at a placeholder version that no
	@# proxy has; .ci/modules explains how they are tidied and checked.
	$(MODULES) tidy-check
	$(MAKE) --no-print-directory consumer-check
	$(MAKE) --no-print-directory install-check
	$(MAKE) --no-print-directory api-check
	$(MAKE) --no-print-directory generate
	@if [ -n "$$(git status --porcelain -- dbgen db)" ]; then \
		echo "make generate changed these files; commit its output:"; git status --porcelain -- dbgen db; git diff -- dbgen db | head -50; exit 1; fi

.PHONY: tidy
tidy: ## go mod tidy in every module (see .ci/modules for the submodules).
	$(MODULES) tidy

.PHONY: consumer-check
consumer-check: ## A module importing luciapg, auth and authhttp gets a go.sum of at most 40 lines, free of dev-only modules.
	.ci/consumer-check

.PHONY: install-check
install-check: ## go install .../cmd/luciapg@VERSION works outside the repository (from a local module proxy of this tree).
	.ci/install-check

.PHONY: api-check
api-check: ## The library's API against the last release tag v* (apidiff): fails on an incompatible change CHANGELOG.md does not own up to.
	.ci/api-check

.PHONY: release-check
release-check: ## Rehearse RELEASING.md in a throwaway clone of HEAD: tag, raise the submodules to the tag, build each without go.work, go install cmd/luciapg@tag.
	.ci/release-check

.PHONY: bench
bench: interop/lucia-v1/node_modules ## Run the bench parts load, scale, purge and cache (BENCH_FLAGS=-parts ... adds pgbouncer and login) against DATABASE_URL and write bench/results/ (about an hour: load and cache run 9 rounds, the others 3; BENCH_FLAGS=-h lists options).
	$(GO) run ./bench -url "$(DATABASE_URL)" $(BENCH_FLAGS)

.PHONY: bench-e2e
bench-e2e: bench/e2e/node/node_modules ## End to end over HTTP: GET /me, login, logout and revocation of luciapg, Lucia v1 and Better Auth vs Go and Node ceilings; writes bench/results/e2e.* (E2E_FLAGS=-h lists options).
	$(GO) run ./bench/e2e -url "$(DATABASE_URL)" $(E2E_FLAGS)

# How `make chaos` restarts the server: the local Debian cluster by default.
# To spare a shared server, point it at a throwaway cluster, e.g. (as the
# postgres user) initdb -D /tmp/c -A trust -U postgres, pg_ctl -D /tmp/c
# -l /tmp/c/log -o "-p 5499 -c listen_addresses=127.0.0.1" start, then
# make chaos DATABASE_URL=postgres://postgres@127.0.0.1:5499/postgres?sslmode=disable
# CHAOS_RESTART="pg_ctl -D /tmp/c -l /tmp/c/log -w restart" (the -l matters:
# without it the restarted server keeps the run's output pipe open and the
# restart command never returns).
CHAOS_RESTART ?= pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main restart

.PHONY: chaos
chaos: ## Kill backends and restart PostgreSQL under load, then audit (disrupts the server: by hand only).
	$(GO) run ./bench/chaos -url "$(DATABASE_URL)" -restart "$(CHAOS_RESTART)"

# The failover test (internal/hatest): a Store under load on a
# pg_auto_failover formation of its own (monitor and two data nodes on free
# loopback ports, temporary directories; never the server at 5432) while
# the primary is killed and later switched over, then audited. Needs
# Debian's postgresql-15-auto-failover and pg-auto-failover-cli.
HA_TEST       := $(GO) test -tags ha -race -count=1 -v -run TestFailoverUnderLoad ./internal/hatest/

.PHONY: test-ha
test-ha: ## Failover test: kill the primary, then switch over, under load; audit every acknowledged write (about 2 minutes).
	$(HA_TEST)

# The failover test, appending its recovery times and audit to
# bench/results/failover.json and rewriting bench/results/failover.md from
# every run there (p50/p99 over runs and workers).
.PHONY: bench-failover
bench-failover: ## The failover test, recording recovery times and the audit in bench/results/failover.md (about 2 minutes a run).
	LUCIAPG_HA_RESULTS=$(CURDIR)/bench/results/failover.md $(HA_TEST)

.PHONY: chaos-ha
chaos-ha: ## The failover test with 60 s of load per phase and pg_auto_failover's default failure detection (about 6 minutes).
	LUCIAPG_HA_SOAK=$${LUCIAPG_HA_SOAK:-60s} LUCIAPG_HA_MONITOR_DEFAULTS=1 $(HA_TEST) -timeout 30m

.PHONY: demo
demo: ## Run examples/quickstart against DATABASE_URL, else the local server, else PostgreSQL in Docker, else an embedded one.
	$(PGSERVER) -env DATABASE_URL -- $(GO) run ./examples/quickstart

# The web app and pgserver are built, then run by exec, not by go run:
# after Ctrl-C go run exits 1 whatever the program returned
# (golang/go#40467), and make reports the recipe's failure. pgserver sets
# DATABASE_URL as for make demo (the variable's default above is not
# passed on). On Ctrl-C the web app shuts down, then pgserver stops the
# server it started, if any.
WEBAPP_BIN    ?= $(or $(TMPDIR),/tmp)/luciapg-webapp
PGSERVER_BIN  ?= $(or $(TMPDIR),/tmp)/luciapg-pgserver
WEBAPP_TOTP_KEY ?= $(or $(TMPDIR),/tmp)/luciapg-webapp-totp-key

.PHONY: webapp
webapp: ## Run examples/webapp on 127.0.0.1:8080 against DATABASE_URL, else the local server, Docker or an embedded one (migrates on start; Ctrl-C stops it).
	$(GO) build -o "$(WEBAPP_BIN)" ./examples/webapp
	$(GO) build -o "$(PGSERVER_BIN)" ./internal/pgserver
	@# Authenticator apps need a sealing key: unless $$TOTP_SECRET_KEYS is
	@# set, a development key made once on this machine (never in the tree).
	@[ -s "$(WEBAPP_TOTP_KEY)" ] || (umask 077 && head -c 32 /dev/urandom | base64 >"$(WEBAPP_TOTP_KEY)")
	TOTP_SECRET_KEYS="$${TOTP_SECRET_KEYS:-dev:$$(cat "$(WEBAPP_TOTP_KEY)")}" \
		exec "$(PGSERVER_BIN)" -env DATABASE_URL -- "$(WEBAPP_BIN)" -addr 127.0.0.1:8080 -insecure-dev-cookies
