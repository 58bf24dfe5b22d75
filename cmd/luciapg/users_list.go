package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The users list is the CLI's own query, not a Store method: listing and
// filtering users for a person is an administrator's need, not part of
// Lucia's adapter contract, and its order depends on an application's
// optional created_at column, which sqlc cannot know.

const (
	defaultListLimit = 50
	maxListLimit     = 1000
)

// limitFlag declares --limit on a listing of what.
func limitFlag(fs *flag.FlagSet, what string) *int {
	return fs.Int("limit", defaultListLimit, fmt.Sprintf("list at most `N` %s (1 to %d)", what, maxListLimit))
}

// checkLimit refuses a --limit outside 1 to maxListLimit.
func checkLimit(limit int) error {
	if limit < 1 || limit > maxListLimit {
		return usageErrorf("--limit must be between 1 and %d, not %d", maxListLimit, limit)
	}
	return nil
}

// createdAtIndexSQL is the index that lets users list walk a large
// auth_user newest first by created_at instead of sorting it.
const createdAtIndexSQL = `CREATE INDEX auth_user_created_at_id_idx ON auth_user (created_at, id)`

const usersListAbout = "List users a page at a time, with their attributes, key ids and number " +
	"of live sessions. Lucia's auth_user has no creation time. When the application " +
	"has added a created_at column, users are listed newest first (ties by id, users " +
	"without a created_at last). For a large table, make created_at NOT NULL and " +
	"create its index, which the list then walks instead of sorting the table: " +
	createdAtIndexSQL + ". Otherwise they are listed by id, the primary key: for " +
	"Lucia's random ids a stable order that says nothing about age. --after USER_ID " +
	"continues after the last user of the previous page, which the output names; " +
	"users created or deleted meanwhile do not shift the pages. --key-prefix keeps the " +
	"users with a key starting with PREFIX (such as email:); --attr keeps those whose " +
	"column NAME equals VALUE, as PostgreSQL reads the text VALUE for the column's type."

// userListItem is one user in the list.
type userListItem struct {
	ID           string         `json:"id"`
	Attributes   map[string]any `json:"attributes"`
	Keys         []string       `json:"keys"`
	LiveSessions int64          `json:"live_sessions"`
}

// listOrder is the order users are listed in and where the page starts.
type listOrder struct {
	// byCreatedAt: auth_user has a created_at column, and the list is
	// newest first; else it is by id.
	byCreatedAt bool
	// notNull: created_at is NOT NULL, so the simple keyset comparison
	// (which an index on (created_at, id) serves) is the whole condition.
	notNull bool
	after   *listCursor
}

// listCursor is the position of the last user of the previous page.
type listCursor struct {
	createdAt any // as pgx decoded the column; nil for NULL
	id        string
}

// userFilter keeps users with a key starting with keyPrefix and with the
// given column values.
type userFilter struct {
	keyPrefix  string
	attributes map[string]any
}

// listQuery is a statement and its arguments.
type listQuery struct {
	sql  string
	args []any
}

// listExtraColumns come before the auth_user row in each result row.
const listExtraColumns = 2

// usersListQuery builds the page's statement: limit+1 rows, the extra one
// telling whether there is a next page. Column names are quoted; values
// are parameters.
func usersListQuery(order listOrder, filter userFilter, limit int, nowMillis int64) listQuery {
	q := listQuery{args: []any{nowMillis}}
	param := func(v any) string {
		q.args = append(q.args, v)
		return "$" + strconv.Itoa(len(q.args))
	}
	var where []string
	if filter.keyPrefix != "" {
		// starts_with takes the prefix literally: no LIKE wildcards.
		where = append(where, "EXISTS (SELECT 1 FROM auth_key AS k WHERE k.user_id = u.id AND starts_with(k.id, "+param(filter.keyPrefix)+"))")
	}
	for _, name := range slices.Sorted(maps.Keys(filter.attributes)) {
		where = append(where, "u."+pgx.Identifier{name}.Sanitize()+" = "+param(filter.attributes[name]))
	}
	// orderBy is the ORDER BY list, its columns qualified by %[1]s.
	orderBy := "%[1]s.id"
	switch {
	case order.byCreatedAt && order.notNull:
		// A backward scan of an index on (created_at, id).
		orderBy = "%[1]s.created_at DESC, %[1]s.id DESC"
	case order.byCreatedAt:
		orderBy = "%[1]s.created_at DESC NULLS LAST, %[1]s.id DESC"
	}
	if a := order.after; a != nil {
		switch {
		case !order.byCreatedAt:
			where = append(where, "u.id > "+param(a.id))
		case order.notNull:
			where = append(where, "(u.created_at, u.id) < ("+param(a.createdAt)+", "+param(a.id)+")")
		case a.createdAt == nil:
			where = append(where, "(u.created_at IS NULL AND u.id < "+param(a.id)+")")
		default:
			where = append(where, "((u.created_at, u.id) < ("+param(a.createdAt)+", "+param(a.id)+") OR u.created_at IS NULL)")
		}
	}
	// The page is chosen first, then its keys and sessions are counted:
	// without an index for the order, only auth_user's rows are sorted,
	// not one key and session lookup per user in the table.
	var b strings.Builder
	b.WriteString(`SELECT
	(SELECT coalesce(array_agg(k.id ORDER BY k.id), '{}') FROM auth_key AS k WHERE k.user_id = p.id),
	(SELECT count(*) FROM auth_session AS s WHERE s.user_id = p.id AND s.idle_expires >= $1),
	p.*
FROM (SELECT u.* FROM auth_user AS u`)
	if len(where) > 0 {
		b.WriteString("\n  WHERE " + strings.Join(where, "\n    AND "))
	}
	b.WriteString("\n  ORDER BY " + fmt.Sprintf(orderBy, "u") + "\n  LIMIT " + strconv.Itoa(limit+1) + ") AS p")
	b.WriteString("\nORDER BY " + fmt.Sprintf(orderBy, "p"))
	q.sql = b.String()
	return q
}

func usersListFlags(fs *flag.FlagSet) func(context.Context, *cmdContext, []string) error {
	limit := limitFlag(fs, "users")
	after := fs.String("after", "", "start after the user `USER_ID`, the last of the previous page")
	keyPrefix := fs.String("key-prefix", "", "keep users with a key starting with `PREFIX`, such as email:")
	attributeArgs := &attributeFlags{}
	fs.Var(attributeArgs, "attr", "keep users whose column NAME equals VALUE (`NAME=VALUE`, repeatable)")
	return func(ctx context.Context, c *cmdContext, args []string) error {
		if err := wantArgs(args); err != nil {
			return err
		}
		if err := checkLimit(*limit); err != nil {
			return err
		}
		attributes, err := attributeArgs.parse(true)
		if err != nil {
			return err
		}
		pool, err := c.connect(ctx)
		if err != nil {
			return err
		}
		defer pool.Close()
		if err := checkAttributeColumns(ctx, pool, attributes); err != nil {
			return err
		}
		order, err := userListOrder(ctx, pool, *after)
		if err != nil {
			return err
		}
		q := usersListQuery(order, userFilter{keyPrefix: *keyPrefix, attributes: attributes}, *limit, c.now().UnixMilli())
		users, attributeNames, err := queryUserList(ctx, pool, q)
		if err != nil {
			return explainAttributeError(ctx, pool, attributes, probeEquals, err)
		}
		var next *string
		if len(users) > *limit {
			users = users[:*limit]
			next = &users[len(users)-1].ID
		}
		orderName := "id"
		if order.byCreatedAt {
			orderName = "created_at"
		}
		if c.opts.json {
			return printJSON(c.stdout, map[string]any{"order": orderName, "users": users, "next_after": next})
		}
		return printUserList(c, users, attributeNames, order.byCreatedAt, next)
	}
}

// userListOrder finds out whether auth_user has a created_at column and,
// if a page is asked for after a user, where that user stands.
func userListOrder(ctx context.Context, pool *pgxpool.Pool, after string) (listOrder, error) {
	var order listOrder
	err := pool.QueryRow(ctx, `SELECT attnotnull FROM pg_attribute
WHERE attrelid = to_regclass('auth_user') AND attname = 'created_at' AND attnum > 0 AND NOT attisdropped`).Scan(&order.notNull)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return order, err
	default:
		order.byCreatedAt = true
	}
	if after == "" {
		return order, nil
	}
	order.after = &listCursor{id: after}
	if !order.byCreatedAt {
		// By id, the position is the id itself: no user need have it.
		return order, nil
	}
	err = pool.QueryRow(ctx, `SELECT created_at FROM auth_user WHERE id = $1`, after).Scan(&order.after.createdAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return order, notFoundf("--after: no user %q (deleted since the last page? list from the start)", after)
	}
	return order, err
}

// queryUserList runs the list's statement and returns its users and the
// names of auth_user's attribute columns, sorted.
func queryUserList(ctx context.Context, pool *pgxpool.Pool, q listQuery) ([]userListItem, []string, error) {
	rows, err := pool.Query(ctx, q.sql, q.args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	fields := rows.FieldDescriptions()
	if len(fields) < listExtraColumns {
		// The statement failed before describing its columns (a VALUE
		// the column's type cannot read): the error is the answer.
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, nil, err
		}
		return nil, nil, errors.New("the users query returned no columns")
	}
	var names []string
	for _, f := range fields[listExtraColumns:] {
		if f.Name != "id" {
			names = append(names, f.Name)
		}
	}
	slices.Sort(names)
	users := []userListItem{}
	for rows.Next() {
		values, err := rows.Values()
		if err != nil {
			return nil, nil, err
		}
		user := userListItem{Attributes: map[string]any{}, Keys: textArray(values[0])}
		user.LiveSessions, _ = values[1].(int64)
		for i := listExtraColumns; i < len(fields); i++ {
			if fields[i].Name == "id" {
				user.ID, _ = values[i].(string)
			} else {
				user.Attributes[fields[i].Name] = values[i]
			}
		}
		users = append(users, user)
	}
	return users, names, rows.Err()
}

// textArray reads a text[] value as pgx decodes it.
func textArray(v any) []string {
	out := []string{}
	switch v := v.(type) {
	case []string:
		return v
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

func printUserList(c *cmdContext, users []userListItem, attributeNames []string, byCreatedAt bool, next *string) error {
	header := append(append([]string{"ID"}, attributeNames...), "KEYS", "SESSIONS")
	rows := make([][]string, len(users))
	for i, u := range users {
		row := []string{u.ID}
		for _, name := range attributeNames {
			row = append(row, formatAttribute(u.Attributes[name]))
		}
		rows[i] = append(row, strings.Join(u.Keys, ", "), strconv.FormatInt(u.LiveSessions, 10))
	}
	if err := printTable(c.stdout, header, rows); err != nil {
		return err
	}
	footer := plural(len(users), "user", "users") + ", by id"
	if byCreatedAt {
		footer = plural(len(users), "user", "users") + ", newest first by created_at"
	}
	if next != nil {
		footer += "; next page: --after " + *next
	}
	_, err := fmt.Fprintf(c.stdout, "(%s)\n", footer)
	return err
}
