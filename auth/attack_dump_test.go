package auth_test

import (
	"context"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/testdb"
)

// TestAttackDatabaseDumpHoldsNoSecret: whoever reads a dump of the
// database (every table, as JSON) finds no authenticator-app secret,
// recovery code or pending-login token in clear, in any encoding, only
// what the auth core sealed or hashed. (The client's address is there, in
// the address throttle's key, as it always was for logins: not a secret.)
func TestAttackDatabaseDumpHoldsNoSecret(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := testdb.New(t)
	store := luciapg.New(pool)
	a, c := newMFAAuth(store)
	user, session, secret := userWithTOTP(t, ctx, a, c, "ada", "pw")
	codes, err := a.GenerateRecoveryCodes(ctx, session)
	wantNoErr(t, "GenerateRecoveryCodes", err)
	pending := beginPending(t, withAddress(ctx, "192.0.2.1"), a, "ada", "pw")
	wantNoErr(t, "ReauthenticateWithRecoveryCode", a.ReauthenticateWithRecoveryCode(ctx, session, codes[0]))

	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	wantNoErr(t, "decoding the secret", err)
	forbidden := map[string]string{
		"the secret in base32":      strings.ToLower(secret),
		"the secret in hex":         hex.EncodeToString(raw),
		"the secret in base64":      strings.ToLower(base64.StdEncoding.EncodeToString(raw)[:24]),
		"the secret in base64url":   strings.ToLower(base64.RawURLEncoding.EncodeToString(raw)[:24]),
		"the pending login's token": strings.ToLower(pending.Token),
		"the password":              `"pw"`,
	}
	for i, code := range codes {
		forbidden["recovery code "+string(rune('0'+i))] = code
		forbidden["recovery code "+string(rune('0'+i))+" without hyphens"] = strings.ReplaceAll(code, "-", "")
	}

	dump := strings.ToLower(dumpDatabase(t, pool))
	row, err := factorAdapter(t, store).GetTOTP(ctx, user.ID)
	wantNoErr(t, "GetTOTP", err)
	if !strings.Contains(dump, hex.EncodeToString(row.EncryptedSecret)) {
		t.Fatal("the dump lacks the sealed secret: it did not read luciapg's tables")
	}
	for what, s := range forbidden {
		if strings.Contains(dump, strings.ToLower(s)) {
			t.Errorf("the dump holds %s", what)
		}
	}
}

// dumpDatabase returns every row of every table of the test database's
// schema, as JSON lines (bytea as \x and hex).
func dumpDatabase(t *testing.T, db interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}) string {
	t.Helper()
	ctx := t.Context()
	rows, err := db.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
	wantNoErr(t, "listing tables", err)
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	wantNoErr(t, "listing tables", err)
	if len(tables) < 4 {
		t.Fatalf("only %d tables: %v", len(tables), tables)
	}
	var dump strings.Builder
	for _, table := range tables {
		var text string
		err := db.QueryRow(ctx, `SELECT coalesce(string_agg(row_to_json(t)::text, E'\n'), '') FROM `+pgx.Identifier{table}.Sanitize()+` t`).Scan(&text)
		wantNoErr(t, "dumping "+table, err)
		dump.WriteString(text + "\n")
	}
	return dump.String()
}
