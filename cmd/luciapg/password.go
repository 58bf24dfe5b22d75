package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/term"
)

// maxPasswordBytes bounds what is read from standard input, so a file
// piped by mistake is refused rather than hashed.
const maxPasswordBytes = 4096

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
	line, err := bufio.NewReaderSize(c.stdin, maxPasswordBytes+2).ReadString('\n')
	if err != nil && line == "" {
		return "", usageErrorf("no password on standard input")
	}
	if len(line) > maxPasswordBytes+1 {
		return "", usageErrorf("the password is longer than %d bytes", maxPasswordBytes)
	}
	return checkPassword(strings.TrimRight(line, "\r\n"))
}

func checkPassword(password string) (string, error) {
	if password == "" {
		return "", usageErrorf("the password is empty")
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
