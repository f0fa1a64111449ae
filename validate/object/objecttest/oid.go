package objecttest

import "encoding/asn1"

// The OIDs the builders write. They are typed in here from the RFCs on
// purpose, apart from package object's table, so that a wrong constant in
// the parser cannot hide behind the same mistake in the builder. They are
// functions, not variables, so no caller can change them.

// Algorithms (RFC 7935, RFC 5754).
func oidSHA256() asn1.ObjectIdentifier { return asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1} }
func oidRSAEncryption() asn1.ObjectIdentifier {
	return asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
}
func oidSHA256WithRSA() asn1.ObjectIdentifier {
	return asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
}

// CMS (RFC 5652) and its signed attributes.
func oidSignedData() asn1.ObjectIdentifier  { return asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2} }
func oidData() asn1.ObjectIdentifier        { return asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1} }
func oidContentType() asn1.ObjectIdentifier { return asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3} }
func oidMessageDigest() asn1.ObjectIdentifier {
	return asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
}
func oidSigningTime() asn1.ObjectIdentifier { return asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5} }

// eContentTypes: ROA (RFC 9582), manifest (RFC 9286), Ghostbusters
// (RFC 6493), ASPA (draft-ietf-sidrops-aspa-profile), TAK (RFC 9691).
func oidCTROA() asn1.ObjectIdentifier {
	return asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 24}
}
func oidCTMft() asn1.ObjectIdentifier {
	return asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 26}
}
func oidCTGBR() asn1.ObjectIdentifier {
	return asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 35}
}
func oidCTASPA() asn1.ObjectIdentifier {
	return asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 49}
}
func oidCTTAK() asn1.ObjectIdentifier {
	return asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 50}
}

// Name attribute (X.520).
func oidCommonName() asn1.ObjectIdentifier { return asn1.ObjectIdentifier{2, 5, 4, 3} }

// Certificate and CRL extensions (RFC 5280, RFC 3779, RFC 6487).
func oidExtBasicConstraints() asn1.ObjectIdentifier { return asn1.ObjectIdentifier{2, 5, 29, 19} }
func oidExtSKI() asn1.ObjectIdentifier              { return asn1.ObjectIdentifier{2, 5, 29, 14} }
func oidExtAKI() asn1.ObjectIdentifier              { return asn1.ObjectIdentifier{2, 5, 29, 35} }
func oidExtKeyUsage() asn1.ObjectIdentifier         { return asn1.ObjectIdentifier{2, 5, 29, 15} }
func oidExtExtKeyUsage() asn1.ObjectIdentifier      { return asn1.ObjectIdentifier{2, 5, 29, 37} }
func oidExtCRLDP() asn1.ObjectIdentifier            { return asn1.ObjectIdentifier{2, 5, 29, 31} }
func oidExtAIA() asn1.ObjectIdentifier              { return asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 1} }
func oidExtSIA() asn1.ObjectIdentifier              { return asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 11} }
func oidExtCertPolicies() asn1.ObjectIdentifier     { return asn1.ObjectIdentifier{2, 5, 29, 32} }
func oidExtIPAddrBlocks() asn1.ObjectIdentifier {
	return asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 7}
}
func oidExtASIdentifiers() asn1.ObjectIdentifier {
	return asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 8}
}
func oidExtCRLNumber() asn1.ObjectIdentifier { return asn1.ObjectIdentifier{2, 5, 29, 20} }

// Policy (RFC 6484) and extended key usage (RFC 8209).
func oidPolicyRPKI() asn1.ObjectIdentifier { return asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 14, 2} }
func oidKPBGPsecRouter() asn1.ObjectIdentifier {
	return asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 30}
}

// Access methods (RFC 5280 §4.2.2.1, RFC 6487 §4.8.8, RFC 8182 §3.2).
func oidADCAIssuers() asn1.ObjectIdentifier { return asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 2} }
func oidADCARepository() asn1.ObjectIdentifier {
	return asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 5}
}
func oidADRPKIManifest() asn1.ObjectIdentifier {
	return asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 10}
}
func oidADSignedObject() asn1.ObjectIdentifier {
	return asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 11}
}
func oidADRPKINotify() asn1.ObjectIdentifier {
	return asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 13}
}
