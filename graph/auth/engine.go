package auth

import (
	"context"

	"github.com/trellisgw/trellis/graph/engine"
	"github.com/trellisgw/trellis/graph/errcode"
	"github.com/trellisgw/trellis/graph/identity"
)

var _ engine.Guard = (*Rules)(nil)

// FieldCheck implements engine.Guard: the rule of typ.field as the engine's checks, decided once per
// operation where the caller alone decides (@authenticated, @requiresScopes, and @owner for callers that
// cannot own anything), per parent object for @owner, per returned object for @owner(result: true) and
// for objects of a type with an @owner of its own (each item of a list, whatever the field's declared
// type: Query.node's orders). Each refusal is counted like the field interceptor's.
func (r *Rules) FieldCheck(typ, field string) *engine.Check {
	ru := r.byType[typ][field]
	if ru == nil {
		return nil
	}
	c := &engine.Check{
		Operation: func(ctx context.Context) error {
			caller := identity.FromContext(ctx)
			err := r.check(caller, typ, field, ru, nil)
			if err == nil && (ru.resultOwner != "" || ru.onlyOwned) && !caller.HasScope(r.adminScope) && (caller == nil || caller.UserID == "") {
				err = ownerOnly(typ, field)
			}
			if err != nil {
				r.in.denial(ctx, errcode.Code(err))
				return err
			}
			return nil
		},
	}
	if ru.owner != "" {
		c.Parent = func(ctx context.Context, parent any) error {
			if err := r.check(identity.FromContext(ctx), typ, field, ru, func() any { return parent }); err != nil {
				r.in.denial(ctx, errcode.Code(err))
				return err
			}
			return nil
		}
	}
	if ru.resultOwner != "" || ru.owned != nil {
		c.Result = func(ctx context.Context, typ string, res any) error {
			owner := ru.resultOwner
			if owner == "" {
				owner = ru.owned[typ]
			}
			if owner == "" {
				return nil // an object of a type without an owner (a user through Query.node)
			}
			caller := identity.FromContext(ctx)
			if caller.HasScope(r.adminScope) || isNil(res) {
				return nil
			}
			if caller == nil || r.fieldOf(res, owner) != caller.UserID {
				err := ownerOnly(typ, field)
				r.in.denial(ctx, errcode.Code(err))
				return err
			}
			return nil
		}
	}
	return c
}
