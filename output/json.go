package output

import (
	"encoding/base64"
	"encoding/hex"
	"io"
	"strconv"

	"github.com/tally-rpki/tally/validate"
)

// WriteJSON writes the json file in rpki-client 9.8's layout (FORMATS.md §2)
// without the ccr_* members (§11).
func WriteJSON(w io.Writer, r *validate.Result) error { return writeJSON(w, r, false) }

// writeJSON writes the json file; noASPA drops the "aspas" member (-A).
func writeJSON(w io.Writer, r *validate.Result, noASPA bool) error {
	lw := newLineWriter(w)
	lw.str("{\n\t\"metadata\": {\n")
	writeJSONMetadata(lw, r)
	lw.str("\t},\n")

	lw.str("\t\"roas\": [\n")
	for i := range r.VRPs {
		lw.buf = appendJSONVRP(lw.buf, &r.VRPs[i], i == len(r.VRPs)-1)
		lw.emit()
	}
	closeArray(lw, len(r.VRPs), "\t],\n")

	lw.str("\t\"bgpsec_keys\": [\n")
	for i := range r.RouterKeys {
		lw.buf = appendJSONRouterKey(lw.buf, &r.RouterKeys[i], i == len(r.RouterKeys)-1)
		lw.emit()
	}
	closeArray(lw, len(r.RouterKeys), "\t],\n")

	lw.str("\t\"nonfunc_cas\": [\n")
	for i := range r.NonFunctional {
		lw.buf = appendJSONNonFunctional(lw.buf, &r.NonFunctional[i], i == len(r.NonFunctional)-1)
		lw.emit()
	}
	if noASPA {
		closeArray(lw, len(r.NonFunctional), "\t]\n}\n")
		return lw.flush()
	}
	closeArray(lw, len(r.NonFunctional), "\t],\n")

	lw.str("\t\"aspas\": [\n")
	for i := range r.ASPAs {
		lw.buf = appendJSONASPA(lw.buf, &r.ASPAs[i], i == len(r.ASPAs)-1)
		lw.emit()
	}
	closeArray(lw, len(r.ASPAs), "\t]\n}\n")
	return lw.flush()
}

// closeArray ends an array of n entries with end; an empty array has an
// empty line between its brackets.
func closeArray(lw *lineWriter, n int, end string) {
	if n == 0 {
		lw.buf = append(lw.buf, '\n')
	}
	lw.str(end)
}

// writeJSONMetadata writes the members of "metadata", each on its own line
// at two TABs.
func writeJSONMetadata(lw *lineWriter, r *validate.Result) {
	md := &r.Metadata
	st := &r.Stats
	num := func(name string, v int64) {
		lw.buf = append(append(lw.buf, "\t\t\""...), name...)
		lw.buf = append(lw.buf, "\": "...)
		lw.buf = strconv.AppendInt(lw.buf, v, 10)
		lw.str(",\n")
	}
	text := func(name, v string) {
		lw.buf = append(append(lw.buf, "\t\t\""...), name...)
		lw.buf = append(lw.buf, "\": "...)
		lw.buf = appendJSONString(lw.buf, v)
		lw.str(",\n")
	}
	text("buildmachine", md.BuildMachine)
	text("buildtime", md.BuildTime.UTC().Format("2006-01-02T15:04:05Z"))
	num("elapsedtime", seconds(md.Elapsed))
	num("usertime", seconds(md.User))
	num("systemtime", seconds(md.System))
	roa, aspa := st[validate.KindROA], st[validate.KindASPA]
	num("roas", int64(roa.Valid))
	num("failedroas", int64(roa.FailedParse))
	num("invalidroas", int64(roa.Invalid))
	num("aspas", int64(aspa.Valid))
	num("failedaspas", int64(aspa.FailedParse))
	num("invalidaspas", int64(aspa.Invalid))
	num("bgpsec_pubkeys", int64(st[validate.KindRouterCert].Valid))
	cert := st[validate.KindCert]
	num("certificates", int64(cert.Valid))
	num("invalidcertificates", int64(cert.Rejected()))
	num("nonfunctionalcas", int64(len(r.NonFunctional)))
	num("taks", int64(st[validate.KindTAK].Valid))
	num("tals", int64(r.TALCount))
	num("invalidtals", int64(r.InvalidTALs))
	lw.str("\t\t\"talfiles\": [\n")
	for i, tal := range md.TALFiles {
		lw.buf = appendJSONString(append(lw.buf, "\t\t\t"...), tal)
		if i < len(md.TALFiles)-1 {
			lw.buf = append(lw.buf, ',')
		}
		lw.str("\n")
	}
	closeArray(lw, len(md.TALFiles), "\t\t],\n")
	mft := st[validate.KindManifest]
	num("manifests", int64(mft.Valid))
	num("failedmanifests", int64(mft.Rejected()))
	num("crls", int64(st[validate.KindCRL].Valid))
	num("repositories", int64(len(r.Repos)))
	num("vrps", int64(r.VRPTotal))
	num("uniquevrps", int64(len(r.VRPs)))
	num("vsps", 0) // Signed Prefix Lists: not in tally
	num("uniquevsps", 0)
	num("vaps", int64(r.ASPATotal))
	num("uniquevaps", int64(r.UniqueVAPs()))
	num("cachedir_new_files", int64(md.CacheNewFiles))
	num("cachedir_del_files", int64(md.CacheDeletedFiles))
	num("cachedir_del_dirs", int64(md.CacheDeletedDirs))
	num("cachedir_superfluous_files", int64(md.CacheSuperfluousFiles))
	// The last member has no comma.
	lw.buf = append(lw.buf, "\t\t\"cachedir_del_superfluous_files\": "...)
	lw.buf = strconv.AppendInt(lw.buf, int64(md.CacheDeletedSuperfluousFiles), 10)
	lw.str("\n")
}

// entryEnd ends a one-line array entry.
func entryEnd(b []byte, last bool) []byte {
	if last {
		return append(b, " }\n"...)
	}
	return append(b, " },\n"...)
}

func appendJSONVRP(b []byte, v *validate.VRP, last bool) []byte {
	b = append(b, "\t\t{ \"asn\": "...)
	b = strconv.AppendUint(b, uint64(v.ASN), 10)
	b = append(b, ", \"prefix\": \""...)
	b = appendPrefix(b, v.Prefix)
	b = append(b, "\", \"maxLength\": "...)
	b = strconv.AppendUint(b, uint64(v.MaxLength), 10)
	b = append(b, ", \"ta\": "...)
	b = appendJSONString(b, v.TA)
	b = append(b, ", \"expires\": "...)
	b = strconv.AppendInt(b, v.Expires, 10)
	return entryEnd(b, last)
}

// appendJSONRouterKey appends one expanded bgpsec_keys entry.
func appendJSONRouterKey(b []byte, k *validate.RouterKey, last bool) []byte {
	b = append(b, "\t\t{\n\t\t\t\"asn\": "...)
	b = strconv.AppendUint(b, uint64(k.ASN), 10)
	b = append(b, ",\n\t\t\t\"ski\": \""...)
	b = appendUpperHex(b, k.SKI)
	b = append(b, "\",\n\t\t\t\"pubkey\": \""...)
	b = base64.StdEncoding.AppendEncode(b, k.PublicKey)
	b = append(b, "\",\n\t\t\t\"ta\": "...)
	b = appendJSONString(b, k.TA)
	b = append(b, ",\n\t\t\t\"expires\": "...)
	b = strconv.AppendInt(b, k.Expires, 10)
	if last {
		return append(b, "\n\t\t}\n"...)
	}
	return append(b, "\n\t\t},\n"...)
}

func appendJSONNonFunctional(b []byte, ca *validate.NonFunctionalCA, last bool) []byte {
	b = append(b, "\t\t{ \"location\": "...)
	b = appendJSONString(b, ca.Location)
	b = append(b, ", \"ta\": "...)
	b = appendJSONString(b, ca.TA)
	b = append(b, ", \"caRepository\": "...)
	b = appendJSONString(b, ca.CARepository)
	b = append(b, ", \"rpkiManifest\": "...)
	b = appendJSONString(b, ca.Manifest)
	b = append(b, ", \"ski\": "...)
	b = appendJSONString(b, ca.SKI)
	return entryEnd(b, last)
}

func appendJSONASPA(b []byte, a *validate.ASPA, last bool) []byte {
	b = append(b, "\t\t{ \"customer_asid\": "...)
	b = strconv.AppendUint(b, uint64(a.Customer), 10)
	b = append(b, ", \"expires\": "...)
	b = strconv.AppendInt(b, a.Expires, 10)
	b = append(b, ", \"providers\": ["...)
	for i, p := range a.Providers {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, ' ')
		b = strconv.AppendUint(b, uint64(p), 10)
	}
	b = append(b, " ]"...)
	return entryEnd(b, last)
}

// appendUpperHex appends b as upper-case hex digits without separators.
func appendUpperHex(dst, b []byte) []byte {
	const digits = "0123456789ABCDEF"
	for _, c := range b {
		dst = append(dst, digits[c>>4], digits[c&0xf])
	}
	return dst
}

// appendJSONString appends s as a JSON string the way rpki-client's
// encoder does: '"' and '\' escaped, \b \f \n \r \t by name, other control
// bytes as \u00XX, and everything else, '/' and non-ASCII included, as is.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\b':
			b = append(b, `\b`...)
		case '\f':
			b = append(b, `\f`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case '\t':
			b = append(b, `\t`...)
		default:
			if c < 0x20 || c == 0x7f {
				b = append(b, `\u00`...)
				b = hex.AppendEncode(b, []byte{c})
				continue
			}
			b = append(b, c)
		}
	}
	return append(b, '"')
}
