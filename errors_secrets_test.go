package luciapg_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/luciapg/luciapg"
)

// Secret-looking values: every error text is searched for each of them.
const (
	secretUserID    = "SECRETUSER7f3a"
	secretSessionID = "SECRETSESSION9c1e0b7d4a2f6e8c3b5d7f9a1c3e5b7d"
	secretKeyID     = "email:SECRETKEY@example.com"
	secretHash      = "$argon2id$v=19$m=19456,t=2,p=1$SECRETSALT$SECRETHASHb64"
	secretPassword  = "SECRETPASSWORDhunter2"
	secretAttribute = "SECRETATTRIBUTEvalue"
)

var secrets = []string{secretUserID, secretSessionID, secretKeyID, secretHash, secretPassword, secretAttribute,
	"SECRET"} // any fragment of them

// secretCase induces one error. mapped is the sentinel it must be; nil
// means an error luciapg passes through from PostgreSQL.
type secretCase struct {
	name   string
	mapped error
	call   func(ctx context.Context, s *luciapg.Store) error
}

func secretCases() []secretCase {
	other := secretUserID + "other"
	return []secretCase{
		{"duplicate user id", luciapg.ErrDuplicateUserID, func(ctx context.Context, s *luciapg.Store) error {
			_, err := s.SetUser(ctx, luciapg.User{ID: secretUserID}, &luciapg.Key{ID: secretKeyID + "2", HashedPassword: pointerTo(secretHash)})
			return err
		}},
		{"duplicate key id in SetUser", luciapg.ErrDuplicateKeyID, func(ctx context.Context, s *luciapg.Store) error {
			_, err := s.SetUser(ctx, luciapg.User{ID: other}, &luciapg.Key{ID: secretKeyID, HashedPassword: pointerTo(secretHash)})
			return err
		}},
		{"duplicate key id in SetKey", luciapg.ErrDuplicateKeyID, func(ctx context.Context, s *luciapg.Store) error {
			return s.SetKey(ctx, luciapg.Key{ID: secretKeyID, UserID: secretUserID, HashedPassword: pointerTo(secretHash)})
		}},
		{"duplicate session id", luciapg.ErrDuplicateSessionID, func(ctx context.Context, s *luciapg.Store) error {
			return s.SetSession(ctx, luciapg.Session{ID: secretSessionID, UserID: secretUserID, ActiveExpires: 1, IdleExpires: 2})
		}},
		{"session of a missing user", luciapg.ErrInvalidUserID, func(ctx context.Context, s *luciapg.Store) error {
			return s.SetSession(ctx, luciapg.Session{ID: secretSessionID + "2", UserID: other, ActiveExpires: 1, IdleExpires: 2})
		}},
		{"key of a missing user", luciapg.ErrInvalidUserID, func(ctx context.Context, s *luciapg.Store) error {
			return s.SetKey(ctx, luciapg.Key{ID: secretKeyID + "3", UserID: other, HashedPassword: pointerTo(secretHash)})
		}},
		{"missing user", luciapg.ErrInvalidUserID, func(ctx context.Context, s *luciapg.Store) error {
			_, err := s.UpdateUserAttributes(ctx, other, map[string]any{"nickname": secretAttribute})
			return err
		}},
		{"missing key", luciapg.ErrInvalidKeyID, func(ctx context.Context, s *luciapg.Store) error {
			_, err := s.UpdateKeyPassword(ctx, secretKeyID+"4", pointerTo(secretHash))
			return err
		}},
		{"missing session", luciapg.ErrInvalidSessionID, func(ctx context.Context, s *luciapg.Store) error {
			_, _, err := s.GetSessionAndUser(ctx, secretSessionID+"3")
			return err
		}},
		{"NUL in a session id", luciapg.ErrInvalidInput, func(ctx context.Context, s *luciapg.Store) error {
			return s.SetSession(ctx, luciapg.Session{ID: secretSessionID + "\x00", UserID: secretUserID})
		}},
		{"over-long session id", luciapg.ErrInvalidInput, func(ctx context.Context, s *luciapg.Store) error {
			return s.SetSession(ctx, luciapg.Session{ID: strings.Repeat(secretSessionID, 30), UserID: secretUserID})
		}},
		{"invalid UTF-8 in a password hash", luciapg.ErrInvalidInput, func(ctx context.Context, s *luciapg.Store) error {
			_, err := s.UpdateKeyPassword(ctx, secretKeyID, pointerTo(secretHash+"\xff"))
			return err
		}},
		{"NUL in a key's password in SetUser", luciapg.ErrInvalidInput, func(ctx context.Context, s *luciapg.Store) error {
			_, err := s.SetUser(ctx, luciapg.User{ID: other}, &luciapg.Key{ID: secretKeyID + "5", HashedPassword: pointerTo(secretPassword + "\x00")})
			return err
		}},
		{"key for another user", luciapg.ErrInvalidInput, func(ctx context.Context, s *luciapg.Store) error {
			_, err := s.SetUser(ctx, luciapg.User{ID: other}, &luciapg.Key{ID: secretKeyID + "6", UserID: secretUserID, HashedPassword: pointerTo(secretHash)})
			return err
		}},
		{"NUL in an attribute value", luciapg.ErrInvalidInput, func(ctx context.Context, s *luciapg.Store) error {
			_, err := s.UpdateUserAttributes(ctx, secretUserID, map[string]any{"nickname": secretAttribute + "\x00"})
			return err
		}},
		{"taken credential id", luciapg.ErrFactorExists, func(ctx context.Context, s *luciapg.Store) error {
			p := luciapg.Passkey{CredentialID: []byte(secretKeyID), UserID: secretUserID, Name: secretAttribute, PublicKey: []byte(secretHash)}
			if err := s.SetPasskey(ctx, p); err != nil {
				return err
			}
			return s.SetPasskey(ctx, p)
		}},
		{"second factor of a missing user", luciapg.ErrInvalidUserID, func(ctx context.Context, s *luciapg.Store) error {
			return s.SetTOTP(ctx, luciapg.TOTP{UserID: other, EncryptionKeyID: secretKeyID, EncryptedSecret: []byte(secretPassword)})
		}},
		{"replayed time step", luciapg.ErrFactorReplayed, func(ctx context.Context, s *luciapg.Store) error {
			if err := s.SetTOTP(ctx, luciapg.TOTP{UserID: secretUserID, EncryptionKeyID: secretKeyID, EncryptedSecret: []byte(secretPassword)}); err != nil {
				return err
			}
			if err := s.ConfirmTOTP(ctx, secretUserID, 5); err != nil {
				return err
			}
			return s.UseTOTPStep(ctx, secretUserID, 5)
		}},
		{"used recovery code", luciapg.ErrFactorNotFound, func(ctx context.Context, s *luciapg.Store) error {
			return s.UseRecoveryCode(ctx, secretUserID, secretPassword)
		}},
		{"session record of a missing session", luciapg.ErrInvalidSessionID, func(ctx context.Context, s *luciapg.Store) error {
			return s.SetSessionFactors(ctx, luciapg.SessionFactors{SessionID: secretSessionID + "4", UserID: secretUserID,
				Factors: []string{secretAttribute}, AuthenticatedAt: time.Now()})
		}},
		{"NUL in a pending login's client binding", luciapg.ErrInvalidInput, func(ctx context.Context, s *luciapg.Store) error {
			return s.SetPendingLogin(ctx, luciapg.PendingLogin{ID: secretSessionID, UserID: secretUserID, ClientBinding: secretPassword + "\x00",
				Factors: []string{luciapg.FactorPassword}, Expires: time.Now().Add(time.Minute)})
		}},
		{"pending login whose key changed", luciapg.ErrKeyChanged, func(ctx context.Context, s *luciapg.Store) error {
			now := time.Now()
			if err := s.SetPendingLogin(ctx, luciapg.PendingLogin{ID: secretSessionID + "5", UserID: secretUserID, ClientBinding: secretAttribute,
				Factors: []string{luciapg.FactorPassword}, KeyID: secretKeyID, KeyHashDigest: luciapg.KeyHashDigest(secretPassword), Expires: now.Add(time.Minute)}); err != nil {
				return err
			}
			session := luciapg.Session{ID: secretSessionID + "6", UserID: secretUserID, ActiveExpires: 1, IdleExpires: 2}
			return s.CompletePendingLogin(ctx, secretSessionID+"5", now, session,
				luciapg.SessionFactors{SessionID: session.ID, UserID: secretUserID, Factors: []string{luciapg.FactorPassword}, AuthenticatedAt: now})
		}},
		{"consumed ceremony", luciapg.ErrChallengeNotFound, func(ctx context.Context, s *luciapg.Store) error {
			_, err := s.ConsumeChallenge(ctx, secretSessionID, time.Now())
			return err
		}},
		{"unique attribute taken (passed through)", nil, func(ctx context.Context, s *luciapg.Store) error {
			_, err := s.SetUser(ctx, luciapg.User{ID: other, Attributes: map[string]any{"username": secretAttribute}}, nil)
			return err
		}},
		{"unknown attribute (passed through)", nil, func(ctx context.Context, s *luciapg.Store) error {
			_, err := s.UpdateUserAttributes(ctx, secretUserID, map[string]any{"no_such_column": secretAttribute})
			return err
		}},
	}
}

// TestErrorsAndLogsCarryNoSecrets induces every error luciapg maps, each
// refusal of invalid input and two errors it passes through, all with
// secret-looking ids, hashes and values, and checks that no error text
// holds any of them and that nothing was logged.
//
// Not parallel: it redirects the standard loggers of the whole process,
// which is only safe while no other test runs (parallel tests wait until
// the sequential ones are done).
func TestErrorsAndLogsCarryNoSecrets(t *testing.T) {
	var logged bytes.Buffer
	defer log.SetOutput(log.Writer())
	defer slog.SetDefault(slog.Default())
	log.SetOutput(&logged)
	slog.SetDefault(slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug})))

	store, _, url := newReliabilityStore(t, 2)
	ctx := callContext(t)
	if _, err := store.SetUser(ctx, luciapg.User{ID: secretUserID, Attributes: map[string]any{"username": secretAttribute}},
		&luciapg.Key{ID: secretKeyID, PrimaryKey: true, HashedPassword: pointerTo(secretHash)}); err != nil {
		t.Fatal(err)
	}
	if err := store.SetSession(ctx, luciapg.Session{ID: secretSessionID, UserID: secretUserID, ActiveExpires: 1, IdleExpires: 2}); err != nil {
		t.Fatal(err)
	}

	for _, c := range secretCases() {
		t.Run(c.name, func(t *testing.T) {
			err := c.call(ctx, store)
			if err == nil {
				t.Fatal("no error")
			}
			var pgErr *pgconn.PgError
			switch {
			case c.mapped == nil && !errors.As(err, &pgErr):
				t.Fatalf("got %v, want PostgreSQL's error passed through", err)
			case c.mapped != nil && !errors.Is(err, c.mapped):
				t.Fatalf("got %v, want %v", err, c.mapped)
			case c.mapped != nil && errors.As(err, &pgErr):
				// The driver's error carries DETAIL, which quotes key
				// values; a mapped error must not keep it reachable.
				t.Errorf("mapped error still wraps PostgreSQL's error (DETAIL %q)", pgErr.Detail)
			}
			wantNoSecret(t, err)
		})
	}

	t.Run("Migrate with a password in the URL", func(t *testing.T) {
		for _, bad := range []string{
			"postgres://postgres:" + secretPassword + "@127.0.0.1:1/nowhere?connect_timeout=5",
			"postgres://postgres:" + secretPassword + "@[::1/broken",
			"mysql://root:" + secretPassword + "@127.0.0.1/db",
			strings.Replace(url, "postgres@", "no_such_role:"+secretPassword+"@", 1),
		} {
			_, err := luciapg.MigrateConnString(ctx, bad)
			if err == nil {
				t.Fatalf("Migrate(%q) succeeded", bad)
			}
			wantNoSecret(t, err)
		}
	})

	if logged.Len() != 0 {
		t.Errorf("luciapg logged without being given a logger:\n%s", logged.String())
	}
}

// wantNoSecret fails if err's text, however formatted, holds a secret.
func wantNoSecret(t *testing.T, err error) {
	t.Helper()
	for _, text := range []string{err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err)} {
		for _, secret := range secrets {
			if strings.Contains(text, secret) {
				t.Errorf("error text %q contains %q", text, secret)
			}
		}
	}
}
