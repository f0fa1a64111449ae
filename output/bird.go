package output

import (
	"io"
	"strconv"

	"github.com/tally-rpki/tally/validate"
)

// WriteBIRD writes the bird file of rpki-client 9.8 for BIRD 2.16 and later
// (FORMATS.md §6.1): ROA tables ROAS4 and ROAS6 and the ASPA table ASPAS,
// each filled by a static protocol.
func WriteBIRD(w io.Writer, r *validate.Result) error { return writeBIRD(w, r, false) }

// writeBIRD writes the bird file. noASPA gives the variant for BIRD 2
// before 2.16 (rpki-client -A): no ASPA table and, as rpki-client writes
// it, no newline after the final '}'.
func writeBIRD(w io.Writer, r *validate.Result, noASPA bool) error {
	lw := newLineWriter(w)
	if noASPA {
		lw.str("# For BIRD 2\n#\n")
	} else {
		lw.str("# For BIRD 2.16+\n#\n")
	}
	lw.buf = appendHeader(lw.buf, r, header98)
	lw.buf = append(lw.buf, "\ndefine force_roa_table_update = "...)
	lw.buf = strconv.AppendInt(lw.buf, r.Metadata.BuildTime.Unix(), 10)
	lw.str(";\n\nroa4 table ROAS4;\nroa6 table ROAS6;\n")
	if !noASPA {
		lw.str("aspa table ASPAS;\n")
	}
	v4, v6 := splitFamilies(r.VRPs)
	lw.str("\nprotocol static {\n\troa4 { table ROAS4; };\n\n")
	writeBIRDRoutes(lw, v4)
	lw.str("}\n\nprotocol static {\n\troa6 { table ROAS6; };\n\n")
	writeBIRDRoutes(lw, v6)
	if noASPA {
		lw.str("}")
		return lw.flush()
	}
	lw.str("}\n\nprotocol static {\n\taspa { table ASPAS; };\n\n")
	for i := range r.ASPAs {
		lw.buf = appendBIRDASPA(lw.buf, &r.ASPAs[i])
		lw.emit()
	}
	lw.str("}\n")
	return lw.flush()
}

// writeBIRDRoutes writes one "route" line per VRP; max is always printed.
func writeBIRDRoutes(lw *lineWriter, vrps []validate.VRP) {
	for i := range vrps {
		v := &vrps[i]
		b := append(lw.buf, "\troute "...)
		b = appendPrefix(b, v.Prefix)
		b = append(b, " max "...)
		b = strconv.AppendUint(b, uint64(v.MaxLength), 10)
		b = append(b, " as "...)
		b = strconv.AppendUint(b, uint64(v.ASN), 10)
		lw.buf = append(b, ";\n"...)
		lw.emit()
	}
}

// appendBIRDASPA appends one "route aspa" line, the customer unsigned (see
// appendBGPDASPA).
func appendBIRDASPA(b []byte, a *validate.ASPA) []byte {
	b = append(b, "\troute aspa "...)
	b = strconv.AppendUint(b, uint64(a.Customer), 10)
	b = append(b, " providers "...)
	for i, p := range a.Providers {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = strconv.AppendUint(b, uint64(p), 10)
	}
	return append(b, ";\n"...)
}

// writeBIRD1 writes bird1v4 (v4) or bird1v6 for BIRD 1 as rpki-client 8.2
// does (FORMATS.md §6.2): the 8.2 header, then one roa table.
func writeBIRD1(w io.Writer, r *validate.Result, table string, v4 bool) error {
	lw := newLineWriter(w)
	lw.buf = appendHeader(lw.buf, r, header82)
	lw.str("\nroa table " + table + " {\n")
	vrps4, vrps6 := splitFamilies(r.VRPs)
	vrps := vrps6
	if v4 {
		vrps = vrps4
	}
	for i := range vrps {
		v := &vrps[i]
		b := append(lw.buf, "\troa "...)
		b = appendPrefix(b, v.Prefix)
		b = append(b, " max "...)
		b = strconv.AppendUint(b, uint64(v.MaxLength), 10)
		b = append(b, " as "...)
		b = strconv.AppendUint(b, uint64(v.ASN), 10)
		lw.buf = append(b, ";\n"...)
		lw.emit()
	}
	lw.str("}\n")
	return lw.flush()
}

// splitFamilies splits sorted VRPs into the IPv4 ones and the IPv6 ones;
// both alias vrps.
func splitFamilies(vrps []validate.VRP) (v4, v6 []validate.VRP) {
	i := 0
	for i < len(vrps) && vrps[i].Prefix.Addr().Is4() {
		i++
	}
	return vrps[:i], vrps[i:]
}
