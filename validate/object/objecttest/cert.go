package objecttest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"fmt"
	"math/big"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// The roots of the default URIs. A CA whose SKI in upper-case hex is S
// publishes in RsyncBase+S+"/"; its certificate is S.cer in its parent's
// publication point (TABase+S+".cer" for a TA); its manifest and CRL are
// S.mft and S.crl in its own. A signed object whose EE certificate has SKI
// E is E.roa, E.asa, E.gbr or E.tak there, and a router certificate is
// E.cer. S and E are also the default subject CNs. When a KeySource has
// gone round its cycle n times, "-<n>" follows the hex in all of these.
const (
	RsyncBase     = "rsync://rpki.example.net/repo/"
	TABase        = "rsync://rpki.example.net/ta/"
	DefaultNotify = "https://rpki.example.net/rrdp/notification.xml"
)

// Now returns the fixed validation time of tally's tests,
// 2026-01-02 03:04:05 UTC. Every default validity period contains it: a
// certificate is valid from a year before to a year after, a CRL or a
// manifest from an hour before to a day after.
func Now() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }

// CertSpec describes a certificate. The zero value gives an RFC 6487
// profile-correct certificate; each field overrides one default, and the
// knobs after the URIs break one thing at a time for negative tests. The
// builder checks nothing: it encodes what it is given.
type CertSpec struct {
	// IP and AS list RFC 3779 resources as strings ("10.0.0.0/8",
	// "10.0.0.0-10.0.1.255", "inherit", "ipv4:inherit", "AS64496",
	// "AS64496-AS64511"); see the package documentation. Nil means the
	// default: for a TA 0.0.0.0/0, ::/0 and AS0-AS4294967295; for a CA
	// with both nil, inherit for both; for the EE certificate of a signed
	// object, what its payload needs. A non-nil list is encoded as given,
	// even when empty; leave an extension out with Omit.
	IP, AS []string

	NotBefore, NotAfter time.Time       // zero: Now() minus and plus a year (manifest EE: its thisUpdate and nextUpdate)
	Serial              int64           // zero: the issuer's next serial; crypto/x509 refuses negative ones
	Key                 *rsa.PrivateKey // nil: the next key of the tree's KeySource (unused for router certificates)
	Subject             string          // subject CN; "": the SKI in upper-case hex

	URI      string // where the certificate or signed object is published (an EE's SIA signedObject)
	Repo     string // SIA caRepository of a CA; should end in "/"
	Manifest string // SIA rpkiManifest of a CA
	Notify   string // SIA rpkiNotify of a CA; "": DefaultNotify
	NoNotify bool   // leave rpkiNotify out of a CA's SIA
	CRLDP    string // "": the issuer's CRL URI; set on a TA to give it a CRLDP
	AIA      string // "": the issuer's certificate URI; set on a TA to give it an AIA

	Omit         Ext           // extensions to leave out
	FlipCritical Ext           // extensions whose critical flag is inverted
	KeyUsage     x509.KeyUsage // replaces the profile's key usage bits when non-zero
	// ExtraExtensions replace the built extension with the same OID, in
	// place; the others are appended.
	ExtraExtensions []pkix.Extension
	// SignatureAlgorithm replaces x509.SHA256WithRSA when non-zero.
	SignatureAlgorithm x509.SignatureAlgorithm
	WrongSignature     bool // invert the last byte of the signature
}

// Object is a built file: its name in the publication point, its rsync
// URI and its bytes.
type Object struct {
	Name   string // file name, the last element of URI
	URI    string
	DER    []byte
	SKI    []byte // of the certificate, or of a signed object's EE certificate; nil for a CRL
	Serial int64  // of the certificate, or of a signed object's EE certificate; the CRL number of a CRL
	EE     []byte // a signed object's EE certificate; nil for the others
}

// Issuer is a TA or CA of a test tree: its certificate, its key and the
// URIs its children point to. Its methods issue child CAs and objects.
// An Issuer is safe for concurrent use, but only sequential use gives the
// same serials, keys and bytes on every run.
type Issuer struct {
	Object                        // the CA certificate
	X509        *x509.Certificate // Object.DER parsed by crypto/x509; nil if it refuses a broken one
	Key         *rsa.PrivateKey
	Repo        string // SIA caRepository
	ManifestURI string // SIA rpkiManifest; where Manifest publishes
	CRLURI      string // where CRL publishes; the CRLDP of every child
	Notify      string // SIA rpkiNotify; "" when absent
	Parent      *Issuer
	Keys        *KeySource // where the children's keys come from

	label   string     // the default subject CN and stem of the default URIs
	subject []byte     // subject Name DER, the issuer Name of every child
	mu      sync.Mutex // guards serial
	serial  int64      // the last serial issued
}

// NewTA returns a self-signed TA built from spec, drawing its key and its
// descendants' keys from NewKeySource(0). Two trees in one test must not
// both start this way, or they share keys: use one KeySource's NewTA for
// both.
func NewTA(spec CertSpec) *Issuer { return NewKeySource(0).NewTA(spec) }

// NewTA returns a self-signed TA built from spec, with its key and those of
// its descendants drawn from ks. The TA has serial 1 unless spec says
// otherwise, and neither AKI, CRLDP nor AIA.
func (ks *KeySource) NewTA(spec CertSpec) *Issuer {
	if spec.IP == nil && spec.AS == nil {
		spec.IP = []string{"0.0.0.0/0", "::/0"}
		spec.AS = []string{"AS0-AS4294967295"}
	}
	if spec.Serial == 0 {
		spec.Serial = 1
	}
	key, ski, name := ks.rsaKey(spec.Key)
	ta := newIssuer(&spec, key, ski, name, TABase+name+".cer", ks)
	ta.Serial, ta.serial = spec.Serial, spec.Serial
	ta.DER = build(&spec, ta.profile(), signer{key: key, name: ta.subject})
	ta.parse()
	return ta
}

// CA issues a child CA certificate built from spec.
func (iss *Issuer) CA(spec CertSpec) *Issuer {
	if spec.IP == nil && spec.AS == nil {
		spec.IP, spec.AS = []string{"inherit"}, []string{"inherit"}
	}
	key, ski, name := iss.Keys.rsaKey(spec.Key)
	ca := newIssuer(&spec, key, ski, name, iss.Repo+name+".cer", iss.Keys)
	ca.Parent = iss
	ca.Serial = iss.serialFor(&spec)
	ca.DER = build(&spec, ca.profile(), iss.signer())
	ca.parse()
	return ca
}

// newIssuer fills in the names and URIs of a CA from spec and the defaults;
// name is the default subject CN and the stem of the default URIs.
func newIssuer(spec *CertSpec, key *rsa.PrivateKey, ski []byte, name, uri string, ks *KeySource) *Issuer {
	iss := &Issuer{Key: key, Keys: ks, label: name, subject: commonName(or(spec.Subject, name))}
	iss.SKI = ski
	iss.URI = or(spec.URI, uri)
	iss.Name = path.Base(iss.URI)
	iss.Repo = or(spec.Repo, RsyncBase+name+"/")
	iss.ManifestURI = or(spec.Manifest, iss.Repo+name+".mft")
	iss.CRLURI = iss.Repo + name + ".crl"
	if !spec.NoNotify {
		iss.Notify = or(spec.Notify, DefaultNotify)
	}
	return iss
}

// profile is the CA certificate profile of iss.
func (iss *Issuer) profile() profile {
	return profile{
		kind: kindCA, pub: &iss.Key.PublicKey, ski: iss.SKI, serial: iss.Serial,
		subject: iss.label,
		sia: []access{
			{oidADCARepository(), iss.Repo},
			{oidADRPKIManifest(), iss.ManifestURI},
			{oidADRPKINotify(), iss.Notify},
		},
	}
}

func (iss *Issuer) parse() {
	if c, err := x509.ParseCertificate(iss.DER); err == nil {
		iss.X509 = c
	}
}

// signer is iss as the signer of its children.
func (iss *Issuer) signer() signer {
	return signer{key: iss.Key, name: iss.subject, ski: iss.SKI, crl: iss.CRLURI, cert: iss.URI}
}

// serialFor returns spec.Serial, or else the next serial of iss.
func (iss *Issuer) serialFor(spec *CertSpec) int64 {
	if spec.Serial != 0 {
		return spec.Serial
	}
	iss.mu.Lock()
	defer iss.mu.Unlock()
	iss.serial++
	return iss.serial
}

// SPKI returns the DER SubjectPublicKeyInfo of the issuer's key, as a TAL
// or a TAK carries it.
func (iss *Issuer) SPKI() []byte { return marshalSPKI(&iss.Key.PublicKey) }

// RouterSpec describes a BGPsec router certificate (RFC 8209).
type RouterSpec struct {
	AS   []string          // the router's AS resources; Cert.AS overrides them when non-nil
	Key  *ecdsa.PrivateKey // nil: the next EC key of the tree's KeySource
	Cert CertSpec          // overrides; Cert.Key is unused
}

// Router issues a BGPsec router certificate: an ECDSA P-256 subject key,
// signed with the issuer's RSA key, with the bgpsec-router extended key
// usage, AS resources only, no SIA, and the subject CN "ROUTER-" followed
// by the first AS number in eight hex digits.
func (iss *Issuer) Router(spec RouterSpec) Object {
	key, ski, name := iss.Keys.ecKey(spec.Key)
	cs := &spec.Cert
	p := profile{
		kind: kindRouter, pub: &key.PublicKey, ski: ski, serial: iss.serialFor(cs),
		subject: routerName(orList(cs.AS, spec.AS)), as: spec.AS,
	}
	o := Object{URI: or(cs.URI, iss.Repo+name+".cer"), SKI: ski, Serial: p.serial}
	o.Name = path.Base(o.URI)
	o.DER = build(cs, p, iss.signer())
	return o
}

// routerName is the RFC 8209 §3.1.1 subject CN for the first AS number.
func routerName(as []string) string {
	var n uint64
	if len(as) > 0 {
		lo, _, _ := strings.Cut(as[0], "-")
		if v, err := strconv.ParseUint(strings.TrimPrefix(lo, "AS"), 10, 32); err == nil {
			n = v // "inherit" and the like leave 0
		}
	}
	return fmt.Sprintf("ROUTER-%08X", n)
}

type certKind int

const (
	kindCA certKind = iota
	kindEE
	kindRouter
)

// profile is what the kind of certificate and its issuer fix before the
// spec overrides it.
type profile struct {
	kind                certKind
	pub                 crypto.PublicKey
	ski                 []byte
	serial              int64
	subject             string    // default CN
	sia                 []access  // nil: no SIA
	ip, as              []string  // default resources, used when the spec's are nil; nil: none
	notBefore, notAfter time.Time // default validity; zero: Now() ± a year
}

// signer is the key and names that sign a certificate. A TA signs itself
// with ski, crl and cert empty, which leaves out AKI, CRLDP and AIA.
type signer struct {
	key       *rsa.PrivateKey
	name      []byte // issuer Name DER
	ski       []byte
	crl, cert string // CRLDP and AIA URIs
}

// build creates and signs the certificate spec and p describe.
func build(spec *CertSpec, p profile, s signer) []byte {
	tmpl := &x509.Certificate{
		SerialNumber:       big.NewInt(p.serial),
		RawSubject:         commonName(or(spec.Subject, p.subject)),
		NotBefore:          first(spec.NotBefore, p.notBefore, Now().AddDate(-1, 0, 0)),
		NotAfter:           first(spec.NotAfter, p.notAfter, Now().AddDate(1, 0, 0)),
		SignatureAlgorithm: x509.SHA256WithRSA,
		ExtraExtensions:    finishExtensions(extensions(spec, p, s), spec.Omit, spec.FlipCritical, spec.ExtraExtensions),
	}
	if spec.SignatureAlgorithm != 0 {
		tmpl.SignatureAlgorithm = spec.SignatureAlgorithm
	}
	// A parent without SubjectKeyId keeps crypto/x509 from adding an AKI of
	// its own; ours is in ExtraExtensions.
	parent := &x509.Certificate{RawSubject: s.name, PublicKey: &s.key.PublicKey}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, p.pub, s.key)
	if err != nil {
		panic("objecttest: " + err.Error())
	}
	if spec.WrongSignature {
		der[len(der)-1] ^= 0xff // the signature BIT STRING ends the certificate
	}
	return der
}

// extensions lists the profile's extensions in RFC 6487 §4.8 order.
func extensions(spec *CertSpec, p profile, s signer) []ext {
	var exts []ext
	if p.kind == kindCA {
		exts = append(exts, ext{ExtBasicConstraints, true, basicConstraintsCA()})
	}
	exts = append(exts, ext{ExtSKI, false, octetString(p.ski)})
	if s.ski != nil {
		exts = append(exts, ext{ExtAKI, false, authorityKeyID(s.ski)})
	}
	ku := x509.KeyUsageDigitalSignature
	if p.kind == kindCA {
		ku = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	}
	if spec.KeyUsage != 0 {
		ku = spec.KeyUsage
	}
	exts = append(exts, ext{ExtKeyUsage, true, keyUsage(int(ku))})
	if p.kind == kindRouter {
		exts = append(exts, ext{ExtExtKeyUsage, false, extKeyUsage(oidKPBGPsecRouter())})
	}
	if crl := or(spec.CRLDP, s.crl); crl != "" {
		exts = append(exts, ext{ExtCRLDP, false, crlDistributionPoints(crl)})
	}
	if aia := or(spec.AIA, s.cert); aia != "" {
		exts = append(exts, ext{ExtAIA, false, accessDescriptions(access{oidADCAIssuers(), aia})})
	}
	if p.sia != nil {
		exts = append(exts, ext{ExtSIA, false, accessDescriptions(p.sia...)})
	}
	exts = append(exts, ext{ExtPolicies, true, certificatePolicies(oidPolicyRPKI())})
	if ip := orList(spec.IP, p.ip); ip != nil {
		exts = append(exts, ext{ExtIPAddrBlocks, true, ipAddrBlocks(ip)})
	}
	if as := orList(spec.AS, p.as); as != nil {
		exts = append(exts, ext{ExtASIdentifiers, true, asIdentifiers(as)})
	}
	return exts
}

func or(s, def string) string {
	if s != "" {
		return s
	}
	return def
}

func orList(l, def []string) []string {
	if l != nil {
		return l
	}
	return def
}

// first returns the first non-zero time.
func first(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

func hexName(ski []byte) string { return strings.ToUpper(hex.EncodeToString(ski)) }

func marshalSPKI(pub crypto.PublicKey) []byte {
	spki, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		panic("objecttest: " + err.Error())
	}
	return spki
}

// keyID is the RFC 6487 §4.8.2 key identifier: the SHA-1 hash of the
// subjectPublicKey BIT STRING contents.
func keyID(pub crypto.PublicKey) []byte {
	s := cryptobyte.String(marshalSPKI(pub))
	var spki, algo cryptobyte.String
	var bits []byte
	if !s.ReadASN1(&spki, cbasn1.SEQUENCE) || !spki.ReadASN1(&algo, cbasn1.SEQUENCE) ||
		!spki.ReadASN1BitStringAsBytes(&bits) {
		panic("objecttest: cannot read our own SubjectPublicKeyInfo")
	}
	h := sha1.Sum(bits)
	return h[:]
}
