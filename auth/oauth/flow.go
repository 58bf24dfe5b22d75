package oauth

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"golang.org/x/oauth2"
)

// DefaultStateTTL is how long a started sign-in may take: the state
// cookie's lifetime when Config.StateTTL is zero.
const DefaultStateTTL = 10 * time.Minute

// Config tunes a Flow; the zero value is right for production.
type Config struct {
	// InsecureCookie drops the state cookie's Secure attribute (and its
	// __Host- prefix), for development over plain http. New refuses it
	// unless the provider's redirect URL is on a loopback host.
	InsecureCookie bool
	// StateTTL bounds the time from Start to Callback; zero means
	// DefaultStateTTL.
	StateTTL time.Duration
	// StateKey signs the state cookie (HMAC-SHA256), so Callback refuses
	// a cookie it did not make before remembering anything of it: at
	// least 32 random bytes. Nil means a random key made by New, which
	// only that Flow knows: several instances behind one domain (or one
	// restarting) must share a key, or a sign-in started on one and
	// finished on another is refused as ErrStateMismatch.
	StateKey []byte
	// HTTPClient talks to the provider; nil means a client with a 30 s
	// timeout.
	HTTPClient *http.Client
	// NewUserAttributes, when set, gives the auth_user attributes of a
	// user created by a first sign-in.
	NewUserAttributes func(ctx context.Context, providerUserID string) (map[string]any, error)
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Flow signs users in with one provider. It is safe for concurrent use.
type Flow struct {
	auth     *auth.Auth
	provider Provider
	cfg      Config
	client   *http.Client
	stateKey []byte
	used     *usedStates
}

// New returns a Flow for provider over a, or an error saying what is
// wrong with the provider or the configuration.
func New(a *auth.Auth, provider Provider, cfg Config) (*Flow, error) {
	if a == nil {
		return nil, fmt.Errorf("%w: oauth: nil *auth.Auth", luciapg.ErrInvalidConfig)
	}
	if err := provider.check(); err != nil {
		return nil, fmt.Errorf("%w: %w", luciapg.ErrInvalidConfig, err)
	}
	if cfg.InsecureCookie && !loopbackURL(provider.OAuth2.RedirectURL) {
		return nil, fmt.Errorf("%w: oauth: InsecureCookie is for development: the redirect URL must be on localhost or a loopback address", luciapg.ErrInvalidConfig)
	}
	if cfg.StateTTL < 0 {
		return nil, fmt.Errorf("%w: oauth: StateTTL %v is negative", luciapg.ErrInvalidConfig, cfg.StateTTL)
	}
	if cfg.StateTTL == 0 {
		cfg.StateTTL = DefaultStateTTL
	}
	// Not required: the zero Config stays right for one process, and a
	// key made here is as strong as any. Copied, so the caller cannot
	// change it under the Flow; never quoted in an error.
	stateKey := bytes.Clone(cfg.StateKey)
	switch {
	case stateKey == nil:
		stateKey = make([]byte, minStateKeyLength)
		_, _ = rand.Read(stateKey) // crypto/rand.Read never fails (Go 1.24+)
	case len(stateKey) < minStateKeyLength:
		return nil, fmt.Errorf("%w: oauth: StateKey has %d bytes; it needs at least %d", luciapg.ErrInvalidConfig, len(stateKey), minStateKeyLength)
	}
	cfg.StateKey = nil
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	return &Flow{auth: a, provider: provider, cfg: cfg, client: client, stateKey: stateKey, used: newUsedStates(maxUsedStates)}, nil
}

func loopbackURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	host := u.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ProviderID is the provider's id, the first part of its keys' ids.
func (f *Flow) ProviderID() string { return f.provider.ID }

// Start sets the state cookie on w and returns the provider's
// authorization URL to redirect the browser to.
func (f *Flow) Start(w http.ResponseWriter) string {
	c := stateCookie{state: randomState(), verifier: oauth2.GenerateVerifier(), issued: f.cfg.Now()}
	http.SetCookie(w, f.newCookie(f.encode(c), int(f.cfg.StateTTL/time.Second)))
	return f.provider.OAuth2.AuthCodeURL(c.state, oauth2.S256ChallengeOption(c.verifier))
}

// Redirect is Start followed by a 302 to the provider: a handler for the
// "sign in with ..." link.
func (f *Flow) Redirect(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, f.Start(w), http.StatusFound)
}

// Result is what a successful Callback did.
type Result struct {
	// User is the signed-in (or newly created, or linking) user.
	User luciapg.User
	// Key is the key "provider:ProviderUserID".
	Key auth.Key
	// Created is true when the sign-in created the user.
	Created bool
	// Linked is true when the key was added to signedInUserID's user now.
	Linked bool
}

// Callback handles the provider's redirect back to the application. With
// signedInUserID empty it signs in: the user owning the key, or a new user
// created with it. With signedInUserID set it links the key to that user
// (already linked to it is success, with Linked false). The state cookie
// is deleted whatever the outcome. The caller creates the session (see
// auth.CreateSession) on success.
//
// Errors are this package's sentinels (errors.Is), the auth core's
// (throttling: auth.ErrTooManyAttempts), or the adapter's; none of them
// wrote anything.
func (f *Flow) Callback(w http.ResponseWriter, r *http.Request, signedInUserID string) (Result, error) {
	providerUserID, err := f.providerUser(w, r)
	if err != nil {
		return Result{}, err
	}
	if signedInUserID != "" {
		return f.link(r.Context(), signedInUserID, providerUserID)
	}
	return f.signIn(r.Context(), providerUserID)
}

// Reauthenticate handles the provider's redirect back after a sign-in
// started to prove, again, who the user of session is (sudo mode, see
// auth.Auth.RequireSudo): for a user without a password, a fresh sign-in
// with the provider is that proof. It checks the callback as Callback
// does, then requires the provider account that signed in to be linked to
// session's user, and marks the session freshly authenticated
// (auth.Auth.Reauthenticated with luciapg.FactorOAuth). It creates no user
// and links no key: another account, or one linked to nobody, is
// ErrNotLinkedToUser, so an attacker holding a stolen session gains
// nothing by signing in with their own. It returns the key that signed in.
//
// Start the sign-in with Start as for any other; what tells a
// re-authentication's callback from a sign-in's is the application's own
// (a cookie bound to the session, say).
func (f *Flow) Reauthenticate(w http.ResponseWriter, r *http.Request, session auth.Session) (auth.Key, error) {
	providerUserID, err := f.providerUser(w, r)
	if err != nil {
		return auth.Key{}, err
	}
	key, err := f.auth.GetKey(r.Context(), f.provider.ID, providerUserID)
	if errors.Is(err, luciapg.ErrInvalidKeyID) || err == nil && key.UserID != session.UserID {
		return auth.Key{}, ErrNotLinkedToUser
	}
	if err != nil {
		return auth.Key{}, err
	}
	if err := f.auth.Reauthenticated(r.Context(), session, luciapg.FactorOAuth); err != nil {
		return auth.Key{}, err
	}
	return key, nil
}

// providerUser checks the provider's redirect back (the state against its
// cookie, which it deletes whatever the outcome), exchanges the code and
// returns the id of the provider account that signed in.
func (f *Flow) providerUser(w http.ResponseWriter, r *http.Request) (string, error) {
	f.clearCookie(w)
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		return "", fmt.Errorf("%w: %s", ErrProviderDenied, safeCode(e))
	}
	verifier, err := f.checkState(r, q.Get("state"))
	if err != nil {
		return "", err
	}
	code := q.Get("code")
	if code == "" {
		return "", ErrMissingCode
	}
	ctx := context.WithValue(r.Context(), oauth2.HTTPClient, f.client)
	token, err := f.provider.OAuth2.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return "", exchangeError(ctx, err)
	}
	providerUserID, err := f.provider.UserID(ctx, f.provider.OAuth2.Client(ctx, token))
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		if !errors.Is(err, ErrUserInfo) && !errors.Is(err, ErrProviderUnavailable) {
			err = fmt.Errorf("%w: %w", ErrUserInfo, scrubURLError(err))
		}
		return "", err
	}
	return providerUserID, nil
}

// checkState verifies the cookie's MAC, compares the callback's state
// with the cookie's, in constant time, and spends it; it returns the
// cookie's PKCE verifier. Only a cookie this Flow made reaches the
// used-state set: a flood of forged ones cannot grow it.
func (f *Flow) checkState(r *http.Request, state string) (verifier string, err error) {
	ck, err := r.Cookie(f.cookieName())
	if err != nil || state == "" {
		return "", ErrMissingState
	}
	c, ok, verified := f.decode(ck.Value)
	if !ok {
		return "", ErrMissingState
	}
	if !verified {
		return "", ErrStateMismatch
	}
	if subtle.ConstantTimeCompare([]byte(c.state), []byte(state)) != 1 {
		return "", ErrStateMismatch
	}
	now := f.cfg.Now()
	expires := c.issued.Add(f.cfg.StateTTL)
	if !now.Before(expires) || c.issued.After(now.Add(time.Minute)) {
		return "", ErrStateExpired
	}
	if !f.used.use(state, now, expires) {
		return "", ErrStateReplayed
	}
	return c.verifier, nil
}

// exchangeError classifies a failed code exchange without quoting the
// provider's answer (free text) or the request (which holds the code).
func exchangeError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		if status >= 500 {
			return fmt.Errorf("%w: token endpoint answered %d", ErrProviderUnavailable, status)
		}
		if re.ErrorCode != "" {
			return fmt.Errorf("%w: %s", ErrExchange, safeCode(re.ErrorCode))
		}
		return fmt.Errorf("%w: token endpoint answered %d", ErrExchange, status)
	}
	return fmt.Errorf("%w: %w", ErrProviderUnavailable, scrubURLError(err))
}
