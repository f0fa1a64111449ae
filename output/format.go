// Package output writes a validate.Result in the file formats of
// rpki-client 9.8 (FORMATS.md): json, csv, openbgpd, bird (plus the older
// bird1v4 and bird1v6) and metrics, and replaces the files in an output
// directory atomically. It reads only the result: it never validates,
// fetches or reads the clock, so the same Result gives the same bytes.
package output

import (
	"fmt"
	"io"
	"slices"

	"github.com/tally-rpki/tally/validate"
)

// Options selects variants of the formats.
type Options struct {
	// NoASPA leaves ASPA out, as rpki-client -A does: json has no "aspas",
	// openbgpd no aspa-set, and bird is the file for BIRD 2 before 2.16.
	NoASPA bool
	// BIRDTable names the table of bird1v4 and bird1v6 (rpki-client 8.2's
	// -T); empty means "ROAS".
	BIRDTable string
}

// Format is one output file and the function that writes it.
type Format struct {
	Name  string // format name as the command line takes it
	File  string // file name in the output directory
	Write func(w io.Writer, r *validate.Result) error
}

// Formats returns every format, in the order their names are documented:
// json, csv, openbgpd, bird, bird1v4, bird1v6, metrics.
func Formats(opt Options) []Format {
	table := opt.BIRDTable
	if table == "" {
		table = "ROAS"
	}
	return []Format{
		{Name: "json", File: "json", Write: func(w io.Writer, r *validate.Result) error {
			return writeJSON(w, r, opt.NoASPA)
		}},
		{Name: "csv", File: "csv", Write: WriteCSV},
		{Name: "openbgpd", File: "openbgpd", Write: func(w io.Writer, r *validate.Result) error {
			return writeOpenBGPD(w, r, opt.NoASPA)
		}},
		{Name: "bird", File: "bird", Write: func(w io.Writer, r *validate.Result) error {
			return writeBIRD(w, r, opt.NoASPA)
		}},
		{Name: "bird1v4", File: "bird1v4", Write: func(w io.Writer, r *validate.Result) error {
			return writeBIRD1(w, r, table, true)
		}},
		{Name: "bird1v6", File: "bird1v6", Write: func(w io.Writer, r *validate.Result) error {
			return writeBIRD1(w, r, table, false)
		}},
		{Name: "metrics", File: "metrics", Write: WriteMetrics},
	}
}

// DefaultNames returns the formats written when none is chosen: those of
// rpki-client 9.8's portable build (-joBcm), without the BIRD 1 files.
func DefaultNames() []string {
	return []string{"json", "csv", "openbgpd", "bird", "metrics"}
}

// Names returns the format names Lookup accepts, in documented order.
func Names() []string {
	var names []string
	for _, f := range Formats(Options{}) {
		names = append(names, f.Name)
	}
	return names
}

// Lookup returns the format called name.
func Lookup(name string, opt Options) (Format, error) {
	all := Formats(opt)
	i := slices.IndexFunc(all, func(f Format) bool { return f.Name == name })
	if i < 0 {
		return Format{}, fmt.Errorf("unknown output format %q (want one of %v)", name, Names())
	}
	return all[i], nil
}
