package faults

import (
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"

	"google.golang.org/grpc/metadata"
)

// seenHeaders keeps the caller-identity headers of the last call an instance served, so that tests can
// assert what a gateway told the service (identity propagation, spoofing). Only "X-…" headers and
// Authorization are kept.
type seenHeaders struct {
	mu   sync.Mutex
	last map[string][]string
}

// SeenHeaders returns the X-… headers and the Authorization header of the last call served (HTTP
// header names canonicalized, gRPC metadata keys in lower case), empty before any call.
func (s *State) SeenHeaders() map[string][]string {
	s.seen.mu.Lock()
	defer s.seen.mu.Unlock()
	return maps.Clone(s.seen.last)
}

func (s *State) seeHTTP(h http.Header) {
	kept := map[string][]string{}
	for k, v := range h {
		if strings.HasPrefix(k, "X-") || k == "Authorization" {
			kept[k] = slices.Clone(v)
		}
	}
	s.see(kept)
}

func (s *State) seeGRPC(md metadata.MD) {
	kept := map[string][]string{}
	for k, v := range md {
		if strings.HasPrefix(k, "x-") || k == "authorization" {
			kept[k] = slices.Clone(v)
		}
	}
	s.see(kept)
}

func (s *State) see(kept map[string][]string) {
	s.seen.mu.Lock()
	defer s.seen.mu.Unlock()
	s.seen.last = kept
}
