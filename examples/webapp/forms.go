package main

import "github.com/luciapg/luciapg/auth"

// The one key provider of this example: users log in with the key
// "username:<name>", names following auth.CheckUsername, as the admin CLI
// checks them too.
const usernameProvider = auth.UsernameProviderID

const (
	minPasswordLength = 8
	// maxPasswordLength bounds new passwords: the text hashed per request.
	maxPasswordLength = 255
)

// checkUsername returns the message for a name that cannot be used.
func checkUsername(name string) string {
	if auth.CheckUsername(name) != nil {
		return `A username is 3 to 31 characters: letters, digits, "_" and "-".`
	}
	return ""
}

// checkNewPassword returns the message for a password that cannot be set.
func checkNewPassword(password string) string {
	switch {
	case len(password) < minPasswordLength:
		return "A password needs at least 8 characters."
	case len(password) > maxPasswordLength:
		return "A password can have at most 255 characters."
	}
	return ""
}

// Messages shown after a redirect, chosen by the "m" query parameter. Only
// these fixed texts can appear, so a crafted link cannot put words on the
// page.
var notices = map[string]string{
	"welcome":               "Welcome! Your account is ready. We sent you a link to confirm your email address.",
	"signed-out":            "You have logged out.",
	"signed-out-everywhere": "You were signed out of all devices.",
	"password-changed":      "Your password was changed and your other devices were signed out.",
	"verification-sent":     "We sent a new link to your email address.",
	"email-verified":        "Thank you: your email address is confirmed.",
	"password-reset":        "Your password was reset and every device was signed out. Log in with the new password.",
	// After a reset that removed keys the resetter did not prove.
	"password-reset-unlinked": "Your password was reset and every device was signed out. Sign-in with other sites was also unlinked from this account, as it may not have been yours: link your account again from the account page. Log in with the new password.",
	"welcome-oauth":           "Welcome! Your account is ready.",
	"oauth-linked":            "Linked: you can sign in with that account too.",
	"password-set":            "You can now also log in with your username and password.",
	"recovery-code-used":      "You logged in with a recovery code: it no longer works. If few are left, generate new ones below.",
	"totp-removed":            "Your authenticator app was removed.",
	"passkey-added":           "Your passkey was added.",
	"passkey-renamed":         "Your passkey was renamed.",
	"passkey-removed":         "Your passkey was removed.",
	"session-revoked":         "That session was signed out: its device needs to log in again.",
	"other-sessions-revoked":  "Every other session was signed out: only this device is still signed in.",
	"email-change-sent":       "We sent a link to your new email address: open it to confirm the change. Until then your address stays as it is.",
	"email-change-cancelled":  "The change of email address was cancelled: its link no longer works.",
	"email-changed":           "Your email address was changed.",
}

var errorMessages = map[string]string{
	"expired":        "Your session has expired or was signed out. Please log in again.",
	"login-required": "Please log in to see that page.",
	// The account exists, but its mail did not go out.
	"welcome-mail-failed": "Welcome! Your account is ready, but we could not send the link to confirm your email address. Please use “Send the link again” below.",
	// The pending login expired, was finished already, or the password
	// changed since its first step.
	"second-step-expired": "Your login took too long or was interrupted. Please log in again.",
	"totp-exists":         "You already have an authenticator app: remove it first to set up another.",
	"totp-start-over":     "Setting up the authenticator app was interrupted. Please start over.",
}

// flash fills the page's notice or error from the request's "m" parameter.
func flash(data *pageData, code string) {
	data.Notice = notices[code]
	data.Error = errorMessages[code]
}
