package object

import (
	"crypto"
	"crypto/x509"
	"time"
)

// CertKind says which RFC 6487 / RFC 8209 profile a certificate follows.
type CertKind int

const (
	KindCA     CertKind = iota // CA certificate (RFC 6487 §4, cA true)
	KindEE                     // EE certificate of a signed object (RFC 6487 §4, inside CMS)
	KindRouter                 // BGPsec router certificate (RFC 8209)
)

// Cert is a parsed RPKI resource certificate. Byte slices alias the input.
type Cert struct {
	Raw          []byte            // the whole certificate DER
	RawTBS       []byte            // tbsCertificate, the signed bytes
	RawSPKI      []byte            // subjectPublicKeyInfo DER
	RawSubject   []byte            // subject Name DER
	RawIssuer    []byte            // issuer Name DER
	Signature    []byte            // signatureValue bits
	PublicKey    crypto.PublicKey  // *rsa.PublicKey, or *ecdsa.PublicKey (P-256) for router certificates
	X509         *x509.Certificate // the generic X.509 view (Go's parser)
	Kind         CertKind
	SelfSigned   bool // subject == issuer and (AKI absent or AKI == SKI); a TA candidate
	Serial       []byte // big-endian magnitude of the serial number
	NotBefore    time.Time
	NotAfter     time.Time
	SKI          []byte // 20 bytes (RFC 6487 §4.8.2)
	AKI          []byte // 20 bytes; nil only on a self-signed certificate
	CRLDP        string // rsync URI of the issuer's CRL; "" on a self-signed certificate
	AIA          string // rsync URI of the issuer's certificate; "" on a self-signed certificate
	CARepository string // SIA caRepository rsync URI (CA only)
	Manifest     string // SIA rpkiManifest rsync URI (CA only)
	Notify       string // SIA rpkiNotify https URI (CA only; optional)
	SignedObject string // SIA signedObject rsync URI (EE only)
	Resources    Resources
	// UnknownExtensions lists the dotted OIDs of non-critical extensions the
	// profile does not name; validate may log them.
	UnknownExtensions []string
}

// TODO(#3): ParseCert.
