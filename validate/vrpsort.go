package validate

import (
	"slices"
	"sync"
)

// joinVRPs joins parts into one slice sorted as DedupVRPs sorts it
// (CompareVRP, then the winner of each set of duplicates first), on up to
// ways goroutines. The walk ends with hundreds of thousands of VRPs in
// tens of thousands of parts, and joining and sorting them was the
// longest step left after it, on one core: here each goroutine takes one
// range of keys, copies the VRPs in it to its own stretch of the result
// and sorts that stretch, so the stretches need no merging. The ranges
// are cut at keys sampled from the parts.
func joinVRPs(parts [][]VRP, order TAOrder, ways int) []VRP {
	cmpVRP := func(a, b VRP) int {
		if c := CompareVRP(a, b); c != 0 {
			return c
		}
		return betterVRP(a, b, order)
	}
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	if ways < 2 || n < minParallelVRPs {
		out := slices.Concat(parts...)
		slices.SortFunc(out, cmpVRP)
		return out
	}
	ways = min(ways, maxVRPWays)
	cuts := vrpCuts(parts, n, ways, cmpVRP)
	// range of each VRP, in order across parts, and the size of each range
	where := make([]uint8, n)
	counts := make([]int, ways)
	i := 0
	for _, p := range parts {
		for _, v := range p {
			r, _ := slices.BinarySearchFunc(cuts, v, func(c, v VRP) int {
				if cmpVRP(c, v) <= 0 {
					return -1 // v is at or past the cut: a later range
				}
				return 1
			})
			where[i] = uint8(r)
			counts[r]++
			i++
		}
	}
	out := make([]VRP, n)
	var wg sync.WaitGroup
	start := 0
	for r := range ways {
		stretch := out[start : start+counts[r] : start+counts[r]]
		start += counts[r]
		wg.Go(func() {
			j, i := 0, 0
			for _, p := range parts {
				for _, v := range p {
					if int(where[i]) == r {
						stretch[j] = v
						j++
					}
					i++
				}
			}
			slices.SortFunc(stretch, cmpVRP)
		})
	}
	wg.Wait()
	return out
}

const (
	// minParallelVRPs is the count below which joinVRPs sorts on one
	// goroutine: starting others costs more than they save.
	minParallelVRPs = 1 << 14
	// maxVRPWays bounds the ranges (a range index is a byte).
	maxVRPWays = 64
	// vrpSamplesPerWay is how many keys joinVRPs samples per range to
	// choose the cuts: enough to make the ranges even to a few per cent.
	vrpSamplesPerWay = 2048
)

// vrpCuts returns ways-1 VRPs, sorted by cmpVRP, that cut the n VRPs of
// parts into ranges of about equal size: range r holds the VRPs at or
// after cut r-1 and before cut r.
func vrpCuts(parts [][]VRP, n, ways int, cmpVRP func(a, b VRP) int) []VRP {
	step := max(1, n/(ways*vrpSamplesPerWay))
	sample := make([]VRP, 0, n/step+1)
	i := 0
	for _, p := range parts {
		for ; i < len(p); i += step {
			sample = append(sample, p[i])
		}
		i -= len(p)
	}
	slices.SortFunc(sample, cmpVRP)
	cuts := make([]VRP, ways-1)
	for r := range cuts {
		cuts[r] = sample[(r+1)*len(sample)/ways]
	}
	return cuts
}
