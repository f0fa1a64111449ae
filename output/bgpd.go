package output

import (
	"io"
	"strconv"

	"github.com/tally-rpki/tally/validate"
)

// WriteOpenBGPD writes the openbgpd file of rpki-client 9.8 (FORMATS.md §5):
// the comment header, a roa-set and an aspa-set for bgpd.conf.
func WriteOpenBGPD(w io.Writer, r *validate.Result) error { return writeOpenBGPD(w, r, false) }

// writeOpenBGPD writes the openbgpd file; noASPA ends it after the roa-set,
// as OpenBGPD releases without aspa-set need.
func writeOpenBGPD(w io.Writer, r *validate.Result, noASPA bool) error {
	lw := newLineWriter(w)
	lw.buf = appendHeader(lw.buf, r, header98)
	lw.str("roa-set {\n")
	for i := range r.VRPs {
		lw.buf = appendBGPDVRP(lw.buf, &r.VRPs[i])
		lw.emit()
	}
	lw.str("}\n")
	if noASPA {
		return lw.flush()
	}
	lw.str("\naspa-set {\n")
	for i := range r.ASPAs {
		lw.buf = appendBGPDASPA(lw.buf, &r.ASPAs[i])
		lw.emit()
	}
	lw.str("}\n")
	return lw.flush()
}

// appendBGPDVRP appends one roa-set line; maxlen appears only when it is
// longer than the prefix.
func appendBGPDVRP(b []byte, v *validate.VRP) []byte {
	b = append(b, '\t')
	b = appendPrefix(b, v.Prefix)
	if int(v.MaxLength) > v.Prefix.Bits() {
		b = append(b, " maxlen "...)
		b = strconv.AppendUint(b, uint64(v.MaxLength), 10)
	}
	b = append(b, " source-as "...)
	b = strconv.AppendUint(b, uint64(v.ASN), 10)
	b = append(b, " expires "...)
	b = strconv.AppendInt(b, v.Expires, 10)
	return append(b, '\n')
}

// appendBGPDASPA appends one aspa-set line. The customer is printed
// unsigned: rpki-client 9.8 prints ASNs of 2^31 and above as negative
// numbers there, a bug fixed after 9.8.
func appendBGPDASPA(b []byte, a *validate.ASPA) []byte {
	b = append(b, "\tcustomer-as "...)
	b = strconv.AppendUint(b, uint64(a.Customer), 10)
	b = append(b, " expires "...)
	b = strconv.AppendInt(b, a.Expires, 10)
	b = append(b, " provider-as {"...)
	for i, p := range a.Providers {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, ' ')
		b = strconv.AppendUint(b, uint64(p), 10)
	}
	return append(b, " }\n"...)
}
