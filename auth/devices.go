package auth

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/luciapg/luciapg"
)

// DefaultLastSeenInterval is how often at most a session's last use is
// written (Config.LastSeenInterval).
const DefaultLastSeenInterval = 5 * time.Minute

// errDevicesUnavailable says why sessions cannot be listed or revoked.
var errDevicesUnavailable = fmt.Errorf("%w: auth: the adapter is no luciapg.DeviceAdapter", ErrDevicesUnavailable)

// SessionInfo is one of a user's sessions as the user sees it: where and
// when it began, when it was last used, without its id (Label names it).
type SessionInfo struct {
	// Label names the session (SessionLabel): what RevokeSession takes.
	Label string
	// Current is true for the session the list was asked from.
	Current bool
	// State is SessionActive or SessionIdle; dead sessions are not listed.
	State SessionState
	// HasMetadata is false for a session made without an origin (by a
	// Lucia v1 app): CreatedAt, ClientAddress and UserAgent are then zero.
	HasMetadata   bool
	CreatedAt     time.Time
	ClientAddress string
	UserAgent     string
	// LastSeenAt is the last recorded use (written at most every
	// Config.LastSeenInterval; a use this process has not written yet
	// counts too), or the zero time.
	LastSeenAt time.Time
	// Factors made the session (luciapg.Factor* names), nil when unknown.
	Factors []string
	// ActiveExpires and IdleExpires are the session's expiries.
	ActiveExpires time.Time
	IdleExpires   time.Time
}

// lastActivity is when the session was last known in use, for ordering.
func (s SessionInfo) lastActivity() time.Time {
	if s.LastSeenAt.After(s.CreatedAt) {
		return s.LastSeenAt
	}
	return s.CreatedAt
}

// devices returns the adapter as a luciapg.DeviceAdapter, or
// ErrDevicesUnavailable.
func (a *Auth) devices() (luciapg.DeviceAdapter, error) {
	da, ok := a.adapter.(luciapg.DeviceAdapter)
	if !ok {
		return nil, errDevicesUnavailable
	}
	return da, nil
}

// ListSessions returns the live sessions of current's user, current first,
// then the others by last use (or creation), newest first, those without
// metadata last: "where you are signed in". ErrDevicesUnavailable when the
// adapter is no luciapg.DeviceAdapter.
func (a *Auth) ListSessions(ctx context.Context, current Session) ([]SessionInfo, error) {
	da, err := a.devices()
	if err != nil {
		return nil, err
	}
	rows, err := da.GetUserSessionsMetadata(ctx, current.UserID)
	if err != nil {
		return nil, err
	}
	now := a.nowMillis()
	list := make([]SessionInfo, 0, len(rows))
	for _, row := range rows {
		state, alive := sessionState(row.Session, now)
		if !alive {
			continue
		}
		info := SessionInfo{
			Label:         SessionLabel(row.Session.ID),
			Current:       row.Session.ID == current.ID,
			State:         state,
			HasMetadata:   row.HasMetadata,
			CreatedAt:     row.CreatedAt,
			ClientAddress: row.ClientAddress,
			UserAgent:     row.UserAgent,
			LastSeenAt:    row.LastSeenAt,
			Factors:       row.Factors,
			ActiveExpires: time.UnixMilli(row.Session.ActiveExpires),
			IdleExpires:   time.UnixMilli(row.Session.IdleExpires),
		}
		if row.HasMetadata {
			if seen, ok := a.lastSeen.lastUse(row.Session.ID); ok && seen.After(info.LastSeenAt) {
				info.LastSeenAt = seen
			}
		}
		list = append(list, info)
	}
	slices.SortStableFunc(list, func(x, y SessionInfo) int {
		switch {
		case x.Current != y.Current:
			if x.Current {
				return -1
			}
			return 1
		case x.HasMetadata != y.HasMetadata:
			if x.HasMetadata {
				return -1
			}
			return 1
		}
		return cmp.Or(y.lastActivity().Compare(x.lastActivity()), cmp.Compare(x.Label, y.Label))
	})
	return list, nil
}

// RevokeSession ends the session of current's user that label names
// (SessionLabel), recording a session_revoked event in the same
// transaction. A label that names none of the user's live sessions
// (another user's included, and a session id, which is never a label) is
// ErrSessionNotFound, and nothing is deleted; so is a label that two of
// the user's sessions share (one chance in millions), rather than a guess
// at which one was meant. The delete is luciapg's DeleteUserSession,
// which deletes only a session of that user, whatever the list said.
func (a *Auth) RevokeSession(ctx context.Context, current Session, label string) error {
	da, err := a.devices()
	if err != nil {
		return err
	}
	if !isSessionLabel(label) {
		return ErrSessionNotFound
	}
	rows, err := da.GetUserSessionsMetadata(ctx, current.UserID)
	if err != nil {
		return err
	}
	now := a.nowMillis()
	var target string
	for _, row := range rows {
		if _, alive := sessionState(row.Session, now); !alive || SessionLabel(row.Session.ID) != label {
			continue
		}
		if target != "" {
			return errAmbiguousLabel
		}
		target = row.Session.ID
	}
	if target == "" {
		return ErrSessionNotFound
	}
	wctx := a.withAuditEvent(ctx, luciapg.AuditSessionRevoked, current.UserID, target, "")
	err = da.DeleteUserSession(wctx, current.UserID, target)
	if errors.Is(err, luciapg.ErrInvalidSessionID) {
		return ErrSessionNotFound // deleted meanwhile
	}
	return err
}

// errAmbiguousLabel is RevokeSession's refusal of a label two sessions
// share.
var errAmbiguousLabel = fmt.Errorf("%w: auth: two of the user's sessions have this label; revoke the others instead", ErrSessionNotFound)

// isSessionLabel reports whether label is what SessionLabel makes: 6
// lowercase hex characters.
func isSessionLabel(label string) bool {
	if len(label) != sessionLabelLength {
		return false
	}
	for i := 0; i < len(label); i++ {
		if c := label[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// RevokeOtherSessions ends every session of current's user but current
// ("sign out everywhere else"), atomically, recording a session_revoked
// event ("others") in the same transaction, and returns how many it
// ended.
func (a *Auth) RevokeOtherSessions(ctx context.Context, current Session) (int, error) {
	da, err := a.devices()
	if err != nil {
		return 0, err
	}
	wctx := a.withAuditEvent(ctx, luciapg.AuditSessionRevoked, current.UserID, current.ID, "others")
	n, err := da.DeleteOtherUserSessions(wctx, current.UserID, current.ID)
	return int(n), err
}
