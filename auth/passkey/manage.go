package passkey

import (
	"context"
	"fmt"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
)

// List returns the user's passkeys, oldest first, to show on a settings
// page: each one's name, creation and last use. Their public keys are
// public; their credential ids name them in Rename and Remove.
func (p *Passkeys) List(ctx context.Context, userID string) ([]luciapg.Passkey, error) {
	passkeys, err := p.factors.GetPasskeysByUserID(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("passkey: reading the user's passkeys: %w", err)
	}
	return passkeys, nil
}

// Rename renames a passkey of the session's user (session being what
// auth's ValidateSession returned). The name is checked as
// FinishRegistration checks it; a credential id that is not one of the
// user's passkeys wraps luciapg.ErrFactorNotFound. A label changes no
// access, so no sudo mode is needed.
func (p *Passkeys) Rename(ctx context.Context, session auth.Session, credentialID []byte, name string) error {
	name, err := checkName(name)
	if err != nil {
		return err
	}
	if err := p.factors.RenamePasskey(ctx, session.UserID, credentialID, name); err != nil {
		return fmt.Errorf("passkey: renaming: %w", err)
	}
	return nil
}

// Remove deletes a passkey of the session's user. It needs sudo mode
// (auth.ErrSudoRequired otherwise); a credential id that is not one of the
// user's passkeys (another user's included) wraps luciapg.ErrFactorNotFound
// and deletes nothing. Removing one is recorded as a second_factor_removed
// event ("passkey") in the delete's transaction, and the user is sent a
// notice (auth.Config.Notifier).
func (p *Passkeys) Remove(ctx context.Context, session auth.Session, credentialID []byte) error {
	if err := p.auth.RequireSudo(ctx, session); err != nil {
		return err
	}
	wctx := p.auth.AuditContext(ctx, luciapg.AuditSecondFactorRemoved, session.UserID, session.ID, luciapg.FactorPasskey)
	if err := p.factors.DeletePasskey(wctx, session.UserID, credentialID); err != nil {
		return fmt.Errorf("passkey: removing: %w", err)
	}
	p.auth.Notify(ctx, auth.Notice{Kind: auth.NoticeSecondFactorRemoved, UserID: session.UserID, Detail: luciapg.FactorPasskey})
	return nil
}
