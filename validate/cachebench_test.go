package validate_test

import (
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
	c, err := cache.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	validate.BenchRunWorld(b, func() (validate.Syncer, validate.Store) {
		client := fetch.New(c, fetch.Config{Offline: true})
		return client, client
	})
}
