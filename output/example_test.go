package output

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tally-rpki/tally/validate"
)

// mustHex and mustBase64 decode test constants.
func mustHex(t testing.TB, s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustBase64(t testing.TB, s string) []byte {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// exampleResult is the data of FORMATS.md's examples.
func exampleResult(t testing.TB) *validate.Result {
	v := func(asn uint32, prefix string, maxLen uint8, ta string, expires int64) validate.VRP {
		return validate.VRP{ASN: asn, Prefix: netip.MustParsePrefix(prefix), MaxLength: maxLen, TA: ta, Expires: expires}
	}
	var st validate.Stats
	st[validate.KindROA].Valid = 4
	st[validate.KindASPA].Valid = 2
	st[validate.KindRouterCert].Valid = 1
	st[validate.KindCert].Valid = 6
	st[validate.KindManifest].Valid = 5
	st[validate.KindCRL].Valid = 5
	repo := func(host string) validate.RepoStats {
		return validate.RepoStats{
			CARepository: "rsync://" + host + "/repo/",
			Notify:       "https://" + host + "/rrdp/notification.xml",
			Protocol:     "rrdp",
			State:        "synced",
		}
	}
	return &validate.Result{
		VRPs: []validate.VRP{
			v(64496, "192.0.2.0/24", 24, "ripe", 1796227200),
			v(64497, "192.0.2.0/24", 24, "ripe", 1796227200),
			v(64496, "198.51.100.0/25", 25, "arin", 1796198400),
			v(64496, "198.51.100.0/24", 26, "arin", 1796198400),
			v(64511, "2001:db8::/32", 48, "apnic", 1796284800),
		},
		VRPTotal: 6,
		ASPAs: []validate.ASPA{
			{Customer: 64496, Providers: []uint32{64497, 64498}, TA: "ripe", Expires: 1796227200},
			{Customer: 64511, Providers: []uint32{64496}, TA: "apnic", Expires: 1796284800},
		},
		ASPATotal: 2,
		RouterKeys: []validate.RouterKey{{
			ASN: 64496,
			SKI: mustHex(t, "619B4BB3FAE3BBF227D44CE439B60DEBCCD01AE0"),
			PublicKey: mustBase64(t, "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEJhuzVJvj5fXenmNyJkns4NJI0MzewED8"+
				"YBYoJSFGL+Es05oLAKDmVDSxEsIDuitROdF9zK/zchHs5JI/Od7zIQ=="),
			TA:      "ripe",
			Expires: 1827619200,
		}},
		Repos:    []validate.RepoStats{repo("rpki1.example.net"), repo("rpki2.example.net"), repo("rpki3.example.net")},
		Stats:    st,
		TALCount: 3,
		Metadata: validate.Metadata{
			BuildMachine:      "rpki.example.net",
			BuildTime:         time.Date(2026, 12, 1, 15, 0, 0, 250_000_000, time.UTC),
			Elapsed:           312412345678 * time.Nanosecond,
			User:              265100 * time.Millisecond,
			System:            71020 * time.Millisecond,
			TALFiles:          []string{"/etc/rpki/apnic.tal", "/etc/rpki/arin.tal", "/etc/rpki/ripe.tal"},
			Version:           "9.8",
			CacheNewFiles:     12,
			CacheDeletedFiles: 3,
			CacheDeletedDirs:  1,
		},
	}
}

// render runs one format's writer into memory.
func render(t testing.TB, f Format, r *validate.Result) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := f.Write(&buf, r); err != nil {
		t.Fatalf("%s: %v", f.Name, err)
	}
	return buf.Bytes()
}

func format(t testing.TB, name string, opt Options) Format {
	t.Helper()
	f, err := Lookup(name, opt)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestFormatsExample checks every format against the examples of
// FORMATS.md, copied into testdata/example without the CCR lines (§11).
// These files are the specification: -update does not touch them.
func TestFormatsExample(t *testing.T) {
	r := exampleResult(t)
	tests := []struct {
		file, format string
		opt          Options
	}{
		{"json", "json", Options{}},
		{"json-noaspa", "json", Options{NoASPA: true}},
		{"csv", "csv", Options{}},
		{"openbgpd", "openbgpd", Options{}},
		{"openbgpd-noaspa", "openbgpd", Options{NoASPA: true}},
		{"bird", "bird", Options{}},
		{"bird-noaspa", "bird", Options{NoASPA: true}},
		{"bird1v4", "bird1v4", Options{}},
		{"bird1v6", "bird1v6", Options{}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join("testdata", "example", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got := render(t, format(t, tt.format, tt.opt), r)
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestNonFunctionalExample checks the nonfunc_cas entry of FORMATS.md §2,
// which ends the array in the golden result (so the example's line has no
// comma).
func TestNonFunctionalExample(t *testing.T) {
	want, err := os.ReadFile(filepath.Join("testdata", "example", "nonfunc_cas-entry"))
	if err != nil {
		t.Fatal(err)
	}
	got := render(t, format(t, "json", Options{}), goldenResult(t))
	if !bytes.Contains(got, append([]byte("\t\"nonfunc_cas\": [\n"), want...)) {
		t.Errorf("json lacks the example entry %q:\n%s", want, got)
	}
}

// TestMetricsExample checks the start of the metrics file against
// FORMATS.md §7's example, after the changes WriteMetrics documents: the
// tally_ prefix, the tally_info family, and the library's number format.
func TestMetricsExample(t *testing.T) {
	example, err := os.ReadFile(filepath.Join("testdata", "example", "metrics-start"))
	if err != nil {
		t.Fatal(err)
	}
	want := strings.NewReplacer(
		"# HELP rpki_client rpki-client information", "# HELP tally_info tally information",
		"# TYPE rpki_client gauge", "# TYPE tally_info gauge",
		"rpki_client_", "tally_",
		"1796137200.250000000", "1.79613720025e+09",
		"265.100000000", "265.1",
		"71.020000000", "71.02",
	).Replace(string(example))
	// The example shows 2 of the 23 object samples; drop the others.
	var lines []string
	for _, l := range strings.SplitAfter(string(render(t, format(t, "metrics", Options{}), exampleResult(t))), "\n") {
		if strings.HasPrefix(l, "tally_objects{") &&
			!strings.Contains(l, `type="cert",state="valid"`) && !strings.Contains(l, `"vap overflowed"`) {
			continue
		}
		lines = append(lines, l)
	}
	got := strings.Join(lines, "")
	if !strings.HasPrefix(got, want) {
		t.Errorf("metrics do not start like the example (-want +got):\n%s",
			cmp.Diff(want, got[:min(len(got), len(want))]))
	}
}
