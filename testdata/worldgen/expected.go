package main

import (
	"bufio"
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// The expected/ files hold what a validator that accepts the whole world
// outputs, in the layout of tally's and rpki-client's CSV (FORMATS.md §3):
// vrps.csv is byte for byte tally's csv file. Every object of the world
// expires at the same time, so Expires is one value, and a VRP found
// under several TAs keeps the first TA by name (FORMATS.md §1.3).
//
//	vrps.csv        ASN,IP Prefix,Max Length,Trust Anchor,Expires
//	aspas.csv       Customer ASID,Providers,Expires   (providers space-separated)
//	routerkeys.csv  ASN,SKI,Public Key,Trust Anchor,Expires

// compareVRP orders VRPs as FORMATS.md §1.2 does: IPv4 first, address,
// longer prefix first, larger maxLength first, then ASN.
func compareVRP(a, b vrp) int {
	if a.prefix.Addr().Is4() != b.prefix.Addr().Is4() {
		if a.prefix.Addr().Is4() {
			return -1
		}
		return 1
	}
	return cmp.Or(
		a.prefix.Addr().Compare(b.prefix.Addr()),
		cmp.Compare(b.prefix.Bits(), a.prefix.Bits()),
		cmp.Compare(b.maxLen, a.maxLen),
		cmp.Compare(a.asn, b.asn),
		cmp.Compare(a.ta, b.ta),
	)
}

// uniqueVRPs sorts vrps and keeps the first of each (prefix, maxLength,
// ASN), which after sorting is the one of the first TA.
func uniqueVRPs(vrps []vrp) []vrp {
	slices.SortFunc(vrps, compareVRP)
	return slices.CompactFunc(vrps, func(a, b vrp) bool {
		return a.prefix == b.prefix && a.maxLen == b.maxLen && a.asn == b.asn
	})
}

// mergeVAPs merges the ASPAs of each customer into one entry with the
// sorted union of the providers, sorted by customer.
func mergeVAPs(aspas []vap) []vap {
	slices.SortFunc(aspas, func(a, b vap) int { return cmp.Compare(a.customer, b.customer) })
	var out []vap
	for _, a := range aspas {
		if n := len(out); n > 0 && out[n-1].customer == a.customer {
			out[n-1].providers = append(out[n-1].providers, a.providers...)
			continue
		}
		out = append(out, vap{a.customer, slices.Clone(a.providers)})
	}
	for i := range out {
		slices.Sort(out[i].providers)
		out[i].providers = slices.Compact(out[i].providers)
	}
	return out
}

// uniqueRouterKeys sorts by ASN, SKI and key, and drops repeats.
func uniqueRouterKeys(keys []routerKey) []routerKey {
	slices.SortFunc(keys, func(a, b routerKey) int {
		return cmp.Or(cmp.Compare(a.asn, b.asn), strings.Compare(a.ski, b.ski),
			strings.Compare(a.spki, b.spki), cmp.Compare(a.ta, b.ta))
	})
	return slices.CompactFunc(keys, func(a, b routerKey) bool {
		return a.asn == b.asn && a.ski == b.ski && a.spki == b.spki
	})
}

// writeExpected writes the three files of expected/ and fills in the
// payload counts of w.
func writeExpected(cfg *Config, p *plan, out *collected, w *world) error {
	expires := strconv.FormatInt(w.NotAfter.Unix(), 10)
	w.Counts.VRPs = len(out.vrps)
	vrps := uniqueVRPs(out.vrps)
	w.Counts.UniqueVRPs = len(vrps)
	vaps := mergeVAPs(out.aspas)
	w.Counts.VAPs = len(vaps)
	keys := uniqueRouterKeys(out.routers)
	w.Counts.RouterKeys = len(keys)
	dir := filepath.Join(cfg.Out, "expected")
	return cmp.Or(
		writeLines(filepath.Join(dir, "vrps.csv"), vrpHeader, len(vrps), func(i int) string {
			return vrps[i].line(p.taNames, expires)
		}),
		writeLines(filepath.Join(dir, "aspas.csv"), vapHeader, len(vaps), func(i int) string {
			return vaps[i].line(expires)
		}),
		writeLines(filepath.Join(dir, "routerkeys.csv"), routerKeyHeader, len(keys), func(i int) string {
			return keys[i].line(p.taNames, expires)
		}),
	)
}

// The header lines of the expected files.
const (
	vrpHeader       = "ASN,IP Prefix,Max Length,Trust Anchor,Expires"
	vapHeader       = "Customer ASID,Providers,Expires"
	routerKeyHeader = "ASN,SKI,Public Key,Trust Anchor,Expires"
)

func (v vrp) line(taNames []string, expires string) string {
	return fmt.Sprintf("AS%d,%s,%d,%s,%s", v.asn, v.prefix, v.maxLen, taNames[v.ta], expires)
}

func (a vap) line(expires string) string {
	ps := make([]string, len(a.providers))
	for i, p := range a.providers {
		ps[i] = strconv.FormatUint(uint64(p), 10)
	}
	return fmt.Sprintf("%d,%s,%s", a.customer, strings.Join(ps, " "), expires)
}

func (k routerKey) line(taNames []string, expires string) string {
	return fmt.Sprintf("%d,%s,%s,%s,%s", k.asn, k.ski, k.spki, taNames[k.ta], expires)
}

// writeLines writes a header and n lines made by line.
func writeLines(path, header string, n int, line func(int) string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	bw := bufio.NewWriter(f)
	bw.WriteString(header + "\n")
	for i := range n {
		bw.WriteString(line(i) + "\n")
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return f.Close()
}
