package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/auth/authhttp"
	"github.com/luciapg/luciapg/sessioncache"
)

// The routes every server answers (the ceilings only /me). They are the
// same in server.mjs, so that one load generator drives every stack:
//
//	GET  /me             200 and the user's id for a valid session cookie, else 401
//	POST /signup         form username, password: 200 and the new user's id
//	POST /login          form username, password: 200 and the session cookie, else 401
//	POST /logout         ends the cookie's session: 200
//	POST /bench/sessions form user, n: n new sessions of the user, made with
//	                     the stack's own API (no password), one Cookie header
//	                     value a line; setup only, never measured
//
// A server listens on 127.0.0.1 (port -addr, 0 for any), prints
// "listening ADDR" on standard output once it serves, and stops when its
// standard input closes. On standard input the Go servers also take
// "profile-start" and "profile-stop", which bound the CPU profile that
// -cpuprofile asks for (the orchestrator starts it for the measured rounds
// of the protected endpoint only, so that signup's scrypt stays out).
const (
	routeMe       = "/me"
	routeSignup   = "/signup"
	routeLogin    = "/login"
	routeLogout   = "/logout"
	routeSessions = "/bench/sessions"
)

// providerID is the key provider of every stack's users (Lucia v1's
// username:<name> keys).
const providerID = "username"

// serveGo runs the Go server of stack (go-ceiling, luciapg-store or
// luciapg-cache) until standard input closes.
func serveGo(stack, databaseURL, addr, cpuprofile string) error {
	ctx := context.Background()
	var (
		handler http.Handler
		closing func()
	)
	switch stack {
	case stackGoCeiling:
		// The route through a ServeMux, as in the luciapg servers: the
		// ceiling leaves out the auth, not the routing.
		mux := http.NewServeMux()
		mux.HandleFunc("GET "+routeMe, func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, "ceiling")
		})
		handler = mux
		closing = func() {}
	case stackLuciapgStore, stackLuciapgCache:
		pool, err := luciapg.Connect(ctx, databaseURL)
		if err != nil {
			return err
		}
		defer pool.Close()
		var adapter luciapg.ThrottlingAdapter = luciapg.New(pool)
		closing = func() {}
		if stack == stackLuciapgCache {
			cache, err := sessioncache.New(ctx, adapter, sessioncache.Config{ConnString: databaseURL})
			if err != nil {
				return err
			}
			adapter = cache
			closing = func() {
				// Its counters, for whoever profiles the cached path.
				fmt.Fprintf(os.Stderr, "session cache stats: %+v\n", cache.Stats())
				_ = cache.Close()
			}
		}
		core, err := auth.New(adapter, auth.Config{})
		if err != nil {
			return err
		}
		sessions, err := authhttp.New(core, authhttp.Config{})
		if err != nil {
			return err
		}
		handler = luciapgRoutes(core, sessions)
	default:
		return fmt.Errorf("no Go server for stack %q", stack)
	}

	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	server := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 5 * time.Minute}
	served := make(chan error, 1)
	go func() { served <- server.Serve(listener) }()
	fmt.Printf("listening %s\n", listener.Addr())

	var profile *os.File // open while profiling
	stopProfile := func() {
		if profile != nil {
			pprof.StopCPUProfile()
			_ = profile.Close()
			profile = nil
		}
	}
	// Standard input: profile commands, and its end is the signal to stop.
	lines := bufio.NewScanner(os.Stdin)
	for lines.Scan() {
		switch strings.TrimSpace(lines.Text()) {
		case "profile-start":
			if cpuprofile == "" || profile != nil {
				continue
			}
			f, err := os.Create(cpuprofile)
			if err != nil {
				fmt.Fprintf(os.Stderr, "cpu profile: %v\n", err)
				continue
			}
			if err := pprof.StartCPUProfile(f); err != nil {
				fmt.Fprintf(os.Stderr, "cpu profile: %v\n", err)
				_ = f.Close()
				continue
			}
			profile = f
		case "profile-stop":
			stopProfile()
		}
	}
	stopProfile()
	shutdownCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	err = server.Shutdown(shutdownCtx)
	closing()
	if serveErr := <-served; !errors.Is(serveErr, http.ErrServerClosed) {
		return serveErr
	}
	return err
}

// luciapgRoutes wires luciapg as an application would (examples/webapp):
// authhttp's Middleware in front of every route, with the library's
// default configuration.
func luciapgRoutes(core *auth.Auth, sessions *authhttp.Sessions) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET "+routeMe, sessions.RequireSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, user, _ := authhttp.FromContext(r.Context())
		_, _ = io.WriteString(w, user.ID)
	})))
	mux.HandleFunc("POST "+routeSignup, func(w http.ResponseWriter, r *http.Request) {
		user, err := core.CreateUser(r.Context(), auth.CreateUserParams{
			Key: &auth.PrimaryKeyParams{ProviderID: providerID, ProviderUserID: r.PostFormValue("username"), Password: r.PostFormValue("password")},
		})
		if err != nil {
			http.Error(w, "signup refused: "+err.Error(), http.StatusBadRequest)
			return
		}
		_, _ = io.WriteString(w, user.ID)
	})
	mux.HandleFunc("POST "+routeLogin, func(w http.ResponseWriter, r *http.Request) {
		if _, err := sessions.LoginWithPassword(r.Context(), w, providerID, r.PostFormValue("username"), r.PostFormValue("password")); err != nil {
			if errors.Is(err, auth.ErrTooManyAttempts) {
				http.Error(w, "too many attempts", http.StatusTooManyRequests)
				return
			}
			http.Error(w, "login refused", http.StatusUnauthorized)
			return
		}
		_, _ = io.WriteString(w, "ok")
	})
	mux.HandleFunc("POST "+routeLogout, func(w http.ResponseWriter, r *http.Request) {
		if err := sessions.Logout(w, r); err != nil {
			http.Error(w, "logout failed", http.StatusInternalServerError)
			return
		}
		_, _ = io.WriteString(w, "ok")
	})
	mux.HandleFunc("POST "+routeSessions, func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(r.PostFormValue("n"))
		if err != nil || n < 1 {
			http.Error(w, "n must be a positive count", http.StatusBadRequest)
			return
		}
		var b strings.Builder
		for range n {
			session, err := core.CreateSession(r.Context(), r.PostFormValue("user"))
			if err != nil {
				http.Error(w, "creating a session: "+err.Error(), http.StatusInternalServerError)
				return
			}
			b.WriteString(sessions.Cookie(session).Name + "=" + session.ID + "\n")
		}
		_, _ = io.WriteString(w, b.String())
	})
	return sessions.Middleware(mux)
}
