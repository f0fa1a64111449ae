package output

import (
	"encoding/json"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tally-rpki/tally/validate"
)

var update = flag.Bool("update", false, "rewrite golden files")

// Expiry times of the fixed result: in 2037, so that StayRTR, which drops
// VRPs that expired by its clock, keeps them; below 2^31 for safety.
const (
	exp1 = 2114380800 // 2037-01-01
	exp2 = 2114467200 // 2037-01-02
)

// goldenResult is a fixed result that exercises every rule of the formats:
// both address families, maxLength equal to and above the prefix length,
// duplicates across TAs, merged ASPAs, an ASN of 2^31 and above, an IPv6
// address that needs inet_ntop's dotted tail, router keys and a
// non-functional CA. The payloads go through validate's own sorting and
// merging, as the engine's will.
func goldenResult(t testing.TB) *validate.Result {
	v := func(asn uint32, prefix string, maxLen uint8, ta string, expires int64) validate.VRP {
		return validate.VRP{ASN: asn, Prefix: netip.MustParsePrefix(prefix), MaxLength: maxLen, TA: ta, Expires: expires}
	}
	raw := []validate.VRP{
		v(64496, "2001:db8:1::/48", 64, "arin", exp1),
		v(64496, "192.0.2.0/24", 24, "ripe", exp1),
		v(64496, "192.0.2.0/24", 24, "apnic", exp2), // equal expiry: arin's comes first
		v(64496, "192.0.2.0/24", 24, "arin", exp2),  // later expiry than ripe's: wins
		v(64496, "192.0.2.0/24", 28, "ripe", exp1),
		v(4200000000, "198.51.100.0/24", 24, "ripe", exp1),
		v(64497, "10.0.0.0/8", 8, "ripe", exp1),
		v(64497, "9.0.0.0/8", 16, "ripe", exp1),
		v(64511, "2001:db8::/32", 48, "apnic", exp1),
		v(64511, "2001:db8::/32", 48, "ripe", exp1),
		v(64511, "2001:db8:0:1::/64", 64, "apnic", exp2),
		v(64512, "::c000:201/128", 128, "ripe", exp1),
		v(64513, "2001:db8:0:0:1::/80", 96, "ripe", exp1),
	}
	order := validate.ByTALOrder([]string{"ripe", "arin", "apnic"})
	vrps := validate.DedupVRPs(raw, order)
	aspas, overflowed := validate.MergeASPAs([]validate.ASPA{
		{Customer: 64496, Providers: []uint32{64498, 64497}, TA: "ripe", Expires: exp2},
		{Customer: 64496, Providers: []uint32{64499}, TA: "arin", Expires: exp1},
		{Customer: 4200000000, Providers: []uint32{64496, 4200000001}, TA: "ripe", Expires: exp1},
		{Customer: 64511, Providers: []uint32{64496}, TA: "apnic", Expires: exp2},
	}, order)
	keys := validate.DedupRouterKeys([]validate.RouterKey{
		{ASN: 4200000000, SKI: mustHex(t, "0A0B0C0D0E0F101112131415161718191A1B1C1D"),
			PublicKey: mustBase64(t, "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4/QA=="),
			TA:        "ripe", Expires: exp1},
		{ASN: 64496, SKI: mustHex(t, "619B4BB3FAE3BBF227D44CE439B60DEBCCD01AE0"),
			PublicKey: mustBase64(t, "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEJhuzVJvj5fXenmNyJkns4NJI0MzewED8YBYoJSFGL+Es05oLAKDmVDSxEsIDuitROdF9zK/zchHs5JI/Od7zIQ=="),
			TA:        "ripe", Expires: exp1},
		{ASN: 64496, SKI: mustHex(t, "619B4BB3FAE3BBF227D44CE439B60DEBCCD01AE0"),
			PublicKey: mustBase64(t, "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEJhuzVJvj5fXenmNyJkns4NJI0MzewED8YBYoJSFGL+Es05oLAKDmVDSxEsIDuitROdF9zK/zchHs5JI/Od7zIQ=="),
			TA:        "arin", Expires: exp2},
	}, order)

	var ripe, arin, apnic validate.Stats
	ripe[validate.KindCert] = validate.Counts{Valid: 5, FailedParse: 1, Invalid: 1, NonFunctional: 1}
	ripe[validate.KindManifest] = validate.Counts{Valid: 4, FailedParse: 1, Stale: 1, SeqGap: 1}
	ripe[validate.KindCRL] = validate.Counts{Valid: 4}
	ripe[validate.KindROA] = validate.Counts{Valid: 7, FailedParse: 2, Invalid: 1}
	ripe[validate.KindASPA] = validate.Counts{Valid: 2, Invalid: 1}
	ripe[validate.KindRouterCert] = validate.Counts{Valid: 2}
	ripe[validate.KindGBR] = validate.Counts{Valid: 1}
	ripe[validate.KindTAK] = validate.Counts{Valid: 1}
	arin[validate.KindCert] = validate.Counts{Valid: 2}
	arin[validate.KindManifest] = validate.Counts{Valid: 2}
	arin[validate.KindCRL] = validate.Counts{Valid: 2}
	arin[validate.KindROA] = validate.Counts{Valid: 2}
	arin[validate.KindASPA] = validate.Counts{Valid: 1}
	arin[validate.KindRouterCert] = validate.Counts{Valid: 1}
	apnic[validate.KindCert] = validate.Counts{Valid: 2}
	apnic[validate.KindManifest] = validate.Counts{Valid: 2}
	apnic[validate.KindCRL] = validate.Counts{Valid: 2}
	apnic[validate.KindROA] = validate.Counts{Valid: 3}
	apnic[validate.KindASPA] = validate.Counts{Valid: 1}
	var total validate.Stats
	total.Add(ripe)
	total.Add(arin)
	total.Add(apnic)

	ripePay := validate.Payloads{VRPs: 8, UniqueVRPs: 7, VAPs: 2, UniqueVAPs: 2, VAPProviders: 4}
	arinPay := validate.Payloads{VRPs: 2, UniqueVRPs: 2, VAPs: 1, UniqueVAPs: 1, VAPProviders: 1}
	apnicPay := validate.Payloads{VRPs: 3, UniqueVRPs: 1, VAPs: 1, UniqueVAPs: 1, VAPProviders: 1}
	return &validate.Result{
		VRPs:           vrps,
		VRPTotal:       len(raw),
		ASPAs:          aspas,
		ASPATotal:      4,
		ASPAOverflowed: overflowed,
		RouterKeys:     keys,
		NonFunctional: []validate.NonFunctionalCA{{
			Location:     "rpki.example.net/repo/CA1/0/5B0A6A04D1FF42E1E6BFBCDC51D44A1E2B0DC8B1.cer",
			TA:           "ripe",
			CARepository: "rsync://rpki.example.net/repo/CA2/0/",
			Manifest:     "rsync://rpki.example.net/repo/CA2/0/7F0C9A7DBA0F0B72A5EE6F1F1C3D5E7A9B1C3D5E.mft",
			SKI:          "7F0C9A7DBA0F0B72A5EE6F1F1C3D5E7A9B1C3D5E",
		}},
		TAs: []validate.TAStats{
			{Name: "ripe", TALFile: "/etc/tally/ripe.tal", Stats: ripe, Payloads: ripePay},
			{Name: "arin", TALFile: "/etc/tally/arin.tal", Stats: arin, Payloads: arinPay},
			{Name: "apnic", TALFile: "/etc/tally/apnic.tal", Stats: apnic, Payloads: apnicPay},
		},
		Repos: []validate.RepoStats{
			{
				CARepository: "rsync://rpki.example.net/repo/",
				Notify:       "https://rpki.example.net/rrdp/notification.xml",
				Protocol:     "rrdp", State: "synced",
				Duration: 2500 * time.Millisecond, Bytes: 123456, Objects: 30,
				NewFiles: 10, DeletedFiles: 2, DeletedDirs: 1, ExtraFiles: 1, DeletedExtraFiles: 1,
				TAs: []validate.RepoTAStats{
					{TA: "ripe", Stats: ripe, Payloads: ripePay},
					{TA: "arin", Stats: arin, Payloads: arinPay},
				},
			},
			{
				CARepository: "rsync://rsync.example.org/module/",
				Protocol:     "rsync", State: "timeout",
				Duration: 15 * time.Second,
				TAs:      []validate.RepoTAStats{{TA: "apnic", Stats: apnic, Payloads: apnicPay}},
			},
		},
		Stats:       total,
		TALCount:    3,
		InvalidTALs: 0,
		Metadata: validate.Metadata{
			BuildMachine:  "rtr1.example.net",
			BuildTime:     time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
			Start:         time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC),
			LastSuccess:   time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
			Elapsed:       75500 * time.Millisecond,
			User:          61250 * time.Millisecond,
			System:        9 * time.Second,
			TALFiles:      []string{"/etc/tally/ripe.tal", "/etc/tally/arin.tal", "/etc/tally/apnic.tal"},
			Version:       "0.1.0-test",
			CacheNewFiles: 40, CacheDeletedFiles: 2, CacheDeletedDirs: 1,
			CacheSuperfluousFiles: 1, CacheDeletedSuperfluousFiles: 1,
		},
	}
}

// goldenCases names each golden file and the format that writes it.
var goldenCases = []struct {
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
	{"bird1v6", "bird1v6", Options{BIRDTable: "RPKI6"}},
	{"metrics", "metrics", Options{}},
}

func TestGolden(t *testing.T) {
	r := goldenResult(t)
	for _, tt := range goldenCases {
		t.Run(tt.file, func(t *testing.T) {
			got := render(t, format(t, tt.format, tt.opt), r)
			path := filepath.Join("testdata", "golden", tt.file)
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if tt.format == "json" && !json.Valid(got) {
				t.Error("not valid JSON")
			}
		})
	}
}

// TestDeterministic writes every format twice from equal results.
func TestDeterministic(t *testing.T) {
	for _, f := range Formats(Options{}) {
		a, b := render(t, f, goldenResult(t)), render(t, f, goldenResult(t))
		if diff := cmp.Diff(string(a), string(b)); diff != "" {
			t.Errorf("%s differs between runs (-first +second):\n%s", f.Name, diff)
		}
	}
}
