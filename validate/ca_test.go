package validate

import (
	"errors"
	"strings"
	"testing"

	"github.com/tally-rpki/tally/validate/object"
	"github.com/tally-rpki/tally/validate/object/objecttest"
)

// TestValidateCA checks each chain rule on its own: one certificate
// breaks one thing, and the error names the rule.
func TestValidateCA(t *testing.T) {
	ks := objecttest.NewKeySource(0)
	ta := ks.NewTA(objecttest.CertSpec{})
	parent := ta.CA(caSpec("10.0.0.0/8"))
	stranger := ta.CA(caSpec("10.0.0.0/8"))
	crl := parent.CRL(objecttest.CRLSpec{Number: 1, Revoked: []int64{99}})

	tests := []struct {
		name string
		cert objecttest.Object
		want string // the start of the error, with the rule; "" for a valid certificate
	}{
		{"good", parent.CA(caSpec("10.1.0.0/16")).Object, ""},
		{"inherit", parent.CA(objecttest.CertSpec{}).Object, ""},
		{"other issuer", stranger.CA(caSpec("10.1.0.0/16")).Object, "RFC 6487 §4.8.3"},
		{"bad signature", parent.CA(objecttest.CertSpec{IP: []string{"10.1.0.0/16"}, WrongSignature: true}).Object, "RFC 6487 §7.2: signature"},
		{"expired", parent.CA(objecttest.CertSpec{NotBefore: now.AddDate(-2, 0, 0), NotAfter: now.AddDate(-1, 0, 0)}).Object, "RFC 6487 §4.6.2"},
		{"not yet valid", parent.CA(objecttest.CertSpec{NotBefore: now.AddDate(0, 0, 1)}).Object, "RFC 6487 §4.6.1"},
		{"revoked", parent.CA(objecttest.CertSpec{Serial: 99}).Object, "RFC 6487 §7.2: serial 63 revoked"},
		{"CRLDP elsewhere", parent.CA(objecttest.CertSpec{CRLDP: parent.Repo + "other.crl"}).Object, "RFC 6487 §4.8.6"},
		{"AIA elsewhere", parent.CA(objecttest.CertSpec{AIA: parent.Repo + "other.cer"}).Object, "RFC 6487 §4.8.7"},
		{"overclaim", parent.CA(caSpec("11.0.0.0/8")).Object, "RFC 6487 §7.2: resources not held by the issuer: 11.0.0.0/8"},
		{"AS overclaim", parent.CA(objecttest.CertSpec{IP: []string{"inherit"}, AS: []string{"AS1"}}).Object, "RFC 6487 §7.2: resources not held by the issuer: AS1"},
		{"manifest outside the repository", parent.CA(objecttest.CertSpec{Manifest: "rsync://elsewhere.example/x.mft"}).Object, "RFC 6487 §4.8.8.1"},
		{"router certificate", parent.Router(objecttest.RouterSpec{AS: []string{"AS64496"}}), "RFC 6487 §4.8.1"},
	}
	k := &checker{now: now, maxDepth: DefaultMaxDepth}
	iss := issuingFor(t, ta, parent, crl)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := object.ParseCert(tt.cert.DER)
			if err != nil {
				t.Fatal(err)
			}
			ca, _, err := k.validateCA(c, object.FileHash(tt.cert.DER), tt.cert.URI, iss)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("validateCA: %v", err)
				}
				if !ca.Resources.CoversPrefix(mustPrefix("10.1.0.0/16")) || ca.Depth != 2 {
					t.Errorf("CA resources %+v, depth %d", ca.Resources, ca.Depth)
				}
				return
			}
			var re *ruleError
			if !errors.As(err, &re) || !strings.HasPrefix(re.Error(), tt.want) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("validateCA: %v, want an ErrInvalid starting %q", err, tt.want)
			}
		})
	}
}

// issuingFor returns the issuing context of parent below ta with crl.
func issuingFor(t *testing.T, ta, parent *objecttest.Issuer, crl objecttest.Object) *issuing {
	t.Helper()
	k := &checker{now: now, maxDepth: DefaultMaxDepth}
	taCert, err := object.ParseCert(ta.DER)
	if err != nil {
		t.Fatal(err)
	}
	tal, err := object.ParseTAL(ta.TAL())
	if err != nil {
		t.Fatal(err)
	}
	root, err := k.validateTA(taCert, object.FileHash(ta.DER), ta.URI, "ta", tal)
	if err != nil {
		t.Fatal(err)
	}
	pc, err := object.ParseCert(parent.DER)
	if err != nil {
		t.Fatal(err)
	}
	ca, _, err := k.validateCA(pc, object.FileHash(parent.DER), parent.URI, &issuing{ca: root, crlURI: ta.CRLURI, expires: root.Expires})
	if err != nil {
		t.Fatal(err)
	}
	c, err := object.ParseCRL(crl.DER)
	if err != nil {
		t.Fatal(err)
	}
	return &issuing{ca: ca, crl: c, crlURI: crl.URI, expires: ca.Expires}
}
