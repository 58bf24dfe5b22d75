package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5"

	"github.com/luciapg/luciapg"
)

// The mfa commands: what a support desk needs for a user who lost their
// second factor. Neither ever prints a secret: an authenticator app is on
// or off, recovery codes are counted, passkeys are shown by their names.

// mfaStatus is a user's second factors, as shown.
type mfaStatus struct {
	UserID string `json:"user_id"`
	// AuthenticatorApp is "on", "off" or "unconfirmed" (an enrolment
	// begun but never confirmed with a code: not a second factor).
	AuthenticatorApp     string        `json:"authenticator_app"`
	UnusedRecoveryCodes  int           `json:"unused_recovery_codes"`
	Passkeys             []passkeyView `json:"passkeys"`
	SecondFactorRequired bool          `json:"second_factor_required"`
}

// passkeyView is a passkey as shown: its name and dates, never its keys.
type passkeyView struct {
	Name       string  `json:"name"`
	CreatedAt  string  `json:"created_at"`
	LastUsedAt *string `json:"last_used_at"`
}

// userFlag declares --user, the user an mfa command is about.
func userFlag(fs *flag.FlagSet) *string {
	return fs.String("user", "", "the user `USER_ID`")
}

// wantUser checks that --user is given and nothing else.
func wantUser(userID string, args []string) error {
	if err := wantArgs(args); err != nil {
		return err
	}
	if userID == "" {
		return usageErrorf("missing --user USER_ID")
	}
	return nil
}

func mfaStatusFlags(fs *flag.FlagSet) func(context.Context, *cmdContext, []string) error {
	userID := userFlag(fs)
	return func(ctx context.Context, c *cmdContext, args []string) error {
		if err := wantUser(*userID, args); err != nil {
			return err
		}
		store, pool, err := c.storeForUser(ctx, []string{*userID})
		if err != nil {
			return err
		}
		defer pool.Close()
		status, err := loadMFAStatus(ctx, store, *userID)
		if err != nil {
			return err
		}
		if c.opts.json {
			return printJSON(c.stdout, status)
		}
		rows := [][]string{
			{"authenticator app", status.AuthenticatorApp},
			{"recovery codes", plural(status.UnusedRecoveryCodes, "unused", "unused")},
			{"passkeys", strconv.Itoa(len(status.Passkeys))},
			{"second factor at login", yesNo(status.SecondFactorRequired)},
		}
		if err := printTable(c.stdout, []string{"FACTOR", "STATUS"}, rows); err != nil {
			return err
		}
		if len(status.Passkeys) == 0 {
			return nil
		}
		fmt.Fprintln(c.stdout)
		rows = make([][]string, len(status.Passkeys))
		for i, p := range status.Passkeys {
			lastUsed := "never"
			if p.LastUsedAt != nil {
				lastUsed = *p.LastUsedAt
			}
			rows[i] = []string{printable(p.Name), p.CreatedAt, lastUsed}
		}
		return printTable(c.stdout, []string{"PASSKEY", "CREATED", "LAST USED"}, rows)
	}
}

// loadMFAStatus reads the user's second factors.
func loadMFAStatus(ctx context.Context, store *luciapg.Store, userID string) (mfaStatus, error) {
	factors, err := store.GetUserFactors(ctx, userID)
	if err != nil {
		return mfaStatus{}, err
	}
	status := mfaStatus{UserID: userID, AuthenticatorApp: "off", UnusedRecoveryCodes: factors.RecoveryCodes, SecondFactorRequired: factors.HasSecondFactor(), Passkeys: []passkeyView{}}
	totp, err := store.GetTOTP(ctx, userID)
	switch {
	case errors.Is(err, luciapg.ErrFactorNotFound):
	case err != nil:
		return mfaStatus{}, err
	case totp.Confirmed:
		status.AuthenticatorApp = "on"
	default:
		status.AuthenticatorApp = "unconfirmed"
	}
	passkeys, err := store.GetPasskeysByUserID(ctx, userID)
	if err != nil {
		return mfaStatus{}, err
	}
	for _, p := range passkeys {
		v := passkeyView{Name: p.Name, CreatedAt: formatTime(p.CreatedAt)}
		if !p.LastUsedAt.IsZero() {
			s := formatTime(p.LastUsedAt)
			v.LastUsedAt = &s
		}
		status.Passkeys = append(status.Passkeys, v)
	}
	return status, nil
}

func mfaResetFlags(fs *flag.FlagSet) func(context.Context, *cmdContext, []string) error {
	userID := userFlag(fs)
	return func(ctx context.Context, c *cmdContext, args []string) error {
		if err := wantUser(*userID, args); err != nil {
			return err
		}
		_, pool, err := c.storeForUser(ctx, []string{*userID})
		if err != nil {
			return err
		}
		defer pool.Close()
		var before mfaStatus
		var sessions int
		// One transaction: a reset that removed the factors but left a
		// session (of someone who may have stolen them) would be worse
		// than none.
		err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			s := luciapg.New(tx)
			var err error
			if before, err = loadMFAStatus(ctx, s, *userID); err != nil {
				return err
			}
			all, err := s.GetSessionsByUserID(ctx, *userID)
			if err != nil {
				return err
			}
			sessions = len(all)
			// Each write that removes something records it in the audit
			// log, in this transaction.
			factorsCtx, sessionsCtx := ctx, ctx
			if removedFactors(before) != nothingRemoved {
				factorsCtx = adminEvent(ctx, c, luciapg.AuditSecondFactorRemoved, *userID, "", "luciapg mfa reset")
			}
			if sessions > 0 {
				sessionsCtx = adminEvent(ctx, c, luciapg.AuditSessionRevoked, *userID, "", "luciapg mfa reset")
			}
			if err := s.DeleteSecondFactors(factorsCtx, *userID); err != nil {
				return err
			}
			return s.DeleteSessionsByUserID(sessionsCtx, *userID)
		})
		if err != nil {
			return err
		}
		if c.opts.json {
			return printJSON(c.stdout, map[string]any{
				"user_id":                       *userID,
				"removed_authenticator_app":     before.AuthenticatorApp != "off",
				"removed_unused_recovery_codes": before.UnusedRecoveryCodes,
				"removed_passkeys":              len(before.Passkeys),
				"revoked_sessions":              sessions,
			})
		}
		fmt.Fprintf(c.stdout, "Reset the second factors of user %s: removed %s; revoked %s.\n",
			*userID, removedFactors(before), plural(sessions, "session", "sessions"))
		return nil
	}
}

// nothingRemoved is removedFactors of a user without second factors.
const nothingRemoved = "no second factor (there was none)"

// removedFactors says what a reset removed, such as "the authenticator
// app, 2 passkeys and 7 unused recovery codes", or "nothing (no second
// factor)".
func removedFactors(s mfaStatus) string {
	var parts []string
	switch s.AuthenticatorApp {
	case "on":
		parts = append(parts, "the authenticator app")
	case "unconfirmed":
		parts = append(parts, "an unconfirmed authenticator app")
	}
	if n := len(s.Passkeys); n > 0 {
		parts = append(parts, plural(n, "passkey", "passkeys"))
	}
	if s.UnusedRecoveryCodes > 0 {
		parts = append(parts, plural(s.UnusedRecoveryCodes, "unused recovery code", "unused recovery codes"))
	}
	switch len(parts) {
	case 0:
		return nothingRemoved
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// formatTime shows a stored time in UTC.
func formatTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339)
}

// printable shows a name a user chose as it is, or quoted when it holds
// something a terminal would act on (an escape sequence, a line break).
func printable(s string) string {
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}
