// Package hatest is luciapg's failover test: a Store on a pg_auto_failover
// formation (a monitor and two data nodes with synchronous replication,
// Debian's postgresql-15-auto-failover and pg-auto-failover-cli) keeps
// writing while its primary is killed and, later, while the roles are
// switched over; then every acknowledged write is looked for on the new
// primary. Every acknowledged create is read back after its ack, before
// the load deletes it or on the final primary, every acknowledged delete
// is checked for absence, and the verified count is compared with the
// acknowledgments per kind of write. Sessions are also validated through
// a sessioncache.Cache over a replica.Router over the standby while the
// load revokes them: none may be served past the stack's bound.
//
// The test is behind the build tag ha, since it starts three PostgreSQL
// servers and takes a minute or two: run it with `make test-ha`, or with a
// longer load and pg_auto_failover's default monitor timeouts with
// `make chaos-ha`. Its environment variables:
//
//	LUCIAPG_HA_SOAK=30s            load for at least this long in each phase (default: 200 acknowledged writes)
//	LUCIAPG_HA_MONITOR_DEFAULTS=1  keep the monitor's default failure detection (about 50 s) instead of pgcluster.FastMonitor
//	LUCIAPG_HA_RESULTS=path.md     after a green run, append it to path.json and rewrite path.md from every run there (make bench-failover)
package hatest
