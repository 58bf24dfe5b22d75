package main

import (
	"context"
	"fmt"
	"net/smtp"
	"os"
	"strings"
)

// A Mailer on net/smtp in place of the outbox. It is built, not used:
// no SMTP server is reachable here.
func ExampleMailerFunc() {
	// A Mailer on net/smtp: SendMail uses STARTTLS when the server offers
	// it, and PlainAuth refuses to send the password over a connection
	// without TLS (except to localhost).
	const host, from = "smtp.example.com", "noreply@example.com"
	smtpAuth := smtp.PlainAuth("", from, os.Getenv("SMTP_PASSWORD"), host)
	mailer := MailerFunc(func(ctx context.Context, m Message) error {
		msg, err := m.Format(from) // refuses a To or Subject that would add a header
		if err != nil {
			return err
		}
		return smtp.SendMail(host+":587", smtpAuth, from, []string{m.To}, msg)
	})

	// In main.go's serve, the app takes it in place of the outbox table.
	cfg := appConfig{mailer: mailer}
	fmt.Println("mailer plugged in:", cfg.mailer != nil)

	// What the server receives for a verification mail:
	msg, err := Message{
		To:      "ada@example.com",
		Subject: "Confirm your email address",
		Body:    "Open this link to confirm your email address:\n\nhttps://app.example/verify-email?token=...\n",
	}.Format(from)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(strings.ReplaceAll(string(msg), "\r\n", "\n"))
	// Output:
	// mailer plugged in: true
	// From: noreply@example.com
	// To: ada@example.com
	// Subject: Confirm your email address
	// MIME-Version: 1.0
	// Content-Type: text/plain; charset=utf-8
	//
	// Open this link to confirm your email address:
	//
	// https://app.example/verify-email?token=...
}
