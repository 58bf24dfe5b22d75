package luciapg

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// The factor names a session records (SessionFactors.Factors): how the user
// proved who they are when the session was made or last re-authenticated.
const (
	// FactorPassword: a password checked against a key.
	FactorPassword = "password"
	// FactorOAuth: a sign-in with an OAuth or OpenID Connect provider.
	FactorOAuth = "oauth"
	// FactorTOTP: a code from an authenticator app (RFC 6238).
	FactorTOTP = "totp"
	// FactorRecoveryCode: one of the user's single-use recovery codes.
	FactorRecoveryCode = "recovery_code"
	// FactorPasskey: a WebAuthn credential.
	FactorPasskey = "passkey"
)

// TOTP is a user's authenticator-app enrolment, a row of luciapg_totp. The
// secret is stored only encrypted: the Store never sees it in clear.
type TOTP struct {
	UserID string
	// EncryptionKeyID names the application key EncryptedSecret was sealed
	// with, so that keys can be rotated.
	EncryptionKeyID string
	// EncryptedSecret is the sealed secret (nonce and ciphertext).
	EncryptedSecret []byte
	// Confirmed is false until the user has entered one correct code; an
	// unconfirmed enrolment is not a second factor.
	Confirmed bool
	// LastStep is the last time step (Unix seconds / period) whose code was
	// accepted; a code of that step or an earlier one is refused. 0 when
	// none was.
	LastStep int64
	// CreatedAt is when the enrolment began; set by the storage.
	CreatedAt time.Time
}

// Passkey is a WebAuthn credential registered by a user, a row of
// luciapg_passkey.
type Passkey struct {
	// CredentialID is the authenticator's id of the credential (1 to 1,023
	// bytes), unique across all users.
	CredentialID []byte
	UserID       string
	// Name is the user's label for it ("Work laptop"), 1 to 100 characters.
	Name string
	// PublicKey is the credential's COSE-encoded public key.
	PublicKey []byte
	// AttestationType is the attestation format the registration used.
	AttestationType string
	// Transports are the transports the authenticator reported ("usb",
	// "internal", "hybrid" …); read back as an empty slice, never nil,
	// when there are none.
	Transports []string
	// AAGUID identifies the authenticator model; 16 bytes, or nil (an
	// empty one is stored as none).
	AAGUID []byte
	// SignCount is the authenticator's signature counter at its last use.
	SignCount uint32
	// BackupEligible and BackupState are the authenticator data's BE and BS
	// flags: whether the credential can be, and is, synced off the device.
	BackupEligible bool
	BackupState    bool
	// CreatedAt and LastUsedAt are set by the storage; LastUsedAt is the
	// zero time for a passkey never used to sign in.
	CreatedAt  time.Time
	LastUsedAt time.Time
}

// Challenge is a WebAuthn ceremony in progress, a row of
// luciapg_webauthn_challenge: whichever instance began it, any instance can
// finish it, once, before it expires.
type Challenge struct {
	// ID identifies the ceremony; the auth core stores a hash of the token
	// it gives the client, never the token.
	ID string
	// UserID is the user the ceremony is for; empty for a passwordless
	// login, where the authenticator names the user.
	UserID string
	// Purpose says what the ceremony is for, such as "register", "login"
	// or "second_factor"; the auth core refuses a challenge used for
	// another.
	Purpose string
	// Data is the ceremony's state (the challenge bytes and options), as
	// the auth core encodes it.
	Data []byte
	// Expires ends the ceremony.
	Expires time.Time
}

// PendingLogin is a login whose first factor passed and whose second is
// awaited, a row of luciapg_pending_login. It is short-lived, single-use,
// and bound to the client that began it.
type PendingLogin struct {
	// ID identifies it; the auth core stores a hash of the token it gives
	// the client, never the token.
	ID     string
	UserID string
	// ClientBinding is a digest of what identifies the client that began
	// the login; the auth core refuses the login from any other.
	ClientBinding string
	// Factors are the factors already proven (FactorPassword, FactorOAuth):
	// at least one.
	Factors []string
	// KeyID is the key a password login checked, and KeyHashDigest the
	// SHA-256 (hex) of the hash it held then; CompletePendingLogin refuses
	// the login with ErrKeyChanged when the key no longer holds it. Both
	// empty for a login without a password.
	KeyID         string
	KeyHashDigest string
	// Expires ends it.
	Expires time.Time
}

// KeyHashDigest returns what PendingLogin.KeyHashDigest holds for a key
// whose password hash is hashedPassword: its SHA-256, in lower-case hex. A
// digest, so that a pending login's row never holds the hash itself.
func KeyHashDigest(hashedPassword string) string {
	sum := sha256.Sum256([]byte(hashedPassword))
	return hex.EncodeToString(sum[:])
}

// SessionFactors is what luciapg records of a session beside Lucia's row,
// in luciapg_session: which factors made it, and when the user last proved
// who they are in it. A session made by an application that knows nothing
// of it (a Lucia v1 app) has no record, and counts as password-only and
// never freshly authenticated.
type SessionFactors struct {
	SessionID string
	UserID    string
	// Factors are the factors proven, in the order they were: at least one
	// in a record, nil when the session has none.
	Factors []string
	// AuthenticatedAt is when the user last proved who they are in this
	// session: its login, or a later re-authentication (sudo mode).
	AuthenticatedAt time.Time
}

// UserFactors counts a user's second factors.
type UserFactors struct {
	// TOTP is true when the user has a confirmed authenticator app.
	TOTP bool
	// Passkeys is how many passkeys the user has registered.
	Passkeys int
	// RecoveryCodes is how many of the user's recovery codes are unused.
	RecoveryCodes int
}

// HasSecondFactor reports whether a login of the user needs a second
// factor: a confirmed authenticator app or a passkey. Recovery codes alone
// are not one; they stand in for one that was lost.
func (f UserFactors) HasSecondFactor() bool { return f.TOTP || f.Passkeys > 0 }

// FactorAdapter stores second factors, WebAuthn ceremonies, pending logins
// and the factor record of sessions, in luciapg's own tables (luciapg_*),
// never in Lucia's three; every row goes with its user (and a session's
// record with its session, whoever deletes it). The Store, memadapter,
// sessioncache.Cache and replica.Router implement it; the Cache and the
// Router pass every call to the adapter behind them (the Router to the
// primary), without caching. None of its errors holds a secret, an id or a
// code.
//
// A write of something the storage could not hold (an id that is empty,
// longer than MaxIDBytes or not valid text, a passkey name outside 1 to
// 100 characters, an empty factor list, a zero time) is refused with
// ErrInvalidInput naming the field; a lookup of such an id reads as not
// found, without a round trip.
type FactorAdapter interface {
	// GetTOTP returns the user's enrolment, confirmed or not, or
	// ErrFactorNotFound.
	GetTOTP(ctx context.Context, userID string) (TOTP, error)
	// SetTOTP stores an unconfirmed enrolment, replacing an unconfirmed one
	// of the user; ErrFactorExists when the user has a confirmed one,
	// ErrInvalidUserID when there is no such user. Only UserID,
	// EncryptionKeyID and EncryptedSecret are taken from totp: the storage
	// sets the rest (unconfirmed, LastStep 0, CreatedAt now).
	SetTOTP(ctx context.Context, totp TOTP) error
	// ConfirmTOTP makes the user's unconfirmed enrolment a second factor,
	// with step as its last accepted step, or returns ErrFactorNotFound when
	// there is no unconfirmed one.
	ConfirmTOTP(ctx context.Context, userID string, step int64) error
	// UseTOTPStep records step as the last accepted step of the user's
	// confirmed enrolment, only if it is after the last one, atomically
	// (of two concurrent uses of one step, one wins): ErrFactorReplayed
	// otherwise, ErrFactorNotFound without a confirmed enrolment.
	UseTOTPStep(ctx context.Context, userID string, step int64) error
	// DeleteTOTP removes the user's enrolment, confirmed or not;
	// ErrFactorNotFound when there is none.
	DeleteTOTP(ctx context.Context, userID string) error

	// SetRecoveryCodes replaces the user's recovery codes, used or not, with
	// codeHashes (what the auth core derives from each code), atomically;
	// ErrInvalidUserID when there is no such user, ErrInvalidInput when a
	// hash is given twice.
	SetRecoveryCodes(ctx context.Context, userID string, codeHashes []string) error
	// UseRecoveryCode marks the user's unused code with this hash used, at
	// once for all callers (of two concurrent uses, one wins), or returns
	// ErrFactorNotFound.
	UseRecoveryCode(ctx context.Context, userID, codeHash string) error

	// SetPasskey stores a new passkey; ErrFactorExists when its credential
	// id is taken (by any user), ErrInvalidUserID when there is no such
	// user. Its CreatedAt and LastUsedAt are set by the storage.
	SetPasskey(ctx context.Context, passkey Passkey) error
	// GetPasskey returns the passkey with this credential id, or
	// ErrFactorNotFound.
	GetPasskey(ctx context.Context, credentialID []byte) (Passkey, error)
	// GetPasskeysByUserID returns the user's passkeys, oldest first (by
	// CreatedAt, then by credential id), and an empty slice for none.
	GetPasskeysByUserID(ctx context.Context, userID string) ([]Passkey, error)
	// RenamePasskey renames the user's passkey, or returns
	// ErrFactorNotFound when the user has no passkey with this id.
	RenamePasskey(ctx context.Context, userID string, credentialID []byte, name string) error
	// DeletePasskey removes the user's passkey, or returns
	// ErrFactorNotFound when the user has no passkey with this id.
	DeletePasskey(ctx context.Context, userID string, credentialID []byte) error
	// UpdatePasskeyUse records a use of the passkey: its new signature
	// counter and backup state, and usedAt, only while its counter is still
	// oldSignCount (compare and set): ErrFactorReplayed otherwise (a
	// concurrent use of the same credential), ErrFactorNotFound when it is
	// gone.
	UpdatePasskeyUse(ctx context.Context, credentialID []byte, oldSignCount, newSignCount uint32, backupState bool, usedAt time.Time) error
	// PasskeyUserHandle returns the user's WebAuthn user handle, storing
	// candidate as it when the user has none yet (of two concurrent calls,
	// both return the one stored first); ErrInvalidUserID when there is no
	// such user, ErrFactorExists when candidate is another user's handle
	// (random 64-byte handles never collide).
	PasskeyUserHandle(ctx context.Context, userID string, candidate []byte) ([]byte, error)
	// GetUserIDByPasskeyHandle returns the user whose handle this is, or
	// ErrInvalidUserID.
	GetUserIDByPasskeyHandle(ctx context.Context, handle []byte) (string, error)

	// SetChallenge stores a ceremony; ErrInvalidUserID when it names a user
	// that does not exist, ErrFactorExists when its id is taken.
	SetChallenge(ctx context.Context, challenge Challenge) error
	// ConsumeChallenge deletes the ceremony and returns it, or returns
	// ErrChallengeNotFound when there is none, it expired before now, or a
	// concurrent call consumed it first. An expired ceremony is left for
	// PurgeExpiredCeremonies.
	ConsumeChallenge(ctx context.Context, id string, now time.Time) (Challenge, error)

	// SetPendingLogin stores a pending login; ErrInvalidUserID when there is
	// no such user, ErrFactorExists when its id is taken.
	SetPendingLogin(ctx context.Context, pending PendingLogin) error
	// GetPendingLogin returns the pending login, or ErrPendingLoginNotFound
	// when there is none or it expired before now.
	GetPendingLogin(ctx context.Context, id string, now time.Time) (PendingLogin, error)
	// CompletePendingLogin turns the pending login into session, in one
	// transaction: it deletes the pending login (ErrPendingLoginNotFound
	// when there is none, it expired before now, or a concurrent call
	// completed it first), checks its key as SetSessionForKey does
	// (ErrKeyChanged), and inserts session and factors (whose SessionID
	// and UserID must be session's, and UserID the pending login's:
	// ErrInvalidInput otherwise). On any error nothing is written.
	CompletePendingLogin(ctx context.Context, id string, now time.Time, session Session, factors SessionFactors) error

	// GetSessionFactors returns, in one round trip, the session's factor
	// record (with Factors nil and AuthenticatedAt zero when it has none;
	// SessionID and UserID are the session's either way) and its user's
	// second factors, or ErrInvalidSessionID when there is no such session.
	GetSessionFactors(ctx context.Context, sessionID string) (SessionFactors, UserFactors, error)
	// SetSessionFactors stores the session's factor record, replacing the
	// one it had; ErrInvalidSessionID when there is no such session, and
	// ErrInvalidInput when UserID is not the session's.
	SetSessionFactors(ctx context.Context, factors SessionFactors) error
	// GetUserFactors counts the user's second factors (zero for an unknown
	// user).
	GetUserFactors(ctx context.Context, userID string) (UserFactors, error)
	// DeleteSecondFactors removes every second factor of the user (its
	// authenticator app, recovery codes, passkeys and user handle) and its
	// pending logins and ceremonies, atomically: what a support desk's
	// reset does before it ends the user's sessions. The sessions' factor
	// records stay; an unknown user is a no-op.
	DeleteSecondFactors(ctx context.Context, userID string) error
	// PurgeExpiredCeremonies deletes challenges and pending logins that
	// expired before before, and returns how many.
	PurgeExpiredCeremonies(ctx context.Context, before time.Time) (int64, error)
}
