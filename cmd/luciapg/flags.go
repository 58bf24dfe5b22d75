package main

import (
	"errors"
	"flag"
	"io"
	"regexp"
	"strings"
)

// newFlagSet returns a flag set with the flags every command accepts.
// Parse errors are returned, not printed with the whole usage.
func newFlagSet(name string, opts *options) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&opts.databaseURL, "database-url", opts.databaseURL, "connect to the database at `URL`, a postgres:// URL or host=... dbname=... (default $DATABASE_URL, else "+localDatabaseURL+")")
	fs.BoolVar(&opts.json, "json", opts.json, "print one JSON document instead of a table")
	return fs
}

// parseInterleaved parses flags that may come before, between or after the
// positional arguments, which it returns in order. After "--" everything
// is positional.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, flagUsageError(err, args)
		}
		rest := fs.Args()
		// Parse consumes a "--" and stops after it.
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		if len(rest) == 0 {
			return positional, nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// wantArgs checks the number of positional arguments.
func wantArgs(args []string, names ...string) error {
	if len(args) < len(names) {
		return usageErrorf("missing %s", names[len(args)])
	}
	if len(args) > len(names) {
		return usageErrorf("unexpected argument %q", args[len(names)])
	}
	return nil
}

// flagInMessage finds the flag named in the flag package's errors, which
// always spell it with one dash: "flag provided but not defined: -x",
// "flag needs an argument: -x", "invalid value "v" for flag -x: ...",
// "invalid boolean value "v" for -x: ...".
var flagInMessage = regexp.MustCompile(`(defined: |argument: |for flag |for )-([^\s:=]+)`)

// flagUsageError is a flag parse error as a usage error, naming the flag
// as the user typed it (-x or --x) among args.
func flagUsageError(err error, args []string) error {
	msg := flagInMessage.ReplaceAllStringFunc(err.Error(), func(m string) string {
		sub := flagInMessage.FindStringSubmatch(m)
		return sub[1] + typedSpelling(sub[2], args)
	})
	// The flag package's words for a value its type cannot read.
	switch {
	case strings.HasPrefix(msg, "invalid boolean value"):
		msg = strings.Replace(msg, ": parse error", ": want true or false", 1)
	case strings.HasPrefix(msg, "invalid value"):
		msg = strings.Replace(msg, ": parse error", ": want a whole number", 1)
	}
	return usageErrorf("%s", msg)
}

// typedSpelling returns "--name" if the user typed the flag name with two
// dashes, else "-name".
func typedSpelling(name string, args []string) string {
	for _, arg := range args {
		if arg == "--" {
			break
		}
		dashes := "-"
		if strings.HasPrefix(arg, "--") {
			dashes = "--"
		} else if !strings.HasPrefix(arg, "-") {
			continue
		}
		typed, _, _ := strings.Cut(strings.TrimPrefix(arg, dashes), "=")
		if typed == name {
			return dashes + name
		}
	}
	return "-" + name
}
