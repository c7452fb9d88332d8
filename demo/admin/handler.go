package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"

	"github.com/trellisgw/trellis/demo/faults"
)

// maxBodyBytes bounds the size of a request body.
const maxBodyBytes = 64 << 10

// Backend is what the admin endpoint administers: the sample service instances of one process.
type Backend interface {
	// Services returns the service names in a stable order.
	Services() []string
	// Addrs returns the addresses of the service's instances in index order; nil for an unknown service.
	Addrs(service string) []string
	// InstanceCalls returns the call counts of the service's instances in index order.
	InstanceCalls(service string) []map[string]int
	// ResetCalls sets every call count of every instance to zero.
	ResetCalls()
	// Faults returns the faults of the service's instances in index order.
	Faults(service string) []faults.Fault
	// SetFault sets the fault of one instance of service, or of all when instance is -1. Service and
	// instance are valid when it is called; its errors wrap faults.ErrInvalid for a bad fault.
	SetFault(service string, instance int, f faults.Fault) error
}

// TraceBackend is a Backend that also remembers the trace ids its instances saw; GET /admin/calls
// then lists them per instance.
type TraceBackend interface {
	Backend
	// InstanceTraceIDs returns the trace ids each of the service's instances saw, in index order.
	InstanceTraceIDs(service string) [][]string
}

// NewHandler returns the admin endpoint over b. logger may be nil.
func NewHandler(b Backend, logger *slog.Logger) http.Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	h := &handler{b: b, log: logger}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /admin/calls", h.calls)
	mux.HandleFunc("POST /admin/calls/reset", h.resetCalls)
	mux.HandleFunc("GET /admin/faults", h.faults)
	mux.HandleFunc("PUT /admin/faults/{service}/{instance}", h.setFault)
	mux.HandleFunc("GET /admin/instances", h.instances)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern == "" {
			if r.URL.Path == "/admin/calls" || r.URL.Path == "/admin/calls/reset" || r.URL.Path == "/admin/faults" ||
				r.URL.Path == "/admin/instances" {
				writeError(w, http.StatusMethodNotAllowed, CodeMethodNotAllowed, "method not allowed for this route")
				return
			}
			writeError(w, http.StatusNotFound, CodeNotFound, "no such route")
			return
		}
		mux.ServeHTTP(w, r)
	})
}

type handler struct {
	b   Backend
	log *slog.Logger
}

func (h *handler) calls(w http.ResponseWriter, _ *http.Request) {
	out := make(CallsReport)
	for _, svc := range h.b.Services() {
		addrs, calls := h.b.Addrs(svc), h.b.InstanceCalls(svc)
		var traces [][]string
		if tb, ok := h.b.(TraceBackend); ok {
			traces = tb.InstanceTraceIDs(svc)
		}
		list := make([]InstanceCalls, len(addrs))
		for i, addr := range addrs {
			list[i] = InstanceCalls{Instance: i, Addr: addr, Calls: map[string]int{}}
			if i < len(calls) && calls[i] != nil {
				list[i].Calls = calls[i]
			}
			if i < len(traces) {
				list[i].TraceIDs = traces[i]
			}
		}
		out[svc] = list
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *handler) resetCalls(w http.ResponseWriter, _ *http.Request) {
	h.b.ResetCalls()
	w.WriteHeader(http.StatusNoContent)
}

func (h *handler) faults(w http.ResponseWriter, _ *http.Request) {
	out := make(FaultsReport)
	for _, svc := range h.b.Services() {
		out[svc] = h.instanceFaults(svc, -1)
	}
	writeJSON(w, http.StatusOK, out)
}

// instanceFaults lists the faults of one instance of svc, or of all when instance is -1.
func (h *handler) instanceFaults(svc string, instance int) []InstanceFault {
	addrs, fs := h.b.Addrs(svc), h.b.Faults(svc)
	list := make([]InstanceFault, 0, len(addrs))
	for i, addr := range addrs {
		if instance >= 0 && i != instance {
			continue
		}
		f := faults.Fault{}
		if i < len(fs) {
			f = fs[i]
		}
		list = append(list, InstanceFault{Instance: i, Addr: addr, Fault: f})
	}
	return list
}

func (h *handler) setFault(w http.ResponseWriter, r *http.Request) {
	svc := r.PathValue("service")
	if !slices.Contains(h.b.Services(), svc) {
		writeError(w, http.StatusNotFound, CodeNotFound, fmt.Sprintf("unknown service %q", svc))
		return
	}
	n := len(h.b.Addrs(svc))
	instance := -1
	if s := r.PathValue("instance"); s != "*" {
		i, err := strconv.Atoi(s)
		if err != nil || i < 0 || i >= n {
			writeError(w, http.StatusNotFound, CodeNotFound,
				fmt.Sprintf("unknown instance %q of %s: want 0..%d or *", s, svc, n-1))
			return
		}
		instance = i
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		writeError(w, http.StatusBadRequest, CodeInvalidArgument, "request body too large or unreadable")
		return
	}
	var f faults.Fault
	if err := json.Unmarshal(body, &f); err != nil {
		writeError(w, http.StatusBadRequest, CodeInvalidArgument, badFaultMessage(err))
		return
	}
	if err := h.b.SetFault(svc, instance, f); err != nil {
		if errors.Is(err, faults.ErrInvalid) {
			writeError(w, http.StatusBadRequest, CodeInvalidArgument, err.Error())
			return
		}
		h.log.Error("admin: set fault failed", "service", svc, "instance", instance, "error", err)
		writeError(w, http.StatusInternalServerError, CodeInternal, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, h.instanceFaults(svc, instance))
}

// badFaultMessage explains why a request body is not a valid fault.
func badFaultMessage(err error) string {
	if errors.Is(err, faults.ErrInvalid) {
		return err.Error()
	}
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return "request body is not valid JSON"
	}
	return "request body must be a fault object such as {\"latency\":\"5ms\",\"error_rate\":0.5,\"down\":false}"
}

func (h *handler) instances(w http.ResponseWriter, _ *http.Request) {
	out := make(map[string][]string)
	for _, svc := range h.b.Services() {
		out[svc] = h.b.Addrs(svc)
	}
	writeJSON(w, http.StatusOK, out)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, errCode, msg string) {
	var body errorBody
	body.Error.Code, body.Error.Message = errCode, msg
	writeJSON(w, code, body)
}
