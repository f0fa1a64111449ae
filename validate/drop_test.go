package validate

import (
	"errors"
	"testing"
)

func TestCheckDrop(t *testing.T) {
	result := func(counts map[string]int) *Result {
		r := &Result{}
		for name, n := range counts {
			r.TAs = append(r.TAs, TAStats{Name: name, Payloads: Payloads{VRPs: n}})
		}
		return r
	}
	prev := map[string]int{"apnic": 1000, "ripe": 2600, "gone": 50, "empty": 0}
	tests := []struct {
		name    string
		now     map[string]int
		percent float64
		tripTA  string // "" when the guard must not trip
	}{
		{"no change", map[string]int{"apnic": 1000, "ripe": 2600}, 10, ""},
		{"growth", map[string]int{"apnic": 5000, "ripe": 2600}, 10, ""},
		{"drop exactly at the limit", map[string]int{"apnic": 900, "ripe": 2600}, 10, ""},
		{"drop past the limit", map[string]int{"apnic": 899, "ripe": 2600}, 10, "apnic"},
		{"registry deletes its ROAs", map[string]int{"apnic": 1000, "ripe": 0}, 50, "ripe"},
		{"new TA, TA removed, TA empty before", map[string]int{"apnic": 1000, "ripe": 2600, "new": 0, "empty": 0}, 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckDrop(prev, result(tt.now), tt.percent)
			var d *DropError
			switch {
			case tt.tripTA == "" && err != nil:
				t.Errorf("tripped: %v", err)
			case tt.tripTA != "" && (!errors.As(err, &d) || d.TA != tt.tripTA || d.Old != prev[tt.tripTA] || d.New != tt.now[tt.tripTA]):
				t.Errorf("error %v, want a drop of %s from %d to %d", err, tt.tripTA, prev[tt.tripTA], tt.now[tt.tripTA])
			}
		})
	}
}
