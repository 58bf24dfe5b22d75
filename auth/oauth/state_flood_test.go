package oauth_test

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/luciapg/luciapg/auth"
	"github.com/luciapg/luciapg/auth/oauth"
	"github.com/luciapg/luciapg/memadapter"
)

// floodSize is how many forged state cookies the flood sends: the number
// the review measured a callback's cost at.
const floodSize = 60_000

// forgedCallback is a callback request with a state cookie the attacker
// made up: a fresh random state in the cookie and in the query, issued
// now, with a verifier, and in odd ones a made-up signature as a fourth
// part. Nothing a Flow issued.
func forgedCallback(f *oauth.Flow, cookieName string, now time.Time, i int) *http.Request {
	state, verifier := randomPart(), randomPart()
	value := strconv.FormatInt(now.Unix(), 10) + "." + state + "." + verifier
	if i%2 == 1 {
		value += "." + randomPart()
	}
	req := httptest.NewRequest(http.MethodGet, "https://app.example/callback?"+url.Values{"state": {state}}.Encode(), nil)
	req.AddCookie(&http.Cookie{Name: cookieName, Value: value})
	return req
}

func randomPart() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// stateFlow is a Flow whose callbacks stop at the code (none is sent), so
// every callback here ends after the state check: no provider needed.
func stateFlow(t testing.TB) (*oauth.Flow, string) {
	t.Helper()
	a, err := auth.New(memadapter.New(), auth.Config{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := oauth.New(a, testProvider("https://app.example/callback"), oauth.Config{})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	f.Start(rec)
	return f, rec.Result().Cookies()[0].Name
}

// legitCallback runs Start and its callback without a code: the state is
// accepted, spent, and the callback ends at ErrMissingCode.
func legitCallback(t testing.TB, f *oauth.Flow) error {
	t.Helper()
	rec := httptest.NewRecorder()
	authURL, err := url.Parse(f.Start(rec))
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "https://app.example/callback?"+url.Values{"state": {authURL.Query().Get("state")}}.Encode(), nil)
	for _, c := range rec.Result().Cookies() {
		req.AddCookie(c)
	}
	_, err = f.Callback(httptest.NewRecorder(), req, "")
	return err
}

// The attacker sends 60k callbacks, each with a state cookie of their own
// making (state and cookie agreeing, issued now). Each is refused as a
// state that does not match, before the used-state set is touched: the
// set does not grow, so the flood costs later callbacks nothing. A real
// sign-in still works and is still spent once.
func TestAttackOAuthStateFlood(t *testing.T) {
	f, name := stateFlow(t)
	before := oauth.UsedStatesLen(f)
	now := time.Now()
	refusedAsForged := 0
	for i := range floodSize {
		_, err := f.Callback(httptest.NewRecorder(), forgedCallback(f, name, now, i), "")
		if errors.Is(err, oauth.ErrStateMismatch) {
			refusedAsForged++
		} else if err == nil {
			t.Fatalf("forged cookie %d accepted", i)
		}
	}
	if refusedAsForged != floodSize {
		t.Errorf("%d of %d forged cookies refused as ErrStateMismatch; the others got past the state check", refusedAsForged, floodSize)
	}
	if after := oauth.UsedStatesLen(f); after != before {
		t.Errorf("the used-state set grew from %d to %d entries under the flood", before, after)
	}

	// A real sign-in's state is accepted once, and remembered.
	rec := httptest.NewRecorder()
	authURL, err := url.Parse(f.Start(rec))
	if err != nil {
		t.Fatal(err)
	}
	req := func() *http.Request {
		r := httptest.NewRequest(http.MethodGet, "https://app.example/callback?"+url.Values{"state": {authURL.Query().Get("state")}}.Encode(), nil)
		for _, c := range rec.Result().Cookies() {
			r.AddCookie(c)
		}
		return r
	}
	if _, err := f.Callback(httptest.NewRecorder(), req(), ""); !errors.Is(err, oauth.ErrMissingCode) {
		t.Fatalf("a real callback after the flood: %v, want ErrMissingCode (its state accepted)", err)
	}
	if _, err := f.Callback(httptest.NewRecorder(), req(), ""); !errors.Is(err, oauth.ErrStateReplayed) {
		t.Fatalf("the real callback again: %v, want ErrStateReplayed", err)
	}
	if after := oauth.UsedStatesLen(f); after != before+1 {
		t.Errorf("the used-state set holds %d entries after one real callback, want %d", after, before+1)
	}
}

// BenchmarkCallbackAfterForgedFlood is the cost of one real callback (up
// to its state check) after 60k forged state cookies: it must not depend
// on the flood.
func BenchmarkCallbackAfterForgedFlood(b *testing.B) {
	f, name := stateFlow(b)
	now := time.Now()
	for i := range floodSize {
		// Even i: cookies of the unsigned format, which the old code took.
		_, _ = f.Callback(httptest.NewRecorder(), forgedCallback(f, name, now, 2*i), "")
	}
	for b.Loop() {
		if err := legitCallback(b, f); !errors.Is(err, oauth.ErrMissingCode) {
			b.Fatalf("a real callback: %v", err)
		}
	}
}
