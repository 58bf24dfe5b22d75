// Package storebench holds the micro-benchmarks that run each Store method
// on one connection at a time next to its hand-written pgx twin (package
// rawpgx). They live in the bench module, not next to the Store, so that the
// library's tests never import benchmark code:
//
//	go test -run '^$' -bench . -benchmem ./storebench
package storebench
