package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/trellisgw/trellis/demo/faults"
)

// Client calls the admin endpoint of a sample services process. It is safe for concurrent use.
type Client struct {
	base string
	hc   *http.Client
}

// ClientOption configures a Client.
type ClientOption func(*Client)

// WithHTTPClient makes the Client send its requests with hc. Default: http.DefaultClient.
func WithHTTPClient(hc *http.Client) ClientOption {
	return func(c *Client) { c.hc = hc }
}

// NewClient returns a Client of the admin endpoint at baseURL, e.g. "http://127.0.0.1:4100".
func NewClient(baseURL string, opts ...ClientOption) *Client {
	c := &Client{base: strings.TrimSuffix(baseURL, "/")}
	for _, opt := range opts {
		opt(c)
	}
	if c.hc == nil {
		c.hc = http.DefaultClient
	}
	return c
}

// Error is an error answer of the admin endpoint.
type Error struct {
	// Status is the HTTP status code.
	Status int
	// Code is the error code, e.g. CodeNotFound.
	Code string
	// Message explains the error.
	Message string
}

// Error implements error.
func (e *Error) Error() string {
	return fmt.Sprintf("admin: %d %s: %s", e.Status, e.Code, e.Message)
}

// Calls returns the call counts of every instance.
func (c *Client) Calls(ctx context.Context) (CallsReport, error) {
	var out CallsReport
	return out, c.do(ctx, http.MethodGet, "/admin/calls", nil, http.StatusOK, &out)
}

// ResetCalls sets every call count to zero.
func (c *Client) ResetCalls(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/admin/calls/reset", nil, http.StatusNoContent, nil)
}

// Faults returns the fault of every instance.
func (c *Client) Faults(ctx context.Context) (FaultsReport, error) {
	var out FaultsReport
	return out, c.do(ctx, http.MethodGet, "/admin/faults", nil, http.StatusOK, &out)
}

// SetFault sets the fault of one instance of service, or of all its instances when instance is -1.
func (c *Client) SetFault(ctx context.Context, service string, instance int, f faults.Fault) error {
	inst := "*"
	if instance >= 0 {
		inst = strconv.Itoa(instance)
	}
	body, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("admin: encode fault: %w", err)
	}
	path := "/admin/faults/" + url.PathEscape(service) + "/" + inst
	return c.do(ctx, http.MethodPut, path, body, http.StatusOK, nil)
}

// Instances returns the addresses of every instance, per service.
func (c *Client) Instances(ctx context.Context) (map[string][]string, error) {
	var out map[string][]string
	return out, c.do(ctx, http.MethodGet, "/admin/instances", nil, http.StatusOK, &out)
}

// do sends one request and decodes the answer into out (when not nil) if its status is want.
func (c *Client) do(ctx context.Context, method, path string, body []byte, want int, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return fmt.Errorf("admin: %s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("admin: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("admin: %s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode != want {
		var eb errorBody
		if json.Unmarshal(b, &eb) == nil && eb.Error.Code != "" {
			return &Error{Status: resp.StatusCode, Code: eb.Error.Code, Message: eb.Error.Message}
		}
		return &Error{Status: resp.StatusCode, Message: strings.TrimSpace(string(b))}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("admin: %s %s: decode answer: %w", method, path, err)
	}
	return nil
}
