// Package validate walks the RPKI from the trust anchors down and produces
// the Result the output formats print. result.go holds the result types and
// the one comparison each payload type is sorted and de-duplicated by.
package validate

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// VRP is a Validated ROA Payload: one prefix of one valid ROA.
type VRP struct {
	ASN       uint32
	Prefix    netip.Prefix // masked: the address is the network address
	MaxLength uint8        // the prefix length when the ROA gives none
	TA        string       // TAL name without ".tal", see FORMATS.md §1.1
	Expires   int64        // Unix seconds, the earliest expiry on the chain
}

// ASPA is a Validated ASPA Payload (VAP): the providers one customer AS
// authorised, merged over all of its valid ASPA objects by MergeASPAs.
type ASPA struct {
	Customer  uint32
	Providers []uint32 // sorted, without duplicates
	TA        string
	Expires   int64 // Unix seconds
}

// RouterKey is a BGPsec router key: one AS number of one valid router
// certificate.
type RouterKey struct {
	ASN       uint32
	SKI       []byte // subject key identifier, normally 20 bytes
	PublicKey []byte // DER SubjectPublicKeyInfo
	TA        string
	Expires   int64 // Unix seconds: the router certificate's notAfter
}

// NonFunctionalCA is a CA certificate that validated but whose publication
// point gave no usable manifest, so nothing below it was processed.
type NonFunctionalCA struct {
	Location     string // the certificate's file, rsync URI without "rsync://"
	TA           string
	CARepository string // the certificate's caRepository URI
	Manifest     string // the certificate's rpkiManifest URI
	SKI          string // upper-case hex, no colons
}

// Kind is an RPKI object type, the index of Stats.
type Kind int

// The object types counted in Stats, in the order summaries print them.
const (
	KindCert       Kind = iota // CA certificate, TA certificates included
	KindManifest               // RFC 9286 manifest
	KindCRL                    // certificate revocation list
	KindROA                    // RFC 9582 Route Origin Authorization
	KindASPA                   // AS Provider Authorization
	KindGBR                    // RFC 6493 Ghostbusters record
	KindTAK                    // RFC 9691 Trust Anchor Key
	KindRouterCert             // RFC 8209 BGPsec router certificate
	NumKinds                   // number of kinds; not a kind
)

var kindNames = [NumKinds]string{
	KindCert:       "cert",
	KindManifest:   "manifest",
	KindCRL:        "crl",
	KindROA:        "roa",
	KindASPA:       "aspa",
	KindGBR:        "gbr",
	KindTAK:        "tak",
	KindRouterCert: "router_cert",
}

// String returns the short lower-case name of k, as logs and metrics use it.
func (k Kind) String() string {
	if k < 0 || k >= NumKinds {
		return "unknown"
	}
	return kindNames[k]
}

// Counts counts the objects of one kind by outcome. An object is counted
// once, under the outcome that decided its fate.
type Counts struct {
	Valid       int // accepted
	FailedParse int // rejected by the parser (object.ErrMalformed)
	Invalid     int // parsed, but failed a check against issuer, CRL, manifest or now
	Stale       int // manifests and CRLs used although past their nextUpdate
	FromCache   int // taken from the validated store because the fresh copy failed

	// NonFunctional counts CA certificates whose publication point gave no
	// usable manifest (KindCert only). The run's total is
	// len(Result.NonFunctional); this field serves per-TA and per-repository
	// figures.
	NonFunctional int
	// SeqGap counts manifests whose manifestNumber skipped ahead of the
	// stored one (KindManifest only).
	SeqGap int
}

// Add adds o to c, field by field.
func (c *Counts) Add(o Counts) {
	c.Valid += o.Valid
	c.FailedParse += o.FailedParse
	c.Invalid += o.Invalid
	c.Stale += o.Stale
	c.FromCache += o.FromCache
	c.NonFunctional += o.NonFunctional
	c.SeqGap += o.SeqGap
}

// Rejected is FailedParse plus Invalid: what rpki-client reports as "invalid"
// certificates and "failed" manifests.
func (c Counts) Rejected() int { return c.FailedParse + c.Invalid }

// Stats holds the Counts of every Kind. As an array it has a fixed order,
// so anything printed from it is deterministic.
type Stats [NumKinds]Counts

// Add adds o to s, kind by kind.
func (s *Stats) Add(o Stats) {
	for k := range s {
		s[k].Add(o[k])
	}
}

// Payloads counts the payloads a trust anchor or repository contributed.
// Totals count every payload found; unique ones count the entries left after
// de-duplication that were credited to this TA or repository.
type Payloads struct {
	VRPs, UniqueVRPs int
	VAPs, UniqueVAPs int // VAPs: valid ASPA objects; unique: merged customers
	VAPProviders     int // providers in the merged VAPs
	VAPOverflowed    int // merged VAPs left out for reaching MaxASPAProviders
}

// Add adds o to p, field by field.
func (p *Payloads) Add(o Payloads) {
	p.VRPs += o.VRPs
	p.UniqueVRPs += o.UniqueVRPs
	p.VAPs += o.VAPs
	p.UniqueVAPs += o.UniqueVAPs
	p.VAPProviders += o.VAPProviders
	p.VAPOverflowed += o.VAPOverflowed
}

// TAStats are the figures of one trust anchor. The number of router keys is
// Stats[KindRouterCert].Valid.
type TAStats struct {
	Name     string // TAL file name without directory and ".tal"
	TALFile  string // the path as given
	Stats    Stats
	Payloads Payloads
}

// RepoTAStats are the figures of one repository for one trust anchor whose
// CAs publish there.
type RepoTAStats struct {
	TA       string
	Stats    Stats
	Payloads Payloads
}

// RepoStats describes the synchronisation of one repository (one
// caRepository/rpkiNotify pair) and the objects found in it.
type RepoStats struct {
	CARepository string // rsync URI of the repository
	Notify       string // RRDP notification URI; empty without RRDP

	// Protocol is the transport used last: "rrdp", "rsync" or "https", or
	// "cache" when none was tried (offline run). For a synced repository it
	// is the one that brought the files.
	Protocol string
	// State is "synced", "failed" or "timeout". A failed repository is
	// validated from the cache.
	State    string
	Duration time.Duration
	Bytes    int64 // bytes transferred
	Objects  int64 // files received

	// Cache housekeeping in this repository's part of the cache.
	NewFiles, DeletedFiles, DeletedDirs int
	ExtraFiles, DeletedExtraFiles       int // files no manifest listed, and those removed

	// TAs holds the figures per trust anchor, in TAL order. Usually one;
	// a repository hosting CAs under several trust anchors has several.
	TAs []RepoTAStats
}

// Synced reports whether the repository was brought up to date this run.
func (r *RepoStats) Synced() bool { return r.State == "synced" }

// Metadata holds everything about a run that varies from one run to the
// next. It reaches the output only through here: main fills it, tests pin it.
type Metadata struct {
	BuildMachine string    // host name, unchanged
	BuildTime    time.Time // taken once after validation; the files' mtime
	// LastSuccess is the time of the last run that completed; zero means
	// this run (BuildTime).
	LastSuccess time.Time
	// Start is when the run began; ExitStatus is the status it exits
	// with (0 when the outputs are written). The metrics report both, so
	// a failed run is visible.
	Start                 time.Time
	ExitStatus            int
	Elapsed, User, System time.Duration // user and system include child processes
	TALFiles              []string      // TAL paths as given, in that order
	Version               string        // tally's version

	// Cache housekeeping over the whole cache.
	CacheNewFiles, CacheDeletedFiles, CacheDeletedDirs  int
	CacheSuperfluousFiles, CacheDeletedSuperfluousFiles int
}

// Result is what a validation run produced: the sorted, de-duplicated
// payloads and the figures every output format reports. Counts the formats
// print are derived from Stats and the slices rather than stored twice:
// roas = Stats[KindROA].Valid, uniquevrps = len(VRPs), and so on.
type Result struct {
	VRPs     []VRP // sorted and de-duplicated by DedupVRPs
	VRPTotal int   // every prefix of every valid ROA, before de-duplication

	ASPAs          []ASPA // merged by MergeASPAs, overflowed ones left out
	ASPATotal      int    // valid ASPA objects, before merging
	ASPAOverflowed int    // merged VAPs left out by MergeASPAs

	RouterKeys    []RouterKey       // sorted and de-duplicated by DedupRouterKeys
	NonFunctional []NonFunctionalCA // sorted by CompareNonFunctionalCA

	TAs   []TAStats   // in TAL order
	Repos []RepoStats // sorted by CARepository, then Notify
	Stats Stats       // totals over every trust anchor

	TALCount    int // TALs given, the invalid ones included
	InvalidTALs int // TALs that could not be used (bad file or TA certificate)
	Warnings    []string
	Metadata    Metadata
}

// UniqueVAPs is the number of merged VAPs, the overflowed ones included.
func (r *Result) UniqueVAPs() int { return len(r.ASPAs) + r.ASPAOverflowed }

// VAPProviders is the number of providers in the VAPs that are written.
func (r *Result) VAPProviders() int {
	n := 0
	for i := range r.ASPAs {
		n += len(r.ASPAs[i].Providers)
	}
	return n
}

// TAName turns a TAL path into the TA name outputs print: the file name
// without directory and without a final ".tal" in any case.
func TAName(talPath string) string {
	name := talPath[strings.LastIndexByte(talPath, '/')+1:]
	if n := len(name) - len(".tal"); n >= 0 && strings.EqualFold(name[n:], ".tal") {
		name = name[:n]
	}
	return name
}

// TAOrder compares two TA names for the tie-break between duplicate
// payloads with equal expiry: the TA it puts first (negative result) wins.
// A nil TAOrder compares names as strings.
type TAOrder func(a, b string) int

// compare applies o, or strings.Compare when o is nil.
func (o TAOrder) compare(a, b string) int {
	if o == nil {
		return strings.Compare(a, b)
	}
	return o(a, b)
}

// ByTALOrder returns the TAOrder that follows order: the TA names in the
// order of the TALs on the command line (built-in TALs: sorted by name), so
// the TAL given first wins (FORMATS.md §11). Names missing from order come
// after all of them, by name.
func ByTALOrder(order []string) TAOrder {
	pos := make(map[string]int, len(order))
	for i, ta := range order {
		if _, dup := pos[ta]; !dup {
			pos[ta] = i
		}
	}
	return func(a, b string) int {
		pa, oka := pos[a]
		pb, okb := pos[b]
		switch {
		case oka && okb:
			return cmp.Compare(pa, pb)
		case oka:
			return -1
		case okb:
			return 1
		}
		return strings.Compare(a, b)
	}
}

// CompareVRP orders VRPs as every output lists them (FORMATS.md §1.2):
// IPv4 before IPv6, network address as unsigned bytes, longer prefix first,
// larger maxLength first, then ASN ascending. It returns 0 exactly when a
// and b have the same identity (prefix, maxLength, ASN).
func CompareVRP(a, b VRP) int {
	if a.Prefix.Addr().Is4() != b.Prefix.Addr().Is4() {
		if a.Prefix.Addr().Is4() {
			return -1
		}
		return 1
	}
	if c := a.Prefix.Addr().Compare(b.Prefix.Addr()); c != 0 {
		return c
	}
	if c := cmp.Compare(b.Prefix.Bits(), a.Prefix.Bits()); c != 0 {
		return c
	}
	if c := cmp.Compare(b.MaxLength, a.MaxLength); c != 0 {
		return c
	}
	return cmp.Compare(a.ASN, b.ASN)
}

// SortVRPs sorts v by CompareVRP. Entries with the same identity keep no
// particular order; DedupVRPs resolves them.
func SortVRPs(v []VRP) { slices.SortFunc(v, CompareVRP) }

// DedupVRPs sorts v and keeps one entry per identity (prefix, maxLength,
// ASN), reusing v's storage. Of duplicates the one with the later Expires
// wins and keeps its TA; on equal Expires the TA that order puts first wins
// (FORMATS.md §11), then the one listed first in v. The result does not
// depend on the order of v except through that last, fully tied, case,
// where the entries are identical anyway.
func DedupVRPs(v []VRP, order TAOrder) []VRP {
	// Not a stable sort: VRPs the comparison finds equal are equal in
	// every field, so their order cannot show.
	slices.SortFunc(v, func(a, b VRP) int {
		if c := CompareVRP(a, b); c != 0 {
			return c
		}
		return betterVRP(a, b, order)
	})
	return compactVRPs(v)
}

// compactVRPs keeps the first of each run of VRPs with one identity in v,
// sorted as DedupVRPs sorts: the winner.
func compactVRPs(v []VRP) []VRP {
	return slices.CompactFunc(v, func(a, b VRP) bool { return CompareVRP(a, b) == 0 })
}

// betterVRP orders duplicates so that the winner comes first.
func betterVRP(a, b VRP, order TAOrder) int {
	if c := cmp.Compare(b.Expires, a.Expires); c != 0 {
		return c
	}
	return order.compare(a.TA, b.TA)
}

// MaxASPAProviders is the provider count at which a merged VAP is left out
// of every output and counted as overflowed (FORMATS.md §1.3).
const MaxASPAProviders = 10000

// MergeASPAs merges the valid ASPAs in v into one VAP per customer AS,
// sorted by customer. The providers are the sorted union of all of that
// customer's ASPAs; Expires is the earliest of them (unlike VRPs), and the
// TA is that of the ASPA expiring first, ties broken by order. A VAP with
// MaxASPAProviders or more providers is left out and counted in overflowed.
// v is reordered; the returned VAPs have fresh Providers slices.
func MergeASPAs(v []ASPA, order TAOrder) (merged []ASPA, overflowed int) {
	slices.SortStableFunc(v, func(a, b ASPA) int {
		if c := cmp.Compare(a.Customer, b.Customer); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Expires, b.Expires); c != 0 {
			return c
		}
		return order.compare(a.TA, b.TA)
	})
	for i := 0; i < len(v); {
		j := i + 1
		for j < len(v) && v[j].Customer == v[i].Customer {
			j++
		}
		vap := mergeCustomer(v[i:j])
		if len(vap.Providers) >= MaxASPAProviders {
			overflowed++
		} else {
			merged = append(merged, vap)
		}
		i = j
	}
	return merged, overflowed
}

// mergeCustomer merges ASPAs of one customer, sorted with the earliest
// expiry (and winning TA) first.
func mergeCustomer(same []ASPA) ASPA {
	n := 0
	for _, a := range same {
		n += len(a.Providers)
	}
	providers := make([]uint32, 0, n)
	for _, a := range same {
		providers = append(providers, a.Providers...)
	}
	slices.Sort(providers)
	return ASPA{
		Customer:  same[0].Customer,
		Providers: slices.Clip(slices.Compact(providers)),
		TA:        same[0].TA,
		Expires:   same[0].Expires,
	}
}

// CompareASPA orders VAPs by customer AS, the only order outputs use.
func CompareASPA(a, b ASPA) int { return cmp.Compare(a.Customer, b.Customer) }

// CompareRouterKey orders router keys as outputs list them: ASN, then the
// SKI as upper-case hex text, then the public key as base64 text, both
// compared byte-wise (FORMATS.md §1.3). Hex text sorts like the bytes, but
// base64 text does not, so the key is compared in its printed form.
func CompareRouterKey(a, b RouterKey) int {
	if c := cmp.Compare(a.ASN, b.ASN); c != 0 {
		return c
	}
	// Hex digits sort like the nibbles they stand for, so the bytes
	// compare as the text would.
	if c := bytes.Compare(a.SKI, b.SKI); c != 0 {
		return c
	}
	if bytes.Equal(a.PublicKey, b.PublicKey) {
		return 0
	}
	enc := base64.StdEncoding
	return strings.Compare(enc.EncodeToString(a.PublicKey), enc.EncodeToString(b.PublicKey))
}

// SortRouterKeys sorts k by CompareRouterKey.
func SortRouterKeys(k []RouterKey) { slices.SortFunc(k, CompareRouterKey) }

// DedupRouterKeys sorts k and keeps one key per identity (ASN, SKI, public
// key), reusing k's storage. The later Expires wins and keeps its TA; on
// equal Expires order decides, as for VRPs.
func DedupRouterKeys(k []RouterKey, order TAOrder) []RouterKey {
	slices.SortStableFunc(k, func(a, b RouterKey) int {
		if c := CompareRouterKey(a, b); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Expires, a.Expires); c != 0 {
			return c
		}
		return order.compare(a.TA, b.TA)
	})
	return slices.CompactFunc(k, func(a, b RouterKey) bool { return CompareRouterKey(a, b) == 0 })
}

// CompareNonFunctionalCA orders non-functional CAs by location, then SKI.
func CompareNonFunctionalCA(a, b NonFunctionalCA) int {
	if c := strings.Compare(a.Location, b.Location); c != 0 {
		return c
	}
	return strings.Compare(a.SKI, b.SKI)
}

// CompareRepo orders repositories by caRepository URI, then notify URI.
func CompareRepo(a, b RepoStats) int {
	if c := strings.Compare(a.CARepository, b.CARepository); c != 0 {
		return c
	}
	return strings.Compare(a.Notify, b.Notify)
}
