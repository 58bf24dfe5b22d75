// Package sessioncache serves sessions, with their users, from memory, over
// any luciapg.ThrottlingAdapter: a Store on a pool, a replica.Router,
// memadapter in tests. Every process's cache stays coherent with the
// database whoever writes to it (luciapg, a Lucia v1 app, psql): the
// triggers of luciapg's migrations log each change to a live session or a
// user, and each Cache reads that log every few milliseconds. See Cache
// for what it promises, and New for how it starts; Close stops it.
package sessioncache
