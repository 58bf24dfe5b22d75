package auth

import "sync"

// HeldNotices holds the security notices raised through an Auth made by
// HoldNotices until the application's transaction ends: Send after the
// commit sends them, Discard after a rollback drops them. It is safe for
// concurrent use; Send and Discard are idempotent, and whichever comes
// first decides.
type HeldNotices struct {
	parent *HeldNotices // the hold the Auth given to HoldNotices had, or nil

	mu      sync.Mutex
	state   holdState
	notices []raisedNotice
}

// holdState is where a HeldNotices is in its life.
type holdState int

const (
	holding holdState = iota
	sent
	discarded
)

// HoldNotices returns a copy of a (the same adapter and settings) whose
// security notices are held in the returned HeldNotices instead of sent,
// and the HeldNotices.
//
// The core sends a notice as soon as the write it reports returns. When
// that write is part of the application's own transaction (a core made
// with WithAdapter on it), the transaction may still roll back, and the
// user would be told of a change that never happened. Make the
// transaction's core with HoldNotices, then call Send once the
// transaction committed, and Discard (or nothing) when it rolled back:
//
//	core, held := app.WithAdapter(luciapg.New(tx)).HoldNotices()
//	defer held.Discard() // a no-op after Send
//	... // writes through core
//	if err := tx.Commit(ctx); err != nil {
//		return err
//	}
//	held.Send()
//
// Every notice raised through the returned Auth is held, whatever its
// context, including those of packages built on it (auth/tokens,
// auth/passkey); an Auth that WithAdapter makes from it holds nothing, so
// call HoldNotices last. Holding the held Auth again nests: the inner
// Send hands its notices to the outer hold (a savepoint inside the
// transaction). Once Send was called, later notices through the Auth go
// out at once; once Discard was, they are dropped.
//
// Sent notices go through the same bounded background path as the rest
// (MaxNoticesInFlight), and keep the time and client of the action that
// raised them. Not holding costs nothing: a.Notify only checks a field.
func (a *Auth) HoldNotices() (*Auth, *HeldNotices) {
	held := &HeldNotices{parent: a.held}
	return &Auth{adapter: a.adapter, shared: a.shared, held: held}, held
}

// Send sends the held notices, in the order they were raised, and those
// raised later as they come: call it once the transaction committed. It
// never blocks. After Discard it does nothing.
func (h *HeldNotices) Send() {
	h.mu.Lock()
	if h.state != holding {
		h.mu.Unlock()
		return
	}
	h.state = sent
	notices := h.notices
	h.notices = nil
	h.mu.Unlock()
	for _, r := range notices {
		h.pass(r)
	}
}

// Discard drops the held notices, and those raised later: call it when
// the transaction rolled back (deferring it is fine: after Send it does
// nothing).
func (h *HeldNotices) Discard() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.state == holding {
		h.state = discarded
		h.notices = nil
	}
}

// add takes a notice raised through the hold's Auth.
func (h *HeldNotices) add(r raisedNotice) {
	h.mu.Lock()
	state := h.state
	if state == holding {
		h.notices = append(h.notices, r)
	}
	h.mu.Unlock()
	if state == sent {
		h.pass(r)
	}
}

// pass sends r on, to the outer hold when there is one.
func (h *HeldNotices) pass(r raisedNotice) {
	if h.parent != nil {
		h.parent.add(r)
		return
	}
	r.send()
}
