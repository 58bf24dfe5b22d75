package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"slices"

	"github.com/luciapg/luciapg"
)

// userView is a user with their keys and sessions, as shown.
type userView struct {
	ID         string         `json:"id"`
	Attributes map[string]any `json:"attributes"`
	Keys       []keyView      `json:"keys"`
	Sessions   []sessionView  `json:"sessions"`
}

func usersShowFlags(fs *flag.FlagSet) func(context.Context, *cmdContext, []string) error {
	keyID := fs.String("key", "", "find the user by a key id `KEY_ID` (PROVIDER:USER) instead of a user id")
	showIDs := showIDsFlag(fs)
	return func(ctx context.Context, c *cmdContext, args []string) error {
		if *keyID != "" {
			if err := wantArgs(args); err != nil {
				return err
			}
		} else if err := wantArgs(args, "USER_ID (or --key KEY_ID)"); err != nil {
			return err
		}
		store, pool, err := c.store(ctx)
		if err != nil {
			return err
		}
		defer pool.Close()
		userID := ""
		if *keyID != "" {
			key, err := store.GetKey(ctx, *keyID)
			if errors.Is(err, luciapg.ErrInvalidKeyID) {
				return keyNotFound(ctx, store, *keyID, "luciapg users show %s shows that user")
			}
			if err != nil {
				return err
			}
			userID = key.UserID
		} else {
			userID = args[0]
		}
		view, err := loadUser(ctx, c, store, userID, *showIDs)
		if err != nil {
			return err
		}
		if c.opts.json {
			return printJSON(c.stdout, view)
		}
		return printUser(c, view, *showIDs)
	}
}

func loadUser(ctx context.Context, c *cmdContext, store *luciapg.Store, userID string, showIDs bool) (userView, error) {
	user, err := store.GetUser(ctx, userID)
	if errors.Is(err, luciapg.ErrInvalidUserID) {
		return userView{}, userNotFound(ctx, store, userID)
	}
	if err != nil {
		return userView{}, err
	}
	keys, err := store.GetKeysByUserID(ctx, userID)
	if err != nil {
		return userView{}, err
	}
	sessions, err := store.GetUserSessionsMetadata(ctx, userID)
	if err != nil {
		return userView{}, err
	}
	view := userView{ID: user.ID, Attributes: user.Attributes, Keys: make([]keyView, len(keys)), Sessions: viewSessions(sessions, c.now(), showIDs)}
	for i, k := range keys {
		view.Keys[i] = viewKey(k)
	}
	return view, nil
}

func printUser(c *cmdContext, view userView, showIDs bool) error {
	rows := [][]string{{"id", view.ID}}
	names := make([]string, 0, len(view.Attributes))
	for name := range view.Attributes {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		rows = append(rows, []string{name, formatAttribute(view.Attributes[name])})
	}
	if err := printTable(c.stdout, []string{"ATTRIBUTE", "VALUE"}, rows); err != nil {
		return err
	}
	fmt.Fprintln(c.stdout)
	if err := printTable(c.stdout, keyHeader, keyRows(view.Keys)); err != nil {
		return err
	}
	fmt.Fprintln(c.stdout)
	header, rows := sessionTable(view.Sessions, showIDs, false)
	return printTable(c.stdout, header, rows)
}

func usersDeleteFlags(*flag.FlagSet) func(context.Context, *cmdContext, []string) error {
	return func(ctx context.Context, c *cmdContext, args []string) error {
		if err := wantArgs(args, "USER_ID"); err != nil {
			return err
		}
		store, pool, err := c.store(ctx)
		if err != nil {
			return err
		}
		defer pool.Close()
		// DeleteUser treats an unknown id as done; an admin who mistyped
		// the id should hear about it.
		if err := requireUser(ctx, store, args[0]); err != nil {
			return err
		}
		if err := store.DeleteUser(ctx, args[0]); err != nil {
			return err
		}
		if c.opts.json {
			return printJSON(c.stdout, map[string]any{"deleted_user": args[0]})
		}
		fmt.Fprintf(c.stdout, "Deleted user %s with their keys and sessions.\n", args[0])
		return nil
	}
}
