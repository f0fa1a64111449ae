package objecttest

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// CorpusDir returns the directory of the shared RPKI object corpus: the
// first shared/corpus found walking up from the working directory, which
// finds ../shared/corpus beside the checkout. It fails the test (never
// skips) when there is none.
func CorpusDir(tb testing.TB) string {
	tb.Helper()
	wd, err := os.Getwd()
	if err != nil {
		tb.Fatalf("objecttest: %v", err)
	}
	for dir := wd; ; {
		c := filepath.Join(dir, "shared", "corpus")
		if fi, err := os.Stat(c); err == nil && fi.IsDir() {
			return c
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatalf("objecttest: no shared/corpus in %s or above; the corpus must sit beside the checkout", wd)
		}
		dir = parent
	}
}

// CorpusFile is one file of the corpus.
type CorpusFile struct {
	Path string // relative to CorpusDir, with forward slashes: "rpki-rs/test-data/ta.cer"
	Data []byte
}

// CorpusFiles returns every corpus file whose name ends in ext (".roa" or
// "roa", compared without regard to case), sorted by path. It fails the
// test when the corpus is missing or holds no such file.
func CorpusFiles(tb testing.TB, ext string) []CorpusFile {
	tb.Helper()
	root := CorpusDir(tb)
	ext = "." + strings.TrimPrefix(strings.ToLower(ext), ".")
	var files []CorpusFile
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(strings.ToLower(d.Name()), ext) {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		files = append(files, CorpusFile{Path: filepath.ToSlash(rel), Data: data})
		return nil
	})
	if err != nil {
		tb.Fatalf("objecttest: reading the corpus: %v", err)
	}
	if len(files) == 0 {
		tb.Fatalf("objecttest: no %s files in %s", ext, root)
	}
	return files // WalkDir visits in lexical order
}

// Corpus returns the contents of every corpus file whose name ends in ext,
// in the order of CorpusFiles. It fails the test when the corpus is missing
// or holds no such file.
func Corpus(tb testing.TB, ext string) [][]byte {
	tb.Helper()
	files := CorpusFiles(tb, ext)
	out := make([][]byte, len(files))
	for i, f := range files {
		out[i] = f.Data
	}
	return out
}
