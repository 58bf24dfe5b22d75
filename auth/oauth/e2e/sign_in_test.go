package e2e

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/auth/oauth"
)

// An id above 2^53: read as a float64 it would round, and the key would
// not be the one @lucia-auth/oauth wrote (String(id)).
const bigGitHubID = "12345678901234567"

// The first sign-in creates the user with the key "github:<id>", primary
// and without a password, as @lucia-auth/oauth 1.x does; the second finds
// the same user and creates nothing.
func TestSignInCreatesUserThenFindsIt(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "github")
	first := e.signIn(t, bigGitHubID, "")
	if !first.Created || first.Linked {
		t.Errorf("first sign-in: Created %v, Linked %v; want a created user", first.Created, first.Linked)
	}
	var keyID string
	var primary, hasPassword bool
	err := e.pool.QueryRow(t.Context(), "SELECT id, primary_key, hashed_password IS NOT NULL FROM auth_key WHERE user_id = $1", first.User.ID).
		Scan(&keyID, &primary, &hasPassword)
	if err != nil {
		t.Fatal(err)
	}
	if keyID != "github:"+bigGitHubID || !primary || hasPassword {
		t.Errorf("key %q primary %v password %v; want github:%s, primary, no password", keyID, primary, hasPassword, bigGitHubID)
	}

	second := e.signIn(t, bigGitHubID, "")
	if second.Created || second.User.ID != first.User.ID || second.Key.ProviderUserID != bigGitHubID {
		t.Errorf("second sign-in: Created %v, user %q (first %q), key %+v", second.Created, second.User.ID, first.User.ID, second.Key)
	}
	e.wantRows(t, 1, 1)
}

// A user whose key a Lucia v1 app created ("github:<id>", no password) is
// found, not duplicated.
func TestSignInFindsUserMadeByLucia(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "github")
	if _, err := e.pool.Exec(t.Context(), `INSERT INTO auth_user (id) VALUES ('luciauser123456');
		INSERT INTO auth_key (id, user_id, primary_key, hashed_password, expires) VALUES ('github:583231', 'luciauser123456', true, NULL, NULL)`); err != nil {
		t.Fatal(err)
	}
	res := e.signIn(t, "583231", "")
	if res.Created || res.User.ID != "luciauser123456" {
		t.Errorf("got user %q created %v; want the existing luciauser123456", res.User.ID, res.Created)
	}
	e.wantRows(t, 1, 1)
}

// Google's key is "google:<sub>".
func TestGoogleKeyIsSub(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "google")
	res := e.signIn(t, "google-sub-0a1b2c", "")
	if _, err := e.auth.GetKey(t.Context(), "google", "google-sub-0a1b2c"); err != nil || res.Key.UserID != res.User.ID {
		t.Errorf("GetKey(google, sub): %v; result key %+v", err, res.Key)
	}
}

// A signed-in user links a provider account: the key is added to that
// user, and linking it again is a no-op.
func TestLinkToSignedInUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "github")
	user, err := e.auth.CreateUser(t.Context(), auth.CreateUserParams{
		Key: &auth.PrimaryKeyParams{ProviderID: "username", ProviderUserID: "ada", Password: "correct horse"},
	})
	if err != nil {
		t.Fatal(err)
	}
	res := e.signIn(t, "777", user.ID)
	if !res.Linked || res.User.ID != user.ID || res.Key.Primary {
		t.Errorf("link: %+v; want Linked to %s, not primary", res, user.ID)
	}
	again := e.signIn(t, "777", user.ID)
	if again.Linked || again.User.ID != user.ID {
		t.Errorf("link again: %+v; want already linked to %s", again, user.ID)
	}
	// Signing in with it now finds that user.
	if in := e.signIn(t, "777", ""); in.User.ID != user.ID || in.Created {
		t.Errorf("sign-in after link: %+v", in)
	}
	e.wantRows(t, 1, 2)
}

// Linking an account that is another user's key is refused, writing
// nothing.
func TestLinkAccountOfAnotherUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "github")
	owner := e.signIn(t, "4242", "")
	other, err := e.auth.CreateUser(t.Context(), auth.CreateUserParams{})
	if err != nil {
		t.Fatal(err)
	}
	authURL, cookie := e.start(t)
	loc := e.authorize(t, authURL, "4242")
	_, err = e.callback(t, loc, cookie, other.ID)
	refused(t, err, oauth.ErrLinkedToOtherUser, secretsOf(loc, cookie)...)
	if key, err := e.auth.GetKey(t.Context(), "github", "4242"); err != nil || key.UserID != owner.User.ID {
		t.Errorf("key after refused link: %+v, %v; want still %s's", key, err, owner.User.ID)
	}
	e.wantRows(t, 2, 1)
}

// Concurrent first sign-ins of one account make one user.
func TestConcurrentFirstSignIns(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "github")
	const n = 4
	locs := make([]string, n)
	cookies := make([]*http.Cookie, n)
	for i := range n {
		authURL, c := e.start(t)
		locs[i] = e.authorize(t, authURL, "9001")
		cookies[i] = c
	}
	ids := make(chan string, n)
	errs := make(chan error, n)
	for i := range n {
		go func() {
			res, err := e.callback(t, locs[i], cookies[i], "")
			if err != nil {
				errs <- err
				return
			}
			ids <- res.User.ID
		}()
	}
	var first string
	for range n {
		select {
		case err := <-errs:
			if !errors.Is(err, auth.ErrTooManyAttempts) {
				t.Errorf("concurrent sign-in: %v", err)
			}
		case id := <-ids:
			if first == "" {
				first = id
			} else if id != first {
				t.Errorf("two users for one account: %s and %s", first, id)
			}
		}
	}
	e.wantRows(t, 1, 1)
}

// When another instance creates the same account's user between this
// sign-in's lookup and its CreateUser, the sign-in returns that user
// instead of failing or making a second one.
func TestSignInLosesCreateRace(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "github")
	var winner string
	flow, err := oauth.New(e.auth, as(t, e.provider, "github"), oauth.Config{
		NewUserAttributes: func(ctx context.Context, providerUserID string) (map[string]any, error) {
			// The other instance, just before this one's CreateUser.
			u, err := e.auth.CreateUser(ctx, auth.CreateUserParams{Key: &auth.PrimaryKeyParams{ProviderID: "github", ProviderUserID: providerUserID}})
			winner = u.ID
			return nil, err
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.flow = flow
	res := e.signIn(t, "31337", "")
	if res.Created || res.User.ID != winner || winner == "" {
		t.Errorf("got user %q created %v; want the other instance's %q", res.User.ID, res.Created, winner)
	}
	e.wantRows(t, 1, 1)
}
