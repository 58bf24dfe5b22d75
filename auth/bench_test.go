package auth_test

import (
	"crypto/rand"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/internal/testdb"
	"github.com/luciapg/luciapg/memadapter"
)

// benchBackends are the adapters the benchmarks run on. Each benchmark
// also times the bare adapter call it is built on ("adapter"), in the same
// process, so the auth core's overhead reads as a ratio that does not
// depend on the machine.
var benchBackends = []struct {
	name string
	new  func(b *testing.B) luciapg.ThrottlingAdapter
}{
	{"memory", func(*testing.B) luciapg.ThrottlingAdapter { return memadapter.New(testColumns...) }},
	{"postgres", func(b *testing.B) luciapg.ThrottlingAdapter { return luciapg.New(testdb.New(b)) }},
}

func BenchmarkValidateSessionUser(b *testing.B) {
	for _, backend := range benchBackends {
		b.Run(backend.name, func(b *testing.B) {
			adapter := backend.new(b)
			a, err := auth.New(adapter, auth.Config{})
			if err != nil {
				b.Fatal(err)
			}
			user, err := a.CreateUser(b.Context(), auth.CreateUserParams{Attributes: map[string]any{"username": "bench"}})
			if err != nil {
				b.Fatal(err)
			}
			session, err := a.CreateSession(b.Context(), user.ID)
			if err != nil {
				b.Fatal(err)
			}
			// Warm up: connect and prepare statements before timing either.
			for range 10 {
				if _, _, err := a.ValidateSessionUser(b.Context(), session.ID); err != nil {
					b.Fatal(err)
				}
			}
			b.Run("adapter", func(b *testing.B) {
				for b.Loop() {
					if _, _, err := adapter.GetSessionAndUser(b.Context(), session.ID); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("auth", func(b *testing.B) {
				for b.Loop() {
					if _, _, err := a.ValidateSessionUser(b.Context(), session.ID); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

func BenchmarkCreateSession(b *testing.B) {
	for _, backend := range benchBackends {
		b.Run(backend.name, func(b *testing.B) {
			adapter := backend.new(b)
			a, err := auth.New(adapter, auth.Config{})
			if err != nil {
				b.Fatal(err)
			}
			user, err := a.CreateUser(b.Context(), auth.CreateUserParams{})
			if err != nil {
				b.Fatal(err)
			}
			for range 10 {
				if _, err := a.CreateSession(b.Context(), user.ID); err != nil {
					b.Fatal(err)
				}
			}
			expires := time.Now().Add(time.Hour).UnixMilli()
			b.Run("adapter", func(b *testing.B) {
				for b.Loop() {
					// Random ids, like CreateSession's: sequential ones would
					// always insert into the index's last page, which is
					// cheaper and would flatter the baseline.
					s := luciapg.Session{ID: rand.Text() + "baseline", UserID: user.ID, ActiveExpires: expires, IdleExpires: expires}
					if err := adapter.SetSession(b.Context(), s); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("auth", func(b *testing.B) {
				for b.Loop() {
					if _, err := a.CreateSession(b.Context(), user.ID); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
