package validate

import (
	"fmt"
	"sort"
)

// DropError says which trust anchor lost more VRPs than the drop guard
// allows, with its count in the last successful run and now.
type DropError struct {
	TA       string
	Old, New int
	Percent  float64 // the limit
}

func (e *DropError) Error() string {
	return fmt.Sprintf("trust anchor %s: VRPs fell from %d to %d (%.1f%%), more than --max-vrp-drop %g%%: outputs not replaced",
		e.TA, e.Old, e.New, 100*float64(e.Old-e.New)/float64(e.Old), e.Percent)
}

// CheckDrop compares each trust anchor's VRP count in r with its count in
// the last successful run (prev, by TA name) and returns a *DropError for
// the first TA, by name, whose count fell by more than percent per cent.
// A TA new since then, or with no VRPs then, cannot trip it; a TA that is
// gone from this run's TALs is not compared, since the operator removed it.
func CheckDrop(prev map[string]int, r *Result, percent float64) error {
	tas := make([]TAStats, len(r.TAs))
	copy(tas, r.TAs)
	sort.Slice(tas, func(i, j int) bool { return tas[i].Name < tas[j].Name })
	for _, ta := range tas {
		old, ok := prev[ta.Name]
		if !ok || old == 0 {
			continue
		}
		now := ta.Payloads.VRPs
		if float64(old-now) > percent/100*float64(old) {
			return &DropError{TA: ta.Name, Old: old, New: now, Percent: percent}
		}
	}
	return nil
}

// VRPCounts gives each trust anchor's VRP count, as CheckDrop compares them.
func VRPCounts(r *Result) map[string]int {
	m := make(map[string]int, len(r.TAs))
	for _, ta := range r.TAs {
		m[ta.Name] = ta.Payloads.VRPs
	}
	return m
}
