package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	osexec "os/exec"
	"path/filepath"
	"time"
)

// luciaHarness is interop/lucia-v1/lucia.js, Lucia v1 on the bench's
// database, driven one JSON command per line.
type luciaHarness struct {
	cmd *osexec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

// startLucia starts lucia.js in dir (its packages installed by npm ci) on
// the database at url.
func startLucia(ctx context.Context, dir, url string) (*luciaHarness, error) {
	hint := fmt.Sprintf("the Lucia v1 row needs Node.js 18+ and `npm ci --prefix %s` (or run with -lucia '' to leave it out)", dir)
	node, err := osexec.LookPath("node")
	if err != nil {
		return nil, errors.New(hint)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "lucia-auth", "package.json")); err != nil {
		return nil, errors.New(hint)
	}
	cmd := osexec.CommandContext(ctx, node, "lucia.js")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DATABASE_URL="+url)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", hint, err)
	}
	h := &luciaHarness{cmd: cmd, in: in, out: bufio.NewReaderSize(out, 1<<16)}
	var versions struct {
		LuciaAuth         string `json:"luciaAuth"`
		AdapterPostgresql string `json:"adapterPostgresql"`
	}
	if err := h.call("versions", nil, &versions); err != nil {
		h.stop()
		return nil, err
	}
	logf("cache: Lucia v1 harness: lucia-auth %s, @lucia-auth/adapter-postgresql %s", versions.LuciaAuth, versions.AdapterPostgresql)
	return h, nil
}

// call runs one command and decodes its result into result.
func (h *luciaHarness) call(op string, args, result any) error {
	line, err := json.Marshal(map[string]any{"op": op, "args": args})
	if err != nil {
		return err
	}
	if _, err := h.in.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("lucia.js %s: %w", op, err)
	}
	reply, err := h.out.ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("lucia.js %s: no reply: %w", op, err)
	}
	var r struct {
		OK      bool            `json:"ok"`
		Error   string          `json:"error"`
		Message string          `json:"message"`
		Result  json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(reply, &r); err != nil {
		return fmt.Errorf("lucia.js %s: %w", op, err)
	}
	if !r.OK {
		return fmt.Errorf("lucia.js %s: %s %s", op, r.Error, r.Message)
	}
	return json.Unmarshal(r.Result, result)
}

// benchValidate has Lucia validate ids with concurrency loops.
func (h *luciaHarness) benchValidate(_ context.Context, ids []string, concurrency int, warmup, duration time.Duration) (validateRun, error) {
	var r struct {
		Calls     int64   `json:"calls"`
		OpsPerSec float64 `json:"opsPerSec"`
		P50Us     float64 `json:"p50Us"`
		P99Us     float64 `json:"p99Us"`
	}
	err := h.call("benchValidate", map[string]any{
		"sessionIds": ids, "concurrency": concurrency,
		"warmupMs": warmup.Milliseconds(), "durationMs": duration.Milliseconds(),
	}, &r)
	return validateRun{Calls: r.Calls, OpsPerSec: r.OpsPerSec, P50Micros: r.P50Us, P99Micros: r.P99Us}, err
}

func (h *luciaHarness) stop() {
	_ = h.in.Close()
	done := make(chan struct{})
	go func() { _ = h.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = h.cmd.Process.Kill()
		<-done
	}
}
