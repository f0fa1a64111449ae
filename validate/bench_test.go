package validate

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"
)

// world names a tree made by testdata/worldgen (its tals/ and rsync/
// directories); BenchmarkRunWorld validates it. For example:
//
//	go run ./testdata/worldgen -cas 10000 -roas 50000 -out /tmp/w10k
//	go test -run NONE -bench RunWorld -benchtime 3x ./validate -world /tmp/w10k
var world = flag.String("world", "", "worldgen output directory for BenchmarkRunWorld")

// BenchmarkRunWorld validates a generated world from a warm cache (the
// world's rsync tree read in place, no fetching), reporting objects/s and
// the peak heap seen during the run.
func BenchmarkRunWorld(b *testing.B) {
	if *world == "" {
		b.Skip("BenchmarkRunWorld needs -world DIR, a tree made by testdata/worldgen")
	}
	store := &DirStore{FreshDir: filepath.Join(*world, "rsync")}
	benchRunWorld(b, func() (Syncer, Store) { return freshSyncer{}, store })
}

// benchRunWorld validates the world -world names once (to warm what it
// reads), then in the benchmark's loop, each run with the syncer and
// store that stores gives, and reports objects/s, the peak heap and the
// VRPs found.
func benchRunWorld(b *testing.B, stores func() (Syncer, Store)) {
	talPaths, err := filepath.Glob(filepath.Join(*world, "tals", "*.tal"))
	if err != nil || len(talPaths) == 0 {
		b.Fatalf("no TALs under %s/tals: %v", *world, err)
	}
	cfg := Config{Now: worldNow(b), Workers: runtime.GOMAXPROCS(0)}
	for _, p := range talPaths {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		cfg.TALs = append(cfg.TALs, TALFile{Name: TAName(p), Path: p, Data: data})
	}
	run := func() *Result {
		syncer, store := stores()
		res, err := Run(context.Background(), cfg, syncer, store)
		if err != nil {
			b.Fatal(err)
		}
		return res
	}
	run()
	b.ReportAllocs()
	var objects int
	peak := watchHeap(b)
	for b.Loop() {
		res := run()
		objects = 0
		for _, c := range res.Stats {
			objects += c.Valid + c.FailedParse + c.Invalid
		}
		b.ReportMetric(float64(len(res.VRPs)), "vrps")
	}
	b.ReportMetric(float64(objects*b.N)/b.Elapsed().Seconds(), "objects/s")
	b.ReportMetric(float64(peak())/(1<<20), "peak-heap-MiB")
}

// worldNow is the time the world was made valid at: the -now that
// world.json records.
func worldNow(b *testing.B) time.Time {
	data, err := os.ReadFile(filepath.Join(*world, "world.json"))
	if err != nil {
		b.Fatal(err)
	}
	var w struct {
		Parameters struct {
			Now time.Time `json:"now"`
		} `json:"parameters"`
	}
	if err := json.Unmarshal(data, &w); err != nil || w.Parameters.Now.IsZero() {
		b.Fatalf("world.json: no parameters.now: %v", err)
	}
	return w.Parameters.Now
}

type freshSyncer struct{}

func (freshSyncer) Sync(context.Context, string, string) (bool, error) { return true, nil }

// watchHeap samples the live heap every 10 ms until the benchmark ends and
// returns a function giving the largest value seen.
func watchHeap(b *testing.B) func() uint64 {
	var mu sync.Mutex
	var max uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		var m runtime.MemStats
		for {
			select {
			case <-done:
				return
			case <-t.C:
				runtime.ReadMemStats(&m)
				mu.Lock()
				max = maxU(max, m.HeapAlloc)
				mu.Unlock()
			}
		}
	}()
	b.Cleanup(func() { close(done); wg.Wait() })
	return func() uint64 {
		mu.Lock()
		defer mu.Unlock()
		return max
	}
}

func maxU(a, b uint64) uint64 {
	if a > b {
		return a
	}
	return b
}
