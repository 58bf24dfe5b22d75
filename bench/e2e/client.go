package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// client is one keep-alive HTTP/1.1 connection written by hand: the
// request bytes are prepared once and the response is read with
// http.ReadResponse, so that the load generator costs little next to the
// servers it measures on the same cores.
type client struct {
	conn net.Conn
	br   *bufio.Reader
	host string
}

// nextSource numbers the loopback source addresses handed out by
// sourceAddress.
var nextSource atomic.Uint32

// sourceAddress returns a loopback address not handed out before in this
// process (127.1.0.1, 127.1.0.2, ...). Linux answers on all of 127/8, so
// each login or signup connection can come from an address of its own, as
// many clients would: luciapg counts attempts per client address by
// default (50 logins and 20 signups free), which one address would
// exhaust in a benchmark.
func sourceAddress() *net.TCPAddr {
	n := nextSource.Add(1) - 1
	// The last byte runs from 1 to 254: never .0 or .255.
	return &net.TCPAddr{IP: net.IPv4(127, byte(1+n/(254*256)), byte(n/254%256), byte(n%254+1))}
}

// dial connects to addr; a non-nil local binds the connection's source
// address.
func dial(addr string, local *net.TCPAddr) (*client, error) {
	d := net.Dialer{Timeout: 5 * time.Second}
	if local != nil {
		d.LocalAddr = local
	}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &client{conn: conn, br: bufio.NewReaderSize(conn, 16<<10), host: addr}, nil
}

func (c *client) close() { _ = c.conn.Close() }

// getRequest is the bytes of GET path with a Cookie header (none if
// cookie is empty).
func getRequest(host, path, cookie string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\n", path, host)
	if cookie != "" {
		fmt.Fprintf(&b, "Cookie: %s\r\n", cookie)
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

// postRequest is the bytes of a form POST to path, with the Origin a
// browser sends (Lucia v1 refuses a POST without one).
func postRequest(host, path, cookie string, form url.Values) []byte {
	body := form.Encode()
	var b bytes.Buffer
	fmt.Fprintf(&b, "POST %s HTTP/1.1\r\nHost: %s\r\nOrigin: http://%s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n", path, host, host, len(body))
	if cookie != "" {
		fmt.Fprintf(&b, "Cookie: %s\r\n", cookie)
	}
	b.WriteString("\r\n")
	b.WriteString(body)
	return b.Bytes()
}

// response is what a request returned: its status, its Set-Cookie
// headers, and its body when asked for.
type response struct {
	status     int
	setCookies []*http.Cookie
	body       string
}

// requestTimeout bounds one request, so that a server that hangs fails
// its stack instead of the run.
const requestTimeout = time.Minute

// do sends req and reads the response; keepBody keeps the body (setup
// calls), otherwise it is discarded (the measured requests).
func (c *client) do(req []byte, keepBody bool) (response, error) {
	if err := c.conn.SetDeadline(time.Now().Add(requestTimeout)); err != nil {
		return response{}, err
	}
	if _, err := c.conn.Write(req); err != nil {
		return response{}, err
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return response{}, err
	}
	r := response{status: resp.StatusCode}
	if len(resp.Header["Set-Cookie"]) > 0 {
		r.setCookies = resp.Cookies()
	}
	if keepBody {
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return response{}, err
		}
		r.body = string(body)
	} else if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return response{}, err
	}
	_ = resp.Body.Close()
	if resp.Close {
		return r, fmt.Errorf("the server closed the connection (status %d)", resp.StatusCode)
	}
	return r, nil
}

// jar is one session's cookies, as a browser keeps them: what the stack
// set, updated by each response's Set-Cookie (Better Auth's cookie cache
// sets its session_data cookie on a read).
type jar struct {
	names  []string
	values []string
}

// parseJar reads a Cookie header value ("a=1; b=2").
func parseJar(header string) *jar {
	j := &jar{}
	for _, part := range strings.Split(header, ";") {
		name, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok && name != "" {
			j.set(name, value)
		}
	}
	return j
}

func (j *jar) set(name, value string) {
	for i, n := range j.names {
		if n == name {
			j.values[i] = value
			return
		}
	}
	j.names = append(j.names, name)
	j.values = append(j.values, value)
}

func (j *jar) remove(name string) {
	for i, n := range j.names {
		if n == name {
			j.names = append(j.names[:i], j.names[i+1:]...)
			j.values = append(j.values[:i], j.values[i+1:]...)
			return
		}
	}
}

// update applies Set-Cookie headers and reports whether anything changed.
func (j *jar) update(cookies []*http.Cookie) bool {
	changed := false
	for _, c := range cookies {
		changed = true
		if c.MaxAge < 0 || c.Value == "" || (!c.Expires.IsZero() && c.Expires.Before(time.Now())) {
			j.remove(c.Name)
			continue
		}
		j.set(c.Name, c.Value)
	}
	return changed
}

// header is the Cookie header value.
func (j *jar) header() string {
	var b strings.Builder
	for i, n := range j.names {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(n + "=" + j.values[i])
	}
	return b.String()
}
