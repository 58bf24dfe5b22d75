package main

import (
	"testing"
	"time"
)

// The device names people read on the account page and in notices.
func TestDescribeDevice(t *testing.T) {
	t.Parallel()
	for ua, want := range map[string]string{
		"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0":                                                                  "Firefox on Linux",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1": "Safari on iPhone",
		"Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1":          "Safari on iPad",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15":                   "Safari on macOS",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0":           "Edge on Windows",
		"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36":                   "Chrome on Android",
		// Headless Chromium, as the browser tests drive it.
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36": "Chrome on Linux",
		"curl/8.5.0":                "Unknown browser or app",
		"Go-http-client/1.1":        "Unknown browser or app",
		"<script>alert(1)</script>": "Unknown browser or app",
		"":                          unknownDevice,
	} {
		if got := describeDevice(ua); got != want {
			t.Errorf("describeDevice(%q) = %q, want %q", ua, got, want)
		}
	}
}

func TestSinceText(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	for d, want := range map[time.Duration]string{
		0:                   "just now",
		-5 * time.Second:    "just now", // a clock a little ahead
		30 * time.Second:    "just now",
		3 * time.Minute:     "3 minutes ago",
		2 * time.Hour:       "2 hours ago",
		3 * 24 * time.Hour:  "3 days ago",
		40 * 24 * time.Hour: "1 month ago",
	} {
		if got := sinceText(now.Add(-d), now); got != want {
			t.Errorf("sinceText(now - %s) = %q, want %q", d, got, want)
		}
	}
	if got := sinceText(time.Time{}, now); got != "never" {
		t.Errorf("sinceText(zero) = %q, want never", got)
	}
}
