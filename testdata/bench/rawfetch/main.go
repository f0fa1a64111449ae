// Command rawfetch transfers what a cold validator run must bring from a
// served world (testdata/serve), and nothing else: every RRDP snapshot
// over HTTPS and, for repositories without RRDP, their directory with
// rsync, with the fetcher's parallelism (64 HTTPS, 16 rsync). It prints
// the seconds and bytes: the yardsticks of compare.sh's cold-run target.
// The snapshots are read and discarded, so this is the network's part
// alone. With -rsync it transfers every repository with rsync instead,
// into files under -dir: what a validator using rsync alone does, file
// creation included. SSL_CERT_FILE must name the bundle serve wrote. It
// is a test program.
//
//	go run ./testdata/bench/rawfetch -world /tmp/world -dir /tmp/raw [-rsync]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type world struct {
	Repositories []struct {
		Name     string `json:"name"`
		Rsync    string `json:"rsync"`
		Notify   string `json:"notify"`
		Snapshot string `json:"snapshot"`
	} `json:"repositories"`
}

func main() {
	dir := flag.String("world", "", "world directory (required)")
	out := flag.String("dir", "", "empty directory to transfer into (required)")
	rsyncAll := flag.Bool("rsync", false, "transfer every repository with rsync, into files")
	flag.Parse()
	if *dir == "" || *out == "" {
		flag.Usage()
		os.Exit(2)
	}
	data, err := os.ReadFile(filepath.Join(*dir, "world.json"))
	if err != nil {
		log.Fatal(err)
	}
	var w world
	if err := json.Unmarshal(data, &w); err != nil {
		log.Fatal(err)
	}
	start := time.Now()
	var bytes atomic.Int64
	var wg sync.WaitGroup
	httpSem, rsyncSem := make(chan struct{}, 64), make(chan struct{}, 16)
	errs := make(chan error, len(w.Repositories))
	for i, r := range w.Repositories {
		wg.Go(func() {
			if r.Notify != "" && !*rsyncAll {
				httpSem <- struct{}{}
				defer func() { <-httpSem }()
				for _, u := range []string{r.Notify, r.Snapshot} {
					n, err := get(u)
					bytes.Add(n)
					if err != nil {
						errs <- err
						return
					}
				}
				return
			}
			rsyncSem <- struct{}{}
			defer func() { <-rsyncSem }()
			dest := filepath.Join(*out, fmt.Sprint(i))
			cmd := exec.Command("rsync", "-rt", "--stats", "--", r.Rsync, dest+"/")
			text, err := cmd.CombinedOutput()
			if err != nil {
				errs <- fmt.Errorf("rsync %s: %v\n%s", r.Rsync, err, text)
				return
			}
			for _, l := range strings.Split(string(text), "\n") {
				if v, ok := strings.CutPrefix(l, "Total bytes received: "); ok {
					var n int64
					fmt.Sscan(strings.ReplaceAll(v, ",", ""), &n)
					bytes.Add(n)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		log.Fatal(err)
	}
	fmt.Printf("rawfetch: %.2f s, %d bytes\n", time.Since(start).Seconds(), bytes.Load())
}

// get reads uri to the end and returns the bytes read.
func get(uri string) (int64, error) {
	resp, err := http.Get(uri)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("%s: %s", uri, resp.Status)
	}
	return io.Copy(io.Discard, resp.Body)
}
