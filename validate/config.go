package validate

import (
	"log/slog"
	"time"
)

// Overclaim is the policy for a certificate that claims resources its
// issuer does not hold (--overclaim).
type Overclaim int

const (
	// OverclaimReject makes such a certificate invalid, with everything
	// below it (RFC 6487 §7.2). It is the zero value and the default.
	OverclaimReject Overclaim = iota
	// OverclaimTrim keeps the certificate with the intersection of its
	// resources and its issuer's (RFC 8360 style), drops only the payloads
	// outside it, and warns.
	OverclaimTrim
)

// UnsafeVRPs is the policy for VRPs whose prefix overlaps the resources of
// a CA rejected in this run (--unsafe-vrps).
type UnsafeVRPs int

const (
	UnsafeAccept UnsafeVRPs = iota // keep them silently; the default
	UnsafeWarn                     // keep them and list them in Result.Warnings
	UnsafeReject                   // drop them and list them in Result.Warnings
)

// DefaultMaxDepth is the deepest chain of certificates below a TA that Run
// follows when Config.MaxDepth is zero.
const DefaultMaxDepth = 32

// TALFile is one trust anchor locator as main read it.
type TALFile struct {
	Name string // TA name, as TAName gives it; payloads carry it
	Path string // the path as given, for TAStats.TALFile
	Data []byte // the file's contents
}

// Config is everything a run of Run depends on besides the Syncer and the
// Store. Run reads no clock and no environment: all of it comes from here.
type Config struct {
	Now     time.Time // the validation time of every check
	Workers int       // size of the validation pool; below 1 means 1
	// Syncs bounds the repository syncs Run has in flight; below 1 means
	// DefaultSyncs. The Syncer may bound them further.
	Syncs int
	TALs  []TALFile // in command-line order, which decides TA ties

	Overclaim  Overclaim
	UnsafeVRPs UnsafeVRPs
	MaxDepth   int // CA certificates below a TA; zero means DefaultMaxDepth

	Log *slog.Logger // nil: warnings only reach Result.Warnings

	// Memo, when set, remembers verified signatures across runs; nil
	// verifies every signature.
	Memo *Memo

	// Progress, when set, is called from one goroutine after each
	// publication point is done, with the number done so far.
	Progress func(points int)

	// Walked, when set, is called once the walk has ended without
	// error, after which Run uses neither the Syncer nor the Store, with
	// every repository the walk reached; Run then sorts and merges what
	// it found. A caller may clean the cache meanwhile.
	Walked func(repos []RepoRef)
}

// RepoRef names a repository the walk reached: the rsync URI of its
// publication point and, for one with RRDP, its notification URI.
type RepoRef struct{ CARepository, Notify string }

// DefaultSyncs is the number of repository syncs in flight when
// Config.Syncs is zero.
const DefaultSyncs = 16

func (c *Config) workers() int { return max(c.Workers, 1) }

func (c *Config) syncs() int {
	if c.Syncs < 1 {
		return DefaultSyncs
	}
	return c.Syncs
}

func (c *Config) maxDepth() int {
	if c.MaxDepth < 1 {
		return DefaultMaxDepth
	}
	return c.MaxDepth
}
