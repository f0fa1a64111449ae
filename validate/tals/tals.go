// Package tals holds the trust anchor locators of the five Regional
// Internet Registries, built into the binary so that tally with no -t does
// the common job. The files are the RIRs' current TALs as OpenBSD ships
// them (AFRINIC, APNIC, ARIN, LACNIC, RIPE NCC); ARIN's carries ARIN's
// relying party notice as comment lines.
package tals

import (
	"embed"
	"io/fs"
	"sort"
)

//go:embed *.tal
var files embed.FS

// File is one built-in TAL: its file name (ripe.tal) and contents.
type File struct {
	Name string
	Data []byte
}

// Builtin returns the built-in TALs sorted by name, the order that breaks
// ties between trust anchors (FORMATS.md §11).
func Builtin() []File {
	names, err := fs.Glob(files, "*.tal")
	if err != nil {
		panic("tals: bad glob pattern: " + err.Error()) // a constant pattern; no input reaches it
	}
	sort.Strings(names)
	out := make([]File, 0, len(names))
	for _, n := range names {
		data, err := files.ReadFile(n)
		if err != nil {
			panic("tals: embedded file unreadable: " + err.Error()) // embed.FS cannot fail for its own names
		}
		out = append(out, File{Name: n, Data: data})
	}
	return out
}
