package main

import (
	"regexp"
	"runtime/debug"
	"strings"
	"time"
)

// repoModule is the module at the root of luciapg's repository. A
// submodule's release tags carry its directory as a prefix
// (cmd/luciapg/v1.2.3 for version v1.2.3 of cmd/luciapg; RELEASING.md).
const repoModule = "github.com/luciapg/luciapg"

// version describes this build of luciapg from what the Go toolchain
// embeds: the module version and the commit it was built from.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown: built without module support)"
	}
	return describeBuild(info)
}

// pseudoVersion matches a pseudo-version (v0.0.0-20240102030405-0123456789ab,
// v1.2.4-0.20240102030405-0123456789ab, ...), as golang.org/x/mod/module
// defines it, with the commit time and the commit as its last two parts.
var pseudoVersion = regexp.MustCompile(`^v[0-9]+\.(?:0\.0-|\d+\.\d+-(?:[^+]*\.)?0\.)(\d{14})-([A-Za-z0-9]+)(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$`)

// describeBuild says which module version a build is and which commit it
// was built from, in one line:
//
//	v1.2.3, commit of tag cmd/luciapg/v1.2.3
//	v0.0.0-20240102030405-0123456789ab, commit 0123456789ab (2024-01-02T03:04:05Z)
//	(devel), commit 0123456789ab (2024-01-02T03:04:05Z, modified)
//
// A build in a git checkout has the commit from the VCS settings the go
// command stamps (vcs.revision, vcs.time, vcs.modified); since Go 1.24
// its version is then the commit's tag or a pseudo-version of it (with
// +dirty when modified), else (devel). A module downloaded by `go install
// ...@version` has no VCS settings: a pseudo-version names its commit, and
// a release version was built from the commit its tag points to.
func describeBuild(info *debug.BuildInfo) string {
	v := info.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var revision, when string
	modified := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if revision != "" {
		var details []string
		if when != "" {
			details = append(details, when)
		}
		if modified {
			details = append(details, "modified")
		}
		return v + ", commit " + shortRevision(revision) + parenthesized(details)
	}
	if m := pseudoVersion.FindStringSubmatch(v); m != nil {
		var details []string
		if t, err := time.Parse("20060102150405", m[1]); err == nil {
			details = append(details, t.Format(time.RFC3339))
		}
		return v + ", commit " + shortRevision(m[2]) + parenthesized(details)
	}
	if v == "(devel)" {
		return v + ", commit unknown (built without version control information)"
	}
	return v + ", commit of tag " + tagPrefix(info.Main.Path) + v
}

// tagPrefix is the prefix of a module's release tags in luciapg's
// repository: "" for the library, "cmd/luciapg/" for the CLI.
func tagPrefix(modulePath string) string {
	if dir, ok := strings.CutPrefix(modulePath, repoModule+"/"); ok {
		return dir + "/"
	}
	return ""
}

// shortRevision is a commit hash cut to the 12 characters a
// pseudo-version uses.
func shortRevision(r string) string {
	if len(r) > 12 {
		return r[:12]
	}
	return r
}

func parenthesized(details []string) string {
	if len(details) == 0 {
		return ""
	}
	return " (" + strings.Join(details, ", ") + ")"
}
