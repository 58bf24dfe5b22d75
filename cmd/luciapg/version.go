package main

import (
	"runtime/debug"
)

// version describes this build of luciapg from the information the Go
// toolchain embeds: the module version for `go install ...@v1.2.3`, else
// "(devel)" with the commit, its time and whether the tree was modified.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown: built without module support)"
	}
	v := info.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var revision, when, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = " (modified)"
			}
		}
	}
	if revision == "" {
		return v
	}
	if len(revision) > 12 {
		revision = revision[:12]
	}
	v += " " + revision
	if when != "" {
		v += " " + when
	}
	return v + modified
}
