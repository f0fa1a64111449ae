package objecttest

import "testing"

// PKI is the smallest useful tree: a TA and one CA below it, with keys from
// one KeySource. Its embedded Issuer is the CA, so pki.ROA(spec) issues a
// ROA from the CA; build more CAs with pki.TA.CA or pki.CA.
type PKI struct {
	*Issuer         // the CA
	TA      *Issuer // its parent, the self-signed TA
}

// NewPKI returns a TA with the default resources (all addresses and AS
// numbers) and a CA below it that holds 10.0.0.0/8, 2001:db8::/32 and
// AS64496-AS64511, both with the default validity around Now().
func NewPKI(tb testing.TB) *PKI {
	tb.Helper()
	ta := NewTA(CertSpec{})
	ca := ta.CA(CertSpec{
		IP: []string{"10.0.0.0/8", "2001:db8::/32"},
		AS: []string{"AS64496-AS64511"},
	})
	return &PKI{Issuer: ca, TA: ta}
}
