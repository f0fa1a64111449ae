package object

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// corpusDir is the shared corpus beside the checkout (../shared/corpus).

// outOfScope are corpus types tally does not parse as objects: RSC, signed
// prefix lists and CCR files are not used by a relying party that writes
// VRPs, ASPAs and router keys, and RRDP XML is tested in fetch/rrdp.
var outOfScope = map[string]bool{"rsc": true, "spl": true, "ccr": true, "rrdp-xml": true}

type corpusEntry struct {
	key      string // source/path, as in corpus-exceptions.tsv
	path     string
	typ      string
	expected bool // the label says valid
	reason   string
}

func readCorpus(t *testing.T) []corpusEntry {
	t.Helper()
	lists, err := filepath.Glob(filepath.Join(corpusDir, "*", "EXPECTED.tsv"))
	if err != nil || len(lists) == 0 {
		t.Fatalf("no EXPECTED.tsv under %s (the corpus must sit in ../shared beside the checkout): %v", corpusDir, err)
	}
	var out []corpusEntry
	for _, list := range lists {
		source := filepath.Base(filepath.Dir(list))
		for i, row := range readTSV(t, list) {
			if i == 0 {
				continue // header
			}
			if len(row) < 3 || (row[2] != "valid" && row[2] != "invalid") {
				t.Fatalf("%s: row %d: bad shape %q", list, i+1, row)
			}
			e := corpusEntry{
				key:      source + "/" + row[0],
				path:     filepath.Join(filepath.Dir(list), row[0]),
				typ:      row[1],
				expected: row[2] == "valid",
			}
			if len(row) > 3 {
				e.reason = row[3]
			}
			out = append(out, e)
		}
	}
	return out
}

func readTSV(t *testing.T, name string) [][]string {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows [][]string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if line := sc.Text(); line != "" && !strings.HasPrefix(line, "#") {
			rows = append(rows, strings.Split(line, "\t"))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// exceptions reads testdata/corpus-exceptions.tsv: key, tally's verdict, reason.
func exceptions(t *testing.T) map[string]string {
	t.Helper()
	ex := make(map[string]string)
	for i, row := range readTSV(t, "testdata/corpus-exceptions.tsv") {
		if len(row) != 3 || (row[1] != "valid" && row[1] != "invalid") || strings.TrimSpace(row[2]) == "" {
			t.Fatalf("corpus-exceptions.tsv line %d: want key, valid|invalid, reason: %q", i+1, row)
		}
		if _, dup := ex[row[0]]; dup {
			t.Fatalf("corpus-exceptions.tsv: %s listed twice", row[0])
		}
		ex[row[0]] = row[1]
	}
	return ex
}

// TestCorpus parses every labelled object of the shared corpus and checks
// tally's verdict against the label. A disagreement must be listed, with its
// reason, in testdata/corpus-exceptions.tsv; a listed exception that no
// longer disagrees fails too, so the list stays true.
func TestCorpus(t *testing.T) {
	entries := readCorpus(t)
	ex := exceptions(t)
	seen := make(map[string]bool)
	var agree, listed, skipped, valid int
	var unlisted []string
	for _, e := range entries {
		if outOfScope[e.typ] {
			skipped++
			continue
		}
		data, err := os.ReadFile(e.path)
		if err != nil {
			t.Fatalf("%s: %v", e.key, err)
		}
		_, _, err = Decode(e.path, data)
		got := err == nil
		if got {
			valid++
		}
		verdict, isException := ex[e.key]
		seen[e.key] = true
		switch {
		case got == e.expected && isException:
			t.Errorf("%s: listed as an exception but tally agrees with the label (%s)", e.key, label(got))
		case got == e.expected:
			agree++
		case isException && verdict == label(got):
			listed++
		default:
			unlisted = append(unlisted, e.key+"\t"+label(got)+"\tlabel "+label(e.expected)+": "+e.reason+"; tally: "+errText(err))
		}
	}
	for key := range ex {
		if !seen[key] {
			t.Errorf("corpus-exceptions.tsv lists %s, which is not an in-scope corpus entry", key)
		}
	}
	sort.Strings(unlisted)
	for _, u := range unlisted {
		t.Errorf("unlisted disagreement: %s", u)
	}
	t.Logf("corpus: %d entries, %d out of scope (rsc, spl, ccr, rrdp-xml); %d in scope: %d agree with the label, %d listed exceptions, %d unlisted; %d valid",
		len(entries), skipped, len(entries)-skipped, agree, listed, len(unlisted), valid)
}

func label(valid bool) string {
	if valid {
		return "valid"
	}
	return "invalid"
}

func errText(err error) string {
	if err == nil {
		return "accepted"
	}
	return string(bytes.ReplaceAll([]byte(err.Error()), []byte("\t"), []byte(" ")))
}

// TestCorpusNoPanic decodes every file of the corpus, labelled or not, in
// scope or not, by content: nothing may panic, and every rejection of a
// parse must be a typed error.
func TestCorpusNoPanic(t *testing.T) {
	n := 0
	err := filepath.WalkDir(corpusDir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		n++
		if _, _, err := Decode(p, data); err != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrSignature) {
			t.Errorf("%s: untyped error: %v", p, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 8000 {
		t.Fatalf("walked %d corpus files, want the whole corpus (8,000+)", n)
	}
}
