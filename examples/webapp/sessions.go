package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
)

// TEMPORARY: the auth core's HTTP glue has not landed yet; this file stands
// in for it and goes away when it does.

const sessionCookieName = "auth_session"

type appConfig struct {
	secureCookies bool
	origin        string
}

func newApp(core *auth.Auth, log *slog.Logger, cfg appConfig) *app {
	return &app{auth: core, log: log, secureCookies: cfg.secureCookies, origin: cfg.origin}
}

type sessionContextKey struct{}

type requestSession struct {
	session auth.Session
	user    luciapg.User
}

func (a *app) withSessions(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			origin := r.Header.Get("Origin")
			u, err := url.Parse(origin)
			if origin == "" || err != nil || (u.Host != r.Host && origin != a.origin) {
				http.Error(w, "Forbidden: cross-origin request", http.StatusForbidden)
				return
			}
		}
		cookie, err := r.Cookie(sessionCookieName)
		if err != nil {
			next.ServeHTTP(w, r)
			return
		}
		session, user, err := a.auth.ValidateSessionUser(r.Context(), cookie.Value)
		if errors.Is(err, luciapg.ErrInvalidSessionID) {
			a.clearSessionCookie(w)
			next.ServeHTTP(w, r)
			return
		}
		if err != nil {
			a.serverError(w, r, err)
			return
		}
		if session.Fresh {
			a.setSessionCookie(w, session)
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), sessionContextKey{}, requestSession{session, user})))
	})
}

func currentSession(r *http.Request) (auth.Session, luciapg.User, bool) {
	s, ok := r.Context().Value(sessionContextKey{}).(requestSession)
	return s.session, s.user, ok
}

func hadSessionCookie(r *http.Request) bool {
	_, err := r.Cookie(sessionCookieName)
	return err == nil
}

func (a *app) startSession(w http.ResponseWriter, r *http.Request, userID string) error {
	session, err := a.auth.CreateSession(r.Context(), userID)
	if err != nil {
		return err
	}
	a.setSessionCookie(w, session)
	return nil
}

func (a *app) endSession(w http.ResponseWriter, r *http.Request) error {
	if session, _, ok := currentSession(r); ok {
		if err := a.auth.InvalidateSession(r.Context(), session.ID); err != nil {
			return err
		}
	}
	a.clearSessionCookie(w)
	return nil
}

func (a *app) setSessionCookie(w http.ResponseWriter, s auth.Session) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookieName, Value: s.ID, Path: "/", HttpOnly: true, Secure: a.secureCookies, SameSite: http.SameSiteLaxMode, Expires: s.IdleExpires})
}

func (a *app) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookieName, Value: "", Path: "/", HttpOnly: true, Secure: a.secureCookies, SameSite: http.SameSiteLaxMode, Expires: time.Unix(0, 0), MaxAge: -1})
}
