package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
)

func usersCreateFlags(fs *flag.FlagSet) func(context.Context, *cmdContext, []string) error {
	userID := fs.String("id", "", "the user's `ID` (default: 15 random characters, as Lucia makes them)")
	keyID := fs.String("key", "", "create a primary key `PROVIDER:USER` with the user, such as username:alice")
	passwordStdin := fs.Bool("password-stdin", false, "give the key a password, read from standard input")
	attributeArgs := &attributeFlags{}
	fs.Var(attributeArgs, "attr", "set the auth_user column NAME to VALUE, as PostgreSQL reads the text for the column's type (`NAME=VALUE`, repeatable)")
	return func(ctx context.Context, c *cmdContext, args []string) error {
		if err := wantArgs(args); err != nil {
			return err
		}
		attributes, err := attributeArgs.parse(false)
		if err != nil {
			return err
		}
		params := auth.CreateUserParams{UserID: *userID, Attributes: attributes}
		if *keyID != "" {
			provider, providerUserID, ok := strings.Cut(*keyID, ":")
			if !ok || provider == "" || providerUserID == "" {
				return usageErrorf("--key must be PROVIDER:USER, such as username:alice")
			}
			// The example web app's login looks up "username:<name>" only
			// for names that pass this check: refuse a key no one could
			// log in with.
			if provider == auth.UsernameProviderID {
				if err := auth.CheckUsername(providerUserID); err != nil {
					return usageErrorf("--key %s: %v", *keyID, err)
				}
			}
			params.Key = &auth.PrimaryKeyParams{ProviderID: provider, ProviderUserID: providerUserID}
		}
		if *passwordStdin {
			if params.Key == nil {
				return usageErrorf("--password-stdin needs --key: a password belongs to a key")
			}
			password, err := c.readPassword()
			if err != nil {
				return err
			}
			params.Key.Password = password
		}
		store, pool, err := c.store(ctx)
		if err != nil {
			return err
		}
		defer pool.Close()
		if err := checkAttributeColumns(ctx, pool, attributes); err != nil {
			return err
		}
		core, err := auth.New(store, auth.Config{})
		if err != nil {
			return err
		}
		user, err := core.CreateUser(ctx, params)
		var pgErr *pgconn.PgError
		switch {
		case errors.Is(err, luciapg.ErrDuplicateUserID):
			return refusedf("user id %q is taken", *userID)
		case errors.Is(err, luciapg.ErrDuplicateKeyID):
			return refusedf("key %q is taken", *keyID)
		case err != nil && errors.Is(err, luciapg.ErrDuplicateAttribute):
			return explainFailure(err)
		case errors.Is(err, luciapg.ErrInvalidInput):
			return usageErrorf("%v", err)
		case errors.As(err, &pgErr) && pgErr.Code == sqlstateNotNullViolation && pgErr.ColumnName != "":
			return fmt.Errorf("auth_user's column %s needs a value (NOT NULL, no default): give it with --attr %s=VALUE", shownName(pgErr.ColumnName), shownName(pgErr.ColumnName))
		case err != nil:
			return explainAttributeError(ctx, pool, attributes, probeAssign, err)
		}
		view, err := loadUser(ctx, c, store, user.ID, false)
		if err != nil {
			return err
		}
		if c.opts.json {
			return printJSON(c.stdout, view)
		}
		fmt.Fprintf(c.stdout, "Created user %s.\n", user.ID)
		if params.Key != nil && params.Key.Password == "" {
			// UseKey refuses a key without a password; say so before
			// someone wonders why the login form does.
			fmt.Fprintf(c.stdout, "Key %s has no password: it can only be used without one (auth.UsePasswordlessKey).\n", *keyID)
		}
		fmt.Fprintln(c.stdout)
		return printUser(c, view, false)
	}
}
