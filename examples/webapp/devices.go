package main

import (
	"sync"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/medama-io/go-useragent"
	"github.com/medama-io/go-useragent/agents"
)

// userAgents parses User-Agent headers: built once, on first use (its
// table takes some tens of milliseconds to build), then shared; Parse is
// safe for concurrent use and allocates nothing.
var userAgents = sync.OnceValue(useragent.NewParser)

// unknownDevice is what a session or event without a user agent shows,
// and legacyDevice a session a Lucia v1 app made, which has no metadata.
const (
	unknownDevice = "Unknown device"
	legacyDevice  = "Unknown device (signed in by another app)"
)

// describeDevice turns a User-Agent header into plain words for a person
// looking at their sessions, activity or a security notice: "Firefox on
// Linux", "Safari on iPhone", "Chrome", "A browser on Windows". A client
// the parser does not know (curl, a script) is "Unknown browser or app",
// an empty header unknownDevice. It is also the auth core's
// Config.DescribeDevice, so the notices say what the page says.
func describeDevice(userAgent string) string {
	if userAgent == "" {
		return unknownDevice
	}
	ua := userAgents().Parse(userAgent)
	browser, system := string(ua.Browser()), operatingSystem(ua)
	switch {
	case browser != "" && system != "":
		return browser + " on " + system
	case browser != "":
		return browser
	case system != "":
		return "A browser on " + system
	}
	return "Unknown browser or app"
}

// operatingSystem names the client's system as people call it: an iOS
// phone is an iPhone, an iOS tablet an iPad, MacOS macOS.
func operatingSystem(ua useragent.UserAgent) string {
	switch ua.OS() {
	case agents.OSIOS:
		switch ua.Device() {
		case agents.DeviceMobile:
			return "iPhone"
		case agents.DeviceTablet:
			return "iPad"
		}
		return "iOS"
	case agents.OSMacOS:
		return "macOS"
	}
	return string(ua.OS())
}

// sinceText says how long ago t was, from now, in words ("3 minutes
// ago", "2 days ago"); "never" for the zero time.
func sinceText(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	if now.Sub(t) < time.Minute {
		// Clocks of two machines differ a little: a time a few seconds
		// ahead is now too.
		return "just now"
	}
	return humanize.RelTime(t, now, "ago", "from now")
}
