package memadapter

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/input"
)

// Sessions' metadata: the origin a session was inserted with
// (luciapg.WithSessionOrigin) and its last recorded use, the columns of the
// Store's luciapg_session beside the factor record. Every path that
// deletes a session deletes its metadata too (deleteSessionRows), as the
// Store's foreign key cascades.

var _ luciapg.DeviceAdapter = (*Adapter)(nil)

// sessionMetadata is one session's metadata; times to the microsecond.
type sessionMetadata struct {
	createdAt     time.Time
	clientAddress string
	userAgent     string
	lastSeenAt    time.Time // zero until RecordSessionsSeen
}

// originMetadata returns the metadata of the origin ctx carries, and false
// when it carries none. An origin the Store could not store is refused
// (input.SessionOrigin); its user agent is not, but made storable and cut
// to luciapg.MaxUserAgentBytes at a character boundary (input.UserAgent).
func originMetadata(ctx context.Context) (sessionMetadata, bool, error) {
	origin, ok := luciapg.SessionOriginFrom(ctx)
	if !ok {
		return sessionMetadata{}, false, nil
	}
	if err := input.SessionOrigin(origin.At, origin.ClientAddress); err != nil {
		return sessionMetadata{}, false, err
	}
	return sessionMetadata{
		createdAt:     microseconds(origin.At),
		clientAddress: origin.ClientAddress,
		userAgent:     input.UserAgent(origin.UserAgent),
	}, true, nil
}

// insertSession stores a new session, with its metadata when it has an
// origin. The caller holds mu and has checked everything.
func (a *Adapter) insertSession(session luciapg.Session, meta sessionMetadata, hasOrigin bool) {
	a.sessions[session.ID] = session
	if hasOrigin {
		a.sessionMeta[session.ID] = meta
	}
}

// deleteSessionRows deletes a session with its factor record and metadata.
// The caller holds mu.
func (a *Adapter) deleteSessionRows(sessionID string) {
	delete(a.sessions, sessionID)
	delete(a.factors.sessions, sessionID)
	delete(a.sessionMeta, sessionID)
}

// GetUserSessionsMetadata implements luciapg.DeviceAdapter: newest first
// by CreatedAt, then sessions without metadata, each group in id order
// where times tie.
func (a *Adapter) GetUserSessionsMetadata(_ context.Context, userID string) ([]luciapg.SessionMetadata, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.users[userID]; !ok {
		return nil, luciapg.ErrInvalidUserID
	}
	list := []luciapg.SessionMetadata{}
	for id, session := range a.sessions {
		if session.UserID != userID {
			continue
		}
		entry := luciapg.SessionMetadata{Session: session}
		if meta, ok := a.sessionMeta[id]; ok {
			entry.HasMetadata = true
			entry.CreatedAt, entry.ClientAddress, entry.UserAgent, entry.LastSeenAt = meta.createdAt, meta.clientAddress, meta.userAgent, meta.lastSeenAt
		}
		if record, ok := a.factors.sessions[id]; ok {
			entry.Factors = slices.Clone(record.Factors)
		}
		list = append(list, entry)
	}
	slices.SortFunc(list, func(x, y luciapg.SessionMetadata) int {
		if x.HasMetadata != y.HasMetadata {
			if x.HasMetadata {
				return -1
			}
			return 1
		}
		return cmp.Or(y.CreatedAt.Compare(x.CreatedAt), strings.Compare(x.Session.ID, y.Session.ID))
	})
	return list, nil
}

// DeleteUserSession implements luciapg.DeviceAdapter.
func (a *Adapter) DeleteUserSession(ctx context.Context, userID, sessionID string) (err error) {
	if !input.Findable(userID) || !input.Findable(sessionID) {
		return luciapg.ErrInvalidSessionID
	}
	unlock, err := a.lockForWrite(ctx)
	if err != nil {
		return err
	}
	defer unlock(&err)
	if session, ok := a.sessions[sessionID]; !ok || session.UserID != userID {
		return luciapg.ErrInvalidSessionID
	}
	a.deleteSessionRows(sessionID)
	return nil
}

// DeleteOtherUserSessions implements luciapg.DeviceAdapter. A user id no
// user could have deletes nothing and records no event, as in the Store.
func (a *Adapter) DeleteOtherUserSessions(ctx context.Context, userID, keepSessionID string) (_ int64, err error) {
	if !input.Findable(userID) {
		return 0, nil
	}
	unlock, err := a.lockForWrite(ctx)
	if err != nil {
		return 0, err
	}
	defer unlock(&err)
	var deleted int64
	for _, id := range slices.Collect(maps.Keys(a.sessions)) {
		if id != keepSessionID && a.sessions[id].UserID == userID {
			a.deleteSessionRows(id)
			deleted++
		}
	}
	return deleted, nil
}

// RecordSessionsSeen implements luciapg.DeviceAdapter. A use at a zero or
// out-of-range time is refused, and then none of the batch is recorded.
func (a *Adapter) RecordSessionsSeen(_ context.Context, seen []luciapg.SessionSeen) error {
	for _, s := range seen {
		if err := input.Time("session use time", s.At); err != nil {
			return err
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, s := range seen {
		meta, ok := a.sessionMeta[s.SessionID]
		if at := microseconds(s.At); ok && at.After(meta.lastSeenAt) {
			meta.lastSeenAt = at
			a.sessionMeta[s.SessionID] = meta
		}
	}
	return nil
}
