package main

import (
	"fmt"
	"io"
	"strings"
)

// progressBarWidth is the number of cells in the terminal progress bar.
const progressBarWidth = 30

// progress reports a long operation: on a terminal one bar redrawn in
// place, elsewhere (logs, pipes) one plain line per step.
type progress struct {
	w        io.Writer
	terminal bool
	what     string
	total    int64
	drawn    bool
}

func newProgress(w io.Writer, terminal bool, what string, total int64) *progress {
	return &progress{w: w, terminal: terminal, what: what, total: total}
}

// update reports that done units of the work are finished.
func (p *progress) update(done int64) {
	// Work found after the count (sessions that died meanwhile) grows the
	// total rather than overflowing the bar.
	p.total = max(p.total, done)
	if !p.terminal {
		fmt.Fprintf(p.w, "%d/%d %s\n", done, p.total, p.what)
		return
	}
	filled := progressBarWidth
	percent := 100
	if p.total > 0 {
		filled = int(done * progressBarWidth / p.total)
		percent = int(done * 100 / p.total)
	}
	fmt.Fprintf(p.w, "\r[%s%s] %3d%% %d/%d %s", strings.Repeat("=", filled), strings.Repeat(" ", progressBarWidth-filled), percent, done, p.total, p.what)
	p.drawn = true
}

// finish ends the bar's line so later output starts on a fresh one.
func (p *progress) finish() {
	if p.terminal && p.drawn {
		fmt.Fprintln(p.w)
	}
}
