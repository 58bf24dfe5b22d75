package passkey_test

import (
	"errors"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/auth/passkey"
)

// The attacker's tests: each one is something an attacker tries, and what
// must come of it.

// A ceremony is finished once: the same response again, or a fresh
// signature over the same challenge, or two finishes at once, get one
// success at most; the refusals create no session, store no passkey and
// say nothing secret.
func TestAttackChallengeReplayed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := &authenticator{origin: origin}
	session := e.newUser(t)
	// k is the passkey the registration subtest registers, which the
	// others sign with.
	var k *softKey

	t.Run("registration", func(t *testing.T) {
		c, err := e.pk.BeginRegistration(ctx(t), session)
		if err != nil {
			t.Fatal(err)
		}
		var response []byte
		response, k = a.create(t, c.Options)
		if _, err := e.pk.FinishRegistration(ctx(t), session, c.Token, "First", response); err != nil {
			t.Fatalf("FinishRegistration: %v", err)
		}
		// With a passkey now, the session needs it for sudo mode: proven,
		// so that only the used ceremony stands in the way.
		e.reauthenticate(t, session, a, k)
		_, err = e.pk.FinishRegistration(ctx(t), session, c.Token, "Again", response)
		refused(t, "the same registration again", err, secretsOf(c, k, session), passkey.ErrInvalidPasskey, luciapg.ErrChallengeNotFound)
		// A second credential answering the used ceremony is refused too.
		other, k2 := a.create(t, c.Options)
		_, err = e.pk.FinishRegistration(ctx(t), session, c.Token, "Other", other)
		refused(t, "another credential on a used ceremony", err, secretsOf(c, k2, session), passkey.ErrInvalidPasskey, luciapg.ErrChallengeNotFound)
		if passkeys, _ := e.pk.List(ctx(t), session.UserID); len(passkeys) != 1 {
			t.Fatalf("the user has %d passkeys, want the first one only", len(passkeys))
		}
	})

	t.Run("login", func(t *testing.T) {
		userID := session.UserID
		if k == nil {
			t.Skip("no passkey: the registration subtest failed")
		}
		before := e.sessions(t, userID)
		c, err := e.pk.BeginLogin(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		response := a.get(t, c.Options, k)
		if _, err := e.pk.FinishLogin(ctx(t), c.Token, response); err != nil {
			t.Fatalf("FinishLogin: %v", err)
		}
		_, err = e.pk.FinishLogin(ctx(t), c.Token, response)
		refused(t, "the same login again", err, secretsOf(c, k), passkey.ErrInvalidPasskey, luciapg.ErrChallengeNotFound)
		// A fresh signature (its counter higher) over the used challenge.
		_, err = e.pk.FinishLogin(ctx(t), c.Token, a.get(t, c.Options, k))
		refused(t, "a fresh signature over a used challenge", err, secretsOf(c, k), passkey.ErrInvalidPasskey, luciapg.ErrChallengeNotFound)
		// The old response under a new ceremony: its challenge is not the
		// new one's.
		c2, err := e.pk.BeginLogin(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.pk.FinishLogin(ctx(t), c2.Token, response)
		refused(t, "an old response under a new ceremony", err, append(secretsOf(c, k), secretsOf(c2, k)...))
		if got := e.sessions(t, userID); got != before+1 {
			t.Fatalf("the user has %d sessions, want %d: one per ceremony", got, before+1)
		}
	})

	t.Run("concurrent finishes", func(t *testing.T) {
		userID := session.UserID
		if k == nil {
			t.Skip("no passkey: the registration subtest failed")
		}
		before := e.sessions(t, userID)
		c, err := e.pk.BeginLogin(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		const n = 4
		responses := make([][]byte, n)
		for i := range responses {
			responses[i] = a.get(t, c.Options, k) // counters rising: only the challenge can stop them
		}
		second := e.newInstance(e.clock)
		instances := []*instance{e.instance, second}
		errs := runConcurrently(n, func(i int) error {
			_, err := instances[i%2].pk.FinishLogin(ctx(t), c.Token, responses[i])
			return err
		})
		won := 0
		for _, err := range errs {
			if err == nil {
				won++
				continue
			}
			if !errors.Is(err, passkey.ErrInvalidPasskey) {
				t.Errorf("a losing finish: %v, want ErrInvalidPasskey", err)
			}
		}
		if won != 1 {
			t.Fatalf("%d of %d concurrent finishes of one ceremony succeeded, want 1", won, n)
		}
		if got := e.sessions(t, userID); got != before+1 {
			t.Fatalf("the user has %d sessions, want %d", got, before+1)
		}
	})
}

// A ceremony begun on one instance and finished on another after its
// expiry (by that instance's clock) is refused, whichever kind it is, and
// a refused one stays refused.
func TestAttackChallengeExpired(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := &authenticator{origin: origin}
	session := e.newUser(t)
	k, _ := e.register(t, session, a, "Laptop")
	later := newClock()
	other := e.newInstance(later)

	expire := func(c passkey.Ceremony) { later.Set(c.Expires.Add(time.Millisecond)) }

	c, err := e.pk.BeginLogin(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if want := e.clock.Now().Add(passkey.DefaultTimeout); !c.Expires.Equal(want) {
		t.Fatalf("the ceremony expires at %v, want %v (Config.Now plus DefaultTimeout)", c.Expires, want)
	}
	response := a.get(t, c.Options, k)
	expire(c)
	before := e.sessions(t, session.UserID)
	_, err = other.pk.FinishLogin(ctx(t), c.Token, response)
	refused(t, "a login finished by another instance after expiry", err, secretsOf(c, k, session), passkey.ErrInvalidPasskey, luciapg.ErrChallengeNotFound)
	if got := e.sessions(t, session.UserID); got != before {
		t.Fatalf("the user has %d sessions, want %d", got, before)
	}

	// Registration: a second passkey begun in sudo mode, finished late.
	e.reauthenticate(t, session, a, k)
	c, err = e.pk.BeginRegistration(ctx(t), session)
	if err != nil {
		t.Fatal(err)
	}
	response, k2 := a.create(t, c.Options)
	expire(c)
	_, err = other.pk.FinishRegistration(ctx(t), session, c.Token, "Phone", response)
	if errors.Is(err, auth.ErrSudoRequired) {
		t.Fatalf("FinishRegistration on the later instance: %v; the test needs the session in sudo mode there", err)
	}
	refused(t, "a registration finished after expiry", err, secretsOf(c, k2, session), passkey.ErrInvalidPasskey, luciapg.ErrChallengeNotFound)
	if passkeys, _ := e.pk.List(ctx(t), session.UserID); len(passkeys) != 1 {
		t.Fatalf("the user has %d passkeys, want 1", len(passkeys))
	}

	// Re-authentication.
	c, err = e.pk.BeginReauthentication(ctx(t), session)
	if err != nil {
		t.Fatal(err)
	}
	response = a.get(t, c.Options, k)
	expire(c)
	err = other.pk.FinishReauthentication(ctx(t), session, c.Token, response)
	refused(t, "a re-authentication finished after expiry", err, secretsOf(c, k, session), passkey.ErrInvalidPasskey, luciapg.ErrChallengeNotFound)
}

// A ceremony token begun for one thing cannot finish another: a login's
// cannot register or re-authenticate, a registration's cannot sign in, a
// second factor's cannot sign in without a password.
func TestAttackCeremonyForAnotherPurpose(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := &authenticator{origin: origin}
	session := e.newUser(t)
	k, _ := e.register(t, session, a, "Laptop")
	e.reauthenticate(t, session, a, k)

	t.Run("login used to re-authenticate", func(t *testing.T) {
		c, err := e.pk.BeginLogin(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		err = e.pk.FinishReauthentication(ctx(t), session, c.Token, a.get(t, c.Options, k))
		refused(t, "FinishReauthentication with a login's ceremony", err, secretsOf(c, k, session))
	})
	t.Run("login used to register", func(t *testing.T) {
		c, err := e.pk.BeginLogin(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.pk.FinishRegistration(ctx(t), session, c.Token, "Sneaky", a.get(t, c.Options, k))
		refused(t, "FinishRegistration with a login's ceremony", err, secretsOf(c, k, session))
	})
	t.Run("registration used to sign in", func(t *testing.T) {
		c, err := e.pk.BeginRegistration(ctx(t), session)
		if err != nil {
			t.Fatal(err)
		}
		// The challenge signed by a registered key, as if it were a login's.
		k.counter++
		response := a.assert(t, optionsChallenge(c.Options), k, k.counter, k.userHandle)
		_, err = e.pk.FinishLogin(ctx(t), c.Token, response)
		refused(t, "FinishLogin with a registration's ceremony", err, secretsOf(c, k, session))
	})
	t.Run("re-authentication used to sign in", func(t *testing.T) {
		c, err := e.pk.BeginReauthentication(ctx(t), session)
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.pk.FinishLogin(ctx(t), c.Token, a.get(t, c.Options, k))
		refused(t, "FinishLogin with a re-authentication's ceremony", err, secretsOf(c, k, session))
	})
	t.Run("re-authentication of another session", func(t *testing.T) {
		c, err := e.pk.BeginReauthentication(ctx(t), session)
		if err != nil {
			t.Fatal(err)
		}
		other, err := e.auth.CreateSessionWithFactors(ctx(t), session.UserID, luciapg.FactorPassword)
		if err != nil {
			t.Fatal(err)
		}
		err = e.pk.FinishReauthentication(ctx(t), other, c.Token, a.get(t, c.Options, k))
		refused(t, "FinishReauthentication in another session", err, secretsOf(c, k, session, other))
	})
	t.Run("second factor used to sign in", func(t *testing.T) {
		result, err := e.auth.BeginLoginForUser(ctx(t), session.UserID, luciapg.FactorOAuth)
		if err != nil {
			t.Fatal(err)
		}
		if result.Pending == nil {
			t.Fatal("BeginLoginForUser: no pending login for a user with a passkey")
		}
		c, err := e.pk.BeginSecondFactor(ctx(t), result.Pending.Token)
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.pk.FinishLogin(ctx(t), c.Token, a.get(t, c.Options, k))
		refused(t, "FinishLogin with a second factor's ceremony", err, append(secretsOf(c, k, session), result.Pending.Token))
	})
	t.Run("login used as a second factor", func(t *testing.T) {
		result, err := e.auth.BeginLoginForUser(ctx(t), session.UserID, luciapg.FactorOAuth)
		if err != nil {
			t.Fatal(err)
		}
		if result.Pending == nil {
			t.Fatal("BeginLoginForUser: no pending login for a user with a passkey")
		}
		c, err := e.pk.BeginLogin(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.pk.FinishSecondFactor(ctx(t), result.Pending.Token, c.Token, a.get(t, c.Options, k))
		refused(t, "FinishSecondFactor with a login's ceremony", err, append(secretsOf(c, k, session), result.Pending.Token))
	})
}

// A copy of a passkey's key (a cloned authenticator) signs with a counter
// that does not move past the original's: refused, and the stored counter
// stays the original's.
func TestAttackClonedAuthenticatorCounter(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := &authenticator{origin: origin}
	session := e.newUser(t)
	k, _ := e.register(t, session, a, "Security key")
	clone := k.clone()

	login := func(key *softKey) (passkey.Ceremony, error) {
		c, err := e.pk.BeginLogin(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.pk.FinishLogin(ctx(t), c.Token, a.get(t, c.Options, key))
		return c, err
	}

	if _, err := login(k); err != nil {
		t.Fatalf("the original's login: %v", err)
	}
	counter := e.stored(t, session.UserID, k).SignCount
	if counter != k.counter {
		t.Fatalf("stored counter %d, want the original's %d", counter, k.counter)
	}
	// The clone's counter is one behind: its next value equals the stored one.
	c, err := login(clone)
	refused(t, "the clone's login with an equal counter", err, secretsOf(c, clone, session))
	// A counter that went back to zero.
	c, err = e.pk.BeginLogin(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.pk.FinishLogin(ctx(t), c.Token, a.assert(t, optionsChallenge(c.Options), k, 0, k.userHandle))
	refused(t, "a counter back at zero", err, secretsOf(c, k, session))
	if got := e.stored(t, session.UserID, k).SignCount; got != counter {
		t.Fatalf("stored counter %d after the refusals, want %d unchanged", got, counter)
	}
	// The original goes on.
	if _, err := login(k); err != nil {
		t.Fatalf("the original's next login: %v", err)
	}

	// An authenticator that keeps no counter (0 every time) is not a
	// clone: WebAuthn leaves the check out when both counters are 0.
	synced := &authenticator{origin: origin, noCounter: true, backup: true}
	other := e.newUser(t)
	s, _ := e.register(t, other, synced, "Synced")
	for range 2 {
		c, err := e.pk.BeginLogin(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.pk.FinishLogin(ctx(t), c.Token, synced.get(t, c.Options, s)); err != nil {
			t.Fatalf("a login with a counterless passkey: %v", err)
		}
	}
}

// An attacker who knows a victim's password cannot finish the second step
// with a passkey of their own account, nor with a ceremony begun for
// another pending login.
func TestAttackAnotherUsersCredentialAsSecondFactor(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	victimAuthenticator := &authenticator{origin: origin}
	attackerAuthenticator := &authenticator{origin: origin}
	victim := e.newUser(t)
	e.register(t, victim, victimAuthenticator, "Victim's key")
	attacker := e.newUser(t)
	attackerKey, _ := e.register(t, attacker, attackerAuthenticator, "Attacker's key")

	pendingFor := func(userID string) *auth.PendingLogin {
		t.Helper()
		result, err := e.auth.BeginLoginForUser(ctx(t), userID, luciapg.FactorOAuth)
		if err != nil {
			t.Fatal(err)
		}
		if result.Pending == nil {
			t.Fatal("BeginLoginForUser: no pending login for a user with a passkey")
		}
		return result.Pending
	}
	victimSessions := e.sessions(t, victim.UserID)

	// The attacker's own passkey answers the victim's second step.
	pending := pendingFor(victim.UserID)
	c, err := e.pk.BeginSecondFactor(ctx(t), pending.Token)
	if err != nil {
		t.Fatal(err)
	}
	if allowed := parseRequest(t, c.Options).PublicKey.AllowCredentials; len(allowed) != 1 || b64(attackerKey.id) == allowed[0].ID {
		t.Fatalf("allowCredentials %v: want the victim's one passkey", allowed)
	}
	_, err = e.pk.FinishSecondFactor(ctx(t), pending.Token, c.Token, attackerAuthenticator.get(t, c.Options, attackerKey))
	refused(t, "the attacker's passkey for the victim's login", err, append(secretsOf(c, attackerKey), pending.Token))

	// A ceremony the attacker began in their own pending login, answered
	// by their passkey, presented for the victim's.
	pending = pendingFor(victim.UserID)
	own := pendingFor(attacker.UserID)
	c, err = e.pk.BeginSecondFactor(ctx(t), own.Token)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.pk.FinishSecondFactor(ctx(t), pending.Token, c.Token, attackerAuthenticator.get(t, c.Options, attackerKey))
	refused(t, "the attacker's ceremony for the victim's login", err, append(secretsOf(c, attackerKey), pending.Token, own.Token))

	if got := e.sessions(t, victim.UserID); got != victimSessions {
		t.Fatalf("the victim has %d sessions, want %d", got, victimSessions)
	}
}

// A passwordless login is a password and a second factor at once only if
// the authenticator verified the user: a passkey whose authenticator did
// not (no PIN, no biometric) signs nobody in, and its counter is not
// moved.
func TestAttackPasswordlessWithoutUserVerification(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := &authenticator{origin: origin}
	session := e.newUser(t)
	k, _ := e.register(t, session, a, "Security key")
	before, counter := e.sessions(t, session.UserID), k.counter

	c, err := e.pk.BeginLogin(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if uv := parseRequest(t, c.Options).PublicKey.UserVerification; uv != "required" {
		t.Fatalf("the login asks for userVerification %q, want required", uv)
	}
	noUV := &authenticator{origin: origin, noUV: true}
	_, err = e.pk.FinishLogin(ctx(t), c.Token, noUV.get(t, c.Options, k))
	refused(t, "a passwordless login without user verification", err, secretsOf(c, k, session))
	if got := e.sessions(t, session.UserID); got != before {
		t.Fatalf("the user has %d sessions, want %d", got, before)
	}
	if got := e.stored(t, session.UserID, k).SignCount; got != counter {
		t.Fatalf("stored counter %d, want %d unchanged", got, counter)
	}

	// Re-authentication stands for the password too.
	c, err = e.pk.BeginReauthentication(ctx(t), session)
	if err != nil {
		t.Fatal(err)
	}
	err = e.pk.FinishReauthentication(ctx(t), session, c.Token, noUV.get(t, c.Options, k))
	refused(t, "a re-authentication without user verification", err, secretsOf(c, k, session))
}

// A user in sudo mode cannot remove or rename another user's passkey, even
// knowing its credential id; nothing of the other user's changes.
func TestAttackRemoveAnotherUsersPasskey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := &authenticator{origin: origin}
	victim := e.newUser(t)
	victimKey, _ := e.register(t, victim, a, "Victim's key")
	attacker := e.newUser(t)
	attackerKey, _ := e.register(t, attacker, a, "Attacker's key")
	e.reauthenticate(t, attacker, a, attackerKey)

	err := e.pk.Remove(ctx(t), attacker, victimKey.id)
	refused(t, "Remove of another user's passkey", err, append(idForms(victimKey.id), attacker.ID), luciapg.ErrFactorNotFound)
	err = e.pk.Rename(ctx(t), attacker, victimKey.id, "Owned")
	refused(t, "Rename of another user's passkey", err, append(idForms(victimKey.id), attacker.ID), luciapg.ErrFactorNotFound)
	if p := e.stored(t, victim.UserID, victimKey); p.Name != "Victim's key" {
		t.Fatalf("the victim's passkey is named %q now", p.Name)
	}
	// The attacker's own is theirs to remove.
	if err := e.pk.Remove(ctx(t), attacker, attackerKey.id); err != nil {
		t.Fatalf("Remove of one's own passkey: %v", err)
	}
}

// A credential's backup eligibility is fixed when it is made: an
// assertion that flips it, or claims a backup without eligibility, is not
// from the authenticator registered. The backup state itself may change,
// and is recorded.
func TestAttackBackupEligibilityChanged(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := &authenticator{origin: origin}
	session := e.newUser(t)
	k, _ := e.register(t, session, a, "Device-bound")
	counter := k.counter

	login := func(key *softKey) (passkey.Ceremony, error) {
		c, err := e.pk.BeginLogin(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.pk.FinishLogin(ctx(t), c.Token, a.get(t, c.Options, key))
		return c, err
	}
	flipped := k.clone()
	flipped.be, flipped.bs = true, true
	c, err := login(flipped)
	refused(t, "a device-bound passkey claiming backup eligibility", err, secretsOf(c, k, session))
	backedUpOnly := k.clone()
	backedUpOnly.bs = true
	c, err = login(backedUpOnly)
	refused(t, "backed up without backup eligibility", err, secretsOf(c, k, session))
	if got := e.stored(t, session.UserID, k).SignCount; got != counter {
		t.Fatalf("stored counter %d after the refusals, want %d", got, counter)
	}

	synced := &authenticator{origin: origin, backup: true}
	other := e.newUser(t)
	s, p := e.register(t, other, synced, "Synced")
	if !p.BackupEligible || !p.BackupState {
		t.Fatalf("a synced passkey stored with BE %v, BS %v", p.BackupEligible, p.BackupState)
	}
	s.bs = false // not backed up for now: allowed
	if _, err := login(s); err != nil {
		t.Fatalf("a login with the backup state changed: %v", err)
	}
	if got := e.stored(t, other.UserID, s); !got.BackupEligible || got.BackupState {
		t.Fatalf("after the login: BE %v, BS %v; want true, false", got.BackupEligible, got.BackupState)
	}
	s.be = false
	c, err = login(s)
	refused(t, "a synced passkey that lost its backup eligibility", err, secretsOf(c, s, other))
}

// A phishing page relays the site's login options to the victim's browser:
// the assertion names the page's origin, or its RP ID, and signs nobody
// in.
func TestAttackPhishingOrigin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := &authenticator{origin: origin}
	session := e.newUser(t)
	k, _ := e.register(t, session, a, "Laptop")
	before := e.sessions(t, session.UserID)

	phished := &authenticator{origin: "https://example.com.evil.test"}
	c, err := e.pk.BeginLogin(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.pk.FinishLogin(ctx(t), c.Token, phished.get(t, c.Options, k))
	refused(t, "an assertion from another origin", err, secretsOf(c, k, session))

	// The key scoped to the phishing site's RP ID.
	elsewhere := k.clone()
	elsewhere.rpID = "evil.test"
	c, err = e.pk.BeginLogin(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.pk.FinishLogin(ctx(t), c.Token, a.get(t, c.Options, elsewhere))
	refused(t, "an assertion for another RP ID", err, secretsOf(c, k, session))

	if got := e.sessions(t, session.UserID); got != before {
		t.Fatalf("the user has %d sessions, want %d", got, before)
	}
}
