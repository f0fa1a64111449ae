package validate

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tally-rpki/tally/validate/object/objecttest"
)

// putPoint writes iss's publication point with crl as its CRL and a
// manifest listing crl and objs.
func putPoint(f *fixture, iss *objecttest.Issuer, crl objecttest.Object, objs ...objecttest.Object) {
	f.t.Helper()
	mft := iss.Manifest(objecttest.MftSpec{Number: 1, Files: append([]objecttest.Object{crl}, objs...)})
	f.put(append([]objecttest.Object{mft, crl}, objs...)...)
}

// akiExt is an authorityKeyIdentifier extension holding keyID.
func akiExt(keyID []byte) pkix.Extension {
	v := append([]byte{0x30, byte(len(keyID) + 2), 0x80, byte(len(keyID))}, keyID...)
	return pkix.Extension{Id: asn1.ObjectIdentifier{2, 5, 29, 35}, Value: v}
}

// checks runs each of cs.
func checks(cs ...func(*testing.T, *Result)) func(*testing.T, *Result) {
	return func(t *testing.T, res *Result) {
		t.Helper()
		for _, c := range cs {
			c(t, res)
		}
	}
}

// routerKey is the router key a router certificate of TA "ta" gives for asn.
func routerKey(o objecttest.Object, asn uint32) RouterKey {
	c, err := x509.ParseCertificate(o.DER)
	if err != nil {
		panic(err)
	}
	return RouterKey{ASN: asn, SKI: o.SKI, PublicKey: c.RawSubjectPublicKeyInfo, TA: "ta", Expires: dayExpiry}
}

// badObject publishes, below ta, a CA holding 10.0.0.0/8, 2001:db8::/32
// and AS64496-AS64511 whose point has the ROA of goodVRP and obj(ca), and
// expects a warning naming obj's URI and rule.
func badObject(rule string, obj func(ca *objecttest.Issuer) objecttest.Object) func(*fixture, *objecttest.Issuer) expect {
	return func(f *fixture, ta *objecttest.Issuer) expect {
		ca := ta.CA(caSpec("10.0.0.0/8", "2001:db8::/32"))
		o := obj(ca)
		f.pub(ca, roa(ca, 64496, "10.0.0.0/16", 0), o)
		f.pub(ta, ca.Object)
		return expect{at: []ruleAt{{o.URI, rule}}}
	}
}

func validCount(c Counts) int       { return c.Valid }
func failedParseCount(c Counts) int { return c.FailedParse }

// moreScenarios go on from scenarios; TestRunScenarios runs both.
var moreScenarios = []scenario{
	{
		name: "revoked CA certificate",
		buildAt: func(f *fixture, ta *objecttest.Issuer) expect {
			g := good(f, ta)
			bad := ta.CA(caSpec("10.1.0.0/16"))
			f.pub(bad, roa(bad, 64497, "10.1.0.0/16", 0))
			putPoint(f, ta, ta.CRL(objecttest.CRLSpec{Number: 1, Revoked: []int64{bad.Serial}}), g.Object, bad.Object)
			return expect{at: []ruleAt{{bad.URI, "RFC 6487 §7.2: serial"}}}
		},
		vrps:  []VRP{goodVRP},
		check: count(KindCert, invalidCount, 1),
	},
	{
		name: "CRL present but not on the manifest",
		buildAt: func(f *fixture, ta *objecttest.Issuer) expect {
			g := good(f, ta)
			ca := ta.CA(caSpec("10.1.0.0/16"))
			r := roa(ca, 64497, "10.1.0.0/16", 0)
			crl := ca.CRL(objecttest.CRLSpec{Number: 1})
			f.put(ca.Manifest(objecttest.MftSpec{Number: 1, Files: []objecttest.Object{r}}), crl, r)
			f.pub(ta, g.Object, ca.Object)
			return expect{at: []ruleAt{{ca.ManifestURI, "RFC 9286 §6.4"}, {ca.URI, "RFC 9286 §6.6"}}}
		},
		vrps:  []VRP{goodVRP},
		check: checks(count(KindManifest, invalidCount, 1), count(KindCert, nonFuncCount, 1)),
	},
	{
		name: "validated copy used after a bad fetch, dropped past its nextUpdate",
		buildAt: func(f *fixture, ta *objecttest.Issuer) expect {
			g := good(f, ta)
			ca := ta.CA(caSpec("10.1.0.0/16"))
			f.write(f.store.ValidDir, pubPoint(ca, objecttest.MftSpec{Number: 1, NextUpdate: now.Add(2 * time.Hour)},
				roa(ca, 64497, "10.1.0.0/16", 0))...)
			objs := pubPoint(ca, objecttest.MftSpec{Number: 2}, roa(ca, 64498, "10.1.1.0/24", 0))
			f.put(objs[:2]...) // the ROA is missing
			f.pub(ta, g.Object, ca.Object)
			return expect{
				at: []ruleAt{{objs[2].URI, "RFC 9286 §6.4"}},
				again: func(t *testing.T, f *fixture) {
					// Three hours on, the stored manifest is past its nextUpdate.
					res := f.run(Config{Now: now.Add(3 * time.Hour)})
					t.Logf("warnings three hours later:\n%s", joinLines(res.Warnings))
					if d := cmp.Diff([]VRP{goodVRP}, res.VRPs, cmpOpts...); d != "" {
						t.Errorf("VRPs three hours later (-want +got):\n%s", d)
					}
					checkAt(t, res, []ruleAt{{ca.ManifestURI, "RFC 9286 §6.3"}, {ca.URI, "RFC 9286 §6.6"}})
					count(KindManifest, staleCount, 1)(t, res)
					count(KindCert, nonFuncCount, 1)(t, res)
				},
			}
		},
		vrps: []VRP{goodVRP, {ASN: 64497, Prefix: mustPrefix("10.1.0.0/16"), MaxLength: 16, TA: "ta",
			Expires: now.Add(2 * time.Hour).Unix()}},
		check: count(KindROA, fromCacheCount, 1),
	},
	{
		name: "validated copy used after a bad fetch, its ROA dropped past the EE's notAfter",
		buildAt: func(f *fixture, ta *objecttest.Issuer) expect {
			g := good(f, ta)
			ca := ta.CA(caSpec("10.1.0.0/16"))
			stored := ca.ROA(objecttest.ROASpec{ASID: 64497, Prefixes: []objecttest.ROAPrefix{{Prefix: "10.1.0.0/16"}},
				EE: objecttest.CertSpec{NotAfter: now.Add(2 * time.Hour)}})
			f.write(f.store.ValidDir, pubPoint(ca, objecttest.MftSpec{Number: 1}, stored)...)
			objs := pubPoint(ca, objecttest.MftSpec{Number: 2}, roa(ca, 64498, "10.1.1.0/24", 0))
			f.put(objs[:2]...) // the ROA is missing
			f.pub(ta, g.Object, ca.Object)
			return expect{
				at: []ruleAt{{objs[2].URI, "RFC 9286 §6.4"}},
				again: func(t *testing.T, f *fixture) {
					res := f.run(Config{Now: now.Add(3 * time.Hour)})
					t.Logf("warnings three hours later:\n%s", joinLines(res.Warnings))
					if d := cmp.Diff([]VRP{goodVRP}, res.VRPs, cmpOpts...); d != "" {
						t.Errorf("VRPs three hours later (-want +got):\n%s", d)
					}
					checkAt(t, res, []ruleAt{{stored.URI, "RFC 6487 §4.6.2"}})
					count(KindROA, invalidCount, 2)(t, res) // the one missing from the download too
				},
			}
		},
		vrps: []VRP{goodVRP, {ASN: 64497, Prefix: mustPrefix("10.1.0.0/16"), MaxLength: 16, TA: "ta",
			Expires: now.Add(2 * time.Hour).Unix()}},
		check: count(KindROA, fromCacheCount, 1),
	},
	{
		name: "ROA maxLength below the prefix length",
		buildAt: badObject("RFC 9582 §4.3.2", func(ca *objecttest.Issuer) objecttest.Object {
			return roa(ca, 64497, "10.1.0.0/16", 8)
		}),
		vrps:  []VRP{goodVRP},
		check: count(KindROA, failedParseCount, 1),
	},
	{
		name: "ROA maxLength over 32 for IPv4",
		buildAt: badObject("RFC 9582 §4.3.2", func(ca *objecttest.Issuer) objecttest.Object {
			return roa(ca, 64497, "10.1.0.0/16", 33)
		}),
		vrps:  []VRP{goodVRP},
		check: count(KindROA, failedParseCount, 1),
	},
	{
		name: "ROA maxLength over 128 for IPv6",
		buildAt: badObject("RFC 9582 §4.3.2", func(ca *objecttest.Issuer) objecttest.Object {
			return roa(ca, 64497, "2001:db8::/32", 129)
		}),
		vrps:  []VRP{goodVRP},
		check: count(KindROA, failedParseCount, 1),
	},
	{
		name: "ROA whose EE holds AS resources",
		buildAt: badObject("RFC 9582 §5", func(ca *objecttest.Issuer) objecttest.Object {
			return ca.ROA(objecttest.ROASpec{ASID: 64497, Prefixes: []objecttest.ROAPrefix{{Prefix: "10.1.0.0/16"}},
				EE: objecttest.CertSpec{AS: []string{"AS64497"}}})
		}),
		vrps:  []VRP{goodVRP},
		check: count(KindROA, failedParseCount, 1),
	},
	{
		name: "expired EE of a ROA",
		buildAt: badObject("RFC 6487 §4.6.2", func(ca *objecttest.Issuer) objecttest.Object {
			return ca.ROA(objecttest.ROASpec{ASID: 64497, Prefixes: []objecttest.ROAPrefix{{Prefix: "10.1.0.0/16"}},
				EE: objecttest.CertSpec{NotAfter: now.Add(-time.Hour)}})
		}),
		vrps:  []VRP{goodVRP},
		check: count(KindROA, invalidCount, 1),
	},
	{
		name: "ROA signature broken by a flipped byte",
		buildAt: badObject("RFC 6488 §3", func(ca *objecttest.Issuer) objecttest.Object {
			r := roa(ca, 64497, "10.1.0.0/16", 0)
			r.DER = objecttest.FlipByte(r.DER, -1) // the end of the SignerInfo's signature
			return r
		}),
		vrps:  []VRP{goodVRP},
		check: count(KindROA, invalidCount, 1),
	},
	{
		name: "ASPA with a duplicate provider",
		buildAt: badObject("draft-ietf-sidrops-aspa-profile §3.3", func(ca *objecttest.Issuer) objecttest.Object {
			return ca.ASPA(objecttest.ASPASpec{Customer: 64496, Providers: []int64{64497, 64497}})
		}),
		vrps:  []VRP{goodVRP},
		check: count(KindASPA, failedParseCount, 1),
	},
	{
		name: "ASPA with unsorted providers",
		buildAt: badObject("draft-ietf-sidrops-aspa-profile §3.3", func(ca *objecttest.Issuer) objecttest.Object {
			return ca.ASPA(objecttest.ASPASpec{Customer: 64496, Providers: []int64{64498, 64497}})
		}),
		vrps:  []VRP{goodVRP},
		check: count(KindASPA, failedParseCount, 1),
	},
	{
		name: "ASPA whose customer is its own provider",
		buildAt: badObject("draft-ietf-sidrops-aspa-profile §3.3", func(ca *objecttest.Issuer) objecttest.Object {
			return ca.ASPA(objecttest.ASPASpec{Customer: 64496, Providers: []int64{64496, 64497}})
		}),
		vrps:  []VRP{goodVRP},
		check: count(KindASPA, failedParseCount, 1),
	},
	{
		name: "ASPA whose EE AS differs from the customer",
		buildAt: badObject("draft-ietf-sidrops-aspa-profile §4", func(ca *objecttest.Issuer) objecttest.Object {
			return ca.ASPA(objecttest.ASPASpec{Customer: 64496, Providers: []int64{64497},
				EE: objecttest.CertSpec{AS: []string{"AS64498"}}})
		}),
		vrps:  []VRP{goodVRP},
		check: count(KindASPA, failedParseCount, 1),
	},
	{
		name: "valid BGPsec router certificate",
		buildAt: func(f *fixture, ta *objecttest.Issuer) expect {
			ca := ta.CA(caSpec("10.0.0.0/8"))
			router := ca.Router(objecttest.RouterSpec{AS: []string{"AS64498-AS64499"}})
			f.pub(ca, roa(ca, 64496, "10.0.0.0/16", 0), router)
			f.pub(ta, ca.Object)
			return expect{keys: []RouterKey{routerKey(router, 64498), routerKey(router, 64499)}}
		},
		vrps:  []VRP{goodVRP},
		check: count(KindRouterCert, validCount, 1),
	},
	{
		name: "router certificate with IP resources",
		buildAt: badObject("RFC 8209 §3.1.3.4", func(ca *objecttest.Issuer) objecttest.Object {
			return ca.Router(objecttest.RouterSpec{AS: []string{"AS64498"},
				Cert: objecttest.CertSpec{IP: []string{"10.1.0.0/16"}}})
		}),
		vrps:  []VRP{goodVRP},
		check: count(KindCert, failedParseCount, 1), // the kind is unknown until it parses,
	},
	{
		name: "router certificate with the wrong key usage",
		buildAt: badObject("RFC 8209 §3.1.3.2", func(ca *objecttest.Issuer) objecttest.Object {
			return ca.Router(objecttest.RouterSpec{AS: []string{"AS64498"},
				Cert: objecttest.CertSpec{KeyUsage: x509.KeyUsageKeyEncipherment}})
		}),
		vrps:  []VRP{goodVRP},
		check: count(KindCert, failedParseCount, 1), // the kind is unknown until it parses,
	},
	{
		name: "CA certificate signed by the wrong key",
		buildAt: func(f *fixture, ta *objecttest.Issuer) expect {
			g := good(f, ta)
			// An impostor with ta's name but another key signs a CA
			// certificate that otherwise points at ta.
			impostor := objecttest.NewKeySource(objecttest.NumKeys - 5).NewTA(
				objecttest.CertSpec{Subject: ta.X509.Subject.CommonName})
			bad := impostor.CA(objecttest.CertSpec{IP: []string{"10.1.0.0/16"}, AS: []string{"AS64497"},
				URI: ta.Repo + "impostor.cer", AIA: ta.URI, CRLDP: ta.CRLURI, ExtraExtensions: []pkix.Extension{akiExt(ta.SKI)}})
			f.pub(bad, roa(bad, 64497, "10.1.0.0/16", 0))
			f.pub(ta, g.Object, bad.Object)
			return expect{at: []ruleAt{{bad.URI, "RFC 6487 §7.2: signature"}}}
		},
		vrps:  []VRP{goodVRP},
		check: count(KindCert, invalidCount, 1),
	},
	{
		name: "AKI differs from the issuer's SKI",
		buildAt: func(f *fixture, ta *objecttest.Issuer) expect {
			g := good(f, ta)
			bad := ta.CA(objecttest.CertSpec{IP: []string{"10.1.0.0/16"}, AS: []string{"AS64497"},
				ExtraExtensions: []pkix.Extension{akiExt(make([]byte, 20))}})
			f.pub(bad, roa(bad, 64497, "10.1.0.0/16", 0))
			f.pub(ta, g.Object, bad.Object)
			return expect{at: []ruleAt{{bad.URI, "RFC 6487 §4.8.3"}}}
		},
		vrps:  []VRP{goodVRP},
		check: count(KindCert, invalidCount, 1),
	},
	{
		name: "CRL signed by another CA",
		buildAt: func(f *fixture, ta *objecttest.Issuer) expect {
			g := good(f, ta)
			ca := ta.CA(caSpec("10.1.0.0/16"))
			putPoint(f, ca, g.CRL(objecttest.CRLSpec{Number: 1, URI: ca.CRLURI}), roa(ca, 64497, "10.1.0.0/16", 0))
			f.pub(ta, g.Object, ca.Object)
			return expect{at: []ruleAt{{ca.CRLURI, "RFC 6487 §5"}, {ca.URI, "RFC 9286 §6.6"}}}
		},
		vrps:  []VRP{goodVRP},
		check: checks(count(KindCRL, invalidCount, 1), count(KindCert, nonFuncCount, 1)),
	},
	{
		name: "CRL past its nextUpdate",
		buildAt: func(f *fixture, ta *objecttest.Issuer) expect {
			g := good(f, ta)
			ca := ta.CA(caSpec("10.1.0.0/16"))
			crl := ca.CRL(objecttest.CRLSpec{Number: 1, ThisUpdate: now.Add(-48 * time.Hour), NextUpdate: now.Add(-time.Hour)})
			putPoint(f, ca, crl, roa(ca, 64497, "10.1.0.0/16", 0))
			f.pub(ta, g.Object, ca.Object)
			return expect{at: []ruleAt{{ca.CRLURI, "RFC 6487 §5"}, {ca.URI, "RFC 9286 §6.6"}}}
		},
		vrps:  []VRP{goodVRP},
		check: checks(count(KindCRL, staleCount, 1), count(KindCert, nonFuncCount, 1)),
	},
	{
		name: "manifest EE revoked",
		buildAt: func(f *fixture, ta *objecttest.Issuer) expect {
			g := good(f, ta)
			ca := ta.CA(caSpec("10.1.0.0/16"))
			r := roa(ca, 64497, "10.1.0.0/16", 0)
			crl := ca.CRL(objecttest.CRLSpec{Number: 1, Revoked: []int64{100}})
			mft := ca.Manifest(objecttest.MftSpec{Number: 1, EE: objecttest.CertSpec{Serial: 100},
				Files: []objecttest.Object{crl, r}})
			f.put(mft, crl, r)
			f.pub(ta, g.Object, ca.Object)
			return expect{at: []ruleAt{{ca.ManifestURI, "RFC 9286 §6.2"}, {ca.URI, "RFC 9286 §6.6"}}}
		},
		vrps:  []VRP{goodVRP},
		check: checks(count(KindManifest, invalidCount, 1), count(KindCert, nonFuncCount, 1)),
	},
	{
		name: "stale manifest and no validated copy: CA non-functional",
		buildAt: func(f *fixture, ta *objecttest.Issuer) expect {
			g := good(f, ta)
			ca := ta.CA(caSpec("10.1.0.0/16"))
			f.put(pubPoint(ca, objecttest.MftSpec{ThisUpdate: now.Add(-48 * time.Hour), NextUpdate: now.Add(-time.Hour)},
				roa(ca, 64497, "10.1.0.0/16", 0))...)
			f.pub(ta, g.Object, ca.Object)
			return expect{at: []ruleAt{{ca.ManifestURI, "RFC 9286 §6.3"}, {ca.URI, "RFC 9286 §6.6"}}}
		},
		vrps: []VRP{goodVRP},
		check: func(t *testing.T, res *Result) {
			count(KindManifest, staleCount, 1)(t, res)
			if len(res.NonFunctional) != 1 || res.NonFunctional[0].CARepository == "" {
				t.Errorf("non-functional CAs %+v, want one", res.NonFunctional)
			}
		},
	},
	{
		name: "CA reached twice is visited once",
		buildAt: func(f *fixture, ta *objecttest.Issuer) expect {
			a := ta.CA(caSpec("10.0.0.0/16"))
			twin := ta.CA(objecttest.CertSpec{IP: []string{"10.0.0.0/16"}, AS: []string{"AS64496-AS64511"},
				Key: a.Key, Repo: a.Repo, Manifest: a.ManifestURI, URI: ta.Repo + "twin.cer"})
			f.pub(ta, a.Object, twin.Object)
			f.pub(a, roa(a, 64496, "10.0.0.0/16", 0))
			return expect{at: []ruleAt{{twin.URI, "publication point " + a.Repo + " reached again"}}}
		},
		vrps: []VRP{goodVRP},
		check: checks(count(KindCert, validCount, 3), count(KindROA, validCount, 1),
			count(KindManifest, validCount, 2)),
	},
	{
		name: "GBR with a bad signature, the point's ROAs kept",
		buildAt: badObject("RFC 6488 §3", func(ca *objecttest.Issuer) objecttest.Object {
			return ca.GBR(objecttest.GBRSpec{CMS: objecttest.CMSSpec{WrongSignature: true}})
		}),
		vrps:  []VRP{goodVRP},
		check: checks(count(KindGBR, invalidCount, 1), count(KindROA, validCount, 1)),
	},
}
