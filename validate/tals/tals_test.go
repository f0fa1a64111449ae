package tals

import (
	"strings"
	"testing"

	"github.com/tally-rpki/tally/validate/object"
)

// The five RIR TALs are built in, in name order, and each parses as an
// RFC 8630 TAL with an https URI (tally tries those first).
func TestBuiltin(t *testing.T) {
	want := []string{"afrinic.tal", "apnic.tal", "arin.tal", "lacnic.tal", "ripe.tal"}
	got := Builtin()
	if len(got) != len(want) {
		t.Fatalf("%d built-in TALs, want %d", len(got), len(want))
	}
	for i, f := range got {
		if f.Name != want[i] {
			t.Errorf("TAL %d is %s, want %s", i, f.Name, want[i])
		}
		tal, err := object.ParseTAL(f.Data)
		if err != nil {
			t.Errorf("%s: %v", f.Name, err)
			continue
		}
		https := 0
		for _, u := range tal.URIs {
			if strings.HasPrefix(u, "https://") {
				https++
			}
		}
		if https == 0 {
			t.Errorf("%s: URIs %v, want an https URI among them", f.Name, tal.URIs)
		}
	}
}
