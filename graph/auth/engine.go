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
// cannot own anything), per parent object for @owner, per returned object for @owner(result: true).
// Each refusal is counted like the field interceptor's.
func (r *Rules) FieldCheck(typ, field string) *engine.Check {
	ru := r.byType[typ][field]
	if ru == nil {
		return nil
	}
	c := &engine.Check{
		Operation: func(ctx context.Context) error {
			caller := identity.FromContext(ctx)
			err := r.check(caller, typ, field, ru, nil)
			if err == nil && ru.resultOwner != "" && !caller.HasScope(r.adminScope) && (caller == nil || caller.UserID == "") {
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
	if ru.resultOwner != "" {
		c.Result = func(ctx context.Context, res any) error {
			caller := identity.FromContext(ctx)
			if caller.HasScope(r.adminScope) || isNil(res) {
				return nil
			}
			if caller == nil || r.fieldOf(res, ru.resultOwner) != caller.UserID {
				err := ownerOnly(typ, field)
				r.in.denial(ctx, errcode.Code(err))
				return err
			}
			return nil
		}
	}
	return c
}
