package output

import (
	"io"
	"net/netip"
	"testing"
	"time"

	"github.com/tally-rpki/tally/validate"
)

// benchResult builds a result with n distinct VRPs, a fifth of them IPv6,
// roughly the size of the global RPKI at n = 800,000.
func benchResult(n int) *validate.Result {
	vrps := make([]validate.VRP, 0, n)
	tas := []string{"afrinic", "apnic", "arin", "lacnic", "ripe"}
	for i := range n {
		var p netip.Prefix
		if i%5 == 4 {
			a := [16]byte{0x20, 0x01, 0x0d, 0xb8, byte(i >> 16), byte(i >> 8), byte(i)}
			p = netip.PrefixFrom(netip.AddrFrom16(a), 48)
		} else {
			a := [4]byte{byte(1 + i>>16), byte(i >> 8), byte(i), 0}
			p = netip.PrefixFrom(netip.AddrFrom4(a), 24)
		}
		vrps = append(vrps, validate.VRP{
			ASN:       uint32(64496 + i%1000),
			Prefix:    p,
			MaxLength: uint8(p.Bits()),
			TA:        tas[i%len(tas)],
			Expires:   1796227200 + int64(i%3600),
		})
	}
	validate.SortVRPs(vrps)
	return &validate.Result{
		VRPs:     vrps,
		VRPTotal: n,
		Metadata: validate.Metadata{
			BuildMachine: "bench.example.net",
			BuildTime:    time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		},
	}
}

func benchmarkFormat(b *testing.B, name string) {
	r := benchResult(800000)
	f, err := Lookup(name, Options{})
	if err != nil {
		b.Fatal(err)
	}
	var size countWriter
	if err := f.Write(&size, r); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		if err := f.Write(io.Discard, r); err != nil {
			b.Fatal(err)
		}
	}
}

// countWriter counts the bytes written to it.
type countWriter int

func (c *countWriter) Write(p []byte) (int, error) {
	*c += countWriter(len(p))
	return len(p), nil
}

func BenchmarkWriteJSON(b *testing.B)     { benchmarkFormat(b, "json") }
func BenchmarkWriteCSV(b *testing.B)      { benchmarkFormat(b, "csv") }
func BenchmarkWriteOpenBGPD(b *testing.B) { benchmarkFormat(b, "openbgpd") }
func BenchmarkWriteBIRD(b *testing.B)     { benchmarkFormat(b, "bird") }
