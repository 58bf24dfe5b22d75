package machine

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

// TestCommitNamesTheCheckout proves the commit is the short hash, marked
// dirty by any change git reports, and "unknown" outside a checkout.
func TestCommitNamesTheCheckout(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatalf("git is needed to test the commit: %v", err)
	}
	repo := t.TempDir()
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=bench", "-c", "user.email=bench@example.com"}, args...)...)
		cmd.Dir = repo
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(repo, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git("init", "-q")
	write("a", "a\n")
	git("add", "a")
	git("commit", "-q", "-m", "a")

	hash := regexp.MustCompile(`^[0-9a-f]{7,}$`)
	clean := commitIn(t.Context(), repo)
	for _, c := range []struct {
		name   string
		change func()
		want   *regexp.Regexp
	}{
		{"clean checkout", func() {}, hash},
		{"a results file written", func() {
			if err := os.MkdirAll(filepath.Join(repo, "bench", "results"), 0o755); err != nil {
				t.Fatal(err)
			}
			write("bench/results/load.md", "x\n")
		}, regexp.MustCompile(`^` + clean + `$`)},
		{"modified file", func() { write("a", "b\n") }, regexp.MustCompile(`^` + clean + `-dirty$`)},
		{"untracked file", func() {
			git("checkout", "-q", "a")
			write("new", "")
		}, regexp.MustCompile(`^` + clean + `-dirty$`)},
	} {
		c.change()
		if got := commitIn(t.Context(), repo); !c.want.MatchString(got) {
			t.Errorf("%s: commit %q, want %v", c.name, got, c.want)
		}
	}
	if got := commitIn(t.Context(), t.TempDir()); got != "unknown" {
		t.Errorf("outside a checkout: commit %q, want unknown", got)
	}
}
