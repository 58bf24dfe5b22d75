package adaptertest

import (
	"bytes"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
)

// concurrentCallers is how many calls the factor cases race on one row.
const concurrentCallers = 8

// factorCases cover luciapg.FactorAdapter: second factors, WebAuthn
// ceremonies, pending logins and sessions' factor records. They read back
// through the adapter itself (Storage knows only Lucia's three tables),
// each write checked by a read of another method.
var factorCases = []testCase{
	{"F1", "SetTOTP stores an unconfirmed enrolment and replaces it until ConfirmTOTP, then refuses with ErrFactorExists", func(t *testing.T, c *caseEnv) {
		f := c.factorAdapter(t)
		u := c.seedUser(t)
		first := newTOTP(u.ID)
		first.Confirmed, first.LastStep = true, 99 // the storage sets these
		before := time.Now()
		wantNoErr(t, "SetTOTP", f.SetTOTP(c.ctx, first))
		got, err := f.GetTOTP(c.ctx, u.ID)
		wantNoErr(t, "GetTOTP", err)
		if got.CreatedAt.IsZero() || got.CreatedAt.Before(before.Add(-time.Hour)) {
			t.Fatalf("GetTOTP: CreatedAt %v, want it set by the storage", got.CreatedAt)
		}
		got.CreatedAt = time.Time{}
		wantEqual(t, "GetTOTP", got, luciapg.TOTP{UserID: u.ID, EncryptionKeyID: first.EncryptionKeyID, EncryptedSecret: first.EncryptedSecret})
		wantUserFactors(t, c, u.ID, luciapg.UserFactors{})

		second := newTOTP(u.ID)
		second.EncryptionKeyID = "key-2027"
		wantNoErr(t, "SetTOTP replacing an unconfirmed one", f.SetTOTP(c.ctx, second))
		wantNoErr(t, "ConfirmTOTP", f.ConfirmTOTP(c.ctx, u.ID, 1000))
		got, err = f.GetTOTP(c.ctx, u.ID)
		wantNoErr(t, "GetTOTP", err)
		got.CreatedAt = time.Time{}
		wantEqual(t, "GetTOTP after ConfirmTOTP", got, luciapg.TOTP{
			UserID: u.ID, EncryptionKeyID: "key-2027", EncryptedSecret: second.EncryptedSecret, Confirmed: true, LastStep: 1000,
		})
		wantUserFactors(t, c, u.ID, luciapg.UserFactors{TOTP: true})

		wantErr(t, "SetTOTP over a confirmed one", f.SetTOTP(c.ctx, newTOTP(u.ID)), luciapg.ErrFactorExists)
		wantErr(t, "ConfirmTOTP of a confirmed one", f.ConfirmTOTP(c.ctx, u.ID, 2000), luciapg.ErrFactorNotFound)
		again, err := f.GetTOTP(c.ctx, u.ID)
		wantNoErr(t, "GetTOTP", err)
		if !bytes.Equal(again.EncryptedSecret, second.EncryptedSecret) || again.LastStep != 1000 {
			t.Fatalf("a refused SetTOTP or ConfirmTOTP changed the enrolment: %+v", again)
		}
	}},
	{"F2", "without an enrolment TOTP calls fail with ErrFactorNotFound; DeleteTOTP removes one, confirmed or not", func(t *testing.T, c *caseEnv) {
		f := c.factorAdapter(t)
		u := c.seedUser(t)
		_, err := f.GetTOTP(c.ctx, u.ID)
		wantErr(t, "GetTOTP", err, luciapg.ErrFactorNotFound)
		wantErr(t, "ConfirmTOTP", f.ConfirmTOTP(c.ctx, u.ID, 1), luciapg.ErrFactorNotFound)
		wantErr(t, "UseTOTPStep", f.UseTOTPStep(c.ctx, u.ID, 1), luciapg.ErrFactorNotFound)
		wantErr(t, "DeleteTOTP", f.DeleteTOTP(c.ctx, u.ID), luciapg.ErrFactorNotFound)

		wantNoErr(t, "SetTOTP", f.SetTOTP(c.ctx, newTOTP(u.ID)))
		wantErr(t, "UseTOTPStep of an unconfirmed enrolment", f.UseTOTPStep(c.ctx, u.ID, 1), luciapg.ErrFactorNotFound)
		wantNoErr(t, "DeleteTOTP of an unconfirmed enrolment", f.DeleteTOTP(c.ctx, u.ID))
		_, err = f.GetTOTP(c.ctx, u.ID)
		wantErr(t, "GetTOTP after DeleteTOTP", err, luciapg.ErrFactorNotFound)

		confirmedTOTP(t, c, u.ID, 5)
		wantNoErr(t, "DeleteTOTP of a confirmed enrolment", f.DeleteTOTP(c.ctx, u.ID))
		wantErr(t, "UseTOTPStep after DeleteTOTP", f.UseTOTPStep(c.ctx, u.ID, 6), luciapg.ErrFactorNotFound)
		wantUserFactors(t, c, u.ID, luciapg.UserFactors{})
		wantNoErr(t, "SetTOTP after DeleteTOTP", f.SetTOTP(c.ctx, newTOTP(u.ID)))
	}},
	{"F3", "UseTOTPStep accepts only a step after the last accepted one", func(t *testing.T, c *caseEnv) {
		f := c.factorAdapter(t)
		u := c.seedUser(t)
		confirmedTOTP(t, c, u.ID, 100)
		wantErr(t, "UseTOTPStep of the confirming step", f.UseTOTPStep(c.ctx, u.ID, 100), luciapg.ErrFactorReplayed)
		wantErr(t, "UseTOTPStep of an earlier step", f.UseTOTPStep(c.ctx, u.ID, 99), luciapg.ErrFactorReplayed)
		wantNoErr(t, "UseTOTPStep of the next step", f.UseTOTPStep(c.ctx, u.ID, 101))
		wantErr(t, "UseTOTPStep of the same step twice", f.UseTOTPStep(c.ctx, u.ID, 101), luciapg.ErrFactorReplayed)
		wantNoErr(t, "UseTOTPStep of a later step", f.UseTOTPStep(c.ctx, u.ID, 105))
		wantErr(t, "UseTOTPStep of a step between", f.UseTOTPStep(c.ctx, u.ID, 103), luciapg.ErrFactorReplayed)
		got, err := f.GetTOTP(c.ctx, u.ID)
		wantNoErr(t, "GetTOTP", err)
		if got.LastStep != 105 || !got.Confirmed {
			t.Fatalf("GetTOTP: LastStep %d, Confirmed %v; want 105, true", got.LastStep, got.Confirmed)
		}
	}},
	{"F4", "of concurrent UseTOTPStep calls with one step, exactly one is accepted", func(t *testing.T, c *caseEnv) {
		f := c.factorAdapter(t)
		u := c.seedUser(t)
		confirmedTOTP(t, c, u.ID, 10)
		exactlyOneWins(t, "UseTOTPStep", concurrentCallers, luciapg.ErrFactorReplayed, func() error {
			return f.UseTOTPStep(c.ctx, u.ID, 11)
		})
	}},
	{"F5", "SetRecoveryCodes replaces the set; UseRecoveryCode uses each code of its user once", func(t *testing.T, c *caseEnv) {
		f := c.factorAdapter(t)
		u, other := c.seedUser(t), c.seedUser(t)
		wantNoErr(t, "SetRecoveryCodes", f.SetRecoveryCodes(c.ctx, u.ID, []string{"h1", "h2", "h3"}))
		wantNoErr(t, "SetRecoveryCodes of another user", f.SetRecoveryCodes(c.ctx, other.ID, []string{"h1", "h9"}))
		wantUserFactors(t, c, u.ID, luciapg.UserFactors{RecoveryCodes: 3})
		wantNoErr(t, "UseRecoveryCode", f.UseRecoveryCode(c.ctx, u.ID, "h2"))
		wantUserFactors(t, c, u.ID, luciapg.UserFactors{RecoveryCodes: 2})
		wantErr(t, "UseRecoveryCode again", f.UseRecoveryCode(c.ctx, u.ID, "h2"), luciapg.ErrFactorNotFound)
		wantErr(t, "UseRecoveryCode of an unknown code", f.UseRecoveryCode(c.ctx, u.ID, "h4"), luciapg.ErrFactorNotFound)
		wantErr(t, "UseRecoveryCode of another user's code", f.UseRecoveryCode(c.ctx, u.ID, "h9"), luciapg.ErrFactorNotFound)
		wantUserFactors(t, c, other.ID, luciapg.UserFactors{RecoveryCodes: 2})
		if got, _ := f.GetUserFactors(c.ctx, u.ID); got.HasSecondFactor() {
			t.Fatal("recovery codes alone count as a second factor")
		}

		wantNoErr(t, "SetRecoveryCodes replacing", f.SetRecoveryCodes(c.ctx, u.ID, []string{"h2", "h5"}))
		wantUserFactors(t, c, u.ID, luciapg.UserFactors{RecoveryCodes: 2})
		wantErr(t, "UseRecoveryCode of a replaced code", f.UseRecoveryCode(c.ctx, u.ID, "h1"), luciapg.ErrFactorNotFound)
		wantNoErr(t, "UseRecoveryCode of a code used before and given again", f.UseRecoveryCode(c.ctx, u.ID, "h2"))
		wantErr(t, "SetRecoveryCodes with a hash twice", f.SetRecoveryCodes(c.ctx, u.ID, []string{"h6", "h6"}), luciapg.ErrInvalidInput)
		wantUserFactors(t, c, u.ID, luciapg.UserFactors{RecoveryCodes: 1})
		wantNoErr(t, "SetRecoveryCodes with none", f.SetRecoveryCodes(c.ctx, u.ID, nil))
		wantUserFactors(t, c, u.ID, luciapg.UserFactors{})
		wantErr(t, "UseRecoveryCode after clearing", f.UseRecoveryCode(c.ctx, u.ID, "h5"), luciapg.ErrFactorNotFound)
		wantUserFactors(t, c, other.ID, luciapg.UserFactors{RecoveryCodes: 2})
	}},
	{"F6", "of concurrent UseRecoveryCode calls with one code, exactly one wins", func(t *testing.T, c *caseEnv) {
		f := c.factorAdapter(t)
		u := c.seedUser(t)
		wantNoErr(t, "SetRecoveryCodes", f.SetRecoveryCodes(c.ctx, u.ID, []string{"h1", "h2"}))
		exactlyOneWins(t, "UseRecoveryCode", concurrentCallers, luciapg.ErrFactorNotFound, func() error {
			return f.UseRecoveryCode(c.ctx, u.ID, "h1")
		})
		wantUserFactors(t, c, u.ID, luciapg.UserFactors{RecoveryCodes: 1})
	}},
	{"F7", "SetPasskey stores a passkey; GetPasskey and GetPasskeysByUserID read it back, oldest first", func(t *testing.T, c *caseEnv) {
		f := c.factorAdapter(t)
		u, other := c.seedUser(t), c.seedUser(t)
		first := newPasskey(u.ID)
		first.CreatedAt, first.LastUsedAt = time.Unix(1, 0), time.Unix(2, 0) // the storage sets these
		before := time.Now()
		got := storedPasskey(t, c, first)
		first.CreatedAt, first.LastUsedAt = time.Time{}, time.Time{}
		wantPasskey(t, "GetPasskey", got, first)
		if got.CreatedAt.Before(before.Add(-time.Hour)) {
			t.Fatalf("GetPasskey: CreatedAt %v, want it set by the storage", got.CreatedAt)
		}
		bare := newPasskey(u.ID)
		bare.Transports, bare.AAGUID, bare.Name = nil, []byte{}, strings.Repeat("é", 100)
		wantPasskey(t, "GetPasskey of one without transports or AAGUID", storedPasskey(t, c, bare), bare)
		third := storedPasskey(t, c, newPasskey(u.ID))
		storedPasskey(t, c, newPasskey(other.ID))

		list, err := f.GetPasskeysByUserID(c.ctx, u.ID)
		wantNoErr(t, "GetPasskeysByUserID", err)
		if len(list) != 3 {
			t.Fatalf("GetPasskeysByUserID: %d passkeys, want 3", len(list))
		}
		if !slices.IsSortedFunc(list, func(x, y luciapg.Passkey) int {
			if c := x.CreatedAt.Compare(y.CreatedAt); c != 0 {
				return c
			}
			return bytes.Compare(x.CredentialID, y.CredentialID)
		}) {
			t.Fatal("GetPasskeysByUserID: not oldest first (by CreatedAt, then credential id)")
		}
		if !list[0].CreatedAt.Equal(got.CreatedAt) || list[len(list)-1].CreatedAt.Before(third.CreatedAt) {
			t.Fatal("GetPasskeysByUserID: the first registered is not first, or the last is not last")
		}
		for _, p := range list {
			if p.UserID != u.ID {
				t.Fatal("GetPasskeysByUserID returned another user's passkey")
			}
		}
		wantUserFactors(t, c, u.ID, luciapg.UserFactors{Passkeys: 3})
		if fs, _ := f.GetUserFactors(c.ctx, u.ID); !fs.HasSecondFactor() {
			t.Fatal("a passkey does not count as a second factor")
		}
		none, err := f.GetPasskeysByUserID(c.ctx, newFixtureUser().ID)
		wantNoErr(t, "GetPasskeysByUserID of an unknown user", err)
		if none == nil || len(none) != 0 {
			t.Fatalf("GetPasskeysByUserID of an unknown user: %v, want an empty, non-nil slice", none)
		}
		_, err = f.GetPasskey(c.ctx, randomBytes(32))
		wantErr(t, "GetPasskey of an unknown credential id", err, luciapg.ErrFactorNotFound)
	}},
	{"F8", "SetPasskey with a taken credential id fails with ErrFactorExists, for any user, and changes nothing", func(t *testing.T, c *caseEnv) {
		f := c.factorAdapter(t)
		u, other := c.seedUser(t), c.seedUser(t)
		p := storedPasskey(t, c, newPasskey(u.ID))
		taken := newPasskey(other.ID)
		taken.CredentialID = p.CredentialID
		wantErr(t, "SetPasskey with another user's credential id", f.SetPasskey(c.ctx, taken), luciapg.ErrFactorExists)
		taken.UserID = u.ID
		wantErr(t, "SetPasskey with the user's own credential id", f.SetPasskey(c.ctx, taken), luciapg.ErrFactorExists)
		got, err := f.GetPasskey(c.ctx, p.CredentialID)
		wantNoErr(t, "GetPasskey", err)
		wantPasskey(t, "GetPasskey after refusals", got, p)
		wantUserFactors(t, c, other.ID, luciapg.UserFactors{})
	}},
	{"F9", "RenamePasskey and DeletePasskey act on the user's own passkey only", func(t *testing.T, c *caseEnv) {
		f := c.factorAdapter(t)
		u, other := c.seedUser(t), c.seedUser(t)
		p := storedPasskey(t, c, newPasskey(u.ID))
		wantErr(t, "RenamePasskey of another user's passkey", f.RenamePasskey(c.ctx, other.ID, p.CredentialID, "Mine now"), luciapg.ErrFactorNotFound)
		wantErr(t, "DeletePasskey of another user's passkey", f.DeletePasskey(c.ctx, other.ID, p.CredentialID), luciapg.ErrFactorNotFound)
		wantErr(t, "RenamePasskey of an unknown passkey", f.RenamePasskey(c.ctx, u.ID, randomBytes(32), "Phone"), luciapg.ErrFactorNotFound)
		wantErr(t, "DeletePasskey of an unknown passkey", f.DeletePasskey(c.ctx, u.ID, randomBytes(32)), luciapg.ErrFactorNotFound)
		wantErr(t, "RenamePasskey to an empty name", f.RenamePasskey(c.ctx, u.ID, p.CredentialID, ""), luciapg.ErrInvalidInput)
		got, err := f.GetPasskey(c.ctx, p.CredentialID)
		wantNoErr(t, "GetPasskey", err)
		wantPasskey(t, "GetPasskey after refusals", got, p)

		wantNoErr(t, "RenamePasskey", f.RenamePasskey(c.ctx, u.ID, p.CredentialID, "Phone"))
		got, err = f.GetPasskey(c.ctx, p.CredentialID)
		wantNoErr(t, "GetPasskey", err)
		p.Name = "Phone"
		wantPasskey(t, "GetPasskey after RenamePasskey", got, p)
		wantNoErr(t, "DeletePasskey", f.DeletePasskey(c.ctx, u.ID, p.CredentialID))
		_, err = f.GetPasskey(c.ctx, p.CredentialID)
		wantErr(t, "GetPasskey after DeletePasskey", err, luciapg.ErrFactorNotFound)
		wantErr(t, "DeletePasskey again", f.DeletePasskey(c.ctx, u.ID, p.CredentialID), luciapg.ErrFactorNotFound)
		wantUserFactors(t, c, u.ID, luciapg.UserFactors{})
	}},
	{"F10", "UpdatePasskeyUse sets counter, backup state and use time only while the counter is the old one", func(t *testing.T, c *caseEnv) {
		f := c.factorAdapter(t)
		u := c.seedUser(t)
		p := storedPasskey(t, c, newPasskey(u.ID)) // counter 7
		used := time.Now().Add(-time.Minute)
		wantNoErr(t, "UpdatePasskeyUse", f.UpdatePasskeyUse(c.ctx, p.CredentialID, 7, 8, true, used))
		got, err := f.GetPasskey(c.ctx, p.CredentialID)
		wantNoErr(t, "GetPasskey", err)
		p.SignCount, p.BackupState, p.LastUsedAt = 8, true, micro(used)
		wantPasskey(t, "GetPasskey after UpdatePasskeyUse", got, p)

		wantErr(t, "UpdatePasskeyUse with a stale counter", f.UpdatePasskeyUse(c.ctx, p.CredentialID, 7, 9, false, time.Now()), luciapg.ErrFactorReplayed)
		got, err = f.GetPasskey(c.ctx, p.CredentialID)
		wantNoErr(t, "GetPasskey", err)
		wantPasskey(t, "GetPasskey after a refused use", got, p)
		wantErr(t, "UpdatePasskeyUse of an unknown passkey", f.UpdatePasskeyUse(c.ctx, randomBytes(32), 0, 1, false, time.Now()), luciapg.ErrFactorNotFound)
		wantNoErr(t, "UpdatePasskeyUse to the largest counter", f.UpdatePasskeyUse(c.ctx, p.CredentialID, 8, 1<<32-1, true, used))
		exactlyOneWins(t, "UpdatePasskeyUse", concurrentCallers, luciapg.ErrFactorReplayed, func() error {
			return f.UpdatePasskeyUse(c.ctx, p.CredentialID, 1<<32-1, 0, true, time.Now())
		})
	}},
	{"F11", "PasskeyUserHandle keeps the first handle stored; GetUserIDByPasskeyHandle finds its user", func(t *testing.T, c *caseEnv) {
		f := c.factorAdapter(t)
		u, other := c.seedUser(t), c.seedUser(t)
		first, second := randomBytes(64), randomBytes(64)
		got, err := f.PasskeyUserHandle(c.ctx, u.ID, first)
		wantNoErr(t, "PasskeyUserHandle", err)
		wantEqual(t, "PasskeyUserHandle", got, first)
		got, err = f.PasskeyUserHandle(c.ctx, u.ID, second)
		wantNoErr(t, "PasskeyUserHandle again", err)
		wantEqual(t, "PasskeyUserHandle with another candidate", got, first)
		id, err := f.GetUserIDByPasskeyHandle(c.ctx, first)
		wantNoErr(t, "GetUserIDByPasskeyHandle", err)
		wantEqual(t, "GetUserIDByPasskeyHandle", id, u.ID)
		_, err = f.GetUserIDByPasskeyHandle(c.ctx, second)
		wantErr(t, "GetUserIDByPasskeyHandle of a candidate not stored", err, luciapg.ErrInvalidUserID)
		_, err = f.PasskeyUserHandle(c.ctx, other.ID, first)
		wantErr(t, "PasskeyUserHandle with another user's handle", err, luciapg.ErrFactorExists)
		_, err = f.PasskeyUserHandle(c.ctx, newFixtureUser().ID, randomBytes(64))
		wantErr(t, "PasskeyUserHandle of an unknown user", err, luciapg.ErrInvalidUserID)

		// Concurrent first calls: every one returns the handle stored first.
		handles := make([][]byte, concurrentCallers)
		errs := make([]error, concurrentCallers)
		var wg sync.WaitGroup
		for i := range concurrentCallers {
			wg.Go(func() { handles[i], errs[i] = f.PasskeyUserHandle(c.ctx, other.ID, randomBytes(32)) })
		}
		wg.Wait()
		for i := range concurrentCallers {
			wantNoErr(t, "concurrent PasskeyUserHandle", errs[i])
			wantEqual(t, "concurrent PasskeyUserHandle", handles[i], handles[0])
		}
		id, err = f.GetUserIDByPasskeyHandle(c.ctx, handles[0])
		wantNoErr(t, "GetUserIDByPasskeyHandle", err)
		wantEqual(t, "GetUserIDByPasskeyHandle", id, other.ID)
	}},
	{"F12", "ConsumeChallenge returns a ceremony once, before it expires", func(t *testing.T, c *caseEnv) {
		f := c.factorAdapter(t)
		u := c.seedUser(t)
		now := time.Now()
		ch := newChallenge(u.ID, now.Add(5*time.Minute))
		wantNoErr(t, "SetChallenge", f.SetChallenge(c.ctx, ch))
		wantErr(t, "SetChallenge with a taken id", f.SetChallenge(c.ctx, ch), luciapg.ErrFactorExists)
		got, err := f.ConsumeChallenge(c.ctx, ch.ID, now)
		wantNoErr(t, "ConsumeChallenge", err)
		wantChallenge(t, "ConsumeChallenge", got, ch)
		_, err = f.ConsumeChallenge(c.ctx, ch.ID, now)
		wantErr(t, "ConsumeChallenge again", err, luciapg.ErrChallengeNotFound)

		passwordless := newChallenge("", now.Add(time.Minute))
		passwordless.Purpose = "login"
		wantNoErr(t, "SetChallenge without a user", f.SetChallenge(c.ctx, passwordless))
		got, err = f.ConsumeChallenge(c.ctx, passwordless.ID, passwordless.Expires) // the last instant it is valid
		wantNoErr(t, "ConsumeChallenge without a user, at its expiry", err)
		wantChallenge(t, "ConsumeChallenge without a user", got, passwordless)

		expired := newChallenge(u.ID, now.Add(time.Minute))
		wantNoErr(t, "SetChallenge", f.SetChallenge(c.ctx, expired))
		_, err = f.ConsumeChallenge(c.ctx, expired.ID, expired.Expires.Add(time.Millisecond))
		wantErr(t, "ConsumeChallenge after its expiry", err, luciapg.ErrChallengeNotFound)
		_, err = f.ConsumeChallenge(c.ctx, "ch_unknown", now)
		wantErr(t, "ConsumeChallenge of an unknown id", err, luciapg.ErrChallengeNotFound)
		wantErr(t, "SetChallenge for an unknown user", f.SetChallenge(c.ctx, newChallenge(newFixtureUser().ID, now.Add(time.Minute))), luciapg.ErrInvalidUserID)
	}},
	{"F13", "of concurrent ConsumeChallenge calls on one ceremony, exactly one gets it", func(t *testing.T, c *caseEnv) {
		f := c.factorAdapter(t)
		u := c.seedUser(t)
		now := time.Now()
		ch := newChallenge(u.ID, now.Add(time.Minute))
		wantNoErr(t, "SetChallenge", f.SetChallenge(c.ctx, ch))
		exactlyOneWins(t, "ConsumeChallenge", concurrentCallers, luciapg.ErrChallengeNotFound, func() error {
			_, err := f.ConsumeChallenge(c.ctx, ch.ID, now)
			return err
		})
	}},
	{"F14", "GetPendingLogin returns a pending login until it expires", func(t *testing.T, c *caseEnv) {
		f := c.factorAdapter(t)
		u := c.seedUser(t)
		k := c.seedKey(t, persistentKey(u.ID, true))
		now := time.Now()
		withKey := newPendingLogin(u.ID, &k, now.Add(5*time.Minute))
		withoutKey := newPendingLogin(u.ID, nil, now.Add(5*time.Minute))
		for _, p := range []luciapg.PendingLogin{withKey, withoutKey} {
			wantNoErr(t, "SetPendingLogin", f.SetPendingLogin(c.ctx, p))
			got, err := f.GetPendingLogin(c.ctx, p.ID, now)
			wantNoErr(t, "GetPendingLogin", err)
			wantPendingLogin(t, "GetPendingLogin", got, p)
			got, err = f.GetPendingLogin(c.ctx, p.ID, p.Expires)
			wantNoErr(t, "GetPendingLogin at its expiry", err)
			wantPendingLogin(t, "GetPendingLogin at its expiry", got, p)
			_, err = f.GetPendingLogin(c.ctx, p.ID, p.Expires.Add(time.Millisecond))
			wantErr(t, "GetPendingLogin after its expiry", err, luciapg.ErrPendingLoginNotFound)
		}
		wantErr(t, "SetPendingLogin with a taken id", f.SetPendingLogin(c.ctx, withKey), luciapg.ErrFactorExists)
		_, err := f.GetPendingLogin(c.ctx, "pl_unknown", now)
		wantErr(t, "GetPendingLogin of an unknown id", err, luciapg.ErrPendingLoginNotFound)
		wantErr(t, "SetPendingLogin for an unknown user", f.SetPendingLogin(c.ctx, newPendingLogin(newFixtureUser().ID, nil, now.Add(time.Minute))), luciapg.ErrInvalidUserID)
		half := newPendingLogin(u.ID, &k, now.Add(time.Minute))
		half.KeyHashDigest = ""
		wantErr(t, "SetPendingLogin with a key id and no digest", f.SetPendingLogin(c.ctx, half), luciapg.ErrInvalidInput)
	}},
	{"F15", "CompletePendingLogin inserts the session and its record and uses the pending login up", func(t *testing.T, c *caseEnv) {
		f := c.factorAdapter(t)
		u := c.seedUser(t)
		k := c.seedKey(t, persistentKey(u.ID, true))
		now := time.Now()
		for _, key := range []*luciapg.Key{&k, nil} {
			p := newPendingLogin(u.ID, key, now.Add(5*time.Minute))
			wantNoErr(t, "SetPendingLogin", f.SetPendingLogin(c.ctx, p))
			s := newSession(u.ID)
			record := sessionFactors(s, now, append(p.Factors, luciapg.FactorTOTP)...)
			wantNoErr(t, "CompletePendingLogin", f.CompletePendingLogin(c.ctx, p.ID, now, s, record))
			c.wantStoredSession(t, s)
			got, _, err := f.GetSessionFactors(c.ctx, s.ID)
			wantNoErr(t, "GetSessionFactors", err)
			wantSessionFactors(t, "GetSessionFactors after CompletePendingLogin", got, record)
			_, err = f.GetPendingLogin(c.ctx, p.ID, now)
			wantErr(t, "GetPendingLogin after CompletePendingLogin", err, luciapg.ErrPendingLoginNotFound)
			again := newSession(u.ID)
			wantErr(t, "CompletePendingLogin again", f.CompletePendingLogin(c.ctx, p.ID, now, again, sessionFactors(again, now, luciapg.FactorTOTP)), luciapg.ErrPendingLoginNotFound)
			c.wantNoSession(t, again.ID)
		}
		c.wantStoredKey(t, k)
	}},
	{"F16", "of concurrent CompletePendingLogin calls on one pending login, exactly one writes its session", func(t *testing.T, c *caseEnv) {
		f := c.factorAdapter(t)
		u := c.seedUser(t)
		k := c.seedKey(t, persistentKey(u.ID, true))
		now := time.Now()
		p := newPendingLogin(u.ID, &k, now.Add(time.Minute))
		wantNoErr(t, "SetPendingLogin", f.SetPendingLogin(c.ctx, p))
		exactlyOneWins(t, "CompletePendingLogin", concurrentCallers, luciapg.ErrPendingLoginNotFound, func() error {
			s := newSession(u.ID)
			return f.CompletePendingLogin(c.ctx, p.ID, now, s, sessionFactors(s, now, luciapg.FactorPassword, luciapg.FactorTOTP))
		})
		sessions, err := c.adapter.GetSessionsByUserID(c.ctx, u.ID)
		wantNoErr(t, "GetSessionsByUserID", err)
		if len(sessions) != 1 {
			t.Fatalf("%d sessions after concurrent completions, want 1", len(sessions))
		}
	}},
	{"F17", "CompletePendingLogin writes nothing and fails with ErrKeyChanged when the key's hash changed or the key went", func(t *testing.T, c *caseEnv) {
		f := c.factorAdapter(t)
		u := c.seedUser(t)
		k := c.seedKey(t, persistentKey(u.ID, true))
		now := time.Now()
		p := newPendingLogin(u.ID, &k, now.Add(5*time.Minute))
		wantNoErr(t, "SetPendingLogin", f.SetPendingLogin(c.ctx, p))
		_, err := c.adapter.UpdateKeyPassword(c.ctx, k.ID, ptr("RESET HASH"))
		wantNoErr(t, "UpdateKeyPassword", err)
		s := newSession(u.ID)
		wantErr(t, "CompletePendingLogin after a password change", f.CompletePendingLogin(c.ctx, p.ID, now, s, sessionFactors(s, now, luciapg.FactorPassword, luciapg.FactorTOTP)), luciapg.ErrKeyChanged)
		c.wantNoSession(t, s.ID)
		got, err := f.GetPendingLogin(c.ctx, p.ID, now)
		wantNoErr(t, "GetPendingLogin after a refused completion", err)
		wantPendingLogin(t, "GetPendingLogin after a refused completion", got, p)

		wantNoErr(t, "DeleteKeysByUserID", c.adapter.DeleteKeysByUserID(c.ctx, u.ID))
		wantErr(t, "CompletePendingLogin after the key went", f.CompletePendingLogin(c.ctx, p.ID, now, s, sessionFactors(s, now, luciapg.FactorPassword, luciapg.FactorTOTP)), luciapg.ErrKeyChanged)
		c.wantNoSession(t, s.ID)
		_, err = f.GetPendingLogin(c.ctx, p.ID, now)
		wantNoErr(t, "GetPendingLogin after a refused completion", err)
	}},
	{"F18", "CompletePendingLogin refuses a session or record of another user, or an expired login, and writes nothing", func(t *testing.T, c *caseEnv) {
		f := c.factorAdapter(t)
		u, other := c.seedUser(t), c.seedUser(t)
		now := time.Now()
		p := newPendingLogin(u.ID, nil, now.Add(time.Minute))
		wantNoErr(t, "SetPendingLogin", f.SetPendingLogin(c.ctx, p))
		foreign := newSession(other.ID)
		wantErr(t, "CompletePendingLogin with another user's session", f.CompletePendingLogin(c.ctx, p.ID, now, foreign, sessionFactors(foreign, now, luciapg.FactorOAuth)), luciapg.ErrInvalidInput)
		c.wantNoSession(t, foreign.ID)
		s := newSession(u.ID)
		wantErr(t, "CompletePendingLogin with a record of another session", f.CompletePendingLogin(c.ctx, p.ID, now, s, sessionFactors(newSession(u.ID), now, luciapg.FactorOAuth)), luciapg.ErrInvalidInput)
		mismatched := sessionFactors(s, now, luciapg.FactorOAuth)
		mismatched.UserID = other.ID
		wantErr(t, "CompletePendingLogin with a record of another user", f.CompletePendingLogin(c.ctx, p.ID, now, s, mismatched), luciapg.ErrInvalidInput)
		wantErr(t, "CompletePendingLogin after its expiry", f.CompletePendingLogin(c.ctx, p.ID, p.Expires.Add(time.Millisecond), s, sessionFactors(s, now, luciapg.FactorOAuth)), luciapg.ErrPendingLoginNotFound)
		c.wantNoSession(t, s.ID)
		taken := c.seedSession(t, u.ID)
		wantErr(t, "CompletePendingLogin with a taken session id", f.CompletePendingLogin(c.ctx, p.ID, now, taken, sessionFactors(taken, now, luciapg.FactorOAuth)), luciapg.ErrDuplicateSessionID)
		wantNoRecord(t, c, taken)
		got, err := f.GetPendingLogin(c.ctx, p.ID, now)
		wantNoErr(t, "GetPendingLogin after refused completions", err)
		wantPendingLogin(t, "GetPendingLogin after refused completions", got, p)
	}},
	{"F19", "GetSessionFactors returns the session's record, or none, with its user's factors counted", func(t *testing.T, c *caseEnv) {
		f := c.factorAdapter(t)
		u := c.seedUser(t)
		s := c.seedSession(t, u.ID) // made without a record, as a Lucia v1 app makes it
		wantNoRecord(t, c, s)
		confirmedTOTP(t, c, u.ID, 1)
		storedPasskey(t, c, newPasskey(u.ID))
		storedPasskey(t, c, newPasskey(u.ID))
		wantNoErr(t, "SetRecoveryCodes", f.SetRecoveryCodes(c.ctx, u.ID, []string{"h1", "h2", "h3"}))
		wantNoErr(t, "UseRecoveryCode", f.UseRecoveryCode(c.ctx, u.ID, "h3"))
		other := c.seedUser(t)
		storedPasskey(t, c, newPasskey(other.ID))
		wantNoErr(t, "SetTOTP of another user", f.SetTOTP(c.ctx, newTOTP(other.ID)))

		record, counts, err := f.GetSessionFactors(c.ctx, s.ID)
		wantNoErr(t, "GetSessionFactors", err)
		wantEqual(t, "GetSessionFactors' record", record, luciapg.SessionFactors{SessionID: s.ID, UserID: u.ID})
		wantEqual(t, "GetSessionFactors' counts", counts, luciapg.UserFactors{TOTP: true, Passkeys: 2, RecoveryCodes: 2})
		otherSession := c.seedSession(t, other.ID)
		_, counts, err = f.GetSessionFactors(c.ctx, otherSession.ID)
		wantNoErr(t, "GetSessionFactors", err)
		wantEqual(t, "GetSessionFactors' counts of a user with an unconfirmed enrolment", counts, luciapg.UserFactors{Passkeys: 1})
		_, _, err = f.GetSessionFactors(c.ctx, newSession(u.ID).ID)
		wantErr(t, "GetSessionFactors of an unknown session", err, luciapg.ErrInvalidSessionID)
	}},
	{"F20", "SetSessionFactors stores and replaces the record of a session of its user", func(t *testing.T, c *caseEnv) {
		f := c.factorAdapter(t)
		u, other := c.seedUser(t), c.seedUser(t)
		s := c.seedSession(t, u.ID)
		login := time.Now().Add(-time.Hour)
		first := sessionFactors(s, login, luciapg.FactorPassword)
		wantNoErr(t, "SetSessionFactors", f.SetSessionFactors(c.ctx, first))
		got, _, err := f.GetSessionFactors(c.ctx, s.ID)
		wantNoErr(t, "GetSessionFactors", err)
		wantSessionFactors(t, "GetSessionFactors", got, first)
		second := sessionFactors(s, time.Now(), luciapg.FactorPassword, luciapg.FactorPasskey)
		wantNoErr(t, "SetSessionFactors replacing", f.SetSessionFactors(c.ctx, second))
		got, _, err = f.GetSessionFactors(c.ctx, s.ID)
		wantNoErr(t, "GetSessionFactors", err)
		wantSessionFactors(t, "GetSessionFactors after a replacement", got, second)

		wrong := sessionFactors(s, time.Now(), luciapg.FactorOAuth)
		wrong.UserID = other.ID
		wantErr(t, "SetSessionFactors with another user", f.SetSessionFactors(c.ctx, wrong), luciapg.ErrInvalidInput)
		got, _, err = f.GetSessionFactors(c.ctx, s.ID)
		wantNoErr(t, "GetSessionFactors", err)
		wantSessionFactors(t, "GetSessionFactors after a refusal", got, second)
		unknown := newSession(u.ID)
		wantErr(t, "SetSessionFactors of an unknown session", f.SetSessionFactors(c.ctx, sessionFactors(unknown, time.Now(), luciapg.FactorPassword)), luciapg.ErrInvalidSessionID)
		wantErr(t, "SetSessionFactors without factors", f.SetSessionFactors(c.ctx, sessionFactors(s, time.Now())), luciapg.ErrInvalidInput)
	}},
	{"F21", "deleting a session, by DeleteSession or DeleteSessionsByUserID, deletes its record", func(t *testing.T, c *caseEnv) {
		f := c.factorAdapter(t)
		u := c.seedUser(t)
		one, two := c.seedSession(t, u.ID), c.seedSession(t, u.ID)
		for _, s := range []luciapg.Session{one, two} {
			wantNoErr(t, "SetSessionFactors", f.SetSessionFactors(c.ctx, sessionFactors(s, time.Now(), luciapg.FactorPassword)))
		}
		wantNoErr(t, "DeleteSession", c.adapter.DeleteSession(c.ctx, one.ID))
		_, _, err := f.GetSessionFactors(c.ctx, one.ID)
		wantErr(t, "GetSessionFactors of a deleted session", err, luciapg.ErrInvalidSessionID)
		// The same id again: a record left behind would show.
		if err := c.storage.InsertSession(c.ctx, one); err != nil {
			t.Fatalf("seeding session: %v", err)
		}
		wantNoRecord(t, c, one)
		wantNoErr(t, "SetSessionFactors", f.SetSessionFactors(c.ctx, sessionFactors(one, time.Now(), luciapg.FactorPassword)))
		wantNoErr(t, "DeleteSessionsByUserID", c.adapter.DeleteSessionsByUserID(c.ctx, u.ID))
		for _, s := range []luciapg.Session{one, two} {
			if err := c.storage.InsertSession(c.ctx, s); err != nil {
				t.Fatalf("seeding session: %v", err)
			}
			wantNoRecord(t, c, s)
		}
	}},
	{"F22", "DeleteUser deletes every factor row of the user and nothing of another's", func(t *testing.T, c *caseEnv) {
		f := c.factorAdapter(t)
		u, other := c.seedUser(t), c.seedUser(t)
		now := time.Now()
		// userRows are the rows seeded for one user.
		type userRows struct {
			passkey   luciapg.Passkey
			handle    []byte
			challenge luciapg.Challenge
			pending   luciapg.PendingLogin
			session   luciapg.Session
		}
		seeded := map[string]userRows{}
		for _, user := range []fixtureUser{u, other} {
			confirmedTOTP(t, c, user.ID, 1)
			wantNoErr(t, "SetRecoveryCodes", f.SetRecoveryCodes(c.ctx, user.ID, []string{"h1", "h2"}))
			p := storedPasskey(t, c, newPasskey(user.ID))
			handle, err := f.PasskeyUserHandle(c.ctx, user.ID, randomBytes(64))
			wantNoErr(t, "PasskeyUserHandle", err)
			ch := newChallenge(user.ID, now.Add(time.Minute))
			wantNoErr(t, "SetChallenge", f.SetChallenge(c.ctx, ch))
			pl := newPendingLogin(user.ID, nil, now.Add(time.Minute))
			wantNoErr(t, "SetPendingLogin", f.SetPendingLogin(c.ctx, pl))
			s := c.seedSession(t, user.ID)
			wantNoErr(t, "SetSessionFactors", f.SetSessionFactors(c.ctx, sessionFactors(s, now, luciapg.FactorPassword)))
			seeded[user.ID] = userRows{p, handle, ch, pl, s}
		}
		wantNoErr(t, "DeleteUser", c.adapter.DeleteUser(c.ctx, u.ID))
		gone := seeded[u.ID]
		_, err := f.GetTOTP(c.ctx, u.ID)
		wantErr(t, "GetTOTP of a deleted user", err, luciapg.ErrFactorNotFound)
		_, err = f.GetPasskey(c.ctx, gone.passkey.CredentialID)
		wantErr(t, "GetPasskey of a deleted user", err, luciapg.ErrFactorNotFound)
		_, err = f.GetUserIDByPasskeyHandle(c.ctx, gone.handle)
		wantErr(t, "GetUserIDByPasskeyHandle of a deleted user", err, luciapg.ErrInvalidUserID)
		_, err = f.ConsumeChallenge(c.ctx, gone.challenge.ID, now)
		wantErr(t, "ConsumeChallenge of a deleted user", err, luciapg.ErrChallengeNotFound)
		_, err = f.GetPendingLogin(c.ctx, gone.pending.ID, now)
		wantErr(t, "GetPendingLogin of a deleted user", err, luciapg.ErrPendingLoginNotFound)
		// The same ids again: a row left behind would show.
		if err := c.storage.InsertUser(c.ctx, u.ID, u.Username); err != nil {
			t.Fatalf("seeding user: %v", err)
		}
		wantUserFactors(t, c, u.ID, luciapg.UserFactors{})
		wantErr(t, "UseRecoveryCode of a deleted user", f.UseRecoveryCode(c.ctx, u.ID, "h1"), luciapg.ErrFactorNotFound)
		if err := c.storage.InsertSession(c.ctx, gone.session); err != nil {
			t.Fatalf("seeding session: %v", err)
		}
		wantNoRecord(t, c, gone.session)

		kept := seeded[other.ID]
		wantUserFactors(t, c, other.ID, luciapg.UserFactors{TOTP: true, Passkeys: 1, RecoveryCodes: 2})
		id, err := f.GetUserIDByPasskeyHandle(c.ctx, kept.handle)
		wantNoErr(t, "GetUserIDByPasskeyHandle of the other user", err)
		wantEqual(t, "GetUserIDByPasskeyHandle of the other user", id, other.ID)
		_, err = f.GetPendingLogin(c.ctx, kept.pending.ID, now)
		wantNoErr(t, "GetPendingLogin of the other user", err)
		got, _, err := f.GetSessionFactors(c.ctx, kept.session.ID)
		wantNoErr(t, "GetSessionFactors of the other user", err)
		if got.Factors == nil {
			t.Fatal("DeleteUser deleted another user's session record")
		}
		_, err = f.ConsumeChallenge(c.ctx, kept.challenge.ID, now)
		wantNoErr(t, "ConsumeChallenge of the other user", err)
	}},
	{"F23", "DeleteSecondFactors deletes the user's factors, handle, ceremonies and pending logins, and keeps session records", func(t *testing.T, c *caseEnv) {
		f := c.factorAdapter(t)
		u, other := c.seedUser(t), c.seedUser(t)
		now := time.Now()
		confirmedTOTP(t, c, u.ID, 1)
		wantNoErr(t, "SetRecoveryCodes", f.SetRecoveryCodes(c.ctx, u.ID, []string{"h1"}))
		p := storedPasskey(t, c, newPasskey(u.ID))
		handle, err := f.PasskeyUserHandle(c.ctx, u.ID, randomBytes(64))
		wantNoErr(t, "PasskeyUserHandle", err)
		ch := newChallenge(u.ID, now.Add(time.Minute))
		wantNoErr(t, "SetChallenge", f.SetChallenge(c.ctx, ch))
		pl := newPendingLogin(u.ID, nil, now.Add(time.Minute))
		wantNoErr(t, "SetPendingLogin", f.SetPendingLogin(c.ctx, pl))
		s := c.seedSession(t, u.ID)
		record := sessionFactors(s, now, luciapg.FactorPassword, luciapg.FactorTOTP)
		wantNoErr(t, "SetSessionFactors", f.SetSessionFactors(c.ctx, record))
		confirmedTOTP(t, c, other.ID, 1)
		otherPasskey := storedPasskey(t, c, newPasskey(other.ID))

		wantNoErr(t, "DeleteSecondFactors", f.DeleteSecondFactors(c.ctx, u.ID))
		wantUserFactors(t, c, u.ID, luciapg.UserFactors{})
		_, err = f.GetTOTP(c.ctx, u.ID)
		wantErr(t, "GetTOTP after DeleteSecondFactors", err, luciapg.ErrFactorNotFound)
		_, err = f.GetPasskey(c.ctx, p.CredentialID)
		wantErr(t, "GetPasskey after DeleteSecondFactors", err, luciapg.ErrFactorNotFound)
		_, err = f.GetUserIDByPasskeyHandle(c.ctx, handle)
		wantErr(t, "GetUserIDByPasskeyHandle after DeleteSecondFactors", err, luciapg.ErrInvalidUserID)
		_, err = f.ConsumeChallenge(c.ctx, ch.ID, now)
		wantErr(t, "ConsumeChallenge after DeleteSecondFactors", err, luciapg.ErrChallengeNotFound)
		_, err = f.GetPendingLogin(c.ctx, pl.ID, now)
		wantErr(t, "GetPendingLogin after DeleteSecondFactors", err, luciapg.ErrPendingLoginNotFound)
		got, _, err := f.GetSessionFactors(c.ctx, s.ID)
		wantNoErr(t, "GetSessionFactors after DeleteSecondFactors", err)
		wantSessionFactors(t, "GetSessionFactors after DeleteSecondFactors", got, record)
		c.wantStoredUser(t, u.stored())

		wantUserFactors(t, c, other.ID, luciapg.UserFactors{TOTP: true, Passkeys: 1})
		_, err = f.GetPasskey(c.ctx, otherPasskey.CredentialID)
		wantNoErr(t, "GetPasskey of the other user", err)
		wantNoErr(t, "DeleteSecondFactors of an unknown user", f.DeleteSecondFactors(c.ctx, newFixtureUser().ID))
		wantNoErr(t, "DeleteSecondFactors of a user without any", f.DeleteSecondFactors(c.ctx, u.ID))
	}},
	{"F24", "PurgeExpiredCeremonies deletes the ceremonies and pending logins expired before its time, and counts them", func(t *testing.T, c *caseEnv) {
		f := c.factorAdapter(t)
		u := c.seedUser(t)
		now := time.Now()
		var live []luciapg.Challenge
		for _, expires := range []time.Duration{-2 * time.Minute, -time.Minute, time.Minute} {
			ch := newChallenge(u.ID, now.Add(expires))
			wantNoErr(t, "SetChallenge", f.SetChallenge(c.ctx, ch))
			if expires > 0 {
				live = append(live, ch)
			}
		}
		expiredLogin := newPendingLogin(u.ID, nil, now.Add(-time.Second))
		liveLogin := newPendingLogin(u.ID, nil, now) // expires at now: not before it
		for _, p := range []luciapg.PendingLogin{expiredLogin, liveLogin} {
			wantNoErr(t, "SetPendingLogin", f.SetPendingLogin(c.ctx, p))
		}
		n, err := f.PurgeExpiredCeremonies(c.ctx, now)
		wantNoErr(t, "PurgeExpiredCeremonies", err)
		wantEqual(t, "PurgeExpiredCeremonies' count", n, int64(3))
		n, err = f.PurgeExpiredCeremonies(c.ctx, now)
		wantNoErr(t, "PurgeExpiredCeremonies again", err)
		wantEqual(t, "PurgeExpiredCeremonies' count the second time", n, int64(0))
		_, err = f.GetPendingLogin(c.ctx, liveLogin.ID, now)
		wantNoErr(t, "GetPendingLogin of a live one", err)
		_, err = f.GetPendingLogin(c.ctx, expiredLogin.ID, expiredLogin.Expires)
		wantErr(t, "GetPendingLogin of a purged one", err, luciapg.ErrPendingLoginNotFound)
		_, err = f.ConsumeChallenge(c.ctx, live[0].ID, now)
		wantNoErr(t, "ConsumeChallenge of a live one", err)
	}},
	{"F25", "factor writes refuse input that cannot be stored with ErrInvalidInput, naming no value; lookups of it find nothing", func(t *testing.T, c *caseEnv) {
		f := c.factorAdapter(t)
		u := c.seedUser(t)
		s := c.seedSession(t, u.ID)
		now := time.Now()
		const marker = "MARKER"
		withNUL := "nul\x00" + marker
		badPasskey := func(change func(*luciapg.Passkey)) luciapg.Passkey {
			p := newPasskey(u.ID)
			change(&p)
			return p
		}
		refused := []struct {
			what string
			call func() error
		}{
			{"SetTOTP with an empty user id", func() error { return f.SetTOTP(c.ctx, newTOTP("")) }},
			{"SetTOTP with a NUL byte in the key id", func() error {
				totp := newTOTP(u.ID)
				totp.EncryptionKeyID = withNUL
				return f.SetTOTP(c.ctx, totp)
			}},
			{"SetTOTP without a secret", func() error {
				totp := newTOTP(u.ID)
				totp.EncryptedSecret = nil
				return f.SetTOTP(c.ctx, totp)
			}},
			{"ConfirmTOTP with a negative step", func() error { return f.ConfirmTOTP(c.ctx, u.ID, -1) }},
			{"UseTOTPStep with a negative step", func() error { return f.UseTOTPStep(c.ctx, u.ID, -1) }},
			{"SetRecoveryCodes with a NUL byte in a hash", func() error { return f.SetRecoveryCodes(c.ctx, u.ID, []string{"h1", withNUL}) }},
			{"SetRecoveryCodes with an empty hash", func() error { return f.SetRecoveryCodes(c.ctx, u.ID, []string{""}) }},
			{"SetPasskey with an empty credential id", func() error {
				return f.SetPasskey(c.ctx, badPasskey(func(p *luciapg.Passkey) { p.CredentialID = nil }))
			}},
			{"SetPasskey with a 1,024-byte credential id", func() error {
				return f.SetPasskey(c.ctx, badPasskey(func(p *luciapg.Passkey) { p.CredentialID = randomBytes(1024) }))
			}},
			{"SetPasskey with an empty name", func() error {
				return f.SetPasskey(c.ctx, badPasskey(func(p *luciapg.Passkey) { p.Name = "" }))
			}},
			{"SetPasskey with a 101-character name", func() error {
				return f.SetPasskey(c.ctx, badPasskey(func(p *luciapg.Passkey) { p.Name = marker + strings.Repeat("é", 95) }))
			}},
			{"SetPasskey with a NUL byte in the name", func() error {
				return f.SetPasskey(c.ctx, badPasskey(func(p *luciapg.Passkey) { p.Name = withNUL }))
			}},
			{"SetPasskey with a 5-byte AAGUID", func() error {
				return f.SetPasskey(c.ctx, badPasskey(func(p *luciapg.Passkey) { p.AAGUID = randomBytes(5) }))
			}},
			{"SetPasskey without a public key", func() error {
				return f.SetPasskey(c.ctx, badPasskey(func(p *luciapg.Passkey) { p.PublicKey = nil }))
			}},
			{"SetPasskey with an empty user id", func() error {
				return f.SetPasskey(c.ctx, badPasskey(func(p *luciapg.Passkey) { p.UserID = "" }))
			}},
			{"RenamePasskey to a 101-character name", func() error {
				return f.RenamePasskey(c.ctx, u.ID, randomBytes(32), marker+strings.Repeat("x", 95))
			}},
			{"UpdatePasskeyUse at the zero time", func() error {
				return f.UpdatePasskeyUse(c.ctx, randomBytes(32), 0, 1, false, time.Time{})
			}},
			{"PasskeyUserHandle with an empty user id", func() error {
				_, err := f.PasskeyUserHandle(c.ctx, "", randomBytes(64))
				return err
			}},
			{"PasskeyUserHandle with a 65-byte candidate", func() error {
				_, err := f.PasskeyUserHandle(c.ctx, u.ID, randomBytes(65))
				return err
			}},
			{"SetChallenge with an empty id", func() error {
				ch := newChallenge(u.ID, now.Add(time.Minute))
				ch.ID = ""
				return f.SetChallenge(c.ctx, ch)
			}},
			{"SetChallenge with a NUL byte in the purpose", func() error {
				ch := newChallenge(u.ID, now.Add(time.Minute))
				ch.Purpose = withNUL
				return f.SetChallenge(c.ctx, ch)
			}},
			{"SetChallenge without an expiry", func() error { return f.SetChallenge(c.ctx, newChallenge(u.ID, time.Time{})) }},
			{"ConsumeChallenge at the zero time", func() error {
				_, err := f.ConsumeChallenge(c.ctx, "ch_x", time.Time{})
				return err
			}},
			{"SetPendingLogin without factors", func() error {
				p := newPendingLogin(u.ID, nil, now.Add(time.Minute))
				p.Factors = nil
				return f.SetPendingLogin(c.ctx, p)
			}},
			{"SetPendingLogin with an over-long client binding", func() error {
				p := newPendingLogin(u.ID, nil, now.Add(time.Minute))
				p.ClientBinding = strings.Repeat(marker, luciapg.MaxIDBytes)
				return f.SetPendingLogin(c.ctx, p)
			}},
			{"SetSessionFactors with a NUL byte in the session id", func() error {
				return f.SetSessionFactors(c.ctx, luciapg.SessionFactors{SessionID: withNUL, UserID: u.ID, Factors: []string{"password"}, AuthenticatedAt: now})
			}},
			{"SetSessionFactors with an empty factor name", func() error {
				return f.SetSessionFactors(c.ctx, sessionFactors(s, now, luciapg.FactorPassword, ""))
			}},
			{"SetSessionFactors at the zero time", func() error {
				return f.SetSessionFactors(c.ctx, sessionFactors(s, time.Time{}, luciapg.FactorPassword))
			}},
			{"CompletePendingLogin with an empty session id", func() error {
				bad := newSession(u.ID)
				bad.ID = ""
				return f.CompletePendingLogin(c.ctx, "pl_x", now, bad, sessionFactors(bad, now, luciapg.FactorPassword))
			}},
			{"PurgeExpiredCeremonies at the zero time", func() error {
				_, err := f.PurgeExpiredCeremonies(c.ctx, time.Time{})
				return err
			}},
		}
		for _, r := range refused {
			err := r.call()
			wantErr(t, r.what, err, luciapg.ErrInvalidInput)
			if strings.Contains(err.Error(), marker) || strings.Contains(err.Error(), "\x00") {
				t.Fatalf("%s: the error %q holds the value", r.what, err)
			}
		}
		wantUserFactors(t, c, u.ID, luciapg.UserFactors{})
		wantNoRecord(t, c, s)

		// Lookups of ids that can never be stored find nothing.
		_, err := f.GetTOTP(c.ctx, "")
		wantErr(t, "GetTOTP of an empty user id", err, luciapg.ErrFactorNotFound)
		wantErr(t, "UseRecoveryCode with a NUL byte", f.UseRecoveryCode(c.ctx, u.ID, withNUL), luciapg.ErrFactorNotFound)
		_, err = f.GetPasskey(c.ctx, nil)
		wantErr(t, "GetPasskey of an empty credential id", err, luciapg.ErrFactorNotFound)
		_, err = f.GetPasskey(c.ctx, randomBytes(1024))
		wantErr(t, "GetPasskey of a 1,024-byte credential id", err, luciapg.ErrFactorNotFound)
		_, err = f.GetUserIDByPasskeyHandle(c.ctx, nil)
		wantErr(t, "GetUserIDByPasskeyHandle of an empty handle", err, luciapg.ErrInvalidUserID)
		_, err = f.ConsumeChallenge(c.ctx, withNUL, now)
		wantErr(t, "ConsumeChallenge with a NUL byte", err, luciapg.ErrChallengeNotFound)
		_, err = f.GetPendingLogin(c.ctx, "", now)
		wantErr(t, "GetPendingLogin of an empty id", err, luciapg.ErrPendingLoginNotFound)
		_, _, err = f.GetSessionFactors(c.ctx, withNUL)
		wantErr(t, "GetSessionFactors with a NUL byte", err, luciapg.ErrInvalidSessionID)
		counts, err := f.GetUserFactors(c.ctx, withNUL)
		wantNoErr(t, "GetUserFactors with a NUL byte", err)
		wantEqual(t, "GetUserFactors with a NUL byte", counts, luciapg.UserFactors{})
		wantNoErr(t, "DeleteSecondFactors with a NUL byte", f.DeleteSecondFactors(c.ctx, withNUL))
	}},
	{"F26", "factor writes for a user that does not exist fail with ErrInvalidUserID and store nothing", func(t *testing.T, c *caseEnv) {
		f := c.factorAdapter(t)
		ghost := newFixtureUser().ID
		now := time.Now()
		wantErr(t, "SetTOTP", f.SetTOTP(c.ctx, newTOTP(ghost)), luciapg.ErrInvalidUserID)
		wantErr(t, "SetRecoveryCodes", f.SetRecoveryCodes(c.ctx, ghost, []string{"h1"}), luciapg.ErrInvalidUserID)
		wantErr(t, "SetRecoveryCodes with none", f.SetRecoveryCodes(c.ctx, ghost, nil), luciapg.ErrInvalidUserID)
		p := newPasskey(ghost)
		wantErr(t, "SetPasskey", f.SetPasskey(c.ctx, p), luciapg.ErrInvalidUserID)
		_, err := f.PasskeyUserHandle(c.ctx, ghost, randomBytes(64))
		wantErr(t, "PasskeyUserHandle", err, luciapg.ErrInvalidUserID)
		ch := newChallenge(ghost, now.Add(time.Minute))
		wantErr(t, "SetChallenge", f.SetChallenge(c.ctx, ch), luciapg.ErrInvalidUserID)
		pl := newPendingLogin(ghost, nil, now.Add(time.Minute))
		wantErr(t, "SetPendingLogin", f.SetPendingLogin(c.ctx, pl), luciapg.ErrInvalidUserID)
		_, err = f.GetUserIDByPasskeyHandle(c.ctx, randomBytes(64))
		wantErr(t, "GetUserIDByPasskeyHandle of an unknown handle", err, luciapg.ErrInvalidUserID)

		_, err = f.GetTOTP(c.ctx, ghost)
		wantErr(t, "GetTOTP", err, luciapg.ErrFactorNotFound)
		_, err = f.GetPasskey(c.ctx, p.CredentialID)
		wantErr(t, "GetPasskey", err, luciapg.ErrFactorNotFound)
		_, err = f.ConsumeChallenge(c.ctx, ch.ID, now)
		wantErr(t, "ConsumeChallenge", err, luciapg.ErrChallengeNotFound)
		_, err = f.GetPendingLogin(c.ctx, pl.ID, now)
		wantErr(t, "GetPendingLogin", err, luciapg.ErrPendingLoginNotFound)
		wantUserFactors(t, c, ghost, luciapg.UserFactors{})
		c.wantNoUser(t, ghost)
	}},
}
