package objecttest

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strconv"
	"sync"
)

// NumKeys is the number of distinct RSA test keys; NumECKeys the number of
// distinct ECDSA P-256 test keys. Beyond these counts keys repeat.
const (
	NumKeys   = len(rsaKeyPEM)
	NumECKeys = len(ecKeyPEM)
)

// The parsed keys, filled on first use. Parsing all of them up front would
// cost every test binary that imports the package a few hundred
// milliseconds, so each key is parsed once when first asked for.
var (
	rsaKeys [NumKeys]struct {
		once sync.Once
		key  *rsa.PrivateKey
	}
	ecKeys [NumECKeys]struct {
		once sync.Once
		key  *ecdsa.PrivateKey
	}
)

// Key returns throwaway RSA-2048 test key i mod NumKeys. The same i always
// gives the same key; callers share it, so they must not modify it.
func Key(i int) *rsa.PrivateKey {
	i = mod(i, NumKeys)
	k := &rsaKeys[i]
	k.once.Do(func() {
		key, ok := parsePEM(rsaKeyPEM[i]).(*rsa.PrivateKey)
		if !ok {
			panic(fmt.Sprintf("objecttest: RSA key %d is not RSA", i))
		}
		k.key = key
	})
	return k.key
}

// ECKey returns throwaway ECDSA P-256 test key i mod NumECKeys, for BGPsec
// router certificates. Callers share it and must not modify it.
func ECKey(i int) *ecdsa.PrivateKey {
	i = mod(i, NumECKeys)
	k := &ecKeys[i]
	k.once.Do(func() {
		key, ok := parsePEM(ecKeyPEM[i]).(*ecdsa.PrivateKey)
		if !ok {
			panic(fmt.Sprintf("objecttest: EC key %d is not ECDSA", i))
		}
		k.key = key
	})
	return k.key
}

func parsePEM(s string) any {
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		panic("objecttest: bad PEM test key")
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		panic("objecttest: bad test key: " + err.Error())
	}
	return key
}

func mod(i, n int) int {
	i %= n
	if i < 0 {
		i += n
	}
	return i
}

// KeySource hands out the test keys in a fixed cycle, so a tree built in the
// same order gets the same keys and the same bytes every time. After
// NumKeys RSA keys (NumECKeys EC keys) the cycle repeats: in a tree larger
// than that, certificates share keys and hence SKIs. Default names and
// URIs stay unique (the builders append "-<n>" to the SKI on the nth round
// of the cycle), but a test that looks certificates up by SKI alone must
// stay below NumKeys or give keys explicitly.
//
// A KeySource is safe for concurrent use, but only sequential use is
// deterministic. All trees built in one test should share one KeySource, so
// that they do not reuse each other's keys.
type KeySource struct {
	mu     sync.Mutex // guards next and nextEC
	next   int
	nextEC int
}

// NewKeySource returns a KeySource whose first RSA key is Key(seed) and
// whose first EC key is ECKey(seed).
func NewKeySource(seed int) *KeySource {
	return &KeySource{next: seed, nextEC: seed}
}

// Next returns the next RSA key of the cycle.
func (ks *KeySource) Next() *rsa.PrivateKey { return Key(ks.take(&ks.next)) }

// NextEC returns the next ECDSA P-256 key of the cycle.
func (ks *KeySource) NextEC() *ecdsa.PrivateKey { return ECKey(ks.take(&ks.nextEC)) }

// take returns *counter and increments it.
func (ks *KeySource) take(counter *int) int {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	i := *counter
	*counter++
	return i
}

// rsaKey returns k, or the next key of the cycle when k is nil, with its
// SKI and the name it gives a certificate or file: the SKI in upper-case
// hex, followed by "-<n>" when the cycle has come round n times, so that
// default names and URIs stay unique in trees with more than NumKeys
// certificates.
func (ks *KeySource) rsaKey(k *rsa.PrivateKey) (*rsa.PrivateKey, []byte, string) {
	suffix := ""
	if k == nil {
		i := ks.take(&ks.next)
		k, suffix = Key(i), cycleSuffix(i, NumKeys)
	}
	ski := keyID(&k.PublicKey)
	return k, ski, hexName(ski) + suffix
}

// ecKey is rsaKey for ECDSA keys.
func (ks *KeySource) ecKey(k *ecdsa.PrivateKey) (*ecdsa.PrivateKey, []byte, string) {
	suffix := ""
	if k == nil {
		i := ks.take(&ks.nextEC)
		k, suffix = ECKey(i), cycleSuffix(i, NumECKeys)
	}
	ski := keyID(&k.PublicKey)
	return k, ski, hexName(ski) + suffix
}

func cycleSuffix(i, n int) string {
	if c := i / n; c > 0 {
		return "-" + strconv.Itoa(c)
	}
	return ""
}
