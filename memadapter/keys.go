package memadapter

import (
	"context"
	"maps"
	"slices"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/input"
)

// copyKey returns key with its pointers pointing to copies, so callers and
// the adapter never share memory.
func copyKey(key luciapg.Key) luciapg.Key {
	if key.HashedPassword != nil {
		hash := *key.HashedPassword
		key.HashedPassword = &hash
	}
	if key.Expires != nil {
		expires := *key.Expires
		key.Expires = &expires
	}
	return key
}

// GetKey implements luciapg.UserAdapter.
func (a *Adapter) GetKey(_ context.Context, keyID string) (luciapg.Key, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	key, ok := a.keys[keyID]
	if !ok {
		return luciapg.Key{}, luciapg.ErrInvalidKeyID
	}
	return copyKey(key), nil
}

// GetKeysByUserID implements luciapg.UserAdapter; keys come in id order.
func (a *Adapter) GetKeysByUserID(_ context.Context, userID string) ([]luciapg.Key, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	keys := []luciapg.Key{}
	for _, id := range slices.Sorted(maps.Keys(a.keys)) {
		if key := a.keys[id]; key.UserID == userID {
			keys = append(keys, copyKey(key))
		}
	}
	return keys, nil
}

// SetKey implements luciapg.UserAdapter, refusing what the Store
// refuses.
func (a *Adapter) SetKey(ctx context.Context, key luciapg.Key) (err error) {
	if err := input.Key(key.ID, key.UserID, key.PrimaryKey, key.HashedPassword, key.Expires); err != nil {
		return err
	}
	unlock, err := a.lockForWrite(ctx)
	if err != nil {
		return err
	}
	defer unlock(&err)
	if _, taken := a.keys[key.ID]; taken {
		return luciapg.ErrDuplicateKeyID
	}
	if _, ok := a.users[key.UserID]; !ok {
		return luciapg.ErrInvalidUserID
	}
	a.keys[key.ID] = copyKey(key)
	return nil
}

// UpdateKeyPassword implements luciapg.UserAdapter.
func (a *Adapter) UpdateKeyPassword(ctx context.Context, keyID string, hashedPassword *string) (_ luciapg.Key, err error) {
	if err := input.HashedPassword(hashedPassword); err != nil {
		return luciapg.Key{}, err
	}
	unlock, err := a.lockForWrite(ctx)
	if err != nil {
		return luciapg.Key{}, err
	}
	defer unlock(&err)
	key, ok := a.keys[keyID]
	if !ok {
		return luciapg.Key{}, luciapg.ErrInvalidKeyID
	}
	key.HashedPassword = hashedPassword
	key = copyKey(key)
	a.keys[keyID] = key
	return copyKey(key), nil
}

// DeleteNonPrimaryKey implements luciapg.UserAdapter.
func (a *Adapter) DeleteNonPrimaryKey(ctx context.Context, keyID string) (err error) {
	unlock, err := a.lockForWrite(ctx)
	if err != nil {
		return err
	}
	defer unlock(&err)
	if key, ok := a.keys[keyID]; ok && !key.PrimaryKey {
		delete(a.keys, keyID)
	}
	return nil
}

// DeleteKeysByUserID implements luciapg.UserAdapter.
func (a *Adapter) DeleteKeysByUserID(ctx context.Context, userID string) (err error) {
	unlock, err := a.lockForWrite(ctx)
	if err != nil {
		return err
	}
	defer unlock(&err)
	a.deleteKeysOf(userID)
	return nil
}

// ConsumeKey implements luciapg.UserAdapter: the check and the delete
// happen under one lock, so exactly one of concurrent callers gets the key.
func (a *Adapter) ConsumeKey(ctx context.Context, keyID string) (_ luciapg.Key, err error) {
	unlock, err := a.lockForWrite(ctx)
	if err != nil {
		return luciapg.Key{}, err
	}
	defer unlock(&err)
	key, ok := a.keys[keyID]
	if !ok || key.PrimaryKey {
		return luciapg.Key{}, luciapg.ErrInvalidKeyID
	}
	delete(a.keys, keyID)
	return key, nil
}

// deleteKeysOf deletes every key of userID. The caller holds mu.
func (a *Adapter) deleteKeysOf(userID string) {
	maps.DeleteFunc(a.keys, func(_ string, key luciapg.Key) bool { return key.UserID == userID })
}
