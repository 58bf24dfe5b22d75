//go:build ha

package hatest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/luciapg/luciapg/internal/faultload"
)

// runRecord is one green run of TestFailoverUnderLoad, kept in the JSON
// file beside the results page so that percentiles cover every run.
type runRecord struct {
	Date, Commit, Machine string
	// KillRecoveryMs and SwitchoverRecoverMs hold one sample per worker:
	// from the event to the end of its longest stretch without an
	// acknowledged write.
	KillRecoveryMs, SwitchoverRecoverMs []float64
	SwitchoverCommandMs                 float64
	Acked, Verified, ReadBack           map[string]int
	Lost                                map[string]int
	// SlowestCall is the slowest call of the run and what it was.
	SlowestCall string
	// AckedBeforeKill counts the creates acknowledged before the kill,
	// VerifiedAfterKill those of them a read after the kill saw.
	AckedBeforeKill, VerifiedAfterKill int
	// Errors counts connection errors by phase: kill, switchover, calm
	// (while writes were not out), after (the same Store after the load).
	Errors      map[string]int
	Revocations faultload.RevocationReport
}

// recordRun appends r to the JSON file beside path (path with .json for
// its extension) and rewrites path, a Markdown page, from every run there.
func recordRun(t *testing.T, path string, r runRecord) {
	t.Helper()
	jsonPath := strings.TrimSuffix(path, ".md") + ".json"
	var runs []runRecord
	b, err := os.ReadFile(jsonPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		t.Fatalf("results: %v", err)
	default:
		if err := json.Unmarshal(b, &runs); err != nil {
			t.Fatalf("results: %s: %v", jsonPath, err)
		}
	}
	runs = append(runs, r)
	b, err = json.MarshalIndent(runs, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(jsonPath, append(b, '\n'), 0o644); err != nil {
		t.Fatalf("results: %v", err)
	}
	page, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("results: %v", err)
	}
	if err := os.WriteFile(path, []byte(withRuns(string(page), resultsPage(runs))), 0o644); err != nil {
		t.Fatalf("results: %v", err)
	}
	t.Logf("results: %s and %s (%d runs)", path, jsonPath, len(runs))
}

// The generated part of the results page lies between these lines; the
// rest is written by hand and kept.
const (
	beginRuns = "<!-- begin runs: written by make bench-failover from failover.json -->\n"
	endRuns   = "<!-- end runs -->\n"
)

// withRuns returns page with its generated part replaced by runs, or with
// runs appended if it has none.
func withRuns(page, runs string) string {
	before, rest, found := strings.Cut(page, beginRuns)
	if !found {
		if page != "" && !strings.HasSuffix(page, "\n\n") {
			page += "\n"
		}
		return page + beginRuns + runs + endRuns
	}
	_, after, _ := strings.Cut(rest, endRuns)
	return before + beginRuns + runs + endRuns + after
}

// resultsPage renders the runs as Markdown.
func resultsPage(runs []runRecord) string {
	var kill, switchover []float64
	for _, r := range runs {
		kill = append(kill, r.KillRecoveryMs...)
		switchover = append(switchover, r.SwitchoverRecoverMs...)
	}
	var b strings.Builder
	b.WriteString(`## Recovery times and the per-kind audit

Written by ` + "`make bench-failover`" + ` (TestFailoverUnderLoad in internal/hatest with
LUCIAPG_HA_RESULTS set), one section per green run, appended to failover.json beside this
page. Each run: a Store under load by 4 workers on a pg_auto_failover formation of its own
(monitor and two data nodes, synchronous replication, pgcluster.FastMonitor timeouts) whose
primary is killed, and later switched over back. A worker's recovery is the time from the
event (SIGKILL to the primary's pg_autoctl and postmaster; the start of ` + "`pg_autoctl perform switchover`" + `)
to the end of its longest stretch without an acknowledged write. Percentiles are over every
worker of every run (nearest rank).

| event | samples | p50 | p99 | max |
|---|---:|---:|---:|---:|
`)
	for _, row := range []struct {
		name    string
		samples []float64
	}{{"kill → writes resume", kill}, {"switchover → writes resume", switchover}} {
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s |\n", row.name, len(row.samples),
			ms(percentile(row.samples, 0.50)), ms(percentile(row.samples, 0.99)), ms(percentile(row.samples, 1)))
	}
	b.WriteString(`
Every acknowledged write is verified by a read after its ack: the load reads back each user,
key and session before it deletes any of them (on whichever node is primary then), and the
audit reads the rest on the final primary and checks that every acknowledged delete left
nothing. "verified" must equal "acknowledged" (counted as each call returned) with 0 lost.
Revocations: sessions validated through a sessioncache.Cache over a replica.Router over the
standby, then deleted through the Store; each is validated again at fixed offsets, and one
served more than the bound after its revocation was acknowledged is a failure.
`)
	for i, r := range runs {
		fmt.Fprintf(&b, "\n### Run %d: %s UTC, commit %s\n\n%s\n\n", i+1, r.Date, r.Commit, r.Machine)
		fmt.Fprintf(&b, "- kill → writes resume, per worker: %s\n", msList(r.KillRecoveryMs))
		fmt.Fprintf(&b, "- switchover → writes resume, per worker: %s (pg_autoctl returned after %s)\n", msList(r.SwitchoverRecoverMs), ms(r.SwitchoverCommandMs))
		fmt.Fprintf(&b, "- connection errors: %d during the kill, %d during the switchover, %d outside both, %d from the same Store afterwards; slowest call: %s\n",
			r.Errors["kill"], r.Errors["switchover"], r.Errors["calm"], r.Errors["after"], r.SlowestCall)
		fmt.Fprintf(&b, "- revocations: %d checked with %d validations, bound %s: %d served within the bound, **%d served past it**, %d validations lost their connection\n\n",
			r.Revocations.Revoked, r.Revocations.Probes, r.Revocations.Bound, r.Revocations.ServedWithinBound, r.Revocations.ServedPastBound, r.Revocations.ConnectionErrors)
		b.WriteString("| write | acknowledged | verified | of which read back before its delete | lost |\n|---|---:|---:|---:|---:|\n")
		for _, kind := range writeKinds {
			fmt.Fprintf(&b, "| %s | %d | %d | %d | %d |\n", kind, r.Acked[kind], r.Verified[kind], r.ReadBack[kind], r.Lost[kind])
		}
		fmt.Fprintf(&b, "| all | %d | %d | %d | %d |\n", sumMap(r.Acked), sumMap(r.Verified), sumMap(r.ReadBack), sumMap(r.Lost))
		fmt.Fprintf(&b, "\nOf the %d creates acknowledged before the kill, %d were verified by a read after it; the others had been read back and deleted before it.\n",
			r.AckedBeforeKill, r.VerifiedAfterKill)
	}
	return b.String()
}

// percentile is the nearest-rank percentile p (0 < p ≤ 1) of v.
func percentile(v []float64, p float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	slices.Sort(s)
	i := int(math.Ceil(p*float64(len(s)))) - 1
	return s[max(i, 0)]
}

func ms(v float64) string { return fmt.Sprintf("%.2f s", v/1000) }

func msList(v []float64) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = fmt.Sprintf("%.2f", x/1000)
	}
	return strings.Join(parts, ", ") + " s"
}

func millis(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = float64(d.Microseconds()) / 1000
	}
	return out
}

func verifiedByKind(a audit) map[string]int {
	m := map[string]int{}
	for kind, k := range a.Kinds {
		m[kind] = k.Verified
	}
	return m
}

func lostByKind(a audit) map[string]int {
	m := map[string]int{}
	for kind, k := range a.Kinds {
		m[kind] = len(k.Lost)
	}
	return m
}

func readBackByKind(a audit) map[string]int {
	m := map[string]int{}
	for kind, k := range a.Kinds {
		m[kind] = k.ReadBack
	}
	return m
}

func sumKinds(a audit, f func(*kindAudit) int) int {
	n := 0
	for _, k := range a.Kinds {
		n += f(k)
	}
	return n
}

func verifiedTotal(a audit) int { return sumMap(verifiedByKind(a)) }

// gitCommit is the working tree's commit, marked when it has changes.
func gitCommit() string {
	out, err := exec.Command("git", "describe", "--always", "--dirty").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

// machine names the machine the run was on.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if name, ok := strings.CutPrefix(line, "model name"); ok {
				model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d CPUs, %s/%s, %s, -race", model, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
}
