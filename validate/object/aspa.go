package object

import (
	"strconv"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// ruleASPA names the ASPA profile. It is still a draft; the encoding tally
// accepts is the one fixed since draft -15 (2023) and unchanged through -26.
const ruleASPA = "draft-ietf-sidrops-aspa-profile"

// ASPA is a parsed Autonomous System Provider Authorization.
type ASPA struct {
	Customer  uint32
	Providers []uint32 // strictly ascending; never contains Customer
	Signed    *SignedObject
}

// ParseASPA parses an ASPA: the CMS wrapper, the eContent and the standalone
// checks of the EE certificate, which must name exactly the customer AS and
// no IP resources. Encodings of drafts before -15 (no version, providers as
// SEQUENCEs with an AFI limit) are rejected. Providers aliases nothing in
// der.
//
// AS 0 is accepted as a provider: the profile's ASN.1 allows it and the
// verification draft gives an ASPA whose only provider is AS 0 a meaning
// ("this AS has no providers").
func ParseASPA(der []byte) (*ASPA, error) {
	so, err := ParseSignedObject(der, oidCTASPA)
	if err != nil {
		return nil, err
	}
	a, err := parseASPAContent(so.Content)
	if err != nil {
		return nil, within("ASPA", err)
	}
	if err := checkASPAResources(so.EE.Resources, a.Customer); err != nil {
		return nil, err
	}
	a.Signed = so
	return a, nil
}

// checkASPAResources applies the profile's EE certificate rules (§4): an
// AS resources extension listing exactly the customer AS, no inherit, and
// no IP resources extension.
func checkASPAResources(r Resources, customer uint32) error {
	const rule = ruleASPA + " §4"
	if r.IPv4 != nil || r.IPv6 != nil {
		return malformed(rule, "EE certificate: IP resources present")
	}
	switch {
	case r.AS == nil:
		return malformed(rule, "EE certificate: no AS resources")
	case r.AS.Inherit:
		return malformed(rule, "EE certificate: AS resources inherit, want AS%d", customer)
	case len(r.AS.Ranges) != 1 || r.AS.Ranges[0] != ASRange{Min: customer, Max: customer}:
		return malformed(rule, "EE certificate: AS resources %v, want exactly AS%d", r.AS.Ranges, customer)
	}
	return nil
}

// The shortest DER INTEGER, used to size Providers from the input.
const minINTEGER = 3

// parseASPAContent reads the eContent of an ASPA (profile §3, EXPLICIT
// tags):
//
//	ASProviderAttestation ::= SEQUENCE {
//	  version [0] INTEGER DEFAULT 0,  -- MUST be 1, so always encoded
//	  customerASID CAS,               -- INTEGER (1..4294967295)
//	  providers ProviderASSet }       -- SEQUENCE (SIZE(1..MAX)) OF PAS
func parseASPAContent(content []byte) (*ASPA, error) {
	input := cryptobyte.String(content)
	var seq, list cryptobyte.String
	if !input.ReadASN1(&seq, asn1.SEQUENCE) || !input.Empty() {
		return nil, malformed(ruleASPA+" §3", "want one DER SEQUENCE")
	}
	if err := readDefaultVersion(&seq, ruleASPA+" §3.1", 1); err != nil {
		return nil, err
	}
	a := &ASPA{}
	customer, err := readASID(&seq, ruleASPA+" §3.2", "customerASID")
	if err != nil {
		return nil, err
	}
	if customer == 0 {
		return nil, malformed(ruleASPA+" §3.2", "customerASID: AS0")
	}
	a.Customer = customer
	if !seq.ReadASN1(&list, asn1.SEQUENCE) {
		return nil, malformed(ruleASPA+" §3.3", "providers: want SEQUENCE")
	}
	if !seq.Empty() {
		return nil, malformed(ruleASPA+" §3", "%d bytes after providers", len(seq))
	}
	if a.Providers, err = parseProviders(list, customer); err != nil {
		return nil, err
	}
	return a, nil
}

// parseProviders reads the contents of providers and checks the §3.3
// constraints: at least one, ascending and unique, customer not among them.
func parseProviders(list cryptobyte.String, customer uint32) ([]uint32, error) {
	const rule = ruleASPA + " §3.3"
	if list.Empty() {
		return nil, malformed(rule, "providers: empty")
	}
	out := make([]uint32, 0, len(list)/minINTEGER) // bounded by the input
	for i := 0; !list.Empty(); i++ {
		p, err := readASID(&list, rule, "providers["+strconv.Itoa(i)+"]")
		if err != nil {
			return nil, err
		}
		switch {
		case p == customer:
			return nil, malformed(rule, "providers[%d]: customer AS%d listed as its own provider", i, p)
		case i > 0 && p <= out[i-1]:
			return nil, malformed(rule, "providers[%d]: AS%d not above AS%d", i, p, out[i-1])
		}
		out = append(out, p)
	}
	return out, nil
}
