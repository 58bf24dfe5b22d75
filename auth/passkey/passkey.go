package passkey

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
)

// DefaultTimeout is how long a ceremony may take when Config.Timeout is
// zero: the browser's timeout, and how long its challenge is kept.
const DefaultTimeout = 5 * time.Minute

// Config describes the relying party (the site) and tunes the ceremonies.
type Config struct {
	// RPID is the relying party id: the site's domain ("example.com"),
	// which every origin's host must equal or be a subdomain of. A
	// passkey works only on the RPID it was made for, so choose the
	// registrable domain once. Browsers accept no IP address here; use
	// "localhost" in development.
	RPID string
	// RPDisplayName is the site's name as the browser shows it.
	RPDisplayName string
	// RPOrigins are the origins the pages calling WebAuthn are served
	// from ("https://example.com", "https://login.example.com"): scheme,
	// host and port only. Plain http is accepted for localhost alone.
	RPOrigins []string
	// Timeout bounds a ceremony, from Begin to Finish; zero means
	// DefaultTimeout (5 minutes).
	Timeout time.Duration
	// Now is the clock that dates ceremonies and uses; nil means
	// time.Now. Tests set it to move a clock.
	Now func() time.Time
	// UserName gives the name (such as an email or username) and display
	// name the authenticator stores with a new passkey and shows when the
	// user picks one. Nil means the user id for both.
	UserName func(ctx context.Context, userID string) (name, displayName string, err error)
}

// Passkeys registers passkeys and signs users in with them, over an Auth
// whose adapter is a luciapg.FactorAdapter. Every ceremony lives in the
// database, so any instance sharing it can finish a ceremony another one
// began. It is safe for concurrent use.
type Passkeys struct {
	auth     *auth.Auth
	factors  luciapg.FactorAdapter
	webauthn *webauthn.WebAuthn
	cfg      Config
}

// Ceremony is a WebAuthn ceremony begun: what the browser needs to run it,
// and the token that names it when the browser's response comes back.
type Ceremony struct {
	// Token names the ceremony; send it to the client with Options (a
	// hidden field, or a short-lived cookie) and pass it to the Finish
	// call. It is a secret of the client's: never log it. The database
	// holds only its SHA-256.
	Token string
	// Options is the JSON of {"publicKey": {…}} with binary fields in
	// base64url: pass its publicKey member to
	// PublicKeyCredential.parseCreationOptionsFromJSON (registration) or
	// parseRequestOptionsFromJSON (the others), then to
	// navigator.credentials.create or get.
	Options []byte
	// Expires ends the ceremony: a Finish after it is refused.
	Expires time.Time
}

// New returns Passkeys for a, or an error wrapping luciapg.ErrInvalidConfig
// that names the field at fault, or auth.ErrSecondFactorsUnavailable when
// a's adapter stores no second factors.
func New(a *auth.Auth, cfg Config) (*Passkeys, error) {
	if a == nil {
		return nil, fmt.Errorf("%w: passkey: nil *auth.Auth", luciapg.ErrInvalidConfig)
	}
	if err := checkConfig(&cfg); err != nil {
		return nil, fmt.Errorf("%w: %w", luciapg.ErrInvalidConfig, err)
	}
	factors, err := a.FactorAdapter()
	if err != nil {
		return nil, fmt.Errorf("passkey: %w", err)
	}
	w, err := webauthn.New(&webauthn.Config{
		RPID:                  cfg.RPID,
		RPDisplayName:         cfg.RPDisplayName,
		RPOrigins:             append([]string(nil), cfg.RPOrigins...),
		AttestationPreference: protocol.PreferNoAttestation,
		// Enforce stays off: go-webauthn would read time.Now, while the
		// stored challenge's expiry, on Config.Now, already bounds a
		// ceremony.
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Timeout: cfg.Timeout, TimeoutUVD: cfg.Timeout},
			Registration: webauthn.TimeoutConfig{Timeout: cfg.Timeout, TimeoutUVD: cfg.Timeout},
		},
	})
	if err != nil {
		// Checked above already; its text holds nothing but configuration.
		return nil, fmt.Errorf("%w: passkey: %s", luciapg.ErrInvalidConfig, oneLine(err.Error()))
	}
	return &Passkeys{auth: a, factors: factors, webauthn: w, cfg: cfg}, nil
}

// checkConfig refuses what a browser would refuse, naming the field, and
// fills in the defaults.
func checkConfig(cfg *Config) error {
	if cfg.RPID == "" {
		return errors.New("passkey: RPID is empty")
	}
	if err := protocol.ValidateRPID(cfg.RPID); err != nil || strings.ContainsAny(cfg.RPID, ":/") || net.ParseIP(cfg.RPID) != nil {
		return errors.New("passkey: RPID is not a domain name")
	}
	if strings.TrimSpace(cfg.RPDisplayName) == "" {
		return errors.New("passkey: RPDisplayName is empty")
	}
	if len(cfg.RPOrigins) == 0 {
		return errors.New("passkey: RPOrigins is empty")
	}
	for i, origin := range cfg.RPOrigins {
		if err := checkOrigin(origin, cfg.RPID); err != nil {
			return fmt.Errorf("passkey: RPOrigins[%d] %w", i, err)
		}
	}
	if cfg.Timeout < 0 {
		return errors.New("passkey: Timeout is negative")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.UserName == nil {
		cfg.UserName = func(_ context.Context, userID string) (string, string, error) { return userID, userID, nil }
	}
	return nil
}

// checkOrigin refuses an origin that is not scheme://host[:port] on rpID
// or a subdomain of it, or that is plain http off localhost.
func checkOrigin(origin, rpID string) error {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return errors.New("is not an origin (scheme://host[:port])")
	}
	host := u.Hostname()
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && (host == "localhost" || strings.HasSuffix(host, ".localhost")):
	default:
		return errors.New("is not https (plain http is for localhost only)")
	}
	if host != rpID && !strings.HasSuffix(host, "."+rpID) {
		return errors.New("is not on RPID or a subdomain of it")
	}
	return nil
}

// oneLine keeps an error's text on one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
