package main

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/luciapg/luciapg/bench/internal/cputime"
	"github.com/luciapg/luciapg/bench/internal/stats"
)

// sample is one measured run of an operation on one stack: requests that
// succeeded in the measured window, per second, and their latencies.
type sample struct {
	Requests  int     `json:"requests"`
	Errors    int     `json:"errors"`
	PerSecond float64 `json:"per_second"`
	P50Micros float64 `json:"p50_us"`
	P99Micros float64 `json:"p99_us"`
	// ClientCPUMicros is the load generator's own CPU time per request
	// in the measured window (protected endpoint only): what the
	// generator takes from the cores the server shares.
	ClientCPUMicros float64 `json:"client_cpu_us,omitempty"`
}

func summarize(latencies []time.Duration, errs int, elapsed time.Duration) sample {
	slices.Sort(latencies)
	return sample{
		Requests:  len(latencies),
		Errors:    errs,
		PerSecond: float64(len(latencies)) / elapsed.Seconds(),
		P50Micros: stats.Micros(stats.Percentile(latencies, 50)),
		P99Micros: stats.Micros(stats.Percentile(latencies, 99)),
	}
}

// Phases of a timed run: requests started in phaseMeasure and finished
// before the deadline are counted.
const (
	phaseWarmup int32 = iota
	phaseMeasure
	phaseStop
)

// measureProtected drives GET /me on addr with conns keep-alive
// connections, each cycling through its own share of the sessions (so
// that a connection updates its sessions' cookies without locks), for
// warmup, then duration measured. A response other than 200 counts as an
// error.
func measureProtected(addr string, sessions []*jar, conns int, warmup, duration time.Duration) (sample, error) {
	clients, err := dialAll(addr, conns)
	if err != nil {
		return sample{}, err
	}
	defer closeAll(clients)
	var (
		phase    atomic.Int32
		deadline time.Time // set before phaseMeasure is published
		wg       sync.WaitGroup
		lats     = make([][]time.Duration, conns)
		errCount = make([]int, conns)
		fatal    = make([]error, conns)
	)
	for w := range conns {
		wg.Go(func() {
			// mine[j] is a session of this connection, reqs[j] its request.
			var (
				mine []int
				reqs [][]byte
			)
			for i := w; i < len(sessions); i += conns {
				mine = append(mine, i)
				reqs = append(reqs, getRequest(addr, routeMe, sessions[i].header()))
			}
			if len(mine) == 0 {
				mine = []int{-1}
				reqs = [][]byte{getRequest(addr, routeMe, "")}
			}
			c := clients[w]
			lat := make([]time.Duration, 0, 1<<16)
			for k := 0; ; k++ {
				p := phase.Load()
				if p == phaseStop {
					break
				}
				j := k % len(mine)
				start := time.Now()
				r, err := c.do(reqs[j], false)
				end := time.Now()
				if err != nil {
					fatal[w] = err
					return
				}
				if i := mine[j]; r.setCookies != nil && i >= 0 && sessions[i].update(r.setCookies) {
					reqs[j] = getRequest(addr, routeMe, sessions[i].header())
				}
				if p != phaseMeasure || end.After(deadline) {
					continue
				}
				if r.status != 200 {
					errCount[w]++
					continue
				}
				lat = append(lat, end.Sub(start))
			}
			lats[w] = lat
		})
	}
	time.Sleep(warmup)
	deadline = time.Now().Add(duration)
	cpuBefore := cputime.Process()
	phase.Store(phaseMeasure)
	time.Sleep(duration)
	phase.Store(phaseStop)
	cpu := cputime.Process() - cpuBefore
	wg.Wait()
	got, err := summarizeWorkers(lats, errCount, fatal, duration)
	if err != nil {
		return sample{}, err
	}
	if n := got.Requests + got.Errors; n > 0 {
		got.ClientCPUMicros = stats.Micros(cpu) / float64(n)
	}
	return got, nil
}

func closeAll(clients []*client) {
	for _, c := range clients {
		if c != nil {
			c.close()
		}
	}
}

// account is a user made through a stack's signup.
type account struct {
	id, name, password string
}

// loginsPerAddress is how many logins one source address makes before
// the next connection takes a new one: under luciapg's default 50 free
// attempts per address.
const loginsPerAddress = 40

// measureLogin posts username and password to /login from conns
// connections for warmup, then duration measured; each connection comes
// from a fresh loopback address every loginsPerAddress logins, and logs
// in users of its own (i ≡ connection mod conns), as different people
// would: two logins of one user at once wait for each other (luciapg
// checks the key's password under a lock on it) and count against its
// throttle. A login counts when it answers 200 with a cookie.
func measureLogin(addr string, users []account, conns int, warmup, duration time.Duration) (sample, error) {
	conns = min(conns, len(users))
	var (
		phase    atomic.Int32
		deadline time.Time
		wg       sync.WaitGroup
		lats     = make([][]time.Duration, conns)
		errCount = make([]int, conns)
		fatal    = make([]error, conns)
	)
	for w := range conns {
		wg.Go(func() {
			var c *client
			defer func() {
				if c != nil {
					c.close()
				}
			}()
			for k := 0; phase.Load() != phaseStop; k++ {
				if k%loginsPerAddress == 0 {
					if c != nil {
						c.close()
					}
					var err error
					if c, err = dial(addr, sourceAddress()); err != nil {
						fatal[w] = err
						return
					}
				}
				mine := (len(users) - w + conns - 1) / conns // users w, w+conns, ...
				u := users[w+k%mine*conns]
				p := phase.Load()
				start := time.Now()
				r, err := c.do(postRequest(addr, routeLogin, "", url.Values{"username": {u.name}, "password": {u.password}}), false)
				end := time.Now()
				if err != nil {
					fatal[w] = err
					return
				}
				if p != phaseMeasure || end.After(deadline) {
					continue
				}
				if r.status != 200 || len(r.setCookies) == 0 {
					errCount[w]++
					continue
				}
				lats[w] = append(lats[w], end.Sub(start))
			}
		})
	}
	time.Sleep(warmup)
	deadline = time.Now().Add(duration)
	phase.Store(phaseMeasure)
	time.Sleep(duration)
	phase.Store(phaseStop)
	wg.Wait()
	return summarizeWorkers(lats, errCount, fatal, duration)
}

// measureLogout posts /logout with each of sessions once, from conns
// connections, and times the whole batch.
func measureLogout(addr string, sessions []*jar, conns int) (sample, error) {
	conns = min(conns, len(sessions))
	clients, err := dialAll(addr, conns)
	if err != nil {
		return sample{}, err
	}
	defer closeAll(clients)
	var (
		wg       sync.WaitGroup
		lats     = make([][]time.Duration, conns)
		errCount = make([]int, conns)
		fatal    = make([]error, conns)
	)
	start := time.Now()
	for w := range conns {
		wg.Go(func() {
			for i := w; i < len(sessions); i += conns {
				req := postRequest(addr, routeLogout, sessions[i].header(), nil)
				t := time.Now()
				r, err := clients[w].do(req, false)
				if err != nil {
					fatal[w] = err
					return
				}
				if r.status != 200 {
					errCount[w]++
					continue
				}
				lats[w] = append(lats[w], time.Since(t))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	return summarizeWorkers(lats, errCount, fatal, elapsed)
}

// revocationTrial is one revocation: the time from the logout's answer
// on instance 1 to the first refusal on instance 2, or capped when
// instance 2 still served the session at the cap.
type revocationTrial struct {
	elapsed time.Duration
	capped  bool
}

// revoke makes a session on instance 1, checks that instance 2 serves it
// (which also puts it in instance 2's cache, and gives Better Auth's
// cookie cache its cookie), logs it out on instance 1, then asks
// instance 2 as fast as one connection can until it refuses it.
func revoke(first, second *client, user account, limit time.Duration) (revocationTrial, error) {
	cookies, err := createSessions(first, user, 1)
	if err != nil {
		return revocationTrial{}, err
	}
	j := cookies[0]
	r, err := second.do(getRequest(second.host, routeMe, j.header()), true)
	if err != nil {
		return revocationTrial{}, err
	}
	if r.status != 200 {
		return revocationTrial{}, fmt.Errorf("instance 2 refused a new session (status %d)", r.status)
	}
	j.update(r.setCookies)
	probe := getRequest(second.host, routeMe, j.header())
	r, err = first.do(postRequest(first.host, routeLogout, j.header(), nil), false)
	if err != nil {
		return revocationTrial{}, err
	}
	if r.status != 200 {
		return revocationTrial{}, fmt.Errorf("logout answered %d", r.status)
	}
	revoked := time.Now()
	for {
		r, err := second.do(probe, false)
		now := time.Now()
		if err != nil {
			return revocationTrial{}, err
		}
		if r.status == 401 {
			return revocationTrial{elapsed: now.Sub(revoked)}, nil
		}
		if r.status != 200 {
			return revocationTrial{}, fmt.Errorf("instance 2 answered %d", r.status)
		}
		if now.Sub(revoked) >= limit {
			return revocationTrial{elapsed: now.Sub(revoked), capped: true}, nil
		}
	}
}

// signup makes a user through the stack's /signup.
func signup(c *client, name, password string) (account, error) {
	r, err := c.do(postRequest(c.host, routeSignup, "", url.Values{"username": {name}, "password": {password}}), true)
	if err != nil {
		return account{}, err
	}
	if r.status != 200 || r.body == "" {
		return account{}, fmt.Errorf("signup answered %d: %.200s", r.status, r.body)
	}
	return account{id: r.body, name: name, password: password}, nil
}

// createSessions makes n sessions of user through the stack's own API
// (/bench/sessions).
func createSessions(c *client, user account, n int) ([]*jar, error) {
	r, err := c.do(postRequest(c.host, routeSessions, "", url.Values{"user": {user.id}, "n": {strconv.Itoa(n)}}), true)
	if err != nil {
		return nil, err
	}
	if r.status != 200 {
		return nil, fmt.Errorf("creating sessions answered %d: %.200s", r.status, r.body)
	}
	var jars []*jar
	for _, line := range splitLines(r.body) {
		jars = append(jars, parseJar(line))
	}
	if len(jars) != n {
		return nil, fmt.Errorf("asked for %d sessions, got %d", n, len(jars))
	}
	return jars, nil
}

// dialAll opens n keep-alive connections to addr, or none.
func dialAll(addr string, n int) ([]*client, error) {
	clients := make([]*client, n)
	for i := range clients {
		c, err := dial(addr, nil)
		if err != nil {
			closeAll(clients)
			return nil, err
		}
		clients[i] = c
	}
	return clients, nil
}

// summarizeWorkers joins the workers' latencies and error counts into one
// sample over elapsed, or returns their fatal errors.
func summarizeWorkers(lats [][]time.Duration, errCount []int, fatal []error, elapsed time.Duration) (sample, error) {
	if err := errors.Join(fatal...); err != nil {
		return sample{}, err
	}
	var all []time.Duration
	errs := 0
	for w := range lats {
		all = append(all, lats[w]...)
		errs += errCount[w]
	}
	return summarize(all, errs, elapsed), nil
}
