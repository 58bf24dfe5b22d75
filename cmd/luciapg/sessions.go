package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"regexp"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
)

func sessionsListFlags(fs *flag.FlagSet) func(context.Context, *cmdContext, []string) error {
	showIDs := showIDsFlag(fs)
	limit := limitFlag(fs, "sessions, the longest-lived")
	return func(ctx context.Context, c *cmdContext, args []string) error {
		if err := checkLimit(*limit); err != nil {
			return err
		}
		store, pool, err := c.storeForUser(ctx, args)
		if err != nil {
			return err
		}
		defer pool.Close()
		sessions, err := store.GetUserSessionsMetadata(ctx, args[0])
		if err != nil {
			return err
		}
		views := viewSessions(sessions, c.now(), *showIDs)
		total := len(views)
		views = views[:min(*limit, total)]
		if c.opts.json {
			return printJSON(c.stdout, map[string]any{"sessions": views, "total_sessions": total})
		}
		header, rows := sessionTable(views, *showIDs, true)
		if err := printTable(c.stdout, header, rows); err != nil {
			return err
		}
		if total > len(views) {
			more := "; raise --limit to see more"
			if *limit == maxListLimit {
				more = fmt.Sprintf("; %d is the most --limit shows", maxListLimit)
			}
			_, err = fmt.Fprintf(c.stdout, "(%d of %d sessions, the longest-lived%s)\n", len(views), total, more)
		}
		return err
	}
}

func sessionsRevokeFlags(fs *flag.FlagSet) func(context.Context, *cmdContext, []string) error {
	userID := fs.String("user", "", "revoke by LABEL, as listings show it, among the sessions of the user `USER_ID`")
	return func(ctx context.Context, c *cmdContext, args []string) error {
		if *userID != "" {
			return revokeByLabel(ctx, c, *userID, args)
		}
		if err := wantArgs(args, "SESSION_ID (or --user USER_ID LABEL)"); err != nil {
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
			return sessionNotFound(ctx, store, args[0])
		}
		if err != nil {
			return err
		}
		return revoked(ctx, c, store, session)
	}
}

// labelPattern is what sessionLabel returns.
var labelPattern = regexp.MustCompile(`^[0-9a-f]{6}$`)

// revokeByLabel revokes the session of userID whose label is args[0]:
// listings show labels, not ids, and a label is looked up only among the
// named user's sessions, so it can never end someone else's.
func revokeByLabel(ctx context.Context, c *cmdContext, userID string, args []string) error {
	if err := wantArgs(args, "LABEL"); err != nil {
		return err
	}
	label := args[0]
	if !labelPattern.MatchString(label) {
		return usageErrorf("a session label is 6 hex digits, as sessions list shows it, not %q", label)
	}
	store, pool, err := c.storeForUser(ctx, []string{userID})
	if err != nil {
		return err
	}
	defer pool.Close()
	sessions, err := store.GetSessionsByUserID(ctx, userID)
	if err != nil {
		return err
	}
	var match []luciapg.Session
	for _, s := range sessions {
		if auth.SessionLabel(s.ID) == label {
			match = append(match, s)
		}
	}
	switch len(match) {
	case 0:
		return notFoundf("user %s has no session labelled %s (luciapg sessions list %s shows their sessions' labels)", userID, label, userID)
	case 1:
		return revoked(ctx, c, store, match[0])
	default:
		// Two ids of one user whose hashes share 24 bits: the label
		// cannot tell them apart.
		return refusedf("%d sessions of user %s are labelled %s: revoke by id (sessions list --show-ids)", len(match), userID, label)
	}
}

// revoked deletes the session and says so, naming its user, never its id.
func revoked(ctx context.Context, c *cmdContext, store *luciapg.Store, session luciapg.Session) error {
	ctx = adminEvent(ctx, c, luciapg.AuditSessionRevoked, session.UserID, auth.SessionLabel(session.ID), "luciapg sessions revoke")
	if err := store.DeleteSession(ctx, session.ID); err != nil {
		return err
	}
	if c.opts.json {
		return printJSON(c.stdout, map[string]any{"revoked_sessions": 1, "user_id": session.UserID})
	}
	fmt.Fprintf(c.stdout, "Revoked 1 session of user %s.\n", session.UserID)
	return nil
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
		if len(sessions) > 0 {
			ctx = adminEvent(ctx, c, luciapg.AuditSessionRevoked, args[0], "", "luciapg sessions revoke-all")
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
