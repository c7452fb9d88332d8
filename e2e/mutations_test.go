package e2e

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/trellisgw/trellis/demo"
)

const addReview = `mutation($in: AddReviewInput!) { addReview(input: $in) { review { id body rating author { id } product { upc } } } }`

const productReviews = `query($upc: ID!) { product(upc: $upc) { reviews(first: 100) { id body rating author { id } } } }`

type reviewOut struct {
	ID     string
	Body   string
	Rating int
	Author *struct{ ID string }
}

func (e *env) reviewsOf(t *testing.T, upc string) []reviewOut {
	t.Helper()
	resp := e.query(t, "", productReviews, map[string]any{"upc": upc})
	if len(resp.Errors) > 0 {
		t.Fatalf("reviews of %s: %+v", upc, resp.Errors)
	}
	var d struct{ Product struct{ Reviews []reviewOut } }
	resp.decode(t, &d)
	return d.Product.Reviews
}

func TestAddReviewThenRead(t *testing.T) {
	e := newEnv(t)
	before := e.reviewsOf(t, "p3")
	resp := e.query(t, "7", addReview, map[string]any{"in": map[string]any{"productUpc": "p3", "body": "  Sturdy and quiet.  ", "rating": 4}})
	if resp.Status != 200 || len(resp.Errors) > 0 {
		t.Fatalf("addReview: status %d, errors %+v", resp.Status, resp.Errors)
	}
	var got struct {
		AddReview struct {
			Review struct {
				ID, Body string
				Rating   int
				Author   struct{ ID string }
				Product  struct{ UPC string }
			}
		}
	}
	resp.decode(t, &got)
	r := got.AddReview.Review
	if r.ID == "" || r.Body != "Sturdy and quiet." || r.Rating != 4 || r.Author.ID != globalID("User", "7") || r.Product.UPC != "p3" {
		t.Fatalf("addReview returned %+v", r)
	}
	after := e.reviewsOf(t, "p3")
	want := append(before, reviewOut{ID: r.ID, Body: r.Body, Rating: 4, Author: &struct{ ID string }{globalID("User", "7")}})
	if diff := cmp.Diff(want, after); diff != "" {
		t.Fatalf("reviews after addReview (-want +got):\n%s", diff)
	}
}

func TestAddReviewRefusesBadInput(t *testing.T) {
	e := newEnv(t)
	before := e.reviewsOf(t, "p3")
	const authorReviews = `{ user(id: "7") { reviews(first: 100) { id } } }`
	authorBefore := e.query(t, "", authorReviews, nil).Data
	tests := []struct {
		name  string
		in    map[string]any
		as    string
		code  string
		field string
	}{
		{"rating too high", map[string]any{"productUpc": "p3", "body": "ok", "rating": 9}, "7", "BAD_USER_INPUT", "rating"},
		{"rating zero", map[string]any{"productUpc": "p3", "body": "ok", "rating": 0}, "7", "BAD_USER_INPUT", "rating"},
		{"unknown product", map[string]any{"productUpc": "p999999", "body": "ok", "rating": 3}, "7", "BAD_USER_INPUT", "product_upc"},
		{"empty body", map[string]any{"productUpc": "p3", "body": "   ", "rating": 3}, "7", "BAD_USER_INPUT", "body"},
		{"anonymous", map[string]any{"productUpc": "p3", "body": "ok", "rating": 3}, "", "UNAUTHENTICATED", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.query(t, tt.as, addReview, map[string]any{"in": tt.in})
			if resp.Status != 200 || len(resp.Errors) != 1 {
				t.Fatalf("status %d, errors %+v, want 200 with one error", resp.Status, resp.Errors)
			}
			ext := resp.Errors[0].Extensions
			if ext["code"] != tt.code {
				t.Errorf("code = %v, want %s (message %q)", ext["code"], tt.code, resp.Errors[0].Message)
			}
			if tt.field != "" && ext["field"] != tt.field {
				t.Errorf("field = %v, want %s", ext["field"], tt.field)
			}
			if got := errorsByPath(resp.Errors); got["addReview"] == "" {
				t.Errorf("error path = %v, want addReview", resp.Errors[0].Path)
			}
			assertNoLeak(t, resp.Raw)
		})
	}
	if diff := cmp.Diff(before, e.reviewsOf(t, "p3")); diff != "" {
		t.Fatalf("refused input changed the stored reviews (-before +after):\n%s", diff)
	}
	// The author's reviews cover the inputs aimed at other products (the unknown one included).
	if after := e.query(t, "", authorReviews, nil).Data; string(after) != string(authorBefore) {
		t.Fatalf("refused input changed user 7's reviews:\nbefore %s\nafter  %s", authorBefore, after)
	}
}

const placeOrder = `mutation($in: PlaceOrderInput!) { placeOrder(input: $in) { order { id status total buyer { id } items { quantity unitPrice product { upc } } } } }`

func TestPlaceOrderThenRead(t *testing.T) {
	e := newEnv(t)
	p1, _ := e.index.Product("p1")
	p2, _ := e.index.Product("p2")
	resp := e.query(t, "5", placeOrder, map[string]any{"in": map[string]any{"items": []any{
		map[string]any{"productUpc": "p1", "quantity": 2},
		map[string]any{"productUpc": "p2", "quantity": 1},
	}}})
	if resp.Status != 200 || len(resp.Errors) > 0 {
		t.Fatalf("placeOrder: status %d, errors %+v", resp.Status, resp.Errors)
	}
	var got struct {
		PlaceOrder struct {
			Order struct {
				ID, Status string
				Total      int
				Buyer      struct{ ID string }
			}
		}
	}
	resp.decode(t, &got)
	o := got.PlaceOrder.Order
	if o.ID == "" || o.Status != "PENDING" || o.Total != 2*p1.Price+p2.Price || o.Buyer.ID != globalID("User", "5") {
		t.Fatalf("placeOrder returned %+v, want PENDING, total %d, buyer 5", o, 2*p1.Price+p2.Price)
	}
	read := e.query(t, "5", `{ user(id: "5") { orders(first: 1) { totalCount nodes { id total } } } }`, nil)
	var u struct {
		User struct {
			Orders struct {
				TotalCount int
				Nodes      []struct {
					ID    string
					Total int
				}
			}
		}
	}
	read.decode(t, &u)
	wantCount := len(e.index.OrdersByBuyer("5")) + 1
	if u.User.Orders.TotalCount != wantCount || len(u.User.Orders.Nodes) != 1 || u.User.Orders.Nodes[0].ID != o.ID {
		t.Fatalf("orders of user 5 = %+v, want %d orders, newest %s first", u.User.Orders, wantCount, o.ID)
	}

	bad := e.query(t, "5", placeOrder, map[string]any{"in": map[string]any{"items": []any{map[string]any{"productUpc": "p1", "quantity": 0}}}})
	if len(bad.Errors) != 1 || bad.Errors[0].Extensions["code"] != "BAD_USER_INPUT" {
		t.Fatalf("quantity 0: errors %+v, want one BAD_USER_INPUT", bad.Errors)
	}
	if calls := e.cluster.Calls()[demo.Orders]["/trellis.orders.v1.OrderService/PlaceOrder"]; calls != 2 {
		t.Fatalf("PlaceOrder calls = %d, want 2", calls)
	}
}

func TestMe(t *testing.T) {
	e := newEnv(t)
	anon := e.query(t, "", `{ me { id } }`, nil)
	if len(anon.Errors) > 0 || string(anon.Data) != `{"me":null}` {
		t.Fatalf("anonymous me = %s, errors %+v; want null without errors", anon.Data, anon.Errors)
	}
	u, _ := e.index.User("3")
	signed := e.query(t, "3", `{ me { id name } }`, nil)
	if want := `{"me":{"id":"` + globalID("User", "3") + `","name":"` + u.Name + `"}}`; string(signed.Data) != want || len(signed.Errors) > 0 {
		t.Fatalf("me as user 3 = %s, errors %+v; want %s", signed.Data, signed.Errors, want)
	}
}
