// Command tally is an RPKI relying party: it brings a local cache of the
// RPKI up to date, validates it from the trust anchors down and writes the
// Validated ROA Payloads, ASPA payloads and BGPsec router keys in the formats
// rpki-client writes, then exits. See man/tally.8.
package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/tally-rpki/tally/cache"
	"github.com/tally-rpki/tally/fetch"
	"github.com/tally-rpki/tally/fetch/rsync"
	"github.com/tally-rpki/tally/output"
	"github.com/tally-rpki/tally/validate"
	"github.com/tally-rpki/tally/validate/object"
	"github.com/tally-rpki/tally/validate/tals"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "0.1.0-dev"

// Exit statuses, as documented in man/tally.8 and README.md.
const (
	exitOK        = 0 // outputs written
	exitFatal     = 1 // fatal error: nothing replaced
	exitUsage     = 2 // bad command line
	exitDropGuard = 3 // --max-vrp-drop tripped: nothing replaced
)

// Defaults follow the Debian conventions for a system daemon's state.
const (
	defaultOutputDir = "/var/lib/tally"
	defaultCacheDir  = "/var/cache/tally"
	defaultTimeout   = 3600 // seconds, as rpki-client
)

// usageError marks a bad command line: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// defaultMemoryLimit is the Go runtime's soft memory limit when
// GOMEMLIMIT is not set: garbage is collected harder as the heap nears
// it, rather than letting it grow to twice the live data. A run over the
// whole RPKI holds about 200 MiB live; 448 MiB keeps its resident size
// under 512 MiB, the budget of the small machines validators run on.
const defaultMemoryLimit = 448 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	// Huge pages for as much heap as the memory limit allows (at most
	// 1 GiB): a speed-up only, so a kernel without them is no error.
	hugeHeap(int(min(debug.SetMemoryLimit(-1), 1<<30)))
	// TALLY_CPUPROFILE=FILE writes a CPU profile of the run, for go tool
	// pprof: how the benchmark figures are investigated.
	if p := os.Getenv("TALLY_CPUPROFILE"); p != "" {
		if f, err := os.Create(p); err == nil && pprof.StartCPUProfile(f) == nil {
			status := run(context.Background(), os.Args, os.Stdout, os.Stderr)
			pprof.StopCPUProfile()
			f.Close()
			os.Exit(status)
		}
	}
	os.Exit(run(context.Background(), os.Args, os.Stdout, os.Stderr))
}

// writeHeapProfile writes, when TALLY_MEMPROFILE=FILE is set, a heap
// profile taken once validation has ended, when the most is held: how the
// memory figures are investigated.
func writeHeapProfile(log *slog.Logger) {
	p := os.Getenv("TALLY_MEMPROFILE")
	if p == "" {
		return
	}
	f, err := os.Create(p)
	if err == nil {
		err = errors.Join(pprof.WriteHeapProfile(f), f.Close())
	}
	if err != nil {
		log.Warn("heap profile not written", "file", p, "err", err)
	}
}

// run does all of main's work and returns the exit status, so its defers
// (temporary outputs, the cache lock) have run before main calls os.Exit.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	app := newApp(stdout, stderr)
	// Left nil, urfave/cli exits by itself on an ExitCoder, skipping the defers.
	app.ExitErrHandler = func(*cli.Context, error) {}
	if err := app.RunContext(ctx, args); err != nil {
		fmt.Fprintf(stderr, "tally: %v\n", err)
		return exitStatus(err)
	}
	return exitOK
}

// exitStatus maps an error from the app to the documented exit status.
func exitStatus(err error) int {
	var u *usageError
	var s *statusError
	switch {
	case errors.As(err, &u):
		return exitUsage
	case errors.As(err, &s):
		return s.status
	default:
		return exitFatal
	}
}

// statusError carries an exit status other than the default for an error
// (tally inspect's "some file is not valid").
type statusError struct {
	status int
	err    error
}

func (e *statusError) Error() string { return e.err.Error() }
func (e *statusError) Unwrap() error { return e.err }

// onUsageError turns urfave/cli's flag parsing errors into one-line usage errors.
func onUsageError(_ *cli.Context, err error, _ bool) error {
	return usagef("%v", err)
}

func newApp(stdout, stderr io.Writer) *cli.App {
	return &cli.App{
		Name:                   "tally",
		Usage:                  "validate the RPKI and write VRPs, ASPAs and BGPsec keys",
		UsageText:              "tally [flags] [OUTPUTDIR]\ntally inspect [--json] [-d DIR] FILE|URI...\ntally version",
		Version:                version,
		HideVersion:            true,
		Writer:                 stdout,
		ErrWriter:              stderr,
		UseShortOptionHandling: true,
		OnUsageError:           onUsageError,
		Flags:                  runFlags(),
		Action:                 runAction,
		Commands: []*cli.Command{
			{
				Name:         "inspect",
				Usage:        "decode RPKI objects and print their fields",
				ArgsUsage:    "FILE|URI...",
				OnUsageError: onUsageError,
				Flags: []cli.Flag{
					&cli.BoolFlag{Name: "json", Usage: "print one JSON object per file"},
					&cli.StringFlag{Name: "cache-dir", Aliases: []string{"d"}, Value: defaultCacheDir,
						Usage: "cache `DIR` where rsync:// URIs are looked up (validated copies)"},
				},
				Action: inspectAction,
			},
			{
				Name:  "version",
				Usage: "print the version and exit",
				Action: func(c *cli.Context) error {
					fmt.Fprintf(c.App.Writer, "tally %s\n", version)
					return nil
				},
			},
		},
	}
}

// runFlags declares the flags of the main job. Their meaning is documented
// in man/tally.8; keep the two in step.
func runFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "tal", Aliases: []string{"t"}, Usage: "trust anchor locator `FILE` (repeatable; replaces the built-in TALs)"},
		&cli.StringFlag{Name: "cache-dir", Aliases: []string{"d"}, Value: defaultCacheDir, Usage: "cache `DIR`"},
		&cli.BoolFlag{Name: "no-fetch", Aliases: []string{"n"}, Usage: "validate the cache as it is, without network access"},
		&cli.BoolFlag{Name: "rsync-only", Aliases: []string{"R"}, Usage: "fetch with rsync only: no RRDP, no https"},
		&cli.BoolFlag{Name: "no-aspa", Aliases: []string{"A"}, Usage: "leave ASPA out of the outputs (for BIRD before 2.16 and OpenBGPD 7.7)"},
		&cli.BoolFlag{Name: "json", Aliases: []string{"j"}, Usage: "write the json output"},
		&cli.BoolFlag{Name: "csv", Aliases: []string{"c"}, Usage: "write the csv output"},
		&cli.BoolFlag{Name: "bird", Aliases: []string{"B"}, Usage: "write the bird, bird1v4 and bird1v6 outputs"},
		&cli.BoolFlag{Name: "openbgpd", Aliases: []string{"o"}, Usage: "write the openbgpd output"},
		&cli.BoolFlag{Name: "metrics", Aliases: []string{"m"}, Usage: "write the metrics output"},
		&cli.IntFlag{Name: "workers", Aliases: []string{"p"}, Value: runtime.NumCPU(), Usage: "validation workers `N` (1-128)"},
		&cli.IntFlag{Name: "timeout", Aliases: []string{"s"}, Value: defaultTimeout, Usage: "whole-run limit in `SECONDS` (0: none)"},
		&cli.StringFlag{Name: "time", Aliases: []string{"P"}, Usage: "validate as of `TIME` (Unix seconds or RFC 3339)"},
		&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Count: new(int), Usage: "more output (repeatable)"},
		&cli.StringFlag{Name: "overclaim", Value: "reject", Usage: "certificates claiming resources their issuer lacks: `reject|trim`"},
		&cli.StringFlag{Name: "unsafe-vrps", Value: "accept", Usage: "VRPs overlapping rejected CAs: `accept|warn|reject`"},
		&cli.BoolFlag{Name: "no-memo", Usage: "verify every signature; neither read nor write the signature memo"},
		&cli.Float64Flag{Name: "max-vrp-drop", Usage: "refuse to replace outputs if a TA lost more than `PERCENT` of its VRPs (0: off)"},
	}
}

// options is the validated command line of the main job.
type options struct {
	tals       []string
	cacheDir   string
	outputDir  string
	noFetch    bool
	rsyncOnly  bool
	noASPA     bool
	noMemo     bool
	formats    []string
	workers    int
	timeout    time.Duration
	now        time.Time
	verbosity  int
	overclaim  string
	unsafeVRPs string
	maxDrop    float64
}

// parseOptions checks every flag value; a bad one is a usage error naming the flag.
func parseOptions(c *cli.Context) (*options, error) {
	o := &options{
		tals:       c.StringSlice("tal"),
		cacheDir:   c.String("cache-dir"),
		outputDir:  defaultOutputDir,
		noFetch:    c.Bool("no-fetch"),
		rsyncOnly:  c.Bool("rsync-only"),
		noASPA:     c.Bool("no-aspa"),
		noMemo:     c.Bool("no-memo"),
		workers:    c.Int("workers"),
		verbosity:  c.Count("verbose"),
		overclaim:  c.String("overclaim"),
		unsafeVRPs: c.String("unsafe-vrps"),
		maxDrop:    c.Float64("max-vrp-drop"),
	}
	switch c.NArg() {
	case 0:
	case 1:
		o.outputDir = c.Args().First()
	default:
		return nil, usagef("too many arguments: want at most one OUTPUTDIR, got %d", c.NArg())
	}
	if o.workers < 1 || o.workers > 128 {
		return nil, usagef("--workers: %d is not between 1 and 128", o.workers)
	}
	timeout := c.Int("timeout")
	if timeout < 0 {
		return nil, usagef("--timeout: %d is negative", timeout)
	}
	o.timeout = time.Duration(timeout) * time.Second
	if o.overclaim != "reject" && o.overclaim != "trim" {
		return nil, usagef("--overclaim: %q is not reject or trim", o.overclaim)
	}
	switch o.unsafeVRPs {
	case "accept", "warn", "reject":
	default:
		return nil, usagef("--unsafe-vrps: %q is not accept, warn or reject", o.unsafeVRPs)
	}
	if o.maxDrop < 0 || o.maxDrop > 100 {
		return nil, usagef("--max-vrp-drop: %v is not a percentage between 0 and 100", o.maxDrop)
	}
	if s := c.String("time"); s != "" {
		t, err := parseTime(s)
		if err != nil {
			return nil, usagef("--time: %v", err)
		}
		o.now = t
	}
	for _, f := range []string{"json", "csv", "bird", "openbgpd", "metrics"} {
		if c.Bool(f) {
			o.formats = append(o.formats, f)
		}
	}
	return o, nil
}

// parseTime reads a validation time given as Unix seconds or RFC 3339.
func parseTime(s string) (time.Time, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 {
			return time.Time{}, fmt.Errorf("%q is before 1970", s)
		}
		return time.Unix(n, 0).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither Unix seconds nor RFC 3339 (2006-01-02T15:04:05Z)", s)
	}
	return t.UTC(), nil
}

func runAction(c *cli.Context) error {
	start := time.Now()
	o, err := parseOptions(c)
	if err != nil {
		return err
	}
	pinned := !o.now.IsZero() // --time: validation and build time are that time
	if !pinned {
		o.now = start.UTC()
	}
	cfg, err := o.config(c.App.ErrWriter)
	if err != nil {
		return err
	}
	formats, err := o.outputFormats()
	if err != nil {
		return err
	}
	// Fail now rather than after an hour of fetching.
	if o.outputDir != stdoutTarget {
		if fi, err := os.Stat(o.outputDir); err != nil || !fi.IsDir() {
			if err == nil {
				err = errors.New("not a directory")
			}
			return fmt.Errorf("output directory %s: %w", o.outputDir, err)
		}
	}
	lock, err := cache.Open(o.cacheDir)
	if err != nil {
		return err // another run holds the cache: its outputs are its own
	}
	defer lock.Close()
	last, err := lock.LoadRunState()
	if err != nil {
		// Our own state file, damaged: the guard has nothing to compare with
		// this time, which is said rather than hidden.
		cfg.Log.Warn("drop guard: no usable state of the last run", "err", err)
		last = nil
	}
	r := &runner{c: c, o: o, cfg: cfg, formats: formats, lock: lock, last: last, start: start, pinned: pinned}
	res, err := r.run()
	if err != nil {
		r.failureMetrics(res, err)
	}
	return err
}

// stdoutTarget as OUTPUTDIR writes the one selected format to stdout.
const stdoutTarget = "-"

// runner is one run of the main job, from the locked cache to the outputs.
type runner struct {
	c       *cli.Context
	o       *options
	cfg     validate.Config
	formats []output.Format
	lock    *cache.Cache
	last    *cache.RunState // of the last successful run; nil if none
	start   time.Time
	pinned  bool // --time given
}

// run syncs, validates and writes the outputs. The result is returned
// even with an error when validation got that far.
func (r *runner) run() (*validate.Result, error) {
	o, cfg := r.o, r.cfg
	ctx := r.c.Context
	if o.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, o.timeout,
			fmt.Errorf("run timeout of %s passed (--timeout)", o.timeout))
		defer cancel()
	}
	fc := fetch.Config{Offline: o.noFetch, NoRRDP: o.rsyncOnly, Now: time.Now, Log: cfg.Log}
	if o.timeout > 0 {
		// DESIGN.md §3: no repository may take more than a quarter of the
		// run, and syncing stops at 7/8 of it so validation can finish
		// from the cache.
		fc.RepoTimeout = o.timeout / 4
		fc.StopAt = r.start.Add(o.timeout / 8 * 7)
	}
	if !o.noFetch {
		cfg.Syncs = fetch.MaxHTTPS + fetch.MaxRsync // the fetcher bounds each kind
	}
	client := fetch.New(r.lock, fc)
	if !o.noMemo {
		cfg.Memo = r.loadMemo()
	}
	if p := newProgress(r.c.App.ErrWriter, client); p != nil {
		cfg.Progress = p.objects
		defer p.stop()
	}
	// Once the walk is over, what is left to allocate is bounded by the
	// result (the VRPs joined and sorted, the outputs): collecting
	// garbage then only slows the end of the run, so from there on the
	// collector runs only near the memory limit. The sweep needs only the
	// repositories reached, so it runs while Run sorts the payloads:
	// after an online run, unless the drop guard (which must pass before
	// anything is removed) is on.
	var early chan sweepResult
	restoreGC := func() {}
	defer func() { restoreGC() }()
	cfg.Walked = func(repos []validate.RepoRef) {
		gcPercent := debug.SetGCPercent(-1)
		restoreGC = func() { debug.SetGCPercent(gcPercent) }
		if !o.noFetch && o.maxDrop == 0 {
			early = make(chan sweepResult, 1)
			go func() { early <- r.sweep(cfg.TALs, repos) }()
		}
	}
	res, err := validate.Run(ctx, cfg, client, client)
	if err != nil {
		if early != nil {
			<-early // the cache stays locked until the sweep is done
		}
		return nil, err
	}
	cfg.Log.Info("validated", "elapsed", time.Since(r.start).Round(time.Millisecond))
	// The memo holds only signatures that verified, which stay true
	// whatever the rest of the run does, so it is written while the
	// cache is swept and the outputs are written (not at all when the
	// run used every entry and added none); the run waits for it on
	// every way out, before the cache is unlocked.
	saveMemo := func() error { return nil }
	if cfg.Memo != nil && !cfg.Memo.Unchanged() {
		saved := make(chan error, 1)
		go func() { saved <- r.lock.SaveMemo(cfg.Memo.Bytes()) }()
		saveMemo = sync.OnceValue(func() error { return <-saved })
		defer saveMemo()
	}
	writeHeapProfile(cfg.Log)
	facts := client.Repos()
	applyFacts(res, facts)
	logFacts(cfg.Log, facts)
	res.Metadata = r.metadata()
	if o.maxDrop > 0 && r.last != nil {
		if err := validate.CheckDrop(r.last.VRPs, res, o.maxDrop); err != nil {
			return res, &statusError{status: exitDropGuard, err: err}
		}
	}
	if !o.noFetch {
		// Only after a complete online run: every repository in use was
		// reached, so what is not in use can go.
		var sw sweepResult
		if early != nil {
			sw = <-early
		} else {
			sw = r.sweep(cfg.TALs, repoRefs(res))
		}
		if sw.err != nil {
			return res, sw.err
		}
		removed := sw.removed
		res.Metadata.CacheDeletedFiles = removed
		cfg.Log.Info("cache swept: removed files no repository in use references", "files", removed,
			"elapsed", time.Since(r.start).Round(time.Millisecond))
	}
	// One flush for every file the run wrote into the cache (promotions
	// skip fsync), before the state that says the run succeeded.
	if err := r.lock.Flush(); err != nil {
		return res, err
	}
	if o.outputDir == stdoutTarget {
		err = r.formats[0].Write(r.c.App.Writer, res)
	} else {
		err = output.Write(ctx, o.outputDir, r.formats, res)
	}
	if err != nil {
		return res, err
	}
	if err := r.lock.SaveRunState(&cache.RunState{Time: res.Metadata.BuildTime, VRPs: validate.VRPCounts(res)}); err != nil {
		return res, err
	}
	if err := saveMemo(); err != nil {
		return res, err
	}
	if cfg.Memo != nil {
		hits, misses := cfg.Memo.Stats()
		cfg.Log.Info("signature memo", "answered", hits, "verified", misses)
	}
	if o.verbosity > 0 {
		r.summary(res)
	}
	return res, nil
}

// metadata is the run's metadata once validation has ended: the build time
// is taken then, as rpki-client does, unless --time pinned it.
func (r *runner) metadata() validate.Metadata {
	m := r.o.metadata(r.cfg, r.start)
	if !r.pinned {
		m.BuildTime = time.Now().UTC()
	}
	return m
}

// loadMemo reads the signature memo from the cache. A missing, unreadable
// or damaged memo is an empty one: it only ever saves time.
func (r *runner) loadMemo() *validate.Memo {
	data, err := r.lock.LoadMemo()
	if err != nil {
		r.cfg.Log.Warn("signature memo unreadable, verifying every signature", "err", err)
	}
	m, err := validate.LoadMemo(data)
	switch {
	case errors.Is(err, validate.ErrMemoVersion):
		r.cfg.Log.Info("signature memo of another version of tally, verifying every signature")
	case err != nil:
		r.cfg.Log.Warn("signature memo damaged, verifying every signature", "err", err)
	}
	return m
}

// summary prints, for -v, one line per repository and a closing line.
func (r *runner) summary(res *validate.Result) {
	// One write for the lot: a line per repository is tens of thousands
	// of lines on the real RPKI.
	w := bufio.NewWriterSize(r.c.App.ErrWriter, 64<<10)
	defer w.Flush()
	failed := 0
	for i := range res.Repos {
		rp := &res.Repos[i]
		if !rp.Synced() {
			failed++
		}
		fmt.Fprintf(w, "tally: repository %s%s: %s via %s in %s, %d objects\n", rp.CARepository,
			cond(rp.Notify != "", " ("+rp.Notify+")"), rp.State, cond(rp.Protocol != "", rp.Protocol, "-"),
			rp.Duration.Round(time.Millisecond), rp.Objects)
	}
	fmt.Fprintf(w, "tally: %d VRPs (%d unique), %d ASPAs, %d router keys from %d TALs; %d repositories, %d failed; %s\n",
		res.VRPTotal, len(res.VRPs), len(res.ASPAs), len(res.RouterKeys), len(r.cfg.TALs),
		len(res.Repos), failed, time.Since(r.start).Round(time.Millisecond))
}

// cond returns a if ok, else the optional b.
func cond(ok bool, a string, b ...string) string {
	if ok {
		return a
	}
	if len(b) > 0 {
		return b[0]
	}
	return ""
}

// failureMetrics writes the metrics file of a failed run, atomically and
// alone (every other output stays as it was), so a dashboard sees the
// failure: the exit status, the start, and the last success. It does
// nothing unless the metrics format is selected and written to a
// directory, and it runs even after a signal or the run timeout.
func (r *runner) failureMetrics(res *validate.Result, cause error) {
	if r.o.outputDir == stdoutTarget {
		return
	}
	i := slices.IndexFunc(r.formats, func(f output.Format) bool { return f.Name == "metrics" })
	if i < 0 {
		return
	}
	if res == nil {
		res = &validate.Result{Metadata: r.metadata()}
	}
	res.Metadata.ExitStatus = exitStatus(cause)
	res.Metadata.LastSuccess = time.Unix(0, 0).UTC() // never, unless a success is on record
	if r.last != nil {
		res.Metadata.LastSuccess = r.last.Time
	}
	ctx := context.WithoutCancel(r.c.Context)
	if err := output.Write(ctx, r.o.outputDir, r.formats[i:i+1], res); err != nil {
		r.cfg.Log.Error("writing the metrics of the failed run", "err", err)
	}
}

// progress keeps one line on a terminal's stderr up to date while a run
// works: repository syncs done and publication points validated. It is
// shown only when stderr is a terminal, never under cron or in a pipe.
type progress struct {
	w      io.Writer
	client *fetch.Client
	points atomic.Int64
	done   chan struct{}
	exited chan struct{}
}

// progressEvery is how often the line is redrawn.
const progressEvery = 250 * time.Millisecond

// newProgress starts the display, or returns nil when w is not a terminal.
func newProgress(w io.Writer, client *fetch.Client) *progress {
	f, ok := w.(*os.File)
	if !ok {
		return nil
	}
	if fi, err := f.Stat(); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	p := &progress{w: w, client: client, done: make(chan struct{}), exited: make(chan struct{})}
	go p.loop()
	return p
}

func (p *progress) loop() {
	defer close(p.exited)
	t := time.NewTicker(progressEvery)
	defer t.Stop()
	for {
		select {
		case <-p.done:
			fmt.Fprint(p.w, "\r\033[K") // leave the terminal as it was
			return
		case <-t.C:
			fmt.Fprintf(p.w, "\r\033[Ktally: %d repository syncs, %d publication points validated",
				p.client.Syncs(), p.points.Load())
		}
	}
}

// objects is validate.Config.Progress.
func (p *progress) objects(points int) { p.points.Store(int64(points)) }

// stop erases the line and ends the display.
func (p *progress) stop() {
	close(p.done)
	<-p.exited
}

// applyFacts fills each repository's protocol, state and transfer
// figures from what the fetcher did: the RRDP sync of its notification
// URI if it succeeded, else the rsync sync of its module (after a failed
// RRDP one, whose time is added), else how the cache was read.
func applyFacts(res *validate.Result, facts []fetch.RepoFact) {
	byURI := make(map[string][]fetch.RepoFact, len(facts))
	for _, f := range facts {
		byURI[f.URI] = append(byURI[f.URI], f)
	}
	for i := range res.Repos {
		r := &res.Repos[i]
		var tried []fetch.RepoFact
		if r.Notify != "" {
			tried = append(tried, byURI[r.Notify]...)
		}
		rrdpOK := slices.ContainsFunc(tried, func(f fetch.RepoFact) bool {
			return f.Protocol == fetch.ProtoRRDP && f.State == fetch.StateOK
		})
		if !rrdpOK {
			// rsync served it (or failed to); an rsync of the module for
			// another CA has nothing to do with a repository RRDP served.
			tried = append(tried, byURI[rsync.Base(r.CARepository)]...)
		}
		if len(tried) == 0 {
			continue
		}
		// The sync that served the repository: its RRDP one if that
		// worked (another CA's rsync fallback for the same module may be
		// listed too), else the first that did, else the last tried.
		last, served := tried[len(tried)-1], false
		for _, f := range tried {
			r.Duration += f.Duration
			r.Bytes += f.Bytes
			r.Objects += int64(f.Objects)
			if !served && f.State == fetch.StateOK && f.Protocol != fetch.ProtoFallback {
				last, served = f, true
			}
		}
		switch last.Protocol {
		case fetch.ProtoRRDP, fetch.ProtoRsync, fetch.ProtoHTTPS, fetch.ProtoCache:
			r.Protocol = last.Protocol
		case fetch.ProtoFallback:
			r.Protocol = fetch.ProtoRsync
		}
		if last.State == fetch.StateTimeout && !r.Synced() {
			r.State = "timeout"
		}
	}
}

// logFacts logs one line per repository sync that failed: the URI, the
// protocol (fallback: RRDP failed and rsync was tried next), the state
// and why.
func logFacts(log *slog.Logger, facts []fetch.RepoFact) {
	for _, f := range facts {
		if f.State == fetch.StateOK {
			continue
		}
		log.Warn("repository sync failed; validating from the cache", "uri", f.URI, "protocol", f.Protocol,
			"state", f.State, "err", f.Err)
	}
}

// sweepResult is what a sweep of the cache did.
type sweepResult struct {
	removed int
	err     error
}

// sweep removes from the cache what the repositories reached (repos) and
// the TALs no longer use.
func (r *runner) sweep(tals []validate.TALFile, repos []validate.RepoRef) sweepResult {
	keep, validKeep := keeper(tals, repos)
	removed, err := r.lock.Sweep(keep, validKeep)
	return sweepResult{removed, err}
}

// repoRefs lists the repositories of res.
func repoRefs(res *validate.Result) []validate.RepoRef {
	refs := make([]validate.RepoRef, len(res.Repos))
	for i, rp := range res.Repos {
		refs[i] = validate.RepoRef{CARepository: rp.CARepository, Notify: rp.Notify}
	}
	return refs
}

// keeper decides, for Sweep after a complete online run, which cache
// files are still in use: the RRDP repositories and rsync modules of the
// repositories reached, the TA certificates of the TALs, and in the
// validated store the publication points reached. validKeep fingerprints
// that last set, so Sweep can tell when the validated store needs no walk.
func keeper(tals []validate.TALFile, repos []validate.RepoRef) (keep func(cache.Area, string) bool, validKeep string) {
	rrdpDirs := make(map[string]bool)
	modules := make(map[string]bool)
	points := make(map[string]bool)
	tas := make(map[string]bool)
	// Tens of thousands of repositories share a few notification URIs
	// and rsync modules: each of those is converted once.
	notifies := make(map[string]bool)
	bases := make(map[string]bool)
	for _, r := range repos {
		if !notifies[r.Notify] {
			notifies[r.Notify] = true
			if u, err := cache.ParseURI(r.Notify); err == nil {
				rrdpDirs[cache.RRDPDir(u.String())] = true // the fetcher's name for it
			}
		}
		if b := rsync.Base(r.CARepository); !bases[b] {
			bases[b] = true
			if u, err := cache.ParseURI(b); err == nil {
				modules[u.Path()] = true
			}
		}
		if u, err := cache.ParseURI(r.CARepository); err == nil {
			points[u.Path()] = true
		}
	}
	for _, t := range tals {
		tal, err := object.ParseTAL(t.Data)
		if err != nil {
			continue
		}
		for _, uri := range tal.URIs {
			for _, p := range fetch.TAPaths(uri) {
				tas[p] = true
			}
		}
	}
	names := slices.Sorted(maps.Keys(points))
	h := sha256.New()
	for _, n := range names {
		h.Write([]byte(n))
		h.Write([]byte{0})
	}
	validKeep = "valid points v1 " + hex.EncodeToString(h.Sum(nil))
	keep = func(area cache.Area, rel string) bool {
		switch area {
		case cache.AreaRRDP: // asked once per repository (cache.Sweep)
			return rrdpDirs[rel]
		case cache.AreaRsync:
			for dir := path.Dir(rel); dir != "." && dir != "/"; dir = path.Dir(dir) {
				if modules[dir] {
					return true
				}
			}
			return false
		case cache.AreaTA:
			return tas[rel]
		case cache.AreaValid:
			return points[path.Dir(rel)]
		}
		return true
	}
	return keep, validKeep
}

// config builds the validation configuration: the TALs given with -t, in
// that order, or the built-in ones sorted by name.
func (o *options) config(logTo io.Writer) (validate.Config, error) {
	cfg := validate.Config{
		Now:        o.now,
		Workers:    o.workers,
		Overclaim:  validate.OverclaimReject,
		UnsafeVRPs: validate.UnsafeAccept,
		Log:        slog.New(slog.NewTextHandler(logTo, &slog.HandlerOptions{Level: o.logLevel()})),
	}
	if o.overclaim == "trim" {
		cfg.Overclaim = validate.OverclaimTrim
	}
	switch o.unsafeVRPs {
	case "warn":
		cfg.UnsafeVRPs = validate.UnsafeWarn
	case "reject":
		cfg.UnsafeVRPs = validate.UnsafeReject
	}
	if len(o.tals) == 0 {
		for _, f := range tals.Builtin() {
			cfg.TALs = append(cfg.TALs, validate.TALFile{Name: validate.TAName(f.Name), Path: f.Name, Data: f.Data})
		}
		return cfg, nil
	}
	for _, path := range o.tals {
		data, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("--tal: %w", err)
		}
		cfg.TALs = append(cfg.TALs, validate.TALFile{Name: validate.TAName(path), Path: path, Data: data})
	}
	return cfg, nil
}

// logLevel maps -v to slog levels: warnings by default, then info, then debug.
func (o *options) logLevel() slog.Level {
	switch {
	case o.verbosity >= 2:
		return slog.LevelDebug
	case o.verbosity == 1:
		return slog.LevelInfo
	}
	return slog.LevelWarn
}

// outputFormats resolves -j -c -B -o -m; none given means every file.
func (o *options) outputFormats() ([]output.Format, error) {
	opt := output.Options{NoASPA: o.noASPA}
	all := output.Formats(opt)
	if o.outputDir == stdoutTarget {
		// One stream, one format: -B means the BIRD 2 file alone.
		if len(o.formats) != 1 {
			return nil, usagef("OUTPUTDIR %q (stdout) takes exactly one of -j -c -B -o -m, got %d", stdoutTarget, len(o.formats))
		}
		f, err := output.Lookup(o.formats[0], opt)
		return []output.Format{f}, err
	}
	if len(o.formats) == 0 {
		return all, nil
	}
	var out []output.Format
	for _, f := range all {
		name := f.Name
		if name == "bird1v4" || name == "bird1v6" {
			name = "bird" // -B writes all three BIRD files
		}
		if slices.Contains(o.formats, name) {
			out = append(out, f)
		}
	}
	return out, nil
}

// metadata fills what changes between runs: the build time is the
// validation time (so --time gives reproducible files; without it the
// caller replaces it with the time validation ended), the rest comes from
// the process.
func (o *options) metadata(cfg validate.Config, start time.Time) validate.Metadata {
	host, err := os.Hostname()
	if err != nil {
		host = "localhost" // only shown in headers
	}
	m := validate.Metadata{
		BuildMachine: host,
		BuildTime:    o.now,
		Start:        start.UTC(),
		Elapsed:      time.Since(start),
		Version:      version,
	}
	for _, t := range cfg.TALs {
		m.TALFiles = append(m.TALFiles, t.Path)
	}
	var self, children syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &self) == nil && syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children) == nil {
		m.User = time.Duration(self.Utime.Nano() + children.Utime.Nano())
		m.System = time.Duration(self.Stime.Nano() + children.Stime.Nano())
	}
	return m
}

// inspectAction decodes every named file (directories are walked) and
// prints a report for each; the exit status is 1 when any is not valid.
func inspectAction(c *cli.Context) error {
	if c.NArg() == 0 {
		return usagef("inspect: no FILE given")
	}
	invalid := 0
	enc := json.NewEncoder(c.App.Writer)
	for _, root := range c.Args().Slice() {
		if strings.HasPrefix(root, "rsync://") {
			// The validated copy of a URI, as the last run kept it.
			u, err := cache.ParseURI(root)
			if err != nil {
				return usagef("inspect: %v", err)
			}
			root = filepath.Join(c.String("cache-dir"), string(cache.AreaValid), filepath.FromSlash(u.Path()))
			if _, err := os.Stat(root); err != nil {
				return fmt.Errorf("inspect: %s: not in the validated store of %s: %w", u, c.String("cache-dir"), err)
			}
		}
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			r := validate.Inspect(p, data)
			if !r.Valid() {
				invalid++
			}
			if c.Bool("json") {
				return enc.Encode(r)
			}
			if err := r.WriteText(c.App.Writer); err != nil {
				return err
			}
			_, err = fmt.Fprintln(c.App.Writer)
			return err
		})
		if err != nil {
			return err
		}
	}
	if invalid > 0 {
		return &statusError{status: exitFatal, err: fmt.Errorf("inspect: %d file(s) not valid", invalid)}
	}
	return nil
}
