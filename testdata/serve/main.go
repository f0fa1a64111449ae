// Command serve serves a world written by testdata/worldgen on loopback
// addresses until it is stopped (SIGINT or SIGTERM): one rsync daemon per
// serve/rsyncd-<host>.conf, and one HTTPS server per https/<host>:<port>/
// document root, with a certificate from a test CA made at start.
//
//	go run ./testdata/serve -world /tmp/world -bundle /tmp/bundle.pem
//
// -bundle receives the system CA bundle followed by the test CA, for
// SSL_CERT_FILE; it is world-readable so that rpki-client, which drops to
// its own user, can read it. When everything listens, serve writes
// "ready" to -ready (if given). It is a test program.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/tally-rpki/tally/fetch/fetchtest"
)

func main() {
	world := flag.String("world", "", "world directory written by worldgen (required)")
	bundle := flag.String("bundle", "", "write the CA bundle (system CAs + the test CA) here (required)")
	ready := flag.String("ready", "", `write "ready" to this file when serving`)
	flag.Parse()
	if *world == "" || *bundle == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*world, *bundle, *ready); err != nil {
		log.Fatal("serve: ", err)
	}
}

func run(world, bundle, ready string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	hosts, err := filepath.Glob(filepath.Join(world, "https", "*"))
	if err != nil {
		return err
	}
	var ips []net.IP
	for _, h := range hosts {
		host, _, err := net.SplitHostPort(filepath.Base(h))
		if err != nil {
			return fmt.Errorf("%s: %w", h, err)
		}
		ips = append(ips, net.ParseIP(host))
	}
	// Valid for ten years around now: peers may run under a faked clock.
	now := time.Now()
	ca, err := fetchtest.NewCAFor(filepath.Dir(bundle), now.AddDate(-5, 0, 0), now.AddDate(5, 0, 0), ips)
	if err != nil {
		return err
	}
	system, err := os.ReadFile("/etc/ssl/certs/ca-certificates.crt")
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.WriteFile(bundle, append(system, ca.PEM...), 0o644); err != nil {
		return err
	}
	for _, h := range hosts {
		srv := &http.Server{
			Addr:              filepath.Base(h),
			Handler:           http.FileServer(http.Dir(h)),
			TLSConfig:         ca.ServerTLS(),
			ReadHeaderTimeout: 10 * time.Second,
		}
		l, err := net.Listen("tcp", srv.Addr)
		if err != nil {
			return err
		}
		go srv.ServeTLS(l, "", "")
		defer srv.Close()
	}
	confs, err := filepath.Glob(filepath.Join(world, "serve", "rsyncd-*.conf"))
	if err != nil {
		return err
	}
	for _, conf := range confs {
		cmd, err := rsyncd(conf)
		if err != nil {
			return err
		}
		defer func() {
			cmd.Process.Kill()
			cmd.Wait()
		}()
	}
	if ready != "" {
		if err := os.WriteFile(ready, []byte("ready\n"), 0o644); err != nil {
			return err
		}
	}
	log.Printf("serve: %d HTTPS servers and %d rsync daemons for %s", len(hosts), len(confs), world)
	<-ctx.Done()
	return nil
}

// rsyncd starts the daemon of conf, whose first line is the comment
// "# rsync --daemon --no-detach --config=THIS --address=A --port=P", and
// waits until it listens.
func rsyncd(conf string) (*exec.Cmd, error) {
	f, err := os.Open(conf)
	if err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(f).ReadString('\n')
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", conf, err)
	}
	var addr, port string
	for _, field := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(field, "--address="); ok {
			addr = v
		}
		if v, ok := strings.CutPrefix(field, "--port="); ok {
			port = v
		}
	}
	if addr == "" || port == "" {
		return nil, fmt.Errorf("%s: no --address and --port in the first line", conf)
	}
	cmd := exec.Command("rsync", "--daemon", "--no-detach", "--config="+conf, "--address="+addr, "--port="+port)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	for range 500 {
		if c, err := net.DialTimeout("tcp", net.JoinHostPort(addr, port), time.Second); err == nil {
			c.Close()
			return cmd, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	return nil, fmt.Errorf("rsync daemon for %s not listening on %s:%s", conf, addr, port)
}
