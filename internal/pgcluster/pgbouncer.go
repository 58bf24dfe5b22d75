package pgcluster

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
)

// PgBouncer is a running PgBouncer in transaction pooling mode that serves
// every database of one PostgreSQL server (a "*" entry), so each test's
// own database is reachable through it.
type PgBouncer struct {
	// Port is the loopback port PgBouncer listens on.
	Port int
	// PoolSize is how many server connections it opens per database and
	// user (default_pool_size): every client shares those.
	PoolSize int
	// Version is the first line of `pgbouncer --version`.
	Version string

	proc *process
	dir  string
}

// DefaultPoolSize is the PgBouncer pool size when StartPgBouncer is given
// zero: a small server pool, the case PgBouncer exists for.
const DefaultPoolSize = 8

// StartPgBouncer starts PgBouncer in front of the server serverURL points
// at, with poolSize server connections per database (DefaultPoolSize when
// 0), and stops it when tb ends.
func StartPgBouncer(tb testing.TB, serverURL string, poolSize int) *PgBouncer {
	tb.Helper()
	su, err := lookupServerUser()
	if err != nil {
		tb.Fatalf("pgcluster: %v", err)
	}
	dir := tempDir(tb, su, "luciapg-pgbouncer-")
	b, err := startPgBouncer(su, dir, serverURL, poolSize)
	if err != nil {
		tb.Fatalf("pgcluster: starting PgBouncer: %v", err)
	}
	tb.Cleanup(b.proc.stop)
	return b
}

var (
	sharedOnce sync.Once
	shared     *PgBouncer
	sharedErr  error
)

// SharedPgBouncer returns one PgBouncer per test process (pool size
// DefaultPoolSize) in front of serverURL's server, started by the first
// call: for test helpers that have no test to tie its life to. It exits
// with the test process.
func SharedPgBouncer(tb testing.TB, serverURL string) *PgBouncer {
	tb.Helper()
	sharedOnce.Do(func() {
		su, err := lookupServerUser()
		if err != nil {
			sharedErr = err
			return
		}
		dir, err := os.MkdirTemp("", "luciapg-pgbouncer-shared-")
		if err == nil && su.cred != nil {
			err = os.Chown(dir, su.uid, su.gid)
		}
		if err != nil {
			sharedErr = err
			return
		}
		shared, sharedErr = startPgBouncer(su, dir, serverURL, 0)
		// Nothing would remove the directory at exit: PgBouncer has read
		// its files and keeps its log open, so it goes now.
		_ = os.RemoveAll(dir)
	})
	if sharedErr != nil {
		tb.Fatalf("pgcluster: starting PgBouncer: %v", sharedErr)
	}
	return shared
}

func startPgBouncer(su serverUser, dir, serverURL string, poolSize int) (*PgBouncer, error) {
	bin, err := findBinary("pgbouncer", "pgbouncer", "/usr/sbin")
	if err != nil {
		return nil, err
	}
	version, err := exec1(bin, "--version")
	if err != nil {
		return nil, err
	}
	server, err := pgx.ParseConfig(serverURL)
	if err != nil {
		return nil, fmt.Errorf("server URL: %w", err)
	}
	if poolSize <= 0 {
		poolSize = DefaultPoolSize
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	// trust still requires the user to be listed in auth_file.
	userlist := filepath.Join(dir, "userlist.txt")
	if err := writeOwned(su, userlist, fmt.Sprintf("%q \"\"\n", server.User)); err != nil {
		return nil, err
	}
	ini := filepath.Join(dir, "pgbouncer.ini")
	conf := fmt.Sprintf(`[databases]
* = host=%s port=%d

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = trust
auth_file = %s
pool_mode = transaction
default_pool_size = %d
min_pool_size = 0
reserve_pool_size = 0
max_client_conn = 1000
max_db_connections = 0
ignore_startup_parameters = extra_float_digits
log_connections = 0
log_disconnections = 0
`, server.Host, server.Port, port, userlist, poolSize)
	if err := writeOwned(su, ini, conf); err != nil {
		return nil, err
	}
	p, err := start(su, syscall.SIGINT, filepath.Join(dir, "pgbouncer.log"), bin, ini)
	if err != nil {
		return nil, err
	}
	b := &PgBouncer{Port: port, PoolSize: poolSize, Version: version, proc: p, dir: dir}
	if err := waitReady(p, b.URL(withDatabase(serverURL, "postgres"), "simple_protocol")); err != nil {
		p.stop()
		return nil, err
	}
	return b, nil
}

// URL returns directURL (a database on the server PgBouncer fronts)
// rewritten to go through PgBouncer, with pgx's default_query_exec_mode
// set to mode (cache_statement, cache_describe, describe_exec, exec or
// simple_protocol; "" leaves pgx's default, cache_statement).
func (b *PgBouncer) URL(directURL, mode string) string {
	u, err := url.Parse(directURL)
	if err != nil {
		panic(fmt.Sprintf("pgcluster: not a URL: %v", err)) // test URLs come from testdb
	}
	u.Host = "127.0.0.1:" + strconv.Itoa(b.Port)
	q := u.Query()
	q.Del("host")
	q.Del("port")
	if mode != "" {
		q.Set("default_query_exec_mode", mode)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func withDatabase(serverURL, name string) string {
	u, err := url.Parse(serverURL)
	if err != nil {
		return serverURL
	}
	u.Path = "/" + name
	return u.String()
}

func writeOwned(su serverUser, path, content string) error {
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return err
	}
	if su.cred != nil {
		return os.Chown(path, su.uid, su.gid)
	}
	return nil
}

// exec1 runs bin with args and returns the first line of its output.
func exec1(bin string, args ...string) (string, error) {
	out, err := command(serverUser{}, syscall.SIGKILL, bin, args...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", filepath.Base(bin), strings.Join(args, " "), err)
	}
	line, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(line), nil
}
