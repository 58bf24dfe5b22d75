package memadapter

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/input"
)

// Column declares an attribute column of auth_user.
type Column struct {
	// Name is the column name, the key in luciapg.User.Attributes.
	Name string
	// Default is the value a new user gets when SetUser does not set the
	// column; nil means NULL.
	Default any
	// NotNull refuses nil values, like NOT NULL.
	NotNull bool
	// Unique refuses a non-nil value another user already has, like UNIQUE,
	// with luciapg.ErrDuplicateAttribute naming the column, as the Store does.
	Unique bool
}

// The storage's own errors, standing in for PostgreSQL's. Each is wrapped
// with the column's name, never its value.
var (
	// ErrUnknownColumn: an attribute names no declared column.
	ErrUnknownColumn = errors.New("memadapter: no such attribute column")
	// ErrNotNull: nil for a NotNull column.
	ErrNotNull = errors.New("memadapter: null value in a NOT NULL column")
)

// Adapter is an in-memory luciapg.Adapter. Make one with New.
type Adapter struct {
	columns []Column // sorted by name

	mu       sync.Mutex
	users    map[string]map[string]any // id → attributes, every column present
	sessions map[string]luciapg.Session
	keys     map[string]luciapg.Key
	attempts map[string]attemptRow // throttle key → row, made on first use (throttle.go)
	factors  factorTables          // luciapg.FactorAdapter's rows (factors.go)

	sessionMeta  map[string]sessionMetadata     // session id → (devices.go)
	audit        []luciapg.AuditEvent           // in ID order (audit.go)
	lastAuditID  int64                          // the last ID given
	emailChanges map[string]luciapg.EmailChange // user id → (email_change.go)
}

var _ luciapg.Adapter = (*Adapter)(nil)

// New returns an empty adapter whose users have the given attribute
// columns. As in PostgreSQL, a NotNull column without a Default must be
// given a value by every SetUser. It panics on an empty, reserved ("id") or repeated column name:
// those are programming errors in a test's setup.
func New(columns ...Column) *Adapter {
	sorted := slices.Clone(columns)
	slices.SortFunc(sorted, func(a, b Column) int { return strings.Compare(a.Name, b.Name) })
	for i, c := range sorted {
		if c.Name == "" || c.Name == "id" {
			panic(fmt.Sprintf("memadapter: invalid column name %q", c.Name))
		}
		if i > 0 && sorted[i-1].Name == c.Name {
			panic(fmt.Sprintf("memadapter: column %q declared twice", c.Name))
		}
	}
	return &Adapter{
		columns:  sorted,
		users:    make(map[string]map[string]any),
		sessions: make(map[string]luciapg.Session),
		keys:     make(map[string]luciapg.Key),
		factors:  newFactorTables(),

		sessionMeta:  make(map[string]sessionMetadata),
		emailChanges: make(map[string]luciapg.EmailChange),
	}
}

func (a *Adapter) column(name string) (Column, bool) {
	i, ok := slices.BinarySearchFunc(a.columns, name, func(c Column, name string) int { return strings.Compare(c.Name, name) })
	if !ok {
		return Column{}, false
	}
	return a.columns[i], true
}

// checkAttributes refuses values that the columns' constraints would
// refuse, for the row of userID (whose own values never collide with
// themselves). The caller holds mu.
func (a *Adapter) checkAttributes(userID string, attributes map[string]any) error {
	for _, name := range slices.Sorted(maps.Keys(attributes)) {
		value := attributes[name]
		if name == "" || name == "id" {
			return fmt.Errorf("%w: attribute name %q cannot be set", luciapg.ErrInvalidInput, name)
		}
		c, ok := a.column(name)
		if !ok {
			return fmt.Errorf("%w: %q", ErrUnknownColumn, name)
		}
		if value == nil {
			if c.NotNull {
				return fmt.Errorf("%w: %q", ErrNotNull, name)
			}
			continue
		}
		if !c.Unique {
			continue
		}
		for id, other := range a.users {
			if id != userID && reflect.DeepEqual(other[name], value) {
				return input.DuplicateAttribute(name)
			}
		}
	}
	return nil
}

func userFrom(id string, attributes map[string]any) luciapg.User {
	return luciapg.User{ID: id, Attributes: maps.Clone(attributes)}
}

// GetUser implements luciapg.UserAdapter.
func (a *Adapter) GetUser(_ context.Context, userID string) (luciapg.User, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	attributes, ok := a.users[userID]
	if !ok {
		return luciapg.User{}, luciapg.ErrInvalidUserID
	}
	return userFrom(userID, attributes), nil
}

// SetUser implements luciapg.UserAdapter. Like the PostgreSQL Store, it
// refuses the same ids, attributes and keys (internal/input's rules), gives a key with an empty UserID the user's id and refuses a key for another user,
// all with luciapg.ErrInvalidInput.
func (a *Adapter) SetUser(ctx context.Context, user luciapg.User, key *luciapg.Key) (_ luciapg.User, err error) {
	if err := input.UserID(user.ID); err != nil {
		return luciapg.User{}, err
	}
	if _, err := input.AttributeNames(user.Attributes); err != nil {
		return luciapg.User{}, err
	}
	var k luciapg.Key
	if key != nil {
		k = copyKey(*key)
		if k.UserID == "" {
			k.UserID = user.ID
		}
		if k.UserID != user.ID {
			return luciapg.User{}, fmt.Errorf("%w: the key's user id differs from the user's id", luciapg.ErrInvalidInput)
		}
		if err := input.Key(k.ID, k.UserID, k.PrimaryKey, k.HashedPassword, k.Expires); err != nil {
			return luciapg.User{}, err
		}
	}
	unlock, err := a.lockForWrite(ctx)
	if err != nil {
		return luciapg.User{}, err
	}
	defer unlock(&err)
	if _, taken := a.users[user.ID]; taken {
		return luciapg.User{}, luciapg.ErrDuplicateUserID
	}
	row := make(map[string]any, len(a.columns))
	for _, c := range a.columns {
		row[c.Name] = c.Default
	}
	maps.Copy(row, user.Attributes)
	// Defaults are checked too: a NOT NULL column without one must be set.
	if err := a.checkAttributes(user.ID, row); err != nil {
		return luciapg.User{}, err
	}
	if key != nil {
		if _, taken := a.keys[k.ID]; taken {
			return luciapg.User{}, luciapg.ErrDuplicateKeyID
		}
		a.keys[k.ID] = k
	}
	a.users[user.ID] = row
	return userFrom(user.ID, row), nil
}

// UpdateUserAttributes implements luciapg.UserAdapter, refusing the
// attributes the PostgreSQL Store refuses.
func (a *Adapter) UpdateUserAttributes(ctx context.Context, userID string, attributes map[string]any) (_ luciapg.User, err error) {
	if _, err := input.AttributeNames(attributes); err != nil {
		return luciapg.User{}, err
	}
	unlock, err := a.lockForWrite(ctx)
	if err != nil {
		return luciapg.User{}, err
	}
	defer unlock(&err)
	row, ok := a.users[userID]
	if err := a.checkAttributes(userID, attributes); err != nil {
		return luciapg.User{}, err
	}
	if !ok {
		return luciapg.User{}, luciapg.ErrInvalidUserID
	}
	updated := maps.Clone(row)
	maps.Copy(updated, attributes)
	a.users[userID] = updated
	return userFrom(userID, updated), nil
}

// DeleteUser implements luciapg.UserAdapter: the user, its sessions and its
// keys go together, with every row of luciapg.FactorAdapter that names it,
// its sessions' metadata and its pending email change (as the Store's
// foreign keys cascade). Its audit events stay.
func (a *Adapter) DeleteUser(ctx context.Context, userID string) (err error) {
	unlock, err := a.lockForWrite(ctx)
	if err != nil {
		return err
	}
	defer unlock(&err)
	a.deleteSessionsOf(userID)
	a.deleteKeysOf(userID)
	a.deleteFactorsOf(userID, true)
	delete(a.emailChanges, userID)
	delete(a.users, userID)
	return nil
}
