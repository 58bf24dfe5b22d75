package main

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// outbox returns the mail the app wrote to the outbox for the address,
// oldest first.
func (a *runningApp) outbox(t *testing.T, to string) []Message {
	t.Helper()
	a.app.background.Wait() // reset links are mailed after the answer
	rows, err := a.db.Query(context.Background(), `SELECT to_address, subject, body FROM webapp_outbox WHERE to_address = $1 ORDER BY id`, to)
	if err != nil {
		t.Fatal(err)
	}
	mail, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Message, error) {
		var m Message
		return m, row.Scan(&m.To, &m.Subject, &m.Body)
	})
	if err != nil {
		t.Fatal(err)
	}
	return mail
}

var linkPattern = regexp.MustCompile(`http://\S+`)

// lastLink returns the link of the newest mail to the address, failing
// the test when there is none, and its token.
func (a *runningApp) lastLink(t *testing.T, to string) (link *url.URL, token string) {
	t.Helper()
	mail := a.outbox(t, to)
	if len(mail) == 0 {
		t.Fatalf("no mail to %s", to)
	}
	raw := linkPattern.FindString(mail[len(mail)-1].Body)
	link, err := url.Parse(raw)
	if err != nil || raw == "" {
		t.Fatalf("no link in the mail to %s:\n%s", to, mail[len(mail)-1].Body)
	}
	return link, link.Query().Get("token")
}

// Format makes a message an SMTP server takes, and refuses a recipient or
// subject that would smuggle in a header.
func TestMessageFormat(t *testing.T) {
	t.Parallel()
	msg, err := Message{To: "ada@example.com", Subject: "Zurücksetzen", Body: "line 1\nline 2\n"}.Format("noreply@example.com")
	if err != nil {
		t.Fatal(err)
	}
	want := "From: noreply@example.com\r\nTo: ada@example.com\r\nSubject: =?utf-8?q?Zur=C3=BCcksetzen?=\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n\r\nline 1\r\nline 2\r\n"
	if string(msg) != want {
		t.Errorf("Format:\n%q\nwant\n%q", msg, want)
	}
	for name, m := range map[string]Message{
		"a Bcc in To":          {To: "ada@example.com\r\nBcc: eve@example.com", Subject: "hi"},
		"two recipients":       {To: "ada@example.com, eve@example.com", Subject: "hi"},
		"a display name":       {To: "Ada <ada@example.com>", Subject: "hi"},
		"a Bcc in Subject":     {To: "ada@example.com", Subject: "hi\r\nBcc: eve@example.com"},
		"a bare LF in Subject": {To: "ada@example.com", Subject: "hi\nBcc: eve@example.com"},
	} {
		if msg, err := m.Format("noreply@example.com"); err == nil || strings.Contains(string(msg), "eve@") {
			t.Errorf("%s: Format accepted it:\n%s", name, msg)
		}
	}
}
