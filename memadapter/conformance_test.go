package memadapter

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/adaptertest"
)

// suiteColumns are adaptertest.AttributeColumns, declared for memadapter.
var suiteColumns = []Column{
	{Name: "username", Unique: true},
	{Name: "plan", NotNull: true, Default: "free"},
	{Name: "nickname"},
}

func TestConformance(t *testing.T) {
	t.Parallel()
	adaptertest.Run(t, adaptertest.Harness{
		New: func(t *testing.T) (luciapg.Adapter, adaptertest.Storage) {
			a := New(suiteColumns...)
			return a, storage{a}
		},
	})
}

// storage is adaptertest.Storage for an Adapter: it reads and writes the
// adapter's maps directly, never through the methods under test.
type storage struct {
	a *Adapter
}

func (s storage) InsertUser(_ context.Context, id, username string) error {
	s.a.mu.Lock()
	defer s.a.mu.Unlock()
	if _, taken := s.a.users[id]; taken {
		return errors.New("storage: user id taken")
	}
	row := map[string]any{}
	for _, c := range s.a.columns {
		row[c.Name] = c.Default
	}
	row["username"] = username
	s.a.users[id] = row
	return nil
}

func (s storage) InsertSession(_ context.Context, session luciapg.Session) error {
	s.a.mu.Lock()
	defer s.a.mu.Unlock()
	_, taken := s.a.sessions[session.ID]
	if err := s.insertable(session.ID, taken, session.UserID); err != nil {
		return err
	}
	s.a.sessions[session.ID] = session
	return nil
}

func (s storage) InsertKey(_ context.Context, key luciapg.Key) error {
	s.a.mu.Lock()
	defer s.a.mu.Unlock()
	_, taken := s.a.keys[key.ID]
	if err := s.insertable(key.ID, taken, key.UserID); err != nil {
		return err
	}
	s.a.keys[key.ID] = copyKey(key)
	return nil
}

// insertable mirrors the primary and foreign keys of the SQL tables. The
// caller holds mu.
func (s storage) insertable(id string, taken bool, userID string) error {
	if taken {
		return fmt.Errorf("storage: id %q taken", id)
	}
	if _, ok := s.a.users[userID]; !ok {
		return fmt.Errorf("storage: no user %q", userID)
	}
	return nil
}

func (s storage) User(_ context.Context, id string) (luciapg.User, bool, error) {
	s.a.mu.Lock()
	defer s.a.mu.Unlock()
	row, ok := s.a.users[id]
	if !ok {
		return luciapg.User{}, false, nil
	}
	return userFrom(id, row), true, nil
}

func (s storage) Session(_ context.Context, id string) (luciapg.Session, bool, error) {
	s.a.mu.Lock()
	defer s.a.mu.Unlock()
	session, ok := s.a.sessions[id]
	return session, ok, nil
}

func (s storage) Key(_ context.Context, id string) (luciapg.Key, bool, error) {
	s.a.mu.Lock()
	defer s.a.mu.Unlock()
	key, ok := s.a.keys[id]
	return copyKey(key), ok, nil
}
