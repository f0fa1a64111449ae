package validate_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/tally-rpki/tally/cache"
	"github.com/tally-rpki/tally/fetch"
	"github.com/tally-rpki/tally/validate"
)

// BenchmarkRunWorldCache validates a generated world as `tally -n` does:
// through the cache and fetch.Client offline, the store tally uses. The
// world directory serves as the cache directory itself (its rsync/ tree
// is the cache's rsync area; the other areas are made beside it), so
// nothing is copied; the first run promotes every publication point into
// valid/, the ones measured find them unchanged: a warm cache.
//
//	go test -run NONE -bench RunWorldCache -benchtime 3x ./validate -world DIR
func BenchmarkRunWorldCache(b *testing.B) {
	dir := validate.WorldDir()
	if dir == "" {
		b.Skip("BenchmarkRunWorldCache needs -world DIR, a tree made by testdata/worldgen")
	}
	talPaths, err := filepath.Glob(filepath.Join(dir, "tals", "*.tal"))
	if err != nil || len(talPaths) == 0 {
		b.Fatalf("no TALs under %s/tals: %v", dir, err)
	}
	cfg := validate.Config{Now: validate.WorldNow(b), Workers: runtime.GOMAXPROCS(0)}
	for _, p := range talPaths {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		cfg.TALs = append(cfg.TALs, validate.TALFile{Name: validate.TAName(p), Path: p, Data: data})
	}
	c, err := cache.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	run := func() *validate.Result {
		client := fetch.New(c, fetch.Config{Offline: true})
		res, err := validate.Run(context.Background(), cfg, client, client)
		if err != nil {
			b.Fatal(err)
		}
		return res
	}
	run() // promotes into valid/ once: what a warm cache holds
	b.ReportAllocs()
	peak := validate.WatchHeap(b)
	var objects int
	for b.Loop() {
		res := run()
		objects = 0
		for _, s := range res.Stats {
			objects += s.Valid + s.FailedParse + s.Invalid
		}
		b.ReportMetric(float64(len(res.VRPs)), "vrps")
	}
	b.ReportMetric(float64(objects*b.N)/b.Elapsed().Seconds(), "objects/s")
	b.ReportMetric(float64(peak())/(1<<20), "peak-heap-MiB")
}
