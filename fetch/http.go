package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// errIdle is the cause of a request cancelled because its peer sent
// nothing for IdleTimeout.
var errIdle = errors.New("no data for " + IdleTimeout.String())

// errTooLarge reports a response body longer than the cap its caller set.
var errTooLarge = errors.New("response too large")

// newHTTPClient builds the client for RRDP and https TA certificates:
// bounded connect and TLS handshake, https only (redirects included), and
// the default transparent gzip decoding, so every byte cap applies to the
// decoded data and a compression bomb gets no further than a plain body.
func newHTTPClient(cfg Config) *http.Client {
	d := &net.Dialer{Timeout: ConnectTimeout, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           d.DialContext,
		TLSClientConfig:       cfg.TLS,
		TLSHandshakeTimeout:   ConnectTimeout,
		ResponseHeaderTimeout: IdleTimeout,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   4,
		ForceAttemptHTTP2:     true,
	}
	if cfg.TLS != nil {
		tr.TLSClientConfig = cfg.TLS.Clone()
	}
	return &http.Client{
		Transport: tr,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirects {
				return fmt.Errorf("more than %d redirects", maxRedirects)
			}
			if req.URL.Scheme != "https" {
				return fmt.Errorf("redirect to %s: not https", req.URL.Redacted())
			}
			return nil
		},
	}
}

// body is an open response body. Close must be called; it releases the
// HTTPS slot and the request's context.
type body struct {
	r       io.Reader // the capped, idle-watched body
	rc      io.ReadCloser
	cancel  context.CancelCauseFunc
	idle    *time.Timer
	release func()
	n       *int64 // bytes read, added to the repository's count
}

func (b *body) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if n > 0 {
		b.idle.Reset(IdleTimeout)
		*b.n += int64(n)
	}
	return n, err
}

func (b *body) Close() error {
	b.idle.Stop()
	err := b.rc.Close()
	b.cancel(nil)
	b.release()
	return err
}

// get starts a GET of the https URL uri and returns its body, capped at
// max bytes (a longer body fails with errTooLarge) and cancelled when the
// peer stays silent for IdleTimeout. It holds one of the MaxHTTPS slots
// until the body is closed. Bytes read are added to *count.
func (c *Client) get(ctx context.Context, uri string, max int64, count *int64) (*body, error) {
	if !strings.HasPrefix(uri, "https://") {
		return nil, fmt.Errorf("%s: not an https URI", uri)
	}
	if err := acquire(ctx, c.httpSem); err != nil {
		return nil, err
	}
	release := func() { <-c.httpSem }
	rctx, cancel := context.WithCancelCause(ctx)
	idle := time.AfterFunc(IdleTimeout, func() { cancel(errIdle) })
	fail := func(err error) (*body, error) {
		idle.Stop()
		cancel(nil)
		release()
		return nil, err
	}
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, uri, nil)
	if err != nil {
		return fail(fmt.Errorf("GET %s: %w", uri, err))
	}
	req.Header.Set("User-Agent", userAgent)
	resp, err := c.http.Do(req)
	if err != nil {
		if cause := context.Cause(rctx); cause != nil {
			err = fmt.Errorf("%w (%w)", err, cause)
		}
		return fail(fmt.Errorf("GET %s: %w", uri, err))
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return fail(fmt.Errorf("GET %s: %s", uri, resp.Status))
	}
	if resp.ContentLength > max {
		resp.Body.Close()
		return fail(fmt.Errorf("GET %s: %w: %d bytes, at most %d", uri, errTooLarge, resp.ContentLength, max))
	}
	return &body{
		r:       &capped{r: resp.Body, left: max, uri: uri, ctx: rctx},
		rc:      resp.Body,
		cancel:  cancel,
		idle:    idle,
		release: release,
		n:       count,
	}, nil
}

// capped fails once more than left bytes were read, and names the cause
// when the body's context was cancelled (idle peer, deadline).
type capped struct {
	r    io.Reader
	left int64
	uri  string
	ctx  context.Context
}

func (c *capped) Read(p []byte) (int, error) {
	if int64(len(p)) > c.left+1 {
		p = p[:c.left+1] // one byte more reveals an oversized body
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.left < 0 {
		return n - 1, fmt.Errorf("GET %s: %w", c.uri, errTooLarge)
	}
	if err != nil && err != io.EOF {
		if cause := context.Cause(c.ctx); cause != nil {
			err = fmt.Errorf("%w (%w)", err, cause)
		}
		err = fmt.Errorf("GET %s: %w", c.uri, err)
	}
	return n, err
}

// readAll reads a whole capped body.
func (c *Client) readAll(ctx context.Context, uri string, max int64, count *int64) ([]byte, error) {
	b, err := c.get(ctx, uri, max, count)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(b) // b is capped at max
	return data, errors.Join(err, b.Close())
}

// acquire takes a slot of sem, or gives up when ctx ends.
func acquire(ctx context.Context, sem chan struct{}) error {
	select {
	case sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
