package object

import (
	"os"
	"path/filepath"
	"testing"
)

// twnicSnapshot is the real TWNIC publication tree of 2026-03-16 (5,614 objects).
const twnicSnapshot = corpusDir + "/snapshot-2026-03-16-twnic"

type namedObject struct {
	typ  Type
	data []byte
}

func loadSnapshot(b *testing.B) ([]namedObject, int64) {
	b.Helper()
	var objs []namedObject
	var size int64
	err := filepath.WalkDir(twnicSnapshot, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || TypeFromName(p) == TypeUnknown {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		objs = append(objs, namedObject{TypeFromName(p), data})
		size += int64(len(data))
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if len(objs) != 5614 {
		b.Fatalf("%d objects under %s, want 5614", len(objs), twnicSnapshot)
	}
	return objs, size
}

// parseOnly parses an object by its type without checking any signature.
func parseOnly(o namedObject) error {
	var err error
	switch o.typ {
	case TypeCert:
		_, err = ParseCert(o.data)
	case TypeCRL:
		_, err = ParseCRL(o.data)
	case TypeMFT:
		_, err = ParseManifest(o.data)
	case TypeROA:
		_, err = ParseROA(o.data)
	}
	return err
}

// BenchmarkParseSnapshot parses every object of the TWNIC snapshot: once
// parse only, once parse plus the checks Decode makes (CMS signatures
// against the EE key). One op is the whole snapshot; objects/s is the figure
// to compare with the 100,000 objects/s target (run with -cpu 1).
func BenchmarkParseSnapshot(b *testing.B) {
	objs, size := loadSnapshot(b)
	b.Run("parse", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(size)
		for b.Loop() {
			for _, o := range objs {
				if err := parseOnly(o); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(len(objs)*b.N)/b.Elapsed().Seconds(), "objects/s")
	})
	b.Run("parse+verify", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(size)
		for b.Loop() {
			for _, o := range objs {
				if _, _, err := Decode(string(o.typ), o.data); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(len(objs)*b.N)/b.Elapsed().Seconds(), "objects/s")
	})
}
