// Package fetchtest runs the servers fetch tests sync from, on loopback
// only: an rsync daemon (the system rsync program) and HTTPS servers with
// certificates from a test CA that a client trusts through SSL_CERT_FILE
// or a tls.Config. Every server stops at the test's cleanup.
package fetchtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Daemon is an rsync daemon on 127.0.0.1.
type Daemon struct {
	URL  string // "rsync://127.0.0.1:<port>/"; a module's base is URL+name+"/"
	Port int
	Pid  int // of the daemon process
	stop func()
}

// Rsyncd serves each directory of modules (module name to directory) from
// an rsync daemon on a free loopback port. The test fails when the rsync
// program is missing: CI installs it, and a skip would hide that.
func Rsyncd(t testing.TB, modules map[string]string) *Daemon {
	t.Helper()
	if _, err := exec.LookPath("rsync"); err != nil {
		t.Fatalf("the rsync program is required (apt-get install rsync): %v", err)
	}
	port := FreePort(t)
	dir := t.TempDir()
	logf := filepath.Join(dir, "rsyncd.log")
	var conf strings.Builder
	fmt.Fprintf(&conf, "uid = %d\ngid = %d\nuse chroot = no\nlog file = %s\n", os.Getuid(), os.Getgid(), logf)
	names := make([]string, 0, len(modules))
	for name := range modules {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		fmt.Fprintf(&conf, "\n[%s]\npath = %s\nread only = yes\n", name, modules[name])
	}
	confFile := filepath.Join(dir, "rsyncd.conf")
	if err := os.WriteFile(confFile, []byte(conf.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("rsync", "--daemon", "--no-detach", "--config="+confFile,
		"--address=127.0.0.1", "--port="+strconv.Itoa(port))
	if err := cmd.Start(); err != nil {
		t.Fatalf("start rsync daemon: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var once sync.Once
	d := &Daemon{URL: fmt.Sprintf("rsync://127.0.0.1:%d/", port), Port: port, Pid: cmd.Process.Pid}
	d.stop = func() {
		once.Do(func() {
			cmd.Process.Kill()
			<-exited
		})
	}
	t.Cleanup(d.stop)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for range 500 {
		select {
		case err := <-exited:
			data, _ := os.ReadFile(logf) // only for the message
			t.Fatalf("rsync daemon exited: %v\n%s", err, data)
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return d
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("rsync daemon not listening on %s after 10 s", addr)
	return nil
}

// Stop stops the daemon now; the port then refuses connections.
func (d *Daemon) Stop() { d.stop() }

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// CA is a test certificate authority with one server certificate for
// 127.0.0.1, ::1 and localhost.
type CA struct {
	CertFile string // PEM of the CA certificate, for SSL_CERT_FILE
	PEM      []byte // the same PEM
	pool     *x509.CertPool
	server   tls.Certificate
}

// NewCA creates a CA and its server certificate for 127.0.0.1, ::1 and
// localhost, valid for a day around now, and writes the CA certificate to
// dir/ca.pem.
func NewCA(dir string, now time.Time) (*CA, error) {
	return NewCAFor(dir, now.Add(-24*time.Hour), now.Add(24*time.Hour),
		[]net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback})
}

// NewCAFor creates a CA and a server certificate for localhost and ips,
// both valid from notBefore to notAfter, and writes the CA certificate to
// dir/ca.pem.
func NewCAFor(dir string, notBefore, notAfter time.Time, ips []net.IP) (*CA, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "tally test CA"},
		NotBefore: notBefore, NotAfter: notAfter,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: notBefore, NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames: []string{"localhost"}, IPAddresses: ips,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	file := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(file, caPEM, 0o644); err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	return &CA{
		CertFile: file,
		PEM:      caPEM,
		pool:     pool,
		server:   tls.Certificate{Certificate: [][]byte{der, caDER}, PrivateKey: key},
	}, nil
}

// ServerTLS returns a server configuration with the CA's server
// certificate.
func (ca *CA) ServerTLS() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{ca.server}}
}

// ClientTLS returns a client configuration trusting only the CA.
func (ca *CA) ClientTLS() *tls.Config {
	return &tls.Config{RootCAs: ca.pool, MinVersion: tls.VersionTLS12}
}

// Server is an HTTPS server of documents set by the test, counting the
// requests for each path. A path may instead fail with a status code, or
// be served by a handler of the test's own.
type Server struct {
	*httptest.Server
	mu       sync.Mutex
	docs     map[string][]byte
	hits     map[string]int
	status   map[string]int
	handlers map[string]http.Handler
}

// NewServer starts an HTTPS server with the CA's certificate on
// 127.0.0.1, or on addr ("[::1]:0" for IPv6) when given.
func (ca *CA) NewServer(t testing.TB, addr ...string) *Server {
	t.Helper()
	s := &Server{docs: map[string][]byte{}, hits: map[string]int{}, status: map[string]int{},
		handlers: map[string]http.Handler{}}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	if len(addr) > 0 {
		l, err := net.Listen("tcp", addr[0])
		if err != nil {
			t.Fatal(err)
		}
		s.Listener.Close()
		s.Listener = l
	}
	s.TLS = ca.ServerTLS()
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.hits[r.URL.Path]++
	body, ok := s.docs[r.URL.Path]
	status := s.status[r.URL.Path]
	h := s.handlers[r.URL.Path]
	s.mu.Unlock()
	switch {
	case h != nil:
		h.ServeHTTP(w, r)
	case status != 0:
		http.Error(w, http.StatusText(status), status)
	case !ok:
		http.NotFound(w, r)
	default:
		w.Write(body)
	}
}

// Set serves body at path.
func (s *Server) Set(path string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.docs[path] = body
}

// Fail makes path answer with status (0 serves its document again).
func (s *Server) Fail(path string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status[path] = status
}

// Handle serves path with h (nil removes it).
func (s *Server) Handle(path string, h http.Handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h == nil {
		delete(s.handlers, path)
		return
	}
	s.handlers[path] = h
}

// Hits returns the number of requests for path so far.
func (s *Server) Hits(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}
