package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/luciapg/luciapg"
)

func sessionsListFlags(fs *flag.FlagSet) func(context.Context, *cmdContext, []string) error {
	showIDs := showIDsFlag(fs)
	return func(ctx context.Context, c *cmdContext, args []string) error {
		store, pool, err := c.storeForUser(ctx, args)
		if err != nil {
			return err
		}
		defer pool.Close()
		sessions, err := store.GetSessionsByUserID(ctx, args[0])
		if err != nil {
			return err
		}
		views := viewSessions(sessions, c.now(), *showIDs)
		if c.opts.json {
			return printJSON(c.stdout, map[string]any{"sessions": views})
		}
		header, rows := sessionTable(views, *showIDs)
		return printTable(c.stdout, header, rows)
	}
}

func sessionsRevokeFlags(*flag.FlagSet) func(context.Context, *cmdContext, []string) error {
	return func(ctx context.Context, c *cmdContext, args []string) error {
		if err := wantArgs(args, "SESSION_ID"); err != nil {
			return err
		}
		store, pool, err := c.store(ctx)
		if err != nil {
			return err
		}
		defer pool.Close()
		// A session id is a bearer secret: messages never repeat it.
		session, err := store.GetSession(ctx, args[0])
		if errors.Is(err, luciapg.ErrInvalidSessionID) {
			return notFoundf("no such session")
		}
		if err != nil {
			return err
		}
		if err := store.DeleteSession(ctx, session.ID); err != nil {
			return err
		}
		if c.opts.json {
			return printJSON(c.stdout, map[string]any{"revoked_sessions": 1, "user_id": session.UserID})
		}
		fmt.Fprintf(c.stdout, "Revoked 1 session of user %s.\n", session.UserID)
		return nil
	}
}

func sessionsRevokeAllFlags(*flag.FlagSet) func(context.Context, *cmdContext, []string) error {
	return func(ctx context.Context, c *cmdContext, args []string) error {
		store, pool, err := c.storeForUser(ctx, args)
		if err != nil {
			return err
		}
		defer pool.Close()
		sessions, err := store.GetSessionsByUserID(ctx, args[0])
		if err != nil {
			return err
		}
		if err := store.DeleteSessionsByUserID(ctx, args[0]); err != nil {
			return err
		}
		if c.opts.json {
			return printJSON(c.stdout, map[string]any{"revoked_sessions": len(sessions), "user_id": args[0]})
		}
		fmt.Fprintf(c.stdout, "Revoked %s of user %s.\n", plural(len(sessions), "session", "sessions"), args[0])
		return nil
	}
}
