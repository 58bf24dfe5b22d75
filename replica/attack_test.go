package replica_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/pgcluster"
	"github.com/luciapg/luciapg/internal/testdb"
	"github.com/luciapg/luciapg/replica"
)

// victim is a user with a password key and a session: the state an
// attacker wants read as it was before the primary changed it.
type victim struct {
	userID, keyID, sessionID string
}

// The hashes are stand-ins, never printed: a test's message names which
// one a read returned.
var (
	oldHash, newHash, copyHash = "old-hash", "new-hash", "copy-hash"
)

// newVictim creates v on the primary and waits until the standby has it.
func (r *replicated) newVictim(t *testing.T, name string) victim {
	t.Helper()
	ctx := context.Background()
	v := victim{userID: "u-" + name, keyID: "email:" + name, sessionID: "s-" + name}
	hash := oldHash
	if _, err := r.primary.SetUser(ctx, luciapg.User{ID: v.userID}, &luciapg.Key{ID: v.keyID, PrimaryKey: true, HashedPassword: &hash}); err != nil {
		t.Fatal(err)
	}
	if err := r.primary.SetSession(ctx, luciapg.Session{ID: v.sessionID, UserID: v.userID, ActiveExpires: 1 << 50, IdleExpires: 1 << 50}); err != nil {
		t.Fatal(err)
	}
	pgcluster.Eventually(t, "the victim on the standby", func() (bool, error) {
		_, err := r.standby.GetSession(ctx, v.sessionID)
		return err == nil, nil
	})
	return v
}

// revoke deletes v's session and changes its password on the primary, as
// a logout and a password reset do.
func (r *replicated) revoke(t *testing.T, v victim) {
	t.Helper()
	ctx := context.Background()
	if err := r.primary.DeleteSession(ctx, v.sessionID); err != nil {
		t.Fatal(err)
	}
	hash := newHash
	if _, err := r.primary.UpdateKeyPassword(ctx, v.keyID, &hash); err != nil {
		t.Fatal(err)
	}
}

// staleReads reads v's session, v's key and the sessions in foreign (which
// never existed on the primary) through router, and returns what it read
// that the primary does not hold, or an error for a failed read.
func staleReads(ctx context.Context, router *replica.Router, v victim, foreign ...string) ([]string, error) {
	var stale []string
	if _, err := router.GetSession(ctx, v.sessionID); err == nil {
		stale = append(stale, "the deleted session")
	} else if !errors.Is(err, luciapg.ErrInvalidSessionID) {
		return nil, err
	}
	if _, _, err := router.GetSessionAndUser(ctx, v.sessionID); err == nil {
		stale = append(stale, "the deleted session (with its user)")
	} else if !errors.Is(err, luciapg.ErrInvalidSessionID) {
		return nil, err
	}
	key, err := router.GetKey(ctx, v.keyID)
	if err != nil {
		return nil, err
	}
	switch {
	case key.HashedPassword == nil:
		stale = append(stale, "no password hash")
	case *key.HashedPassword == oldHash:
		stale = append(stale, "the old password hash")
	case *key.HashedPassword == copyHash:
		stale = append(stale, "the promoted copy's password hash")
	case *key.HashedPassword != newHash:
		stale = append(stale, "an unknown password hash")
	}
	for _, id := range foreign {
		if _, err := router.GetSession(ctx, id); err == nil {
			stale = append(stale, "a session only the promoted copy holds")
		} else if !errors.Is(err, luciapg.ErrInvalidSessionID) {
			return nil, err
		}
	}
	return stale, nil
}

// writeAhead writes on the server at url, a promoted copy, until its WAL
// insert position is 64 MB past the primary's: a node of another WAL
// stream that a router comparing positions alone would take for a
// standby ahead of the primary. Each switch to a new segment, after a
// commit, moves the position 16 MB.
func writeAhead(t *testing.T, url string, primary *pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	copyPool := testdb.Pool(t, url, 1)
	defer copyPool.Close()
	var primaryLSN int64
	if err := primary.QueryRow(ctx, "SELECT (pg_current_wal_insert_lsn() - '0/0')::int8").Scan(&primaryLSN); err != nil {
		t.Fatal(err)
	}
	pgcluster.Eventually(t, "the promoted copy's WAL position to pass the primary's", func() (bool, error) {
		var copyLSN int64
		if _, err := copyPool.Exec(ctx, "SELECT txid_current()"); err != nil {
			return false, err
		}
		if _, err := copyPool.Exec(ctx, "SELECT pg_switch_wal()"); err != nil {
			return false, err
		}
		err := copyPool.QueryRow(ctx, "SELECT (pg_current_wal_insert_lsn() - '0/0')::int8").Scan(&copyLSN)
		return copyLSN > primaryLSN+64<<20, err
	})
}

// attackConfig checks often and retries a failed standby at once, so that
// a router that would read from the wrong node does so within the test's
// reads.
var attackConfig = replica.Config{
	MaxLag: time.Second, CheckInterval: 50 * time.Millisecond,
	StandbyTimeout: 30 * time.Second, RetryAfter: 10 * time.Millisecond,
}

// TestAttackRouterReadsFromPromotedStandby: the standby is promoted while
// the router runs, takes writes of its own and restarts, so that its WAL
// position, from another stream, is past the primary's. A session deleted
// and a password changed on the primary must never be read as they were.
func TestAttackRouterReadsFromPromotedStandby(t *testing.T) {
	t.Parallel()
	r := newReplicated(t)
	ctx := context.Background()
	v := r.newVictim(t, "promoted")
	router := newRouter(t, r.primaryPool, r.standbyPool, attackConfig)
	pgcluster.Eventually(t, "the standby to be usable", func() (bool, error) { return router.Stats().Usable, nil })

	r.cluster.Standby.Promote(t)
	writeAhead(t, r.cluster.Standby.URL("postgres"), r.primaryPool)
	r.cluster.Standby.Stop()
	r.cluster.Standby.Start(t)
	r.revoke(t, v)

	// Read for 40 lag checks, well past the router's first measurement of
	// the restarted copy and its RetryAfter, and at least 500 times.
	checks := router.Stats().Checks
	reads, stale := 0, map[string]int{}
	pgcluster.Eventually(t, "40 lag checks", func() (bool, error) {
		got, err := staleReads(ctx, router, v)
		if err != nil {
			return false, err
		}
		reads++
		for _, s := range got {
			stale[s]++
		}
		return reads >= 500 && router.Stats().Checks >= checks+40, nil
	})
	if len(stale) > 0 {
		t.Errorf("%d rounds of reads after the revocation; stale reads: %v", reads, stale)
	}
	if st := router.Stats(); st.Usable {
		t.Errorf("stats %+v: the promoted copy is still usable", st)
	}
	t.Logf("%d rounds of reads, none stale; stats %+v", reads, router.Stats())
}

// TestAttackRouterBehindLoadBalancer: the standby pool's endpoint is a
// round-robin balancer over the real standby and a promoted copy that took
// writes of its own. The connection whose lag a check measured says
// nothing about the one that serves the next read: no read may return the
// state only the copy holds, nor the state the primary has changed since.
func TestAttackRouterBehindLoadBalancer(t *testing.T) {
	t.Parallel()
	r := newReplicated(t)
	ctx := context.Background()
	v := r.newVictim(t, "balanced")

	copyServer := r.cluster.AddStandby(t)
	copyPool := testdb.Pool(t, copyServer.URL("postgres"), 1)
	copyStore := luciapg.New(copyPool)
	pgcluster.Eventually(t, "the victim on the copy", func() (bool, error) {
		_, err := copyStore.GetSession(ctx, v.sessionID)
		return err == nil, nil
	})
	copyServer.Promote(t)
	const foreign = "s-only-on-the-copy"
	if err := copyStore.SetSession(ctx, luciapg.Session{ID: foreign, UserID: v.userID, ActiveExpires: 1 << 50, IdleExpires: 1 << 50}); err != nil {
		t.Fatal(err)
	}
	hash := copyHash
	if _, err := copyStore.UpdateKeyPassword(ctx, v.keyID, &hash); err != nil {
		t.Fatal(err)
	}
	writeAhead(t, copyServer.URL("postgres"), r.primaryPool)
	r.revoke(t, v)
	// The real standby has the revocation: any stale read comes from the
	// copy.
	pgcluster.Eventually(t, "the revocation on the standby", func() (bool, error) {
		_, err := r.standby.GetSession(ctx, v.sessionID)
		return errors.Is(err, luciapg.ErrInvalidSessionID), nil
	})

	lb := startRoundRobin(t, r.cluster.Standby.Port, copyServer.Port)
	lbPool := testdb.Pool(t, fmt.Sprintf("postgres://postgres@%s/postgres?sslmode=disable", lb.addr), 4)
	router := newRouter(t, r.primaryPool, lbPool, attackConfig)

	// Four readers at once, so that the pool holds connections to both
	// members; until both members have had connections, the standby has
	// served reads, and 400 rounds of reads are done.
	var rounds atomic.Int64
	var mu sync.Mutex
	stale := map[string]int{}
	pgcluster.Eventually(t, "reads over both members", func() (bool, error) {
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got, err := staleReads(ctx, router, v, foreign)
				if err != nil {
					errs <- err
					return
				}
				rounds.Add(1)
				mu.Lock()
				for _, s := range got {
					stale[s]++
				}
				mu.Unlock()
			}()
		}
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			return false, err
		}
		return rounds.Load() >= 400 && lb.accepted[0].Load() > 0 && lb.accepted[1].Load() > 0 &&
			router.Stats().StandbyReads > 0, nil
	})
	if len(stale) > 0 {
		t.Errorf("%d rounds of reads; stale or foreign reads: %v (stats %+v)", rounds.Load(), stale, router.Stats())
	}
	t.Logf("%d rounds of reads; connections to the standby %d, to the copy %d; stats %+v",
		rounds.Load(), lb.accepted[0].Load(), lb.accepted[1].Load(), router.Stats())
}

// roundRobin is a TCP balancer on loopback that hands each new connection
// to the next of its backends in turn, as a DNS or TCP round-robin
// endpoint in front of several standbys does.
type roundRobin struct {
	addr     string
	accepted []atomic.Int64 // connections handed to each backend
}

// startRoundRobin listens on a free loopback port and forwards to the
// given loopback ports in turn, until the test ends.
func startRoundRobin(t *testing.T, ports ...int) *roundRobin {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rr := &roundRobin{addr: l.Addr().String(), accepted: make([]atomic.Int64, len(ports))}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns []net.Conn
	)
	track := func(c net.Conn) bool {
		mu.Lock()
		defer mu.Unlock()
		if conns == nil {
			return false // closing
		}
		conns = append(conns, c)
		return true
	}
	conns = []net.Conn{}
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		conns = nil
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for next := 0; ; next = (next + 1) % len(ports) {
			client, err := l.Accept()
			if err != nil {
				return
			}
			backend, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[next])))
			if err != nil {
				_ = client.Close()
				continue
			}
			if !track(client) || !track(backend) {
				_ = client.Close()
				_ = backend.Close()
				return
			}
			rr.accepted[next].Add(1)
			wg.Add(2)
			go func() { defer wg.Done(); _, _ = io.Copy(backend, client); _ = backend.Close() }()
			go func() { defer wg.Done(); _, _ = io.Copy(client, backend); _ = client.Close() }()
		}
	}()
	return rr
}

// TestRouterStandbyRoleNeedsReadAllStats: pg_stat_wal_receiver shows the
// timeline a standby streams only to a role with the privileges of
// pg_read_all_stats. Without them the router could not tell that the
// standby replays the primary's timeline and would read nothing from it,
// so replica.New refuses such a standby, saying what to grant; granted, the
// router reads from it.
func TestRouterStandbyRoleNeedsReadAllStats(t *testing.T) {
	t.Parallel()
	r := newReplicated(t)
	ctx := context.Background()
	for _, sql := range []string{
		"CREATE ROLE luciapg_reader LOGIN",
		"GRANT SELECT ON ALL TABLES IN SCHEMA public TO luciapg_reader",
	} {
		if _, err := r.primaryPool.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	r.newSession(t, "u-reader", "s-reader")
	readerPool := testdb.Pool(t, fmt.Sprintf("postgres://luciapg_reader@127.0.0.1:%d/postgres?sslmode=disable", r.cluster.Standby.Port), 2)
	pgcluster.Eventually(t, "the reader's grants on the standby", func() (bool, error) {
		_, err := luciapg.New(readerPool).GetSession(ctx, "s-reader")
		return err == nil, nil
	})
	_, err := replica.New(r.primaryPool, readerPool, attackConfig)
	if !errors.Is(err, luciapg.ErrInvalidConfig) || !strings.Contains(err.Error(), "GRANT pg_read_all_stats TO luciapg_reader") {
		t.Fatalf("replica.New over a standby role without pg_read_all_stats: %v, want ErrInvalidConfig saying what to grant", err)
	}

	if _, err := r.primaryPool.Exec(ctx, "GRANT pg_read_all_stats TO luciapg_reader"); err != nil {
		t.Fatal(err)
	}
	pgcluster.Eventually(t, "the grant on the standby", func() (bool, error) {
		var granted bool
		err := readerPool.QueryRow(ctx, `SELECT pg_has_role(current_user, 'pg_read_all_stats', 'USAGE')`).Scan(&granted)
		return granted, err
	})
	router := newRouter(t, r.primaryPool, readerPool, attackConfig)
	pgcluster.Eventually(t, "a read from the standby once granted", func() (bool, error) {
		_, err := router.GetSession(ctx, "s-reader")
		return router.Stats().StandbyReads > 0, err
	})
}
