package floor

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/trellisgw/trellis/upstreams"
)

// Handler answers the benchmark's operations on POST /graphql. Build it with New.
type Handler struct {
	clients  *upstreams.Clients
	timeout  time.Duration
	maxBody  int64
	log      *slog.Logger
	handlers map[string]func(context.Context, *http.Request, json.RawMessage) (any, error)
}

// New returns the floor over the upstream clients c. timeout bounds each request, as the gateway's
// server.request_timeout does; maxBody bounds the request body, as server.max_body_bytes does.
func New(c *upstreams.Clients, timeout time.Duration, maxBody int64, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{clients: c, timeout: timeout, maxBody: maxBody, log: log}
	h.handlers = map[string]func(context.Context, *http.Request, json.RawMessage) (any, error){
		ReferenceQuery:     h.reference,
		SmallQuery:         h.small,
		PlaceOrderMutation: h.placeOrder,
		ProductPageQuery:   varsOnly(h.productPage),
		UserProfileQuery:   varsOnly(h.userProfile),
		TopProductsQuery:   varsOnly(h.topProducts),
	}
	return h
}

// request is a GraphQL-over-HTTP request body, decoded as the gateway decodes it.
type request struct {
	Query         string          `json:"query"`
	OperationName string          `json:"operationName"`
	Variables     json.RawMessage `json:"variables"`
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/graphql" || r.Method != http.MethodPost {
		http.Error(w, "POST /graphql only", http.StatusNotFound)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.timeout)
	defer cancel()
	body, err := io.ReadAll(io.LimitReader(r.Body, h.maxBody+1))
	if err != nil || int64(len(body)) > h.maxBody {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	var req request
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, "bad JSON", http.StatusBadRequest)
		return
	}
	op := h.handlers[req.Query]
	if op == nil {
		http.Error(w, "the floor answers the benchmark's operations only", http.StatusBadRequest)
		return
	}
	resp, err := op(ctx, r, req.Variables)
	if err != nil {
		h.log.LogAttrs(ctx, slog.LevelWarn, "floor: upstream failed", slog.String("error", err.Error()))
		http.Error(w, "upstream failed", http.StatusBadGateway)
		return
	}
	out, err := json.Marshal(resp)
	if err != nil {
		http.Error(w, "encode", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/graphql-response+json")
	_, _ = w.Write(out)
}

func (h *Handler) reference(ctx context.Context, _ *http.Request, vars json.RawMessage) (any, error) {
	v := struct {
		Users *int `json:"users"`
	}{}
	if err := decodeVars(vars, &v); err != nil {
		return nil, err
	}
	n := 10
	if v.Users != nil {
		n = *v.Users
	}
	if n < 0 {
		return nil, errors.New("users: must not be negative")
	}
	return reference(ctx, h.clients, n)
}

func (h *Handler) small(ctx context.Context, _ *http.Request, vars json.RawMessage) (any, error) {
	var v struct {
		UPC string `json:"upc"`
	}
	if err := decodeVars(vars, &v); err != nil {
		return nil, err
	}
	type product struct {
		Name  string `json:"name"`
		Price int    `json:"price"`
	}
	var out struct {
		Data struct {
			Product *product `json:"product"`
		} `json:"data"`
	}
	found, err := h.clients.Products.ProductsByUPC(ctx, []string{v.UPC})
	if err != nil {
		return nil, err
	}
	for _, p := range found {
		if p.UPC == v.UPC {
			out.Data.Product = &product{Name: p.Name, Price: p.Price}
		}
	}
	return &out, nil
}

func (h *Handler) placeOrder(ctx context.Context, r *http.Request, vars json.RawMessage) (any, error) {
	var v struct {
		Items []struct {
			ProductUPC string `json:"productUpc"`
			Quantity   int    `json:"quantity"`
		} `json:"items"`
	}
	if err := decodeVars(vars, &v); err != nil {
		return nil, err
	}
	buyer := r.Header.Get(UserHeader)
	if buyer == "" {
		return nil, errors.New("placeOrder needs a signed-in user")
	}
	items := make([]upstreams.NewOrderItem, len(v.Items))
	for i, it := range v.Items {
		items[i] = upstreams.NewOrderItem{UPC: it.ProductUPC, Quantity: it.Quantity}
	}
	o, err := h.clients.Orders.PlaceOrder(ctx, buyer, items)
	if err != nil {
		return nil, err
	}
	type order struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		Total  int    `json:"total"`
	}
	var out struct {
		Data struct {
			PlaceOrder struct {
				Order order `json:"order"`
			} `json:"placeOrder"`
		} `json:"data"`
	}
	out.Data.PlaceOrder.Order = order{ID: globalID("Order", o.ID), Status: string(o.Status), Total: o.Total}
	return &out, nil
}

// varsOnly adapts an operation that needs its variables only.
func varsOnly(op func(context.Context, json.RawMessage) (any, error)) func(context.Context, *http.Request, json.RawMessage) (any, error) {
	return func(ctx context.Context, _ *http.Request, vars json.RawMessage) (any, error) { return op(ctx, vars) }
}

func decodeVars(raw json.RawMessage, v any) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	return json.Unmarshal(raw, v)
}
