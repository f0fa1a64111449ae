package validate

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/big"
	"path"
	"strings"
	"time"

	"github.com/tally-rpki/tally/validate/object"
)

// errPointRejected is what point.run returns when the publication point
// as read failed as a whole; the object at fault is already counted.
var errPointRejected = fmt.Errorf("publication point rejected: %w", ErrInvalid)

// errStale marks a rejection for a manifest or CRL past its nextUpdate,
// counted as Stale rather than Invalid.
var errStale = errors.New("stale")

// pointResult is what one publication point job returns to the
// coordinator. The job owns it until it is sent.
type pointResult struct {
	ca       *CA
	children []*CA
	vrps     []VRP
	aspas    []ASPA
	keys     []RouterKey
	stats    Stats
	unknown  int // files of no known type, skipped
	extra    int // files in the fresh download the manifest does not list
	warnings []string
	// rejected holds the resources of CAs rejected here, and of this CA
	// when its publication point was unusable, for the unsafe-VRP check.
	rejected      []object.Resources
	nonFunctional bool  // neither the fresh nor the validated copy was usable
	err           error // an operational fault that stops the run
}

// point validates one publication point as read by one function (the
// fresh download or the validated store). It runs on the pool and shares
// nothing: everything it finds goes into res.
type point struct {
	k         *checker
	store     Store
	log       *slog.Logger
	read      func(uri string) ([]byte, error)
	readValid func(uri string) ([]byte, error) // Store.Valid, or what reads the same faster
	prefetch  func(names []string)             // nil, or reads these files of the directory ahead
	list      func() ([]string, error)         // the files of the fresh download's directory
	fromCache bool
	iss       issuing
	res       *pointResult
	files     map[string][32]byte // validated files by name, for Store.Promote
	// badMft is the manifest when it was itself at fault, and rejectedMft
	// that of the fresh attempt, so that the validated copy is not tried
	// (and counted again) when it is the very manifest found bad.
	badMft, rejectedMft []byte
	// unchanged is set when the fresh manifest is byte for byte the
	// validated copy's: the store then already holds every file it lists
	// with the listed hash, and promotion has nothing to do.
	unchanged bool
}

// listedFile is a file of the manifest whose hash matched.
type listedFile struct {
	uri  string
	data []byte
	sum  [sha256.Size]byte
}

// reject logs and counts a bad object. It returns an error only when err
// is an operational fault that must stop the run.
func (p *point) reject(uri string, kind Kind, err error) error {
	err = fmt.Errorf("%s: %w", uri, err)
	switch {
	case errors.Is(err, errStale):
		p.res.stats[kind].Stale++
	case errors.Is(err, object.ErrMalformed):
		p.res.stats[kind].FailedParse++
	case errors.Is(err, ErrInvalid):
		p.res.stats[kind].Invalid++
	default:
		return err
	}
	p.warn(err.Error())
	return nil
}

// fail rejects the object at fault and then the whole publication point.
func (p *point) fail(uri string, kind Kind, err error) error {
	if ferr := p.reject(uri, kind, err); ferr != nil {
		return ferr
	}
	return errPointRejected
}

// accept counts a valid object, as taken from the cache when it is.
func (p *point) accept(kind Kind) {
	if p.fromCache {
		p.res.stats[kind].FromCache++
	} else {
		p.res.stats[kind].Valid++
	}
}

// warn records a warning and logs it.
func (p *point) warn(msg string) {
	p.res.warnings = append(p.res.warnings, msg)
	if p.log != nil {
		p.log.Warn(msg)
	}
}

// run validates the manifest, the CRL and the hashes of every listed file,
// any failure of which rejects the point (RFC 9286 §6), and then every
// file on its own.
func (p *point) run() error {
	ca := p.iss.ca.Cert
	mftURI := ca.Manifest
	data, err := p.read(mftURI)
	if errors.Is(err, fs.ErrNotExist) {
		if p.fromCache {
			return errPointRejected // nothing validated before; not a new rejection
		}
		return p.fail(mftURI, KindManifest, invalid("RFC 9286 §6.2", "manifest missing"))
	}
	if err != nil {
		return err
	}
	if p.fromCache && bytes.Equal(data, p.rejectedMft) {
		return errPointRejected // the same files again; counted once
	}
	mft, err := object.ParseManifest(data)
	if err != nil {
		p.badMft = data
		return p.fail(mftURI, KindManifest, err)
	}
	mftSum := object.FileHash(data)
	if err := p.checkManifest(mftURI, data, mftSum, mft); err != nil {
		p.badMft = data
		return p.fail(mftURI, KindManifest, err)
	}
	if p.prefetch != nil {
		// What the manifest lists, and only that: files not on it are
		// never read, however many a repository holds.
		names := make([]string, len(mft.Files))
		for i, f := range mft.Files {
			names[i] = f.Name
		}
		p.prefetch(names)
	}
	if err := p.loadCRL(mft); err != nil {
		return err
	}
	ee := mft.Signed.EE
	if p.iss.crl.IsRevoked(ee.Serial) || ee.CRLDP != p.iss.crlURI {
		return p.fail(mftURI, KindManifest,
			invalid("RFC 9286 §6.2", "EE certificate revoked or not under %s", p.iss.crlURI))
	}
	files, err := p.checkFiles(mft)
	if err != nil {
		return err
	}
	p.accept(KindManifest)
	p.accept(KindCRL)
	p.files[path.Base(mftURI)] = mftSum
	if err := p.warnUnlisted(mft); err != nil {
		return err
	}
	for _, f := range files {
		if err := p.object(f.uri, f.data, f.sum); err != nil {
			return err
		}
	}
	return nil
}

// checkManifest checks the manifest (data, whose SHA-256 is sum) against
// its EE certificate, the CA, now and the copy in the validated store.
func (p *point) checkManifest(uri string, data []byte, sum [sha256.Size]byte, mft *object.Manifest) error {
	// The window first: the EE certificate usually shares it, and a stale
	// manifest is worth counting as such.
	if p.k.now.Before(mft.ThisUpdate) {
		return invalid("RFC 9286 §6.3", "thisUpdate %s is in the future", mft.ThisUpdate.UTC().Format(time.RFC3339))
	}
	if p.k.now.After(mft.NextUpdate) {
		return invalidBy("RFC 9286 §6.3", "past nextUpdate "+mft.NextUpdate.UTC().Format(time.RFC3339), errStale)
	}
	if _, _, err := p.checkSigned(uri, mft.Signed, sum); err != nil {
		return err
	}
	p.iss.expires = earliest(p.iss.expires, mft.NextUpdate)
	if p.fromCache {
		return nil
	}
	return p.checkProgress(uri, data, mft)
}

// checkProgress requires manifestNumber and thisUpdate not to go back
// compared with the validated copy (RFC 9286 §4.2.1). A stored copy that
// no longer parses is ignored.
func (p *point) checkProgress(uri string, data []byte, mft *object.Manifest) error {
	const rule = "RFC 9286 §4.2.1"
	old, err := p.readValid(uri)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err == nil && bytes.Equal(old, data) {
		p.unchanged = true
		return nil
	}
	if err != nil {
		return err
	}
	prev, err := object.ParseManifest(old)
	if err != nil {
		return nil
	}
	switch c := mft.Number.Cmp(prev.Number); {
	case c < 0:
		return invalid(rule, "manifestNumber %s below the validated %s", mft.Number, prev.Number)
	case c == 0:
		return invalid(rule, "manifestNumber %s reused with different contents", mft.Number)
	}
	if mft.ThisUpdate.Before(prev.ThisUpdate) {
		return invalid(rule, "thisUpdate before the validated copy's")
	}
	if next := new(big.Int).Add(prev.Number, big.NewInt(1)); mft.Number.Cmp(next) > 0 {
		p.res.stats[KindManifest].SeqGap++
	}
	return nil
}

// loadCRL finds the one CRL the manifest lists, checks it against the CA
// and now, and makes it the point's CRL (RFC 9286 §6.4, RFC 6487 §5).
func (p *point) loadCRL(mft *object.Manifest) error {
	repo := p.iss.ca.Cert.CARepository
	var crls []object.FileAndHash
	for _, f := range mft.Files {
		if strings.HasSuffix(f.Name, ".crl") {
			crls = append(crls, f)
		}
	}
	if len(crls) != 1 {
		return p.fail(p.iss.ca.Cert.Manifest, KindManifest,
			invalid("RFC 9286 §6.4", "lists %d CRLs, want exactly one", len(crls)))
	}
	uri := repo + crls[0].Name
	data, err := p.read(uri)
	if errors.Is(err, fs.ErrNotExist) {
		return p.fail(uri, KindCRL, invalid("RFC 9286 §6.4", "listed on the manifest but missing"))
	}
	if err != nil {
		return err
	}
	if object.FileHash(data) != crls[0].Hash {
		return p.fail(uri, KindCRL, invalid("RFC 9286 §6.5", "hash differs from the manifest's"))
	}
	crl, err := object.ParseCRL(data)
	if err != nil {
		return p.fail(uri, KindCRL, err)
	}
	if err := p.checkCRL(crl, crls[0].Hash); err != nil {
		return p.fail(uri, KindCRL, err)
	}
	p.iss.crl, p.iss.crlURI = crl, uri
	p.iss.expires = earliest(p.iss.expires, crl.NextUpdate)
	p.files[crls[0].Name] = crls[0].Hash
	return nil
}

// checkCRL checks a CRL (its file's SHA-256 is sum) against its issuer
// and now (RFC 6487 §5).
func (p *point) checkCRL(crl *object.CRL, sum [sha256.Size]byte) error {
	const rule = "RFC 6487 §5"
	ca := p.iss.ca.Cert
	if !bytes.Equal(crl.AKI, ca.SKI) || !bytes.Equal(crl.RawIssuer, ca.RawSubject) {
		return invalid(rule, "not issued by the CA (AKI %X, CA SKI %X)", crl.AKI, ca.SKI)
	}
	sigs := p.k.memo.forFile(sum, p.iss.spkiSum)
	if err := sigs.check(p.iss.verify, crl.RawTBS, crl.Signature); err != nil {
		return invalidBy(rule, "signature", err)
	}
	sigs.verified()
	if p.k.now.Before(crl.ThisUpdate) {
		return invalid(rule, "thisUpdate %s is in the future", crl.ThisUpdate.UTC().Format(time.RFC3339))
	}
	if p.k.now.After(crl.NextUpdate) {
		return invalidBy(rule, "past nextUpdate "+crl.NextUpdate.UTC().Format(time.RFC3339), errStale)
	}
	return nil
}

// checkFiles reads every file the manifest lists besides the CRL and
// checks its hash; one missing or different file rejects the point
// (RFC 9286 §6.4, §6.5).
func (p *point) checkFiles(mft *object.Manifest) ([]listedFile, error) {
	repo := p.iss.ca.Cert.CARepository
	files := make([]listedFile, 0, len(mft.Files))
	for _, f := range mft.Files {
		uri := repo + f.Name
		if uri == p.iss.crlURI {
			continue
		}
		data, err := p.read(uri)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, p.fail(uri, kindOfName(f.Name), invalid("RFC 9286 §6.4", "listed on the manifest but missing"))
		}
		if err != nil {
			return nil, err
		}
		if object.FileHash(data) != f.Hash {
			return nil, p.fail(uri, kindOfName(f.Name), invalid("RFC 9286 §6.5", "hash differs from the manifest's"))
		}
		p.files[f.Name] = f.Hash
		files = append(files, listedFile{uri: uri, data: data, sum: f.Hash})
	}
	return files, nil
}

// warnUnlisted warns about files of the fresh download that the manifest
// does not list; they are ignored (RFC 9286 §6.4).
func (p *point) warnUnlisted(mft *object.Manifest) error {
	if p.fromCache {
		return nil
	}
	repo := p.iss.ca.Cert.CARepository
	names, err := p.list()
	if err != nil {
		return err
	}
	for _, name := range names {
		if _, listed := p.files[name]; !listed {
			p.res.extra++
			p.warn(fmt.Sprintf("%s%s: RFC 9286 §6.4: not listed on the manifest, ignored", repo, name))
		}
	}
	return nil
}

// kindOfName guesses the Kind of a file from its name, for counting a file
// that cannot be read; a .cer counts as a CA certificate.
func kindOfName(name string) Kind {
	switch object.TypeFromName(name) {
	case object.TypeMFT:
		return KindManifest
	case object.TypeCRL:
		return KindCRL
	case object.TypeROA:
		return KindROA
	case object.TypeASPA:
		return KindASPA
	case object.TypeGBR:
		return KindGBR
	case object.TypeTAK:
		return KindTAK
	}
	return KindCert
}
