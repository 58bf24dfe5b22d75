package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// helpWidth is the width help text is wrapped to: a terminal's default.
const helpWidth = 80

// printHelpFor prints the help asked for by "luciapg help [words]" or a
// --help after words: the command list, a group's subcommands, or one
// command's flags.
func printHelpFor(w io.Writer, words []string) error {
	switch len(words) {
	case 0:
		printUsage(w)
		return nil
	case 1:
		if cmd, ok := singleCommand(words[0]); ok {
			return printCommandHelp(w, cmd)
		}
		if len(subcommandsOf(words[0])) == 0 {
			return usageErrorf("unknown command %q", words[0])
		}
		printGroupHelp(w, words[0])
		return nil
	case 2:
		cmd, ok := findCommand(words[0], words[1])
		if !ok {
			return topicError(words[0], usageErrorf("%s: unknown subcommand %q (want %s)", words[0], words[1], strings.Join(subcommandsOf(words[0]), ", ")))
		}
		return printCommandHelp(w, cmd)
	default:
		return usageErrorf("help: unexpected argument %q", words[2])
	}
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: luciapg [flags] <command> [<subcommand>] [flags] [arguments]")
	fmt.Fprintln(w)
	printParagraph(w, "", "luciapg administers the Lucia v1 tables (auth_user, auth_key, auth_session) "+
		"of a PostgreSQL database: luciapg's migrations, users, keys and passwords, sessions, "+
		"second factors, and the audit log.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	var rows [][2]string
	for _, c := range commands {
		rows = append(rows, [2]string{c.path(), c.summary})
	}
	printColumns(w, rows)
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Flags, accepted before or after any argument:")
	printColumns(w, [][2]string{
		{"--database-url URL", "PostgreSQL connection string (default $DATABASE_URL, else " + localDatabaseURL + ", which luciapg names on stderr)"},
		{"--json", "print one JSON document instead of a table"},
		{"--version", "print luciapg's version"},
		{"-h, --help", "print help; 'luciapg <command> [<subcommand>] --help' for one command"},
	})
	fmt.Fprintln(w)
	printParagraph(w, "", "Exit codes: 0 success, 1 failure, 2 usage error, 3 not found, "+
		"4 refused (a taken id, key or unique value, or a primary key), 130 interrupted.")
}

func printGroupHelp(w io.Writer, group string) {
	fmt.Fprintf(w, "Usage: luciapg %s <subcommand> [flags] [arguments]\n\n", group)
	for _, g := range groups {
		if g.name == group {
			printParagraph(w, "", strings.ToUpper(g.summary[:1])+g.summary[1:]+".")
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Subcommands:")
	var rows [][2]string
	for _, c := range commands {
		if c.group == group {
			rows = append(rows, [2]string{strings.TrimSpace(c.name + " " + c.args), c.summary})
		}
	}
	printColumns(w, rows)
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Run 'luciapg %s <subcommand> --help' for its flags.\n", group)
}

// printCommandHelp prints a command's synopsis, description and flags. Its
// flag set is a fresh one: defaults shown are the command's own, never a
// value given on this command line (such as a --database-url with a
// password).
func printCommandHelp(w io.Writer, cmd command) error {
	fs := newFlagSet("luciapg "+cmd.path(), &options{})
	cmd.flags(fs)
	synopsis := "luciapg " + cmd.path() + " [flags]"
	if cmd.args != "" {
		synopsis += " " + cmd.args
	}
	printParagraph(w, "       ", "Usage: "+synopsis)
	fmt.Fprintln(w)
	printParagraph(w, "", cmd.about)
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Flags:")
	fs.VisitAll(func(f *flag.Flag) {
		argName, usage := flag.UnquoteUsage(f)
		if argName != "" {
			argName = " " + argName
		}
		fmt.Fprintf(w, "  --%s%s\n", f.Name, argName)
		switch f.DefValue {
		case "", "false", "0":
		default:
			usage += " (default " + f.DefValue + ")"
		}
		for _, line := range wrap(usage, helpWidth-6) {
			fmt.Fprintln(w, "      "+line)
		}
	})
	return nil
}

// printColumns prints rows of a name and its description, the
// descriptions aligned and wrapped; a name too long for the column puts
// its description on the next line.
func printColumns(w io.Writer, rows [][2]string) {
	const indent, maxName, gap = 2, 22, 2
	width := 0
	for _, row := range rows {
		if n := utf8.RuneCountInString(row[0]); n <= maxName {
			width = max(width, n)
		}
	}
	pad := strings.Repeat(" ", indent+width+gap)
	for _, row := range rows {
		lines := wrap(row[1], helpWidth-len(pad))
		name := strings.Repeat(" ", indent) + row[0]
		if utf8.RuneCountInString(row[0]) > width || len(lines) == 0 {
			fmt.Fprintln(w, name)
		} else {
			fmt.Fprintf(w, "%-*s%s\n", len(pad), name, lines[0])
			lines = lines[1:]
		}
		for _, line := range lines {
			fmt.Fprintln(w, pad+line)
		}
	}
}

// printParagraph prints text wrapped to helpWidth; lines after the first
// are indented by indent.
func printParagraph(w io.Writer, indent, text string) {
	for i, line := range wrap(text, helpWidth-len(indent)) {
		if i > 0 {
			line = indent + line
		}
		fmt.Fprintln(w, line)
	}
}

// wrap breaks text into lines of at most width runes, between words; a
// word longer than width gets a line of its own.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		switch {
		case line == "":
			line = word
		case utf8.RuneCountInString(line)+1+utf8.RuneCountInString(word) <= width:
			line += " " + word
		default:
			lines = append(lines, line)
			line = word
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}
