package main

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestDescribeBuild(t *testing.T) {
	t.Parallel()
	const cli = "github.com/luciapg/luciapg/cmd/luciapg"
	vcs := func(revision, when, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{
			{Key: "-buildmode", Value: "exe"},
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: revision},
			{Key: "vcs.time", Value: when},
			{Key: "vcs.modified", Value: modified},
		}
	}
	const rev = "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		name     string
		version  string
		settings []debug.BuildSetting
		want     string
	}{
		{"go install ...@tag from a proxy", "v1.2.3", nil,
			"v1.2.3, commit of tag cmd/luciapg/v1.2.3"},
		{"go install ...@prerelease tag", "v0.4.0-rc.1", nil,
			"v0.4.0-rc.1, commit of tag cmd/luciapg/v0.4.0-rc.1"},
		{"go install ...@commit before any tag", "v0.0.0-20261202101500-0123456789ab", nil,
			"v0.0.0-20261202101500-0123456789ab, commit 0123456789ab (2026-12-02T10:15:00Z)"},
		{"go install ...@commit after a tag", "v1.2.4-0.20261202101500-0123456789ab", nil,
			"v1.2.4-0.20261202101500-0123456789ab, commit 0123456789ab (2026-12-02T10:15:00Z)"},
		{"go install ...@commit after a prerelease", "v1.3.0-rc.1.0.20261202101500-0123456789ab", nil,
			"v1.3.0-rc.1.0.20261202101500-0123456789ab, commit 0123456789ab (2026-12-02T10:15:00Z)"},
		{"go build in a checkout at a tag", "v1.2.3", vcs(rev, "2026-12-02T10:15:00Z", "false"),
			"v1.2.3, commit 0123456789ab (2026-12-02T10:15:00Z)"},
		{"go build in a modified checkout", "v0.0.0-20261202101500-0123456789ab+dirty", vcs(rev, "2026-12-02T10:15:00Z", "true"),
			"v0.0.0-20261202101500-0123456789ab+dirty, commit 0123456789ab (2026-12-02T10:15:00Z, modified)"},
		{"go build in a workspace checkout", "(devel)", vcs(rev, "2026-12-02T10:15:00Z", "true"),
			"(devel), commit 0123456789ab (2026-12-02T10:15:00Z, modified)"},
		{"go build without VCS information", "(devel)", nil,
			"(devel), commit unknown (built without version control information)"},
		{"no version at all", "", nil,
			"(devel), commit unknown (built without version control information)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			info := &debug.BuildInfo{
				Main:     debug.Module{Path: cli, Version: tt.version},
				Settings: tt.settings,
			}
			if got := describeBuild(info); got != tt.want {
				t.Errorf("describeBuild(version %q) = %q, want %q", tt.version, got, tt.want)
			}
		})
	}
}

func TestTagPrefix(t *testing.T) {
	t.Parallel()
	for path, want := range map[string]string{
		"github.com/luciapg/luciapg":                 "",
		"github.com/luciapg/luciapg/cmd/luciapg":     "cmd/luciapg/",
		"github.com/luciapg/luciapg/internal/x/y":    "internal/x/y/",
		"github.com/luciapg/luciapgfork/cmd/luciapg": "",
	} {
		if got := tagPrefix(path); got != want {
			t.Errorf("tagPrefix(%q) = %q, want %q", path, got, want)
		}
	}
}

// The test binary is built from this checkout: version() names its
// module version, then the commit or why there is none.
func TestVersionOfThisBuild(t *testing.T) {
	t.Parallel()
	v := version()
	if !strings.Contains(v, ", commit ") {
		t.Errorf("version() = %q, want VERSION, commit ...", v)
	}
}
