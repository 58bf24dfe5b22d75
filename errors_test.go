package luciapg

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestInterpretError checks the choke point directly, with the fields
// PostgreSQL fills in, including reports whose DETAIL is absent and
// constraints named otherwise than luciapg's migration names them.
func TestInterpretError(t *testing.T) {
	t.Parallel()
	pgErr := func(code, table, constraint string) *pgconn.PgError {
		return &pgconn.PgError{Code: code, TableName: table, ConstraintName: constraint}
	}
	attributeUnique := pgErr("23505", "auth_user", "auth_user_username_key")
	// A unique attribute whose constraint (or unique index) is named like
	// the primary key: the name proves nothing.
	attributeNamedLikePkey := pgErr("23505", "auth_user", "auth_user_pkey")
	// Deleting a user or session an application's table still references:
	// PostgreSQL reports the referencing table, which owns the constraint.
	appTableReferences := pgErr("23503", "profile", "profile_user_id_fkey")
	attributeReferences := pgErr("23503", "auth_user", "auth_user_org_id_fkey")
	unknownColumn := pgErr("42703", "", "")
	tests := []struct {
		name string
		in   error
		want error
	}{
		{"duplicate key id", pgErr("23505", "auth_key", "auth_key_pkey"), ErrDuplicateKeyID},
		{"duplicate key id, constraint renamed", pgErr("23505", "auth_key", "keys_pk"), ErrDuplicateKeyID},
		{"duplicate session id", pgErr("23505", "auth_session", "auth_session_pkey"), ErrDuplicateSessionID},
		{"duplicate session id, constraint renamed", pgErr("23505", "auth_session", "user_session_pkey"), ErrDuplicateSessionID},
		{"wrapped duplicate key id", fmt.Errorf("batch: %w", pgErr("23505", "auth_key", "auth_key_pkey")), ErrDuplicateKeyID},
		{"session for unknown user", pgErr("23503", "auth_session", "auth_session_user_id_fkey"), ErrInvalidUserID},
		{"session for unknown user, constraint renamed", pgErr("23503", "auth_session", "session_owner"), ErrInvalidUserID},
		{"key for unknown user", pgErr("23503", "auth_key", "auth_key_user_id_fkey"), ErrInvalidUserID},
		{"key for unknown user, constraint renamed", pgErr("23503", "auth_key", "key_owner"), ErrInvalidUserID},
		{"second factor for unknown user", pgErr("23503", "luciapg_totp", "luciapg_totp_user_id_fkey"), ErrInvalidUserID},
		{"passkey for unknown user", pgErr("23503", "luciapg_passkey", "luciapg_passkey_user_id_fkey"), ErrInvalidUserID},
		{"pending login for unknown user", pgErr("23503", "luciapg_pending_login", "luciapg_pending_login_user_id_fkey"), ErrInvalidUserID},
		{"session record for a session gone", pgErr("23503", "luciapg_session", "luciapg_session_session_id_fkey"), ErrInvalidSessionID},
		{"duplicate credential id", pgErr("23505", "luciapg_passkey", "luciapg_passkey_pkey"), ErrFactorExists},
		{"duplicate user handle", pgErr("23505", "luciapg_passkey_user", "luciapg_passkey_user_handle_key"), ErrFactorExists},
		{"duplicate ceremony id", pgErr("23505", "luciapg_webauthn_challenge", "luciapg_webauthn_challenge_pkey"), ErrFactorExists},
		{"delete of a user an application's table references passes through", appTableReferences, appTableReferences},
		{"attribute column referencing another table passes through", attributeReferences, attributeReferences},
		{"other SQLSTATE passes through", unknownColumn, unknownColumn},
		{"context error passes through", context.Canceled, context.Canceled},
		{"nil stays nil", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := interpretError(tt.in)
			if got != tt.want {
				t.Fatalf("interpretError(%v) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}

	// A unique violation on auth_user is a UNIQUE attribute column's,
	// whatever its constraint is called: ErrDuplicateAttribute, naming the
	// column from DETAIL's "(columns)=(values)" part, which PostgreSQL
	// never translates, or the constraint when DETAIL is absent; never the
	// value. The database's error stays in the chain.
	withDetail := pgErr("23505", "auth_user", "auth_user_username_key")
	withDetail.Detail = "Schlüssel »(username)=(ada)« existiert bereits." // a German server
	twoColumns := pgErr("23505", "auth_user", "auth_user_org_email")
	twoColumns.Detail = "Key (org_id, email)=(7, ada@example.com) already exists."
	for _, tt := range []struct {
		name       string
		in         *pgconn.PgError
		wantColumn string
	}{
		{"column from a translated DETAIL", withDetail, "username"},
		{"two columns", twoColumns, "org_id, email"},
		{"no DETAIL: the constraint", attributeUnique, "auth_user_username_key"},
		{"named like the primary key, no DETAIL", attributeNamedLikePkey, "auth_user_pkey"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := interpretError(tt.in)
			var e *Error
			var pg *pgconn.PgError
			if !errors.Is(got, ErrDuplicateAttribute) || !errors.As(got, &e) || e.Column() != tt.wantColumn || !errors.As(got, &pg) {
				t.Fatalf("interpretError = %v, want ErrDuplicateAttribute for %q wrapping the PgError", got, tt.wantColumn)
			}
			if errors.Is(got, ErrDuplicateUserID) {
				t.Fatal("a UNIQUE attribute read as a duplicate user id")
			}
		})
	}

	// A missing table or function is a database never migrated.
	missing := pgErr("42P01", "", "")
	missing.Message = `relation "auth_session" does not exist`
	localised := pgErr("42P01", "", "")
	localised.Message = "Relation »auth_session« existiert nicht"
	for in, want := range map[*pgconn.PgError]string{missing: "auth_session does not exist", localised: "a table or function luciapg needs does not exist"} {
		got := interpretError(in)
		var pg *pgconn.PgError
		if !errors.Is(got, ErrNotMigrated) || !errors.As(got, &pg) || !strings.Contains(got.Error(), want) || !strings.Contains(got.Error(), "luciapg migrate up") {
			t.Errorf("interpretError(%q) = %v, want ErrNotMigrated saying %q and what to run", in.Message, got, want)
		}
	}
}

func TestErrorCodes(t *testing.T) {
	t.Parallel()
	for err, code := range map[*Error]string{
		ErrInvalidUserID:      "AUTH_INVALID_USER_ID",
		ErrInvalidSessionID:   "AUTH_INVALID_SESSION_ID",
		ErrInvalidKeyID:       "AUTH_INVALID_KEY_ID",
		ErrDuplicateUserID:    "AUTH_DUPLICATE_USER_ID",
		ErrDuplicateKeyID:     "AUTH_DUPLICATE_KEY_ID",
		ErrDuplicateSessionID: "AUTH_DUPLICATE_SESSION_ID",
	} {
		if err.Code() != code || err.Error() != code {
			t.Errorf("Code() = %q, Error() = %q, want %q", err.Code(), err.Error(), code)
		}
		var target *Error
		if !errors.As(fmt.Errorf("wrapped: %w", err), &target) || target != err {
			t.Errorf("errors.As does not find %s through wrapping", code)
		}
	}
}
