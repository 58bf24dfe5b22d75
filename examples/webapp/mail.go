package main

import (
	"context"
	"errors"
	"mime"
	"net/mail"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Message is one mail the app sends: a verification or password-reset
// link. Its Body holds the link, a secret until used: never log it.
type Message struct {
	To      string
	Subject string
	Body    string
}

// Mailer sends the app's mail. The default writes it to the outbox table
// (outboxMailer); docs/webapp-and-cli.md's "Plugging a real mailer" shows one on net/smtp.
type Mailer interface {
	Send(ctx context.Context, m Message) error
}

// MailerFunc makes a function a Mailer.
type MailerFunc func(ctx context.Context, m Message) error

// Send calls f.
func (f MailerFunc) Send(ctx context.Context, m Message) error { return f(ctx, m) }

// errBadHeader is Format's refusal of a To or Subject that would add a
// header (a line break) or is not one address.
var errBadHeader = errors.New("mail: the recipient or subject cannot go in a header")

// Format returns m as an RFC 5322 message from the address from, ready for
// an SMTP server's DATA: the subject encoded when it is not ASCII, lines
// ended with CRLF. A To that is not a single bare address, or a line break
// in To or Subject, is refused rather than allowed to add headers.
func (m Message) Format(from string) ([]byte, error) {
	for _, addr := range []string{from, m.To} {
		if parsed, err := mail.ParseAddress(addr); err != nil || parsed.Address != addr {
			return nil, errBadHeader
		}
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return nil, errBadHeader
	}
	var b strings.Builder
	b.WriteString("From: " + from + "\r\n")
	b.WriteString("To: " + m.To + "\r\n")
	b.WriteString("Subject: " + mime.QEncoding.Encode("utf-8", m.Subject) + "\r\n")
	b.WriteString("MIME-Version: 1.0\r\n")
	b.WriteString("Content-Type: text/plain; charset=utf-8\r\n")
	b.WriteString("\r\n")
	b.WriteString(strings.ReplaceAll(strings.ReplaceAll(m.Body, "\r\n", "\n"), "\n", "\r\n"))
	return []byte(b.String()), nil
}

// outboxMailer "sends" mail by writing it to the webapp_outbox table: no
// SMTP server needed in development or tests.
type outboxMailer struct {
	db *pgxpool.Pool
}

// Send stores m in the outbox.
func (o outboxMailer) Send(ctx context.Context, m Message) error {
	_, err := o.db.Exec(ctx, `INSERT INTO webapp_outbox (to_address, subject, body) VALUES ($1, $2, $3)`, m.To, m.Subject, m.Body)
	return err
}
