package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
)

func keysListFlags(*flag.FlagSet) func(context.Context, *cmdContext, []string) error {
	return func(ctx context.Context, c *cmdContext, args []string) error {
		store, pool, err := c.storeForUser(ctx, args)
		if err != nil {
			return err
		}
		defer pool.Close()
		keys, err := store.GetKeysByUserID(ctx, args[0])
		if err != nil {
			return err
		}
		views := make([]keyView, len(keys))
		for i, k := range keys {
			views[i] = viewKey(k)
		}
		if c.opts.json {
			return printJSON(c.stdout, map[string]any{"keys": views})
		}
		return printTable(c.stdout, keyHeader, keyRows(views))
	}
}

func keysSetPasswordFlags(fs *flag.FlagSet) func(context.Context, *cmdContext, []string) error {
	keepSessions := fs.Bool("keep-sessions", false, "leave the user's sessions alive (by default they end: whoever knew the old password may hold one)")
	return func(ctx context.Context, c *cmdContext, args []string) error {
		if err := wantArgs(args, "KEY_ID"); err != nil {
			return err
		}
		password, err := c.readPassword()
		if err != nil {
			return err
		}
		// Hash before connecting: scrypt takes a while and needs no
		// connection.
		hash, err := auth.HashPassword(password)
		if err != nil {
			return err
		}
		store, pool, err := c.store(ctx)
		if err != nil {
			return err
		}
		defer pool.Close()
		key, err := store.UpdateKeyPassword(ctx, args[0], &hash)
		if errors.Is(err, luciapg.ErrInvalidKeyID) {
			return keyNotFound(ctx, store, args[0], "luciapg keys list %s shows their keys")
		} else if err != nil {
			return err
		}
		// Counted before deleting: a session started in between ends too,
		// uncounted.
		sessions, err := store.GetSessionsByUserID(ctx, key.UserID)
		if err == nil && !*keepSessions {
			err = store.DeleteSessionsByUserID(ctx, key.UserID)
		}
		if err != nil {
			return fmt.Errorf("the password was set, but ending the sessions of user %s failed (run 'luciapg sessions revoke-all %s'): %w", key.UserID, key.UserID, err)
		}
		if c.opts.json {
			out := map[string]any{"key": key.ID, "user_id": key.UserID, "password_set": true, "ended_sessions": len(sessions)}
			if *keepSessions {
				out["ended_sessions"], out["kept_sessions"] = 0, len(sessions)
			}
			return printJSON(c.stdout, out)
		}
		if *keepSessions {
			fmt.Fprintf(c.stdout, "Password set; kept %s of user %s (--keep-sessions).\n", plural(len(sessions), "session", "sessions"), key.UserID)
		} else {
			fmt.Fprintf(c.stdout, "Password set; ended %s of user %s.\n", plural(len(sessions), "session", "sessions"), key.UserID)
		}
		return nil
	}
}

func keysDeleteFlags(*flag.FlagSet) func(context.Context, *cmdContext, []string) error {
	return func(ctx context.Context, c *cmdContext, args []string) error {
		if err := wantArgs(args, "KEY_ID"); err != nil {
			return err
		}
		store, pool, err := c.store(ctx)
		if err != nil {
			return err
		}
		defer pool.Close()
		key, err := store.GetKey(ctx, args[0])
		if errors.Is(err, luciapg.ErrInvalidKeyID) {
			return keyNotFound(ctx, store, args[0], "luciapg keys list %s shows their keys")
		}
		if err != nil {
			return err
		}
		if key.PrimaryKey {
			return refusedf("key %q is its user's primary key; delete the user instead", key.ID)
		}
		if err := store.DeleteNonPrimaryKey(ctx, key.ID); err != nil {
			return err
		}
		if c.opts.json {
			return printJSON(c.stdout, map[string]any{"deleted_key": key.ID})
		}
		fmt.Fprintf(c.stdout, "Deleted key %s.\n", key.ID)
		return nil
	}
}
