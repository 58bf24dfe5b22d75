package main

import (
	"net/http"
	"testing"
	"time"
)

func TestJarKeepsCookiesAsABrowserWould(t *testing.T) {
	j := parseJar("a=1; b=2")
	if got := j.header(); got != "a=1; b=2" {
		t.Fatalf("parsed jar = %q, want a=1; b=2", got)
	}
	if j.update(nil) {
		t.Error("no Set-Cookie changed the jar")
	}
	changed := j.update([]*http.Cookie{
		{Name: "b", Value: "3"},                                     // replaced
		{Name: "c", Value: "4"},                                     // added
		{Name: "a", Value: "", MaxAge: -1},                          // deleted
		{Name: "d", Value: "5", Expires: time.Unix(1, 0)},           // already expired: not kept
		{Name: "e", Value: "6", Expires: time.Now().Add(time.Hour)}, // kept
	})
	if !changed {
		t.Error("Set-Cookie headers did not change the jar")
	}
	if got, want := j.header(), "b=3; c=4; e=6"; got != want {
		t.Errorf("jar = %q, want %q", got, want)
	}
}

func TestSourceAddressesAreDistinctLoopbackHosts(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		a := sourceAddress()
		ip := a.IP.To4()
		if ip == nil || ip[0] != 127 || ip[1] == 0 || ip[3] == 0 || ip[3] == 255 {
			t.Fatalf("source address %v is not a 127.x.y.z host address outside 127.0/16", a.IP)
		}
		if seen[ip.String()] {
			t.Fatalf("source address %v handed out twice", a.IP)
		}
		seen[ip.String()] = true
	}
}
