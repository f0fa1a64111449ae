package objecttest

// GBRSpec describes a Ghostbusters record (RFC 6493).
type GBRSpec struct {
	VCard string // the eContent; "": DefaultVCard
	// EE overrides the EE certificate, whose resources default to inherit.
	EE  CertSpec
	CMS CMSSpec
}

// DefaultVCard is a minimal vCard 4.0 that RFC 6493 §5 allows.
const DefaultVCard = "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Test Operator\r\nORG:Example\r\n" +
	"EMAIL:noc@example.net\r\nEND:VCARD\r\n"

// GBR builds a Ghostbusters record signed by a new EE certificate of iss,
// published as <EE SKI>.gbr in the issuer's repository.
func (iss *Issuer) GBR(spec GBRSpec) Object {
	p := profile{ip: []string{"inherit"}, as: []string{"inherit"}}
	vcard := []byte(or(spec.VCard, DefaultVCard))
	return iss.signedObject(&spec.EE, &spec.CMS, p, "", ".gbr", oidCTGBR(), vcard)
}
