package sessioncache

import "maps"

// inlineAttributes is how many user attributes an entry keeps in its own
// memory; a user with more keeps a map.
const inlineAttributes = 8

// cachedAttributes is an entry's copy of its user's attributes.
//
// A hit must hand its caller a map of its own. Copying the entry's map
// read that map's header and slots from wherever they were allocated:
// for a session whose entry is not in the CPU's caches, several more
// misses than the entry itself. Kept as pairs inside the entry, the
// attributes are read from the lines the hit has just brought in, and the
// new map is built from them.
type cachedAttributes struct {
	// n is how many of inline hold the attributes, or -1 when m does:
	// more than inlineAttributes of them, a nil map (kept nil), or
	// ShareAttributes (m is handed to every hit).
	n      int8
	inline [inlineAttributes]cachedAttribute
	m      map[string]any
}

type cachedAttribute struct {
	name  string
	value any
}

// newCachedAttributes copies attributes into an entry: as pairs, unless
// share is set (then the entry keeps a map of its own to hand out) or they
// do not fit.
func newCachedAttributes(attributes map[string]any, share bool) cachedAttributes {
	if share || attributes == nil || len(attributes) > inlineAttributes {
		return cachedAttributes{n: -1, m: maps.Clone(attributes)}
	}
	var a cachedAttributes
	for name, value := range attributes {
		a.inline[a.n] = cachedAttribute{name, value}
		a.n++
	}
	return a
}

// copy returns a map of the attributes the caller owns.
func (a *cachedAttributes) copy() map[string]any {
	if a.n < 0 {
		return maps.Clone(a.m)
	}
	m := make(map[string]any, a.n)
	for _, attr := range a.inline[:a.n] {
		m[attr.name] = attr.value
	}
	return m
}
