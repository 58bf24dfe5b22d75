package luciapg

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/luciapg/luciapg/internal/input"
)

// This file is the only dynamic SQL in luciapg. User attributes are columns
// the application adds to auth_user, unknown when sqlc generates code, so
// statements that read whole user rows or write attributes are built here.
// Attribute names are quoted as identifiers, never spliced raw, and sorted
// so that the same set of names always yields the same text (and reuses
// pgx's cached prepared statement). Values always travel as parameters.

const (
	selectUserSQL = `SELECT * FROM auth_user WHERE id = $1`

	// selectSessionAndUserSQL puts the four session columns first; the user
	// row follows from column sessionColumns on.
	selectSessionAndUserSQL = `SELECT s.id, s.user_id, s.active_expires, s.idle_expires, u.*
FROM auth_session AS s
JOIN auth_user AS u ON u.id = s.user_id
WHERE s.id = $1`
	sessionColumns = 4
)

// attributeNames returns the map's keys, validated and sorted (see
// input.AttributeNames).
func attributeNames(attributes map[string]any) ([]string, error) {
	return input.AttributeNames(attributes)
}

func quoteIdentifier(name string) string {
	return pgx.Identifier{name}.Sanitize()
}

// insertUserSQL inserts a user with the named attributes ($1 is the id,
// then one parameter per name) and returns the stored row, or no row when
// the id is taken. With a key, the same statement inserts it from the next
// five parameters, and only when the user was inserted; a single statement
// is atomic and takes one round trip.
//
// ON CONFLICT (id) names the conflict by its column, so a taken id is told
// apart from a taken value of a UNIQUE attribute column (still an error)
// whatever the database calls its constraints, and without aborting a
// caller's transaction.
func insertUserSQL(names []string, withKey bool) string {
	var b strings.Builder
	b.WriteString("INSERT INTO auth_user (id")
	for _, name := range names {
		b.WriteString(", ")
		b.WriteString(quoteIdentifier(name))
	}
	b.WriteString(") VALUES ($1")
	for i := range names {
		b.WriteString(", $")
		b.WriteString(strconv.Itoa(i + 2))
	}
	b.WriteString(") ON CONFLICT (id) DO NOTHING RETURNING *")
	if !withKey {
		return b.String()
	}
	insertUser := b.String()
	n := len(names) + 2
	return "WITH new_user AS (" + insertUser + "), new_key AS (" +
		"INSERT INTO auth_key (id, user_id, primary_key, hashed_password, expires) " +
		"SELECT $" + strconv.Itoa(n) + ", new_user.id, $" + strconv.Itoa(n+1) +
		"::boolean, $" + strconv.Itoa(n+2) + "::text, $" + strconv.Itoa(n+3) + "::bigint FROM new_user" +
		") SELECT * FROM new_user"
}

// updateUserSQL sets the named attributes ($1 is the id, then one parameter
// per name) and returns the row.
func updateUserSQL(names []string) string {
	var b strings.Builder
	b.WriteString("UPDATE auth_user SET ")
	for i, name := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quoteIdentifier(name))
		b.WriteString(" = $")
		b.WriteString(strconv.Itoa(i + 2))
	}
	b.WriteString(" WHERE id = $1 RETURNING *")
	return b.String()
}

// attributeArgs returns the id followed by the attribute values in name
// order, with room for extra trailing arguments.
func attributeArgs(id string, names []string, attributes map[string]any, extra int) []any {
	args := make([]any, 0, 1+len(names)+extra)
	args = append(args, id)
	for _, name := range names {
		args = append(args, attributes[name])
	}
	return args
}

// userFromRow reads a user from a decoded row whose columns from index
// first on are a whole auth_user row.
func userFromRow(fields []pgconn.FieldDescription, values []any, first int) (User, error) {
	user := User{Attributes: make(map[string]any, len(fields)-first-1)}
	for i := first; i < len(fields); i++ {
		if fields[i].Name == "id" {
			id, ok := values[i].(string)
			if !ok {
				return User{}, fmt.Errorf("luciapg: auth_user.id decoded as %T, want text", values[i])
			}
			user.ID = id
			continue
		}
		user.Attributes[fields[i].Name] = values[i]
	}
	return user, nil
}
