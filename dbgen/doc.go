// Package dbgen holds the code sqlc generates from db/queries and
// db/migrations. Do not edit it by hand: change the SQL and run
// `make generate`. Package luciapg wraps it; no dbgen type appears in
// luciapg's API.
package dbgen
