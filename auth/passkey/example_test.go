package passkey_test

import (
	"context"
	"encoding/json"
	"errors"
	"log"
	"net/http"
	"os"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/auth/authhttp"
	"github.com/luciapg/luciapg/auth/passkey"
)

// JSON endpoints for adding a passkey (in sudo mode) and for a
// passwordless login. The page posts to a begin endpoint, passes the
// options' publicKey to PublicKeyCredential.parseCreationOptionsFromJSON
// or parseRequestOptionsFromJSON and then to navigator.credentials.create
// or get, and posts the credential's toJSON() back with the token.
func Example() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	a, err := auth.New(luciapg.New(pool), auth.Config{})
	if err != nil {
		log.Fatal(err)
	}
	sessions, err := authhttp.New(a, authhttp.Config{})
	if err != nil {
		log.Fatal(err)
	}
	passkeys, err := passkey.New(a, passkey.Config{
		RPID:          "example.com",
		RPDisplayName: "Example",
		RPOrigins:     []string{"https://example.com"},
	})
	if err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.Handle("POST /passkeys/begin", sessions.RequireSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		session, _, _ := authhttp.FromContext(r.Context())
		c, err := passkeys.BeginRegistration(r.Context(), session)
		if errors.Is(err, auth.ErrSudoRequired) {
			http.Error(w, "confirm it's you first", http.StatusForbidden)
			return
		}
		if err != nil {
			http.Error(w, "try again", http.StatusInternalServerError)
			return
		}
		writeCeremony(w, c)
	})))
	mux.Handle("POST /passkeys/finish", sessions.RequireSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		session, _, _ := authhttp.FromContext(r.Context())
		body, ok := readFinish(w, r)
		if !ok {
			return
		}
		_, err := passkeys.FinishRegistration(r.Context(), session, body.Token, body.Name, body.Credential)
		switch {
		case errors.Is(err, luciapg.ErrInvalidInput):
			http.Error(w, "name it with 1 to 100 characters", http.StatusBadRequest)
		case errors.Is(err, passkey.ErrInvalidPasskey), errors.Is(err, luciapg.ErrFactorExists):
			http.Error(w, "that passkey could not be added: try again", http.StatusBadRequest)
		case err != nil:
			http.Error(w, "try again", http.StatusInternalServerError)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	})))

	mux.HandleFunc("POST /login/passkey/begin", func(w http.ResponseWriter, r *http.Request) {
		c, err := passkeys.BeginLogin(r.Context())
		if err != nil {
			http.Error(w, "try again", http.StatusInternalServerError)
			return
		}
		writeCeremony(w, c)
	})
	mux.HandleFunc("POST /login/passkey/finish", func(w http.ResponseWriter, r *http.Request) {
		body, ok := readFinish(w, r)
		if !ok {
			return
		}
		session, err := passkeys.FinishLogin(r.Context(), body.Token, body.Credential)
		if errors.Is(err, passkey.ErrInvalidPasskey) {
			http.Error(w, "that passkey did not sign you in", http.StatusUnauthorized)
			return
		}
		if err != nil {
			http.Error(w, "try again", http.StatusInternalServerError)
			return
		}
		http.SetCookie(w, sessions.Cookie(session))
		w.WriteHeader(http.StatusNoContent)
	})

	log.Fatal(http.ListenAndServe(":8080", sessions.Middleware(mux)))
}

// writeCeremony sends a begun ceremony to the page.
func writeCeremony(w http.ResponseWriter, c passkey.Ceremony) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(map[string]any{"token": c.Token, "options": json.RawMessage(c.Options)})
}

// finishRequest is what the page posts to a finish endpoint.
type finishRequest struct {
	Token      string          `json:"token"`
	Name       string          `json:"name"`
	Credential json.RawMessage `json:"credential"`
}

// readFinish reads a finish request of at most 64 KiB, or answers 400.
func readFinish(w http.ResponseWriter, r *http.Request) (finishRequest, bool) {
	var body finishRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&body); err != nil {
		http.Error(w, "malformed request", http.StatusBadRequest)
		return finishRequest{}, false
	}
	return body, true
}
