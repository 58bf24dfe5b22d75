package tokens_test

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"sync"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/auth/tokens"
	"github.com/luciapg/luciapg/internal/testdb"
	"github.com/luciapg/luciapg/memadapter"
)

// emailColumns add an email address and its verified flag to auth_user,
// as an application changing addresses has.
const emailColumns = `ALTER TABLE auth_user
	ADD COLUMN email TEXT UNIQUE,
	ADD COLUMN email_verified BOOLEAN NOT NULL DEFAULT false`

// emailBackends are the storages the email-change tests run on, each with
// the email columns.
var emailBackends = []backend{
	{"memory", func(*testing.T) storage {
		return memadapter.New(memadapter.Column{Name: "email", Unique: true}, memadapter.Column{Name: "email_verified", NotNull: true, Default: false})
	}},
	{"postgres", func(t *testing.T) storage {
		pool := testdb.New(t)
		if _, err := pool.Exec(t.Context(), emailColumns); err != nil {
			t.Fatalf("adding the email columns: %v", err)
		}
		return luciapg.New(pool)
	}},
}

// emailEnv is a core with a user, Ada (ada@example.com), signed in with
// her password a moment ago (so in sudo mode), and EmailChanges over it.
type emailEnv struct {
	storage storage
	core    *auth.Auth
	clock   *clock
	notices *noticeRecorder
	changes *tokens.EmailChanges
	user    luciapg.User
	session auth.Session
}

const (
	adaEmail    = "ada@example.com"
	adaPassword = "correct horse battery staple"
)

func eachEmailBackend(t *testing.T, test func(t *testing.T, env *emailEnv)) {
	t.Helper()
	for _, b := range emailBackends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			test(t, newEmailEnv(t, b.new(t)))
		})
	}
}

func newEmailEnv(t *testing.T, s storage) *emailEnv {
	t.Helper()
	c := &clock{now: startTime}
	notices := &noticeRecorder{}
	core, err := auth.New(s, auth.Config{Now: c.Now, PasswordHasher: fastHasher{}, Notifier: notices})
	wantNoErr(t, "auth.New", err)
	ctx := t.Context()
	user, err := core.CreateUser(ctx, auth.CreateUserParams{
		Key:        &auth.PrimaryKeyParams{ProviderID: "email", ProviderUserID: adaEmail, Password: adaPassword},
		Attributes: map[string]any{"email": adaEmail},
	})
	wantNoErr(t, "CreateUser", err)
	result, err := core.BeginLogin(ctx, "email", adaEmail, adaPassword)
	wantNoErr(t, "BeginLogin", err)
	changes, err := tokens.NewEmailChanges(core, tokens.EmailChangeConfig{Column: "email", VerifiedColumn: "email_verified"})
	wantNoErr(t, "NewEmailChanges", err)
	return &emailEnv{storage: s, core: core, clock: c, notices: notices, changes: changes, user: user, session: result.Session}
}

// email is the user's address as stored now.
func (e *emailEnv) email(t *testing.T) any {
	t.Helper()
	user, err := e.core.GetUser(t.Context(), e.user.ID)
	wantNoErr(t, "GetUser", err)
	return user.Attributes["email"]
}

// noticeRecorder is a Notifier that keeps what it is given.
type noticeRecorder struct {
	mu      sync.Mutex
	notices []auth.Notice
	wake    chan struct{}
}

func (n *noticeRecorder) Notify(_ context.Context, notice auth.Notice) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.notices = append(n.notices, notice)
	if n.wake != nil {
		close(n.wake)
		n.wake = nil
	}
	return nil
}

// waitFor returns the first notice of kind, waiting for it (notices are
// sent in the background); after noticeDeadline without it the test
// fails.
func (n *noticeRecorder) waitFor(t *testing.T, kind auth.NoticeKind) auth.Notice {
	t.Helper()
	deadline := time.After(noticeDeadline)
	for {
		n.mu.Lock()
		for _, notice := range n.notices {
			if notice.Kind == kind {
				n.mu.Unlock()
				return notice
			}
		}
		if n.wake == nil {
			n.wake = make(chan struct{})
		}
		wake := n.wake
		n.mu.Unlock()
		select {
		case <-wake:
		case <-deadline:
			t.Fatalf("no %s notice was sent within %v", kind, noticeDeadline)
		}
	}
}

// noticeDeadline is how long waitFor waits for a notice before failing:
// far beyond what sending one in the background takes.
const noticeDeadline = 30 * time.Second

// fastHasher is a PasswordHasher for tests of what happens after a
// password is checked, without scrypt's cost.
type fastHasher struct{}

func (fastHasher) Hash(password string) (string, error) {
	sum := sha256.Sum256([]byte(password))
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

func (h fastHasher) Verify(hash, password string) (bool, error) {
	want, _ := h.Hash(password)
	return subtle.ConstantTimeCompare([]byte(hash), []byte(want)) == 1, nil
}
