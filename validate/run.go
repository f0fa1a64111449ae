package validate

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/tally-rpki/tally/validate/object"
)

// Run validates the RPKI below the trust anchors of cfg.TALs as of
// cfg.Now. It syncs each repository once through syncer, reads files
// through store, promotes each fresh publication point that validated, and
// returns the sorted, de-duplicated payloads with the counters and the
// warnings, each naming a file and a rule. Bad objects, bad TALs and failed
// repositories are counted and warned about; only an operational fault
// (from syncer, store or ctx) makes Run fail, and then it returns no Result.
func Run(ctx context.Context, cfg Config, syncer Syncer, store Store) (*Result, error) {
	if cfg.Now.IsZero() {
		// Every certificate would be "not yet valid": a wiring bug, not input.
		return nil, errors.New("validate: Config.Now is not set")
	}
	w := &walker{
		k:       checker{now: cfg.Now, overclaim: cfg.Overclaim, maxDepth: cfg.maxDepth(), memo: cfg.Memo},
		workers: cfg.workers(),
		syncs:   cfg.syncs(),
		syncer:  syncer,
		store:   store,
		log:     cfg.Log,

		progress: cfg.Progress,
	}
	agg := newAggregate(cfg.TALs)
	agg.log = cfg.Log
	// The TAs are fetched at once (each is a round trip to another
	// RIR), then taken in TAL order.
	loaded := make([]taLoad, len(cfg.TALs))
	var g errgroup.Group
	for i := range cfg.TALs {
		g.Go(func() error {
			loaded[i] = w.loadTA(ctx, &cfg.TALs[i])
			return loaded[i].err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var roots []*CA
	for i, l := range loaded {
		agg.tas[agg.taIndex[cfg.TALs[i].Name]].Stats.Add(l.stats)
		for _, msg := range l.warnings {
			agg.warn(msg)
		}
		if l.ca == nil {
			agg.invalidTALs++
			continue
		}
		roots = append(roots, l.ca)
	}
	if err := w.walk(ctx, roots, agg); err != nil {
		return nil, err
	}
	if cfg.Walked != nil {
		refs := make([]RepoRef, 0, len(agg.repos))
		for k := range agg.repos {
			refs = append(refs, RepoRef{CARepository: k.rsync, Notify: k.notify})
		}
		cfg.Walked(refs)
	}
	return agg.result(cfg.UnsafeVRPs, w.workers), nil
}

// taLoad is what loadTA found for one TAL.
type taLoad struct {
	ca       *CA // nil: the TAL gave no valid TA certificate
	stats    Stats
	warnings []string
	err      error // an operational fault that stops the run
}

// loadTA parses a TAL and returns the CA of the first of its URIs that
// gives a valid TA certificate, fresh or from the validated store. A TAL
// that gives none returns no CA, and a warning saying so.
func (w *walker) loadTA(ctx context.Context, tf *TALFile) taLoad {
	var l taLoad
	tal, err := object.ParseTAL(tf.Data)
	if err != nil {
		l.warnings = append(l.warnings, fmt.Sprintf("%s: %v", tf.Path, err))
		return l
	}
	for _, uri := range tal.URIs {
		fresh, err := w.syncer.Sync(ctx, "", uri)
		if err != nil {
			l.err = err
			return l
		}
		reads := []func(string) ([]byte, error){w.store.ValidTA}
		if fresh {
			reads = []func(string) ([]byte, error){w.store.Fresh, w.store.ValidTA}
		}
		for i, read := range reads {
			ca, err := w.tryTA(uri, tf.Name, tal, read)
			switch {
			case err == nil && (i > 0 || !fresh):
				l.stats[KindCert].FromCache++
				l.ca = ca
				return l
			case err == nil:
				l.stats[KindCert].Valid++
				if err := w.store.KeepTA(uri, ca.Cert.Raw); err != nil {
					l.err = fmt.Errorf("%s: keeping the TA certificate: %w", uri, err)
					return l
				}
				l.ca = ca
				return l
			case errors.Is(err, fs.ErrNotExist):
			case errors.Is(err, object.ErrMalformed):
				l.stats[KindCert].FailedParse++
				l.warnings = append(l.warnings, fmt.Sprintf("%s: %v", uri, err))
			case errors.Is(err, ErrInvalid):
				l.stats[KindCert].Invalid++
				l.warnings = append(l.warnings, fmt.Sprintf("%s: %v", uri, err))
			default:
				l.err = fmt.Errorf("%s: %w", uri, err)
				return l
			}
		}
	}
	l.warnings = append(l.warnings, fmt.Sprintf("%s: RFC 8630 §3: no valid TA certificate at any URI", tf.Path))
	return l
}

// tryTA reads, parses and validates the TA certificate at uri.
func (w *walker) tryTA(uri, name string, tal *object.TAL, read func(string) ([]byte, error)) (*CA, error) {
	data, err := read(uri)
	if err != nil {
		return nil, err
	}
	c, err := object.ParseCert(data)
	if err != nil {
		return nil, err
	}
	return w.k.validateTA(c, object.FileHash(data), uri, name, tal)
}

// aggregate is the coordinator's sum of everything the point jobs
// returned. Only the coordinator touches it.
type aggregate struct {
	taIndex       map[string]int
	tas           []TAStats
	repos         map[repoKey]*RepoStats
	vrpParts      [][]VRP // one per publication point, joined once at the end
	vrps          []VRP   // set by result
	aspas         []ASPA
	keys          []RouterKey
	nonFunctional []NonFunctionalCA
	rejected      []object.Resources
	warnings      []string
	unknown       int
	invalidTALs   int
	log           *slog.Logger // nil: no logging
}

// newAggregate starts the sums with one TAStats per TAL, in TAL order.
func newAggregate(tals []TALFile) *aggregate {
	a := &aggregate{taIndex: make(map[string]int), repos: make(map[repoKey]*RepoStats)}
	for _, t := range tals {
		a.taIndex[t.Name] = len(a.tas)
		a.tas = append(a.tas, TAStats{Name: t.Name, TALFile: t.Path})
	}
	return a
}

// warn records a warning of the coordinator's own and logs it. Warnings of
// point jobs were logged by the job and come in through merge.
func (a *aggregate) warn(msg string) {
	a.warnings = append(a.warnings, msg)
	if a.log != nil {
		a.log.Warn(msg)
	}
}

// repo returns the stats of a repository, creating them.
func (a *aggregate) repo(key repoKey) *RepoStats {
	r := a.repos[key]
	if r == nil {
		r = &RepoStats{CARepository: key.rsync, Notify: key.notify, State: "synced"}
		a.repos[key] = r
	}
	return r
}

// synced records how the sync of a repository went.
func (a *aggregate) synced(key repoKey, fresh bool) {
	if r := a.repo(key); !fresh {
		r.State = "failed"
	}
}

// merge adds the result of one publication point.
func (a *aggregate) merge(r pointResult) {
	ta := &a.tas[a.taIndex[r.ca.TA]]
	ta.Stats.Add(r.stats)
	ta.Payloads.VRPs += len(r.vrps)
	ta.Payloads.VAPs += len(r.aspas)
	repo := a.repo(repoKey{r.ca.Cert.Notify, r.ca.Cert.CARepository})
	i := slices.IndexFunc(repo.TAs, func(t RepoTAStats) bool { return t.TA == r.ca.TA })
	if i < 0 {
		repo.TAs = append(repo.TAs, RepoTAStats{TA: r.ca.TA})
		i = len(repo.TAs) - 1
	}
	repo.ExtraFiles += r.extra
	repo.TAs[i].Stats.Add(r.stats)
	repo.TAs[i].Payloads.VRPs += len(r.vrps)
	repo.TAs[i].Payloads.VAPs += len(r.aspas)
	if len(r.vrps) > 0 {
		// Kept as they come: growing one slice of every VRP would copy
		// (and fault in) the whole set again and again on the coordinator.
		a.vrpParts = append(a.vrpParts, r.vrps)
	}
	a.aspas = append(a.aspas, r.aspas...)
	a.keys = append(a.keys, r.keys...)
	a.rejected = append(a.rejected, r.rejected...)
	a.warnings = append(a.warnings, r.warnings...)
	a.unknown += r.unknown
	if r.nonFunctional {
		a.nonFunctional = append(a.nonFunctional, NonFunctionalCA{
			Location:     strings.TrimPrefix(r.ca.URI, "rsync://"),
			TA:           r.ca.TA,
			CARepository: r.ca.Cert.CARepository,
			Manifest:     r.ca.Cert.Manifest,
			SKI:          strings.ToUpper(hex.EncodeToString(r.ca.Cert.SKI)),
		})
	}
}

// result sorts and de-duplicates what the walk found into a Result, the
// VRPs on up to ways goroutines.
func (a *aggregate) result(unsafe UnsafeVRPs, ways int) *Result {
	names := make([]string, len(a.tas))
	for i, t := range a.tas {
		names[i] = t.Name
	}
	order := ByTALOrder(names)
	a.vrps = joinVRPs(a.vrpParts, order, ways)
	a.vrpParts = nil
	vrps := a.filterUnsafe(unsafe) // keeps the order
	res := &Result{VRPTotal: len(vrps), ASPATotal: len(a.aspas), TALCount: len(a.tas), InvalidTALs: a.invalidTALs}
	res.VRPs = compactVRPs(vrps)
	res.ASPAs, res.ASPAOverflowed = MergeASPAs(a.aspas, order)
	res.RouterKeys = DedupRouterKeys(a.keys, order)
	for _, v := range res.VRPs {
		a.tas[a.taIndex[v.TA]].Payloads.UniqueVRPs++
	}
	for _, v := range res.ASPAs {
		a.tas[a.taIndex[v.TA]].Payloads.UniqueVAPs++
		a.tas[a.taIndex[v.TA]].Payloads.VAPProviders += len(v.Providers)
	}
	res.TAs = a.tas
	for _, t := range a.tas {
		res.Stats.Add(t.Stats)
	}
	if len(a.repos) > 0 {
		res.Repos = make([]RepoStats, 0, len(a.repos))
	}
	for _, r := range a.repos {
		slices.SortFunc(r.TAs, func(x, y RepoTAStats) int { return a.taIndex[x.TA] - a.taIndex[y.TA] })
		res.Repos = append(res.Repos, *r)
	}
	slices.SortFunc(res.Repos, CompareRepo)
	res.NonFunctional = a.nonFunctional
	slices.SortFunc(res.NonFunctional, CompareNonFunctionalCA)
	if a.unknown > 0 {
		a.warn(fmt.Sprintf("%d files of unknown type skipped", a.unknown))
	}
	res.Warnings = a.warnings
	slices.Sort(res.Warnings)
	return res
}
