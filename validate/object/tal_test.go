package object

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tally-rpki/tally/validate/object/objecttest"
)

// labelledFile is one corpus file listed in an EXPECTED.tsv.
type labelledFile struct {
	Key    string // "<source>/<file>", as the central exceptions file names it
	Valid  bool   // the label: expected to parse
	Reason string
	Data   []byte
}

// labelledCorpus returns every file of type typ ("roa", "tal", ...) that an
// EXPECTED.tsv of the corpus lists, sorted by key. A missing corpus or an
// unreadable listed file fails the test.
func labelledCorpus(tb testing.TB, typ string) []labelledFile {
	tb.Helper()
	root := objecttest.CorpusDir(tb)
	lists, err := filepath.Glob(filepath.Join(root, "*", "EXPECTED.tsv"))
	if err != nil || len(lists) == 0 {
		tb.Fatalf("no EXPECTED.tsv under %s: %v", root, err)
	}
	var out []labelledFile
	for _, list := range lists {
		src := filepath.Base(filepath.Dir(list))
		text, err := os.ReadFile(list)
		if err != nil {
			tb.Fatal(err)
		}
		for _, line := range strings.Split(string(text), "\n")[1:] {
			cols := strings.Split(line, "\t")
			if len(cols) < 4 || cols[1] != typ {
				continue
			}
			data, err := os.ReadFile(filepath.Join(root, src, cols[0]))
			if err != nil {
				tb.Fatal(err)
			}
			out = append(out, labelledFile{
				Key: src + "/" + cols[0], Valid: cols[2] == "valid", Reason: cols[3], Data: data,
			})
		}
	}
	if len(out) == 0 {
		tb.Fatalf("no %s files labelled in the corpus", typ)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// checkLabelled parses every labelled file of typ with parse and compares
// the verdict with the label. Disagreements on purpose are those of the
// central testdata/corpus-exceptions.tsv (see TestCorpus); any other fails
// the test, and so does a listed one that has started to agree.
func checkLabelled(t *testing.T, typ string, parse func([]byte) error) {
	t.Helper()
	files := labelledCorpus(t, typ)
	known := exceptions(t)
	listed := 0
	for _, f := range files {
		err := parse(f.Data)
		if err != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrSignature) {
			t.Errorf("%s: untyped error: %v", f.Key, err)
		}
		agrees := (err == nil) == f.Valid
		_, isKnown := known[f.Key]
		switch {
		case !agrees && !isKnown:
			t.Errorf("%s: label valid=%v (%s), got err=%v", f.Key, f.Valid, f.Reason, err)
		case agrees && isKnown:
			t.Errorf("%s: listed in corpus-exceptions.tsv but now agrees with the label", f.Key)
		case !agrees:
			listed++
		}
	}
	t.Logf("%d %s files checked, %d listed exceptions", len(files), typ, listed)
}

func TestTALCorpus(t *testing.T) {
	checkLabelled(t, "tal", func(b []byte) error { _, err := ParseTAL(b); return err })
}

func TestParseTAL(t *testing.T) {
	ta := objecttest.NewTA(objecttest.CertSpec{})
	spki := ta.SPKI()
	good := objecttest.TAL([]string{"rsync://example.net/repo/ta.cer", "https://example.net/ta/ta.cer"}, spki)
	got, err := ParseTAL(good)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"rsync://example.net/repo/ta.cer", "https://example.net/ta/ta.cer"}
	if diff := cmp.Diff(want, got.URIs); diff != "" {
		t.Errorf("URIs (-want +got):\n%s", diff)
	}
	if !bytes.Equal(got.SPKI, spki) {
		t.Error("SPKI differs from the encoded key")
	}
	if _, ok := got.PublicKey.(*rsa.PublicKey); !ok {
		t.Errorf("PublicKey is %T", got.PublicKey)
	}

	crlf := bytes.ReplaceAll(good, []byte("\n"), []byte("\r\n"))
	comment := append([]byte("# a comment\n#another, UTF-8: \xc3\xa9\n"), good...)
	noFinalNewline := bytes.TrimSuffix(good, []byte("\n"))
	// A file at the top of an rsync server, as in the rpki-client regress
	// TAKs: odd, but a URI naming one object.
	noModule := objecttest.TAL([]string{"rsync://example.net/ta.cer"}, spki)
	for name, data := range map[string][]byte{
		"CRLF": crlf, "comments": comment, "no final newline": noFinalNewline, "no module": noModule,
	} {
		if _, err := ParseTAL(data); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestParseTALErrors(t *testing.T) {
	spki := objecttest.NewTA(objecttest.CertSpec{}).SPKI()
	const uri = "rsync://example.net/repo/ta.cer"
	good := string(objecttest.TAL([]string{uri}, spki))
	key := good[len(uri)+2:] // the base64 lines
	ecSPKI := objecttest.ECKey(0).Public()
	ecDER := mustMarshalPKIX(t, ecSPKI)
	tests := []struct {
		name string
		tal  string
		rule string
	}{
		{"empty", "", "RFC 8630 §2.2"},
		{"no empty line (RFC 6490)", uri + "\n" + key, "RFC 8630 §2.3"},
		{"no key", uri + "\n\n", "RFC 8630 §2.2"},
		{"only URIs", uri + "\n", "RFC 8630 §2.2"},
		{"leading empty line", "\n" + good, "RFC 8630 §2.2"},
		{"empty line in comments", "# a\n\n# b\n" + good, "RFC 8630 §2.2"},
		{"comment after URI", uri + "\n# c\n\n" + key, "RFC 8630 §2.3"},
		{"leading blanks", "  " + good, "RFC 8630 §2.3"},
		{"http", "http://example.net/ta.cer\n\n" + key, "RFC 8630 §2.3"},
		{"ftp", "ftp://example.net/ta.cer\n\n" + key, "RFC 8630 §2.3"},
		{"no host", "rsync:///repo/ta.cer\n\n" + key, "RFC 8630 §2.3"},
		{"user", "https://u@example.net/ta.cer\n\n" + key, "RFC 8630 §2.3"},
		{"directory", "rsync://example.net/repo/\n\n" + key, "RFC 8630 §2.3"},
		{"no path", "https://example.net\n\n" + key, "RFC 8630 §2.3"},
		{"dot segment", "rsync://example.net/repo/../ta.cer\n\n" + key, "RFC 8630 §2.3"},
		{"query", "https://example.net/ta.cer?x=1\n\n" + key, "RFC 8630 §2.3"},
		{"space in URI", "rsync://example.net/re po/ta.cer\n\n" + key, "RFC 8630 §2.3"},
		{"long URI", "rsync://example.net/repo/" + strings.Repeat("a", maxURILength) + ".cer\n\n" + key, "RFC 8630 §2.3"},
		{"properties style", "ca.name=x\ncertificate.location=" + uri + "\n\n" + key, "RFC 8630 §2.3"},
		{"empty line in key", uri + "\n\n" + key[:10] + "\n\n" + key[10:], "RFC 8630 §2.2"},
		{"bad base64", uri + "\n\n!" + key, "RFC 8630 §2.2"},
		{"not an SPKI", uri + "\n\nAAAA\n", "RFC 8630 §2.2"},
		{"EC key", string(objecttest.TAL([]string{uri}, ecDER)), "RFC 7935 §3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseTAL([]byte(tt.tal))
			assertRule(t, err, tt.rule)
		})
	}
}

// assertRule fails unless err is an *Error with the given rule.
func assertRule(t *testing.T, err error, rule string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v, want an *Error with rule %q", err, rule)
	}
	if e.Rule != rule {
		t.Errorf("rule %q (%v), want %q", e.Rule, err, rule)
	}
	if !errors.Is(err, ErrMalformed) {
		t.Errorf("%v does not match ErrMalformed", err)
	}
}

func FuzzParseTAL(f *testing.F) {
	for _, file := range objecttest.CorpusFiles(f, ".tal") {
		f.Add(file.Data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tal, err := ParseTAL(data)
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("bad input gave an untyped error: %v", err)
		}
		if err == nil && (tal == nil || len(tal.URIs) == 0 || tal.PublicKey == nil) {
			t.Fatal("incomplete TAL without an error")
		}
	})
}

func mustMarshalPKIX(t *testing.T, pub any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return der
}
