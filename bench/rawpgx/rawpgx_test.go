package rawpgx_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/bench/dataset"
	"github.com/luciapg/luciapg/bench/rawpgx"
	"github.com/luciapg/luciapg/internal/testdb"
)

// The twins are only a fair baseline if they return what the Store
// returns, attributes (NULL ones included) and all.
func TestTwinsReturnWhatTheStoreReturns(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	if err := dataset.Seed(ctx, pool, 3); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "UPDATE auth_user SET nickname = 'nick', plan = 'pro' WHERE id = $1", dataset.UserID(1)); err != nil {
		t.Fatal(err)
	}
	store := luciapg.New(pool)
	same := func(name string, got, want any, gotErr, wantErr error) {
		t.Helper()
		if gotErr != nil || wantErr != nil {
			t.Fatalf("%s: raw error %v, Store error %v", name, gotErr, wantErr)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: raw returned %#v, Store %#v", name, got, want)
		}
	}
	for i := range 2 {
		userID, keyID, sessionID := dataset.UserID(i), dataset.KeyID(i), dataset.SessionID(i, 1)

		rs, ru, rerr := rawpgx.GetSessionAndUser(ctx, pool, sessionID)
		ss, su, serr := store.GetSessionAndUser(ctx, sessionID)
		same("GetSessionAndUser", []any{rs, ru}, []any{ss, su}, rerr, serr)

		rawUser, rerr := rawpgx.GetUser(ctx, pool, userID)
		storeUser, serr := store.GetUser(ctx, userID)
		same("GetUser", rawUser, storeUser, rerr, serr)

		rawSession, rerr := rawpgx.GetSession(ctx, pool, sessionID)
		storeSession, serr := store.GetSession(ctx, sessionID)
		same("GetSession", rawSession, storeSession, rerr, serr)

		rawKey, rerr := rawpgx.GetKey(ctx, pool, keyID)
		storeKey, serr := store.GetKey(ctx, keyID)
		same("GetKey", rawKey, storeKey, rerr, serr)

		rawSessions, rerr := rawpgx.GetSessionsByUserID(ctx, pool, userID)
		storeSessions, serr := store.GetSessionsByUserID(ctx, userID)
		same("GetSessionsByUserID", rawSessions, storeSessions, rerr, serr)

		rawKeys, rerr := rawpgx.GetKeysByUserID(ctx, pool, userID)
		storeKeys, serr := store.GetKeysByUserID(ctx, userID)
		same("GetKeysByUserID", rawKeys, storeKeys, rerr, serr)

		hash := "new hash"
		rawKey, rerr = rawpgx.UpdateKeyPassword(ctx, pool, keyID, &hash)
		storeKey, serr = store.UpdateKeyPassword(ctx, keyID, &hash)
		same("UpdateKeyPassword", rawKey, storeKey, rerr, serr)
	}

	hash := "HASHED"
	rawUser, rerr := rawpgx.SetUserWithKey(ctx, pool, "raw_user", "raw_name",
		luciapg.Key{ID: "email:raw", PrimaryKey: true, HashedPassword: &hash})
	storeUser, serr := store.SetUser(ctx, luciapg.User{ID: "store_user", Attributes: map[string]any{"username": "store_name"}},
		&luciapg.Key{ID: "email:store", PrimaryKey: true, HashedPassword: &hash})
	rawUser.ID, rawUser.Attributes["username"] = "store_user", "store_name"
	same("SetUserWithKey", rawUser, storeUser, rerr, serr)
	rawKey, rerr := rawpgx.GetKey(ctx, pool, "email:raw")
	storeKey, serr := store.GetKey(ctx, "email:store")
	rawKey.ID, rawKey.UserID = storeKey.ID, storeKey.UserID
	same("key inserted with the user", rawKey, storeKey, rerr, serr)
}
