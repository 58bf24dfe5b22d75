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

func keysSetPasswordFlags(*flag.FlagSet) func(context.Context, *cmdContext, []string) error {
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
		if _, err := store.UpdateKeyPassword(ctx, args[0], &hash); errors.Is(err, luciapg.ErrInvalidKeyID) {
			return notFoundf("no key %q", args[0])
		} else if err != nil {
			return err
		}
		if c.opts.json {
			return printJSON(c.stdout, map[string]any{"key": args[0], "password_set": true})
		}
		fmt.Fprintf(c.stdout, "Set the password of key %s.\n", args[0])
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
			return notFoundf("no key %q", args[0])
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

// requireUser turns an unknown user id into a not-found error, for
// commands whose empty answer would otherwise hide a typo.
func requireUser(ctx context.Context, store *luciapg.Store, userID string) error {
	_, err := store.GetUser(ctx, userID)
	if errors.Is(err, luciapg.ErrInvalidUserID) {
		return notFoundf("no user %q", userID)
	}
	return err
}
