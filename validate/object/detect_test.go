package object

import (
	"os"
	"path/filepath"
	"testing"
)

// Real objects are recognised by their contents alone, whatever their name.
func TestDetectByContent(t *testing.T) {
	dir := filepath.Join(corpusDir, "snapshot-2026-03-16-twnic")
	counts := make(map[Type]int)
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || TypeFromName(p) == TypeUnknown {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		want := TypeFromName(p)
		if got := Detect("unnamed", data); got != want {
			t.Errorf("%s: detected %q, want %q", p, got, want)
		}
		counts[want]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []Type{TypeCert, TypeCRL, TypeMFT, TypeROA} {
		if counts[typ] == 0 {
			t.Errorf("no %s files found under %s", typ, dir)
		}
	}
}

func TestDetectFallsBackToName(t *testing.T) {
	tests := []struct {
		name string
		data string
		want Type
	}{
		{"x.tal", "rsync://example.net/ta.cer\n\nMIIB", TypeTAL},
		{"noext", "# comment\nhttps://example.net/ta.cer\n", TypeTAL},
		{"junk.roa", "\x00\x01garbage", TypeROA},
		{"junk.bin", "\x00\x01garbage", TypeUnknown},
		{"upper.CER", "", TypeCert},
	}
	for _, tt := range tests {
		if got := Detect(tt.name, []byte(tt.data)); got != tt.want {
			t.Errorf("Detect(%q, %q) = %q, want %q", tt.name, tt.data, got, tt.want)
		}
	}
}

// corpusDir is the shared corpus beside the checkout (../shared/corpus).
const corpusDir = "../../../shared/corpus"
