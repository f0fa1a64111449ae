package output

import (
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"
)

func TestAppendAddr(t *testing.T) {
	tests := []struct{ in, want string }{
		{"192.0.2.1", "192.0.2.1"},
		{"0.0.0.0", "0.0.0.0"},
		{"::", "::"},
		{"::1", "::1"},
		{"::c000:201", "::192.0.2.1"},           // the dotted-tail trap
		{"::c000:0", "::192.0.0.0"},             // seventh group set, eighth zero
		{"::1:0:0", "::1:0:0"},                  // zeros in the tail: no dotted form
		{"::ffff:c000:201", "::ffff:192.0.2.1"}, // IPv4-mapped
		{"::ffff:0:0", "::ffff:0.0.0.0"},
		{"0:0:0:0:1::", "::1:0:0:0"},        // the longer run, not the last
		{"1:0:0:2:0:0:3:4", "1::2:0:0:3:4"}, // equal runs: the first one
		{"1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"},
		{"2001:db8::", "2001:db8::"},
		{"2001:DB8:0:0:1::1", "2001:db8::1:0:0:1"},
		{"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"},
		{"fe80::", "fe80::"},
		{"0:1::", "0:1::"},
	}
	for _, tt := range tests {
		got := string(appendAddr(nil, netip.MustParseAddr(tt.in)))
		if got != tt.want {
			t.Errorf("appendAddr(%s) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestAppendIPv6LikeNetip compares with Go's formatting, which matches
// inet_ntop everywhere but in the ::a.b.c.d case.
func TestAppendIPv6LikeNetip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		var ip [16]byte
		for i := 0; i < 16; i += 2 {
			// Mostly zero groups, so that runs of every length occur.
			if r.IntN(3) > 0 {
				continue
			}
			ip[i], ip[i+1] = byte(r.IntN(256)), byte(r.IntN(256))
		}
		a := netip.AddrFrom16(ip)
		got := string(appendIPv6(nil, ip))
		want := a.String()
		if a.Is4In6() {
			want = "::ffff:" + a.Unmap().String()
		}
		dottedTail := [12]byte(ip[:12]) == [12]byte{} && (ip[12] != 0 || ip[13] != 0)
		if dottedTail {
			want = "::" + netip.AddrFrom4([4]byte(ip[12:])).String()
		}
		if got != want {
			t.Fatalf("appendIPv6(%x) = %q, want %q", ip, got, want)
		}
	}
}

func TestAppendPrefixMasks(t *testing.T) {
	tests := []struct{ in, want string }{
		{"192.0.2.77/24", "192.0.2.0/24"},
		{"2001:db8::1/32", "2001:db8::/32"},
		{"::c000:2ff/120", "::192.0.2.0/120"},
		{"0.0.0.0/0", "0.0.0.0/0"},
	}
	for _, tt := range tests {
		if got := string(appendPrefix(nil, netip.MustParsePrefix(tt.in))); got != tt.want {
			t.Errorf("appendPrefix(%s) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCDate(t *testing.T) {
	tests := []struct {
		in   time.Time
		want string
	}{
		{time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC), "Tue Dec  1 15:00:00 UTC 2026"},
		{time.Date(2026, 1, 22, 3, 4, 5, 999, time.UTC), "Thu Jan 22 03:04:05 UTC 2026"},
		{time.Date(2026, 1, 2, 1, 0, 0, 0, time.FixedZone("CET", 3600)), "Fri Jan  2 00:00:00 UTC 2026"},
	}
	for _, tt := range tests {
		if got := cDate(tt.in); got != tt.want {
			t.Errorf("cDate(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAppendJSONString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ripe", `"ripe"`},
		{`a"b\c/d`, `"a\"b\\c/d"`},
		{"\b\f\n\r\t", `"\b\f\n\r\t"`},
		{"\x00\x1f\x7f", `"\u0000\u001f\u007f"`},
		{"é", "\"é\""},
	}
	for _, tt := range tests {
		if got := string(appendJSONString(nil, tt.in)); got != tt.want {
			t.Errorf("appendJSONString(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestLookup(t *testing.T) {
	for _, name := range Names() {
		f, err := Lookup(name, Options{})
		if err != nil || f.Name != name || f.File == "" || f.Write == nil {
			t.Errorf("Lookup(%q) = %+v, %v", name, f, err)
		}
	}
	for _, name := range DefaultNames() {
		if _, err := Lookup(name, Options{}); err != nil {
			t.Errorf("default format: %v", err)
		}
	}
	if _, err := Lookup("yaml", Options{}); err == nil {
		t.Error("Lookup(yaml) succeeded")
	}
}
