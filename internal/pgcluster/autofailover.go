package pgcluster

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// AutoFailover is a pg_auto_failover formation of Debian's packages
// (postgresql-15-auto-failover, pg-auto-failover-cli): a monitor and two
// data nodes, each a `pg_autoctl run` child of the test on a loopback port,
// with synchronous replication (pg_auto_failover's default with one
// quorum standby: synchronous_standby_names = 'ANY 1 (...)').
//
// pg_autoctl refuses to run as root, so when the test runs as root every
// pg_autoctl runs as the postgres user (through the process credentials,
// as the servers of this package do) with HOME and the XDG directories in
// the formation's temporary directory: its configuration and state files
// never land in the postgres user's real home.
type AutoFailover struct {
	// Monitor is the monitor node; Nodes are the two data nodes, node1
	// first (the first primary).
	Monitor *AutoNode
	Nodes   []*AutoNode
	// Database is the database the data nodes serve.
	Database string
	// Version is the first line of `pg_autoctl --version`.
	Version string

	su   serverUser
	root string
	bin  string
	env  []string
}

// AutoNode is one pg_autoctl-managed PostgreSQL of a formation.
type AutoNode struct {
	// Name is the node's pg_auto_failover name (monitor, node1, node2).
	Name string
	// Port is its PostgreSQL's loopback port.
	Port int

	af     *AutoFailover
	pgdata string
	proc   *process // nil while killed or stopped
}

// FastMonitor holds the monitor settings that StartAutoFailover applies
// when asked to detect failures fast: pg_auto_failover's defaults
// (a node is unhealthy after 20 s without news, then the monitor waits
// 30 s for the old primary to demote itself) make one failover take about
// 50 s, too long for CI. With these, a failover takes a few seconds. The
// demote wait keeps its purpose — a primary cut off from the monitor
// stops accepting writes before the standby is opened to them — only
// shorter; the keeper of a cut-off primary demotes it after
// network_partition_timeout (20 s), so on a real network keep the
// default.
var FastMonitor = map[string]string{
	"pgautofailover.health_check_period":               "1000",
	"pgautofailover.health_check_timeout":              "1000",
	"pgautofailover.health_check_max_retries":          "1",
	"pgautofailover.health_check_retry_delay":          "500",
	"pgautofailover.node_considered_unhealthy_timeout": "3000",
	"pgautofailover.primary_demote_timeout":            "5000",
}

// serverSettings are appended to every node's postgresql.auto.conf before
// it first runs: pg_autoctl sizes shared_buffers for the whole machine
// (gigabytes), and a throwaway test server needs neither that nor fsync,
// nor the shared /var/run/postgresql socket directory.
func serverSettings(socketDir string) string {
	return fmt.Sprintf(`shared_buffers = '16MB'
work_mem = '4MB'
maintenance_work_mem = '16MB'
effective_cache_size = '128MB'
max_connections = 60
unix_socket_directories = '%s'
fsync = off
`, socketDir)
}

// StartAutoFailover creates a monitor and two data nodes serving database
// with `pg_autoctl create`, runs each with `pg_autoctl run`, and waits
// until node1 is primary and node2 its synchronous secondary. fast applies
// FastMonitor. Every process and directory is gone when tb ends, even when
// it fails.
func StartAutoFailover(tb testing.TB, database string, fast bool) *AutoFailover {
	tb.Helper()
	su, err := lookupServerUser()
	if err != nil {
		tb.Fatalf("pgcluster: %v", err)
	}
	bin, err := findBinary("pg_autoctl", "postgresql-15-auto-failover pg-auto-failover-cli")
	if err != nil {
		tb.Fatalf("pgcluster: %v", err)
	}
	pgctl, err := findBinary("pg_ctl", "postgresql", binDirs...)
	if err != nil {
		tb.Fatalf("pgcluster: %v", err)
	}
	version, err := exec1(bin, "--version")
	if err != nil {
		tb.Fatalf("pgcluster: %v", err)
	}
	root := tempDir(tb, su, "luciapg-autofailover-")
	af := &AutoFailover{Database: database, Version: version, su: su, root: root, bin: bin,
		env: []string{"HOME=" + root, "XDG_CONFIG_HOME=" + filepath.Join(root, "config"),
			"XDG_DATA_HOME=" + filepath.Join(root, "data"), "XDG_RUNTIME_DIR=" + filepath.Join(root, "run"),
			"PGHOST=127.0.0.1"}}

	af.Monitor = af.newNode(tb, "monitor")
	if err := af.pgautoctl("create", "monitor", "--pgdata", af.Monitor.pgdata, "--pgport", strconv.Itoa(af.Monitor.Port),
		"--hostname", "127.0.0.1", "--auth", "trust", "--no-ssl", "--pgctl", pgctl); err != nil {
		tb.Fatalf("pgcluster: %v", err)
	}
	extra := serverSettings(root)
	if fast {
		for name, value := range FastMonitor {
			extra += fmt.Sprintf("%s = %s\n", name, value)
		}
	}
	af.Monitor.appendSettings(tb, extra)
	// The monitor's listen_addresses lives in pg_autoctl's configuration,
	// which overrides postgresql.conf: '*' by default.
	if err := af.pgautoctl("config", "set", "--pgdata", af.Monitor.pgdata, "postgresql.listen_addresses", "127.0.0.1"); err != nil {
		tb.Fatalf("pgcluster: %v", err)
	}
	af.Monitor.Start(tb)

	for _, name := range []string{"node1", "node2"} {
		n := af.newNode(tb, name)
		if err := af.pgautoctl("create", "postgres", "--pgdata", n.pgdata, "--pgport", strconv.Itoa(n.Port),
			"--pghost", "127.0.0.1", "--listen", "127.0.0.1", "--hostname", "127.0.0.1", "--name", name,
			"--dbname", database, "--auth", "trust", "--no-ssl", "--pgctl", pgctl, "--monitor", af.MonitorURL()); err != nil {
			tb.Fatalf("pgcluster: %v", err)
		}
		n.appendSettings(tb, serverSettings(root))
		n.Start(tb)
		af.Nodes = append(af.Nodes, n)
		if name == "node1" {
			af.WaitState(tb, n, "single")
		}
	}
	af.WaitState(tb, af.Nodes[0], "primary")
	af.WaitState(tb, af.Nodes[1], "secondary")
	return af
}

func (af *AutoFailover) newNode(tb testing.TB, name string) *AutoNode {
	tb.Helper()
	port, err := freePort()
	if err != nil {
		tb.Fatalf("pgcluster: %v", err)
	}
	return &AutoNode{Name: name, Port: port, af: af, pgdata: filepath.Join(af.root, name)}
}

// pgautoctl runs a pg_autoctl command to completion as the server user.
func (af *AutoFailover) pgautoctl(args ...string) error {
	cmd := command(af.su, syscall.SIGKILL, af.bin, args...)
	cmd.Env = append(cmd.Env, af.env...)
	cmd.Dir = af.root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_autoctl %s: %w\n%s", strings.Join(args[:2], " "), err, tail(out, 3000))
	}
	return nil
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// MonitorURL is the monitor's URL as the data nodes use it.
func (af *AutoFailover) MonitorURL() string {
	return fmt.Sprintf("postgres://autoctl_node@127.0.0.1:%d/pg_auto_failover?sslmode=disable", af.Monitor.Port)
}

// URL is a multi-host URL listing both data nodes, for clients: with
// target_session_attrs=read-write, libpq and pgx connect to whichever
// accepts writes. params are appended (e.g. "connect_timeout=2").
func (af *AutoFailover) URL(params ...string) string {
	var hosts []string
	for _, n := range af.Nodes {
		hosts = append(hosts, "127.0.0.1:"+strconv.Itoa(n.Port))
	}
	q := append([]string{"sslmode=disable", "target_session_attrs=read-write"}, params...)
	return fmt.Sprintf("postgres://postgres@%s/%s?%s", strings.Join(hosts, ","), af.Database, strings.Join(q, "&"))
}

// NodeURL is the URL of the formation's database on n alone.
func (n *AutoNode) NodeURL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", n.Port, n.af.Database)
}

// Primary asks the monitor which data node it has assigned the primary
// role (goal state primary, wait_primary or single).
func (af *AutoFailover) Primary(ctx context.Context) (*AutoNode, error) {
	states, err := af.States(ctx)
	if err != nil {
		return nil, err
	}
	for _, n := range af.Nodes {
		switch states[n.Name][1] {
		case "primary", "wait_primary", "single":
			return n, nil
		}
	}
	return nil, fmt.Errorf("no primary assigned: %v", states)
}

// States returns each data node's [reported, assigned] state as the
// monitor has them.
func (af *AutoFailover) States(ctx context.Context) (map[string][2]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, af.MonitorURL())
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT nodename, reportedstate::text, goalstate::text FROM pgautofailover.node")
	if err != nil {
		return nil, err
	}
	states := map[string][2]string{}
	for rows.Next() {
		var name, reported, goal string
		if err := rows.Scan(&name, &reported, &goal); err != nil {
			return nil, err
		}
		states[name] = [2]string{reported, goal}
	}
	return states, rows.Err()
}

// WaitState polls the monitor until n has reported state and is assigned
// it too (a settled state, not a transition), failing tb after a deadline.
func (af *AutoFailover) WaitState(tb testing.TB, n *AutoNode, state string) {
	tb.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	var last map[string][2]string
	for time.Now().Before(deadline) {
		states, err := af.States(context.Background())
		if err == nil {
			last = states
			if s := states[n.Name]; s[0] == state && s[1] == state {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	tb.Fatalf("pgcluster: %s never reached state %s; states (reported, assigned): %v", n.Name, state, last)
}

// Switchover runs `pg_autoctl perform switchover`, which returns once the
// secondary has been promoted and the old primary follows it.
func (af *AutoFailover) Switchover() error {
	return af.pgautoctl("perform", "switchover", "--pgdata", af.Monitor.pgdata, "--wait", "120")
}

func (n *AutoNode) appendSettings(tb testing.TB, settings string) {
	tb.Helper()
	f, err := os.OpenFile(filepath.Join(n.pgdata, "postgresql.auto.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err == nil {
		_, err = f.WriteString(settings)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		tb.Fatalf("pgcluster: %v", err)
	}
}

// Start runs `pg_autoctl run` for n, in its own process group, and
// returns; the monitor's states say when it is ready. It is stopped when
// tb ends.
func (n *AutoNode) Start(tb testing.TB) {
	tb.Helper()
	if n.proc != nil {
		return
	}
	// pg_autoctl stops Postgres fast on SIGTERM, immediately on SIGQUIT:
	// the signal a dying test process sends.
	cmd := command(n.af.su, syscall.SIGQUIT, n.af.bin, "run", "--pgdata", n.pgdata)
	cmd.Env = append(cmd.Env, n.af.env...)
	cmd.Dir = n.af.root
	p, err := startCmd(cmd, syscall.SIGTERM, n.pgdata+".log")
	if err != nil {
		tb.Fatalf("pgcluster: starting %s: %v", n.Name, err)
	}
	n.proc = p
	tb.Cleanup(func() { stopGroup(p) })
}

// Kill ends n the hard way: SIGKILL to its process group, which holds
// pg_autoctl and the postmaster (a machine lost). Killing the postmaster
// alone would not fail over: pg_autoctl would restart it in place.
func (n *AutoNode) Kill() {
	if n.proc == nil {
		return
	}
	_ = syscall.Kill(-n.proc.cmd.Process.Pid, syscall.SIGKILL)
	<-n.proc.done
	n.proc = nil
}

// stopGroup stops a pg_autoctl gracefully, then kills whatever of its
// process group is left (a postmaster whose pg_autoctl died first).
func stopGroup(p *process) {
	p.stop()
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
}

// startCmd starts cmd with its output appended to logFile; stop sends
// stopBy.
func startCmd(cmd *exec.Cmd, stopBy syscall.Signal, logFile string) (*process, error) {
	out, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		out.Close()
		return nil, err
	}
	p := &process{cmd: cmd, done: make(chan struct{}), logTo: logFile, stopBy: stopBy}
	go func() {
		p.err = cmd.Wait()
		out.Close()
		close(p.done)
	}()
	return p, nil
}
