package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/luciapg/luciapg/auth"
)

// maxPasswordBytes bounds what is read from standard input, so a file
// piped by mistake is refused rather than hashed: the auth core's limit,
// beyond which no login could use the password.
const maxPasswordBytes = auth.DefaultMaxPasswordBytes

// readPassword reads a password: from the terminal without echo when
// standard input is one, else the first line of standard input.
func (c *cmdContext) readPassword() (string, error) {
	if c.stdinIsTerminal && c.readTerminalPassword != nil {
		fmt.Fprint(c.stderr, "Password: ")
		password, err := c.readTerminalPassword()
		fmt.Fprintln(c.stderr)
		if err != nil {
			return "", fmt.Errorf("reading the password: %w", err)
		}
		return checkPassword(password)
	}
	// Read at most the longest password and "\r\n": a file piped by
	// mistake is not read whole.
	line, err := bufio.NewReader(io.LimitReader(c.stdin, maxPasswordBytes+2)).ReadString('\n')
	if err != nil && line == "" {
		return "", usageErrorf("no password on standard input")
	}
	line = strings.TrimRight(line, "\r\n")
	if len(line) > maxPasswordBytes {
		// Maybe not all of it was read: say so without hashing any.
		return "", usageErrorf("the password is longer than %d bytes", maxPasswordBytes)
	}
	return checkPassword(line)
}

func checkPassword(password string) (string, error) {
	switch {
	case password == "":
		return "", usageErrorf("the password is empty")
	case len(password) > maxPasswordBytes:
		return "", usageErrorf("the password is longer than %d bytes", maxPasswordBytes)
	}
	return password, nil
}

func isTerminal(f *os.File) bool {
	return term.IsTerminal(int(f.Fd()))
}

// readTerminalPassword reads a line from the terminal on standard input
// without echoing it.
func readTerminalPassword() (string, error) {
	b, err := term.ReadPassword(int(os.Stdin.Fd()))
	if err != nil {
		return "", errors.New("the terminal cannot turn off echo")
	}
	return string(b), nil
}
