package passkey_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/auth/passkey"
)

// A user registers two passkeys, lists, renames and removes them; a
// removed one signs nobody in.
func TestRegisterListRenameRemove(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	laptop := &authenticator{origin: origin}
	phone := &authenticator{origin: origin, backup: true, noCounter: true}
	session := e.newUser(t)

	k1, p1 := e.register(t, session, laptop, "Laptop")
	if !bytes.Equal(p1.CredentialID, k1.id) || p1.UserID != session.UserID || p1.Name != "Laptop" {
		t.Fatalf("the passkey stored: credential id, user or name is not the registration's (name %q)", p1.Name)
	}
	if p1.SignCount != 1 || p1.BackupEligible || p1.BackupState || p1.AttestationType != "none" || p1.AAGUID != nil {
		t.Fatalf("the passkey stored: count %d, BE %v, BS %v, attestation %q, AAGUID %x; want 1, false, false, none, none",
			p1.SignCount, p1.BackupEligible, p1.BackupState, p1.AttestationType, p1.AAGUID)
	}
	if !slices.Equal(p1.Transports, []string{"internal", "hybrid"}) || p1.CreatedAt.IsZero() || !p1.LastUsedAt.IsZero() {
		t.Fatalf("the passkey stored: transports %v, created %v, last used %v", p1.Transports, p1.CreatedAt, p1.LastUsedAt)
	}

	// The session that registered the user's first passkey has proven
	// it: no second step, and sudo mode goes on.
	if err := e.auth.RequireSecondFactor(ctx(t), session); err != nil {
		t.Fatalf("RequireSecondFactor in the session that registered the first passkey: %v, want nil", err)
	}
	if err := e.auth.RequireSudo(ctx(t), session); err != nil {
		t.Fatalf("RequireSudo in the session that registered the first passkey: %v, want nil", err)
	}
	e.reauthenticate(t, session, laptop, k1)
	k2, p2 := e.register(t, session, phone, "  Phone\t")
	if p2.Name != "Phone" || !p2.BackupEligible || !p2.BackupState || p2.SignCount != 0 {
		t.Fatalf("the second passkey: name %q, BE %v, BS %v, count %d; want Phone, true, true, 0", p2.Name, p2.BackupEligible, p2.BackupState, p2.SignCount)
	}

	list, err := e.pk.List(ctx(t), session.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Name != "Laptop" || list[1].Name != "Phone" {
		t.Fatalf("List: %d passkeys, want Laptop then Phone", len(list))
	}
	if list[0].LastUsedAt.IsZero() {
		t.Fatal("the laptop's passkey signed the re-authentication, but has no last use")
	}

	if err := e.pk.Rename(ctx(t), session, k2.id, "Work phone"); err != nil {
		t.Fatalf("Rename: %v", err)
	}
	if got := e.stored(t, session.UserID, k2).Name; got != "Work phone" {
		t.Fatalf("renamed to %q, want Work phone", got)
	}
	for _, bad := range []string{"", "   ", strings.Repeat("é", passkey.MaxNameLength+1), "two\nlines"} {
		if err := e.pk.Rename(ctx(t), session, k2.id, bad); !errors.Is(err, luciapg.ErrInvalidInput) {
			t.Fatalf("Rename to a bad name: %v, want ErrInvalidInput", err)
		}
	}

	if err := e.pk.Remove(ctx(t), session, k1.id); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	list, err = e.pk.List(ctx(t), session.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || !bytes.Equal(list[0].CredentialID, k2.id) {
		t.Fatalf("after Remove: %d passkeys, want the phone's only", len(list))
	}
	if err := e.pk.Remove(ctx(t), session, k1.id); !errors.Is(err, luciapg.ErrFactorNotFound) {
		t.Fatalf("Remove again: %v, want ErrFactorNotFound", err)
	}

	c, err := e.pk.BeginLogin(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.pk.FinishLogin(ctx(t), c.Token, laptop.get(t, c.Options, k1))
	refused(t, "a login with a removed passkey", err, secretsOf(c, k1, session))
}

// The registration's options: a discoverable credential with user
// verification preferred, no attestation, the user's passkeys excluded,
// the names Config.UserName gives, and a user handle that is random (not
// the user id), the same for each of the user's registrations, and
// another user's own.
func TestRegistrationOptions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := &authenticator{origin: origin}
	pk, err := passkey.New(e.auth, passkey.Config{
		RPID:          rpID,
		RPDisplayName: "Example",
		RPOrigins:     []string{origin},
		Now:           e.clock.Now,
		UserName: func(_ context.Context, userID string) (string, string, error) {
			return "ada@example.com", "Ada Lovelace", nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	session := e.newUser(t)
	c, err := pk.BeginRegistration(ctx(t), session)
	if err != nil {
		t.Fatal(err)
	}
	o := parseCreation(t, c.Options).PublicKey
	if o.RP.ID != rpID || o.RP.Name != "Example" {
		t.Errorf("rp %+v, want %s, Example", o.RP, rpID)
	}
	if o.User.Name != "ada@example.com" || o.User.DisplayName != "Ada Lovelace" {
		t.Errorf("user names %q, %q: want Config.UserName's", o.User.Name, o.User.DisplayName)
	}
	handle := unb64(t, o.User.ID)
	if len(handle) != 32 || bytes.Contains(handle, []byte(session.UserID)) {
		t.Errorf("user handle of %d bytes (or holding the user id), want 32 random bytes", len(handle))
	}
	sel := o.AuthenticatorSelection
	if sel.ResidentKey != "required" || sel.RequireResidentKey == nil || !*sel.RequireResidentKey || sel.UserVerification != "preferred" {
		t.Errorf("authenticatorSelection %+v, want residentKey required, requireResidentKey, userVerification preferred", sel)
	}
	if o.Attestation != "none" {
		t.Errorf("attestation %q, want none", o.Attestation)
	}
	if want := int(passkey.DefaultTimeout / time.Millisecond); o.Timeout != want {
		t.Errorf("timeout %d ms, want %d", o.Timeout, want)
	}
	if len(o.ExcludeCredentials) != 0 || len(unb64(t, o.Challenge)) < 16 {
		t.Errorf("a first registration: %d exclusions, challenge of %d bytes", len(o.ExcludeCredentials), len(unb64(t, o.Challenge)))
	}
	response, k := a.create(t, c.Options)
	if _, err := pk.FinishRegistration(ctx(t), session, c.Token, "Laptop", response); err != nil {
		t.Fatal(err)
	}

	e.reauthenticate(t, session, a, k)
	c, err = pk.BeginRegistration(ctx(t), session)
	if err != nil {
		t.Fatal(err)
	}
	o = parseCreation(t, c.Options).PublicKey
	if !bytes.Equal(unb64(t, o.User.ID), handle) {
		t.Error("the user's second registration has another user handle")
	}
	if len(o.ExcludeCredentials) != 1 || !bytes.Equal(unb64(t, o.ExcludeCredentials[0].ID), k.id) {
		t.Errorf("excludeCredentials %v, want the user's passkey", o.ExcludeCredentials)
	}

	other := e.newUser(t)
	c, err = pk.BeginRegistration(ctx(t), other)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(unb64(t, parseCreation(t, c.Options).PublicKey.User.ID), handle) {
		t.Error("two users have one user handle")
	}
}

// Registering needs sudo mode at both steps; a name is checked before the
// ceremony is used up.
func TestRegistrationNeedsSudo(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := &authenticator{origin: origin}
	session := e.newUser(t)

	// A session with no factor record, as a Lucia v1 app makes them.
	bare, err := e.auth.CreateSession(ctx(t), session.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.pk.BeginRegistration(ctx(t), bare); !errors.Is(err, auth.ErrSudoRequired) {
		t.Fatalf("BeginRegistration in a session with no record: %v, want ErrSudoRequired", err)
	}

	c, err := e.pk.BeginRegistration(ctx(t), session)
	if err != nil {
		t.Fatal(err)
	}
	response, _ := a.create(t, c.Options)
	if _, err := e.pk.FinishRegistration(ctx(t), session, c.Token, " ", response); !errors.Is(err, luciapg.ErrInvalidInput) {
		t.Fatalf("FinishRegistration with a blank name: %v, want ErrInvalidInput", err)
	}
	e.clock.Advance(sudoPeriod + time.Second)
	if _, err := e.pk.FinishRegistration(ctx(t), session, c.Token, "Laptop", response); !errors.Is(err, auth.ErrSudoRequired) {
		t.Fatalf("FinishRegistration after sudo mode lapsed: %v, want ErrSudoRequired", err)
	}
	if _, err := e.pk.BeginRegistration(ctx(t), session); !errors.Is(err, auth.ErrSudoRequired) {
		t.Fatalf("BeginRegistration after sudo mode lapsed: %v, want ErrSudoRequired", err)
	}
	if passkeys, _ := e.pk.List(ctx(t), session.UserID); len(passkeys) != 0 {
		t.Fatalf("the user has %d passkeys, want none", len(passkeys))
	}
}

// A passwordless login begun on one instance finishes on another: a
// session recording the passkey, and the passkey's use recorded.
func TestPasswordlessLoginAcrossInstances(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := &authenticator{origin: origin}
	session := e.newUser(t)
	k, _ := e.register(t, session, a, "Laptop")
	other := e.newInstance(e.clock)

	c, err := e.pk.BeginLogin(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	o := parseRequest(t, c.Options).PublicKey
	if len(o.AllowCredentials) != 0 || o.UserVerification != "required" || o.RPID != rpID {
		t.Fatalf("login options: %d allowed credentials, userVerification %q, rpId %q; want none, required, %s",
			len(o.AllowCredentials), o.UserVerification, o.RPID, rpID)
	}
	e.clock.Advance(time.Minute)
	got, err := other.pk.FinishLogin(ctx(t), c.Token, a.get(t, c.Options, k))
	if err != nil {
		t.Fatalf("FinishLogin on the other instance: %v", err)
	}
	if got.UserID != session.UserID {
		t.Fatal("FinishLogin signed in another user")
	}
	if _, err := e.auth.ValidateSession(ctx(t), got.ID); err != nil {
		t.Fatalf("ValidateSession of the new session: %v", err)
	}
	factors, _, err := e.auth.SessionFactors(ctx(t), got)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(factors.Factors, luciapg.FactorPasskey) {
		t.Fatalf("the session's factors %v, want %s among them", factors.Factors, luciapg.FactorPasskey)
	}
	p := e.stored(t, session.UserID, k)
	if p.SignCount != k.counter || !p.LastUsedAt.Equal(e.clock.Now()) {
		t.Fatalf("the passkey's use: count %d, last used %v; want %d, %v", p.SignCount, p.LastUsedAt, k.counter, e.clock.Now())
	}
}

// A passkey completes a login left pending by a first factor; the pending
// login is then used up. User verification is not needed for a second
// factor.
func TestSecondFactorCompletesPendingLogin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := &authenticator{origin: origin}
	session := e.newUser(t)
	k, _ := e.register(t, session, a, "Security key")
	other := e.newInstance(e.clock)

	result, err := e.auth.BeginLoginForUser(ctx(t), session.UserID, luciapg.FactorOAuth)
	if err != nil {
		t.Fatal(err)
	}
	if result.Pending == nil {
		t.Fatal("BeginLoginForUser: no pending login for a user with a passkey")
	}
	pending := result.Pending.Token
	c, err := other.pk.BeginSecondFactor(ctx(t), pending)
	if err != nil {
		t.Fatalf("BeginSecondFactor: %v", err)
	}
	o := parseRequest(t, c.Options).PublicKey
	if len(o.AllowCredentials) != 1 || !bytes.Equal(unb64(t, o.AllowCredentials[0].ID), k.id) || o.UserVerification != "preferred" {
		t.Fatalf("second-factor options: allowCredentials %v, userVerification %q; want the user's passkey, preferred", o.AllowCredentials, o.UserVerification)
	}
	noUV := &authenticator{origin: origin, noUV: true}
	got, err := e.pk.FinishSecondFactor(ctx(t), pending, c.Token, noUV.get(t, c.Options, k))
	if err != nil {
		t.Fatalf("FinishSecondFactor: %v", err)
	}
	if got.UserID != session.UserID {
		t.Fatal("FinishSecondFactor signed in another user")
	}
	factors, _, err := e.auth.SessionFactors(ctx(t), got)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(factors.Factors, []string{luciapg.FactorOAuth, luciapg.FactorPasskey}) {
		t.Fatalf("the session's factors %v, want oauth then passkey", factors.Factors)
	}
	if err := e.auth.RequireSecondFactor(ctx(t), got); err != nil {
		t.Fatalf("RequireSecondFactor of the session: %v", err)
	}

	if _, err := e.pk.BeginSecondFactor(ctx(t), pending); !errors.Is(err, auth.ErrInvalidPendingLogin) {
		t.Fatalf("BeginSecondFactor of a completed login: %v, want ErrInvalidPendingLogin", err)
	}
}

// Re-authenticating with a passkey puts the session in sudo mode for
// Config.SudoPeriod.
func TestReauthentication(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := &authenticator{origin: origin}
	session := e.newUser(t)
	k, _ := e.register(t, session, a, "Laptop")
	// Another session of the user, made as a Lucia v1 app makes them:
	// password-only, never in sudo mode.
	session, err := e.auth.CreateSession(ctx(t), session.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.auth.RequireSudo(ctx(t), session); !errors.Is(err, auth.ErrSudoRequired) {
		t.Fatalf("RequireSudo in a password-only session of a user with a passkey: %v, want ErrSudoRequired", err)
	}
	c, err := e.pk.BeginReauthentication(ctx(t), session)
	if err != nil {
		t.Fatal(err)
	}
	o := parseRequest(t, c.Options).PublicKey
	if len(o.AllowCredentials) != 1 || o.UserVerification != "required" {
		t.Fatalf("re-authentication options: %d allowed credentials, userVerification %q; want 1, required", len(o.AllowCredentials), o.UserVerification)
	}
	if err := e.pk.FinishReauthentication(ctx(t), session, c.Token, a.get(t, c.Options, k)); err != nil {
		t.Fatalf("FinishReauthentication: %v", err)
	}
	if err := e.auth.RequireSudo(ctx(t), session); err != nil {
		t.Fatalf("RequireSudo after re-authenticating: %v", err)
	}
	e.clock.Advance(sudoPeriod + time.Second)
	if err := e.auth.RequireSudo(ctx(t), session); !errors.Is(err, auth.ErrSudoRequired) {
		t.Fatalf("RequireSudo after SudoPeriod: %v, want ErrSudoRequired", err)
	}

	// A user without a passkey has nothing to re-authenticate with.
	bare := e.newUser(t)
	if _, err := e.pk.BeginReauthentication(ctx(t), bare); !errors.Is(err, luciapg.ErrFactorNotFound) {
		t.Fatalf("BeginReauthentication without a passkey: %v, want ErrFactorNotFound", err)
	}
}
