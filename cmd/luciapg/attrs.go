package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// attributeFlags collects repeated --attr NAME=VALUE flags. Set takes any
// text and parse checks it, so that a bad --attr is refused in the CLI's
// words, not the flag package's, which would quote the whole argument:
// no message repeats a VALUE, which may be anything the column holds.
type attributeFlags struct{ raw []string }

func (a *attributeFlags) String() string { return "" }

func (a *attributeFlags) Set(s string) error {
	a.raw = append(a.raw, s)
	return nil
}

// maxColumnNameBytes is PostgreSQL's longest identifier (NAMEDATALEN-1).
const maxColumnNameBytes = 63

// parse returns the attributes by column name, or a usage error saying
// which --attr is wrong and what is expected. idAllowed is whether NAME
// may be id (a filter may name it; a new user's id is --id).
func (a *attributeFlags) parse(idAllowed bool) (map[string]any, error) {
	attrs := map[string]any{}
	for i, s := range a.raw {
		name, value, ok := strings.Cut(s, "=")
		switch {
		case !ok:
			return nil, usageErrorf(`%s has no "=": want --attr NAME=VALUE, such as --attr nickname=Al`, a.nth(i))
		case name == "":
			return nil, usageErrorf(`%s has no NAME before "=": want --attr NAME=VALUE, such as --attr nickname=Al`, a.nth(i))
		case !utf8.ValidString(name):
			return nil, usageErrorf("%s: its NAME is not valid UTF-8", a.nth(i))
		case len(name) > maxColumnNameBytes:
			return nil, usageErrorf("%s: its NAME is longer than %d bytes, which no PostgreSQL column name is", a.nth(i), maxColumnNameBytes)
		case name == "id" && !idAllowed:
			return nil, usageErrorf("--attr id=...: id is the user's id, not an attribute; give it with --id ID")
		case !utf8.ValidString(value):
			return nil, usageErrorf("%s: its VALUE is not valid UTF-8", attrLabel(name))
		}
		if _, dup := attrs[name]; dup {
			return nil, usageErrorf("%s is given twice: give each column once", attrLabel(name))
		}
		attrs[name] = value
	}
	return attrs, nil
}

// nth names the i-th --attr without its text: "--attr" when there is one.
func (a *attributeFlags) nth(i int) string {
	if len(a.raw) == 1 {
		return "--attr"
	}
	suffix := "th"
	switch {
	case i%100 >= 10 && i%100 <= 20:
	case (i+1)%10 == 1:
		suffix = "st"
	case (i+1)%10 == 2:
		suffix = "nd"
	case (i+1)%10 == 3:
		suffix = "rd"
	}
	return fmt.Sprintf("the %d%s --attr", i+1, suffix)
}

// plainName is a column name shown as is; any other is quoted.
var plainName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$]*$`)

// shownName is a column name as messages show it.
func shownName(name string) string {
	if plainName.MatchString(name) {
		return name
	}
	return fmt.Sprintf("%q", name)
}

// attrLabel shows an --attr by its NAME, never its VALUE.
func attrLabel(name string) string {
	return "--attr " + shownName(name) + "=..."
}

// querier is what the checks below query: a pool or a connection.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// userColumn is one of auth_user's columns.
type userColumn struct{ name, typ string }

// userColumns lists auth_user's columns in table order, with their types
// as PostgreSQL writes them; none when the table does not exist (the
// command then fails saying to migrate).
func userColumns(ctx context.Context, db querier) ([]userColumn, error) {
	rows, err := db.Query(ctx, `SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
WHERE attrelid = to_regclass('auth_user') AND attnum > 0 AND NOT attisdropped ORDER BY attnum`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (userColumn, error) {
		var c userColumn
		return c, row.Scan(&c.name, &c.typ)
	})
}

// checkAttributeColumns refuses an --attr whose NAME is no column of
// auth_user, listing the columns.
func checkAttributeColumns(ctx context.Context, db querier, attrs map[string]any) error {
	if len(attrs) == 0 {
		return nil
	}
	columns, err := userColumns(ctx, db)
	if err != nil || len(columns) == 0 {
		return err
	}
	names := make([]string, len(columns))
	for i, c := range columns {
		names[i] = c.name
	}
	for _, name := range slices.Sorted(maps.Keys(attrs)) {
		if slices.Contains(names, name) {
			continue
		}
		hint := ""
		for _, n := range names {
			if strings.EqualFold(n, name) {
				hint = fmt.Sprintf("; column names are case-sensitive: %s", n)
			}
		}
		return fmt.Errorf("%s: auth_user has no column %q (its columns: %s)%s", attrLabel(name), name, strings.Join(names, ", "), hint)
	}
	return nil
}

// typeExamples are values of common column types, for messages.
var typeExamples = map[string]string{
	"smallint": "42", "integer": "42", "bigint": "42",
	"numeric": "3.14", "real": "3.14", "double precision": "3.14",
	"boolean":                     "true",
	"date":                        "2024-01-31",
	"timestamp with time zone":    "2024-01-31T12:00:00Z",
	"timestamp without time zone": "2024-01-31T12:00:00",
	"uuid":                        "123e4567-e89b-12d3-a456-426614174000",
	"json":                        `{"plan":"pro"}`,
	"jsonb":                       `{"plan":"pro"}`,
	"inet":                        "192.0.2.1",
}

// Probes of one --attr VALUE: the parameter takes its column's type, and
// PostgreSQL reads the text as that type when binding it, though no row
// is read. %s is the quoted column name.
const (
	// probeAssign reads it as an insert does.
	probeAssign = "SELECT CASE WHEN false THEN u.%s ELSE $1 END FROM auth_user AS u LIMIT 0"
	// probeEquals compares it as users list does.
	probeEquals = "SELECT 1 FROM auth_user AS u WHERE u.%s = $1 LIMIT 0"
)

// explainAttributeError turns PostgreSQL's refusal of an --attr VALUE (a
// data exception, SQLSTATE class 22: not of the column's type, out of its
// range, too long), or of a column type without "=" (42883), into one
// line naming the --attr, the column's type and what a value of it looks
// like, never the VALUE, which PostgreSQL's own message quotes. It finds
// the --attr by trying each VALUE alone with probe (probeAssign or
// probeEquals). Any other error is returned unchanged.
func explainAttributeError(ctx context.Context, db querier, attrs map[string]any, probe string, err error) error {
	var pgErr *pgconn.PgError
	if len(attrs) == 0 || !errors.As(err, &pgErr) || ctx.Err() != nil ||
		!strings.HasPrefix(pgErr.Code, "22") && pgErr.Code != sqlstateUndefinedFunction {
		return err
	}
	columns, cerr := userColumns(ctx, db)
	if cerr != nil {
		return err
	}
	types := map[string]string{}
	for _, c := range columns {
		types[c.name] = c.typ
	}
	names := slices.Sorted(maps.Keys(attrs))
	for _, name := range names {
		typ, ok := types[name]
		if !ok {
			continue
		}
		_, perr := db.Exec(ctx, fmt.Sprintf(probe, pgx.Identifier{name}.Sanitize()), attrs[name])
		var probeErr *pgconn.PgError
		if !errors.As(perr, &probeErr) || probeErr.Code != pgErr.Code {
			continue
		}
		column := shownName(name)
		if probeErr.Code == sqlstateUndefinedFunction {
			return fmt.Errorf("%s: column %s is of type %s, which has no \"=\" to compare it with a VALUE", attrLabel(name), column, typ)
		}
		want := fmt.Sprintf("want --attr %s=VALUE, VALUE in PostgreSQL's text form of %s", column, typ)
		if ex, ok := typeExamples[typ]; ok {
			want = fmt.Sprintf("want --attr %s=VALUE, such as --attr %s=%s", column, column, ex)
		}
		what := "the VALUE is not of that type"
		if probeErr.Code == sqlstateOutOfRange {
			what = "the VALUE is out of its range"
		}
		return fmt.Errorf("%s: column %s is of type %s, and %s (%s)", attrLabel(name), column, typ, what, want)
	}
	labels := make([]string, len(names))
	for i, name := range names {
		labels[i] = attrLabel(name)
	}
	what := fmt.Sprintf("PostgreSQL refused one of them (SQLSTATE %s)", pgErr.Code)
	if pgErr.Code == sqlstateStringTooLong {
		// "value too long for type character varying(8)": no value in it.
		what = "a VALUE is too long for its column: " + pgErr.Message
	}
	return fmt.Errorf("%s: %s", strings.Join(labels, ", "), what)
}

// SQLSTATE codes the --attr messages tell apart.
const (
	sqlstateStringTooLong     = "22001"
	sqlstateOutOfRange        = "22003"
	sqlstateUndefinedFunction = "42883"
	sqlstateNotNullViolation  = "23502"
)
