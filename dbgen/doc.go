// Package dbgen holds the code sqlc generates from db/queries and
// db/migrations. Do not edit it by hand: change the SQL and run
// `make generate`, which rewrites the generated files and leaves this one
// alone.
//
// It is not a stable API: any sqlc upgrade or change to the SQL may rename,
// reorder or retype its fields and functions without notice. Package
// luciapg wraps it and converts its rows to luciapg's own types field by
// field (dbgen_rows.go), so no dbgen type appears in luciapg's API and
// regenerating it cannot change that API. Import luciapg, not dbgen.
package dbgen
