package output

import (
	"io"
	"strconv"

	"github.com/tally-rpki/tally/validate"
)

// WriteCSV writes the csv file (FORMATS.md §3): a header line, then one
// line per VRP. No comment header, no quoting; router keys and ASPAs are
// not in it.
func WriteCSV(w io.Writer, r *validate.Result) error {
	lw := newLineWriter(w)
	lw.str("ASN,IP Prefix,Max Length,Trust Anchor,Expires\n")
	for i := range r.VRPs {
		v := &r.VRPs[i]
		b := append(lw.buf, "AS"...)
		b = strconv.AppendUint(b, uint64(v.ASN), 10)
		b = append(b, ',')
		b = appendPrefix(b, v.Prefix)
		b = append(b, ',')
		b = strconv.AppendUint(b, uint64(v.MaxLength), 10)
		b = append(b, ',')
		b = append(b, v.TA...)
		b = append(b, ',')
		b = strconv.AppendInt(b, v.Expires, 10)
		lw.buf = append(b, '\n')
		lw.emit()
	}
	return lw.flush()
}
