package graph

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/trellisgw/trellis/graph/errcode"
)

// coerceVariables applies the spec's CoerceVariableValues to the request's variables, strictly:
// gqlparser's own coercion (which the executor runs on what this returns where it makes the
// operation context: operationContexts) takes "5" for an Int, turns 5.5 or 1e400 into "cannot use
// value 0 as Int" and a huge integer into 9223372036854775807, and takes enum names in any case.
//
//   - Int: a JSON integer (no fraction, no exponent) within 32 bits; Float: any finite JSON number;
//     String: a string; Boolean: a boolean; ID: a string or a JSON integer (coerced to its text);
//     an enum: one of its names, exactly; other scalars: any value.
//   - An input object: an object whose fields are all its own, with every required field given
//     (a field left out takes its default later); a list: a list, or one value as a list of one.
//   - A required variable must be given (or have a default) and not be null.
//
// A refusal is GRAPHQL_VALIDATION_FAILED, names the variable and the place inside it, and quotes at
// most a few bytes of the value. Variables the operation does not declare are left out; a declared
// variable not given is left out too, and takes its default in the executor. When coercion changes
// nothing (every variable declared, each a string or a boolean kept as it is), raw itself is the
// result: no map is made.
func coerceVariables(schema *ast.Schema, op *ast.OperationDefinition, raw map[string]any) (map[string]any, *gqlerror.Error) {
	var out map[string]any // nil while every value so far is raw's own
	kept := 0              // variables given and coerced
	for i, v := range op.VariableDefinitions {
		val, given := raw[v.Variable]
		refuse := func(format string, args ...any) *gqlerror.Error {
			return atPosition(errcode.New(errcode.ValidationFailed, fmt.Sprintf("Variable \"$%s\" "+format, append([]any{v.Variable}, args...)...)), v.Position)
		}
		switch {
		case !given && v.DefaultValue != nil:
			continue
		case !given && v.Type.NonNull:
			return nil, refuse("of required type %q was not provided.", v.Type.String())
		case !given:
			continue
		case val == nil && v.Type.NonNull:
			return nil, refuse("of non-null type %q must not be null.", v.Type.String())
		}
		c := coercer{schema: schema}
		got, err := c.value(val, v.Type)
		if err != nil {
			if len(c.path) == 0 {
				return nil, refuse("got invalid value %s; %s", quote(err.value), err.reason)
			}
			return nil, refuse("got invalid value %s at %q; %s", quote(err.value), v.Variable+c.pathText(), err.reason)
		}
		kept++
		if out == nil && !unchanged(val, got) {
			out = copyDeclared(raw, op.VariableDefinitions[:i])
		}
		if out != nil {
			out[v.Variable] = got
		}
	}
	switch {
	case out != nil:
		return out, nil
	case kept == len(raw):
		return raw, nil
	}
	return copyDeclared(raw, op.VariableDefinitions), nil // raw has variables the operation does not declare
}

// unchanged reports whether coercion gave back a value as it was (a string or a boolean).
func unchanged(before, after any) bool {
	switch b := before.(type) {
	case string:
		a, ok := after.(string)
		return ok && a == b
	case bool:
		a, ok := after.(bool)
		return ok && a == b
	}
	return false
}

// copyDeclared returns the values of raw the definitions declare.
func copyDeclared(raw map[string]any, defs ast.VariableDefinitionList) map[string]any {
	out := make(map[string]any, len(defs))
	for _, d := range defs {
		if val, ok := raw[d.Variable]; ok {
			out[d.Variable] = val
		}
	}
	return out
}

// coercer coerces one variable's value; path is where it is inside the value.
type coercer struct {
	schema *ast.Schema
	path   []any // string: an input field; int: a list index
}

type coercionError struct {
	value  any
	reason string
}

func (c *coercer) pathText() string {
	var b strings.Builder
	for _, p := range c.path {
		if i, ok := p.(int); ok {
			fmt.Fprintf(&b, "[%d]", i)
		} else {
			b.WriteString("." + p.(string))
		}
	}
	return b.String()
}

func (c *coercer) value(v any, t *ast.Type) (any, *coercionError) {
	if v == nil {
		if t.NonNull {
			return nil, &coercionError{v, fmt.Sprintf("Expected non-nullable type %q not to be null.", t.String())}
		}
		return nil, nil
	}
	if t.Elem != nil {
		list, ok := v.([]any)
		if !ok { // one value stands for a list of one
			item, err := c.value(v, t.Elem)
			if err != nil {
				return nil, err
			}
			return []any{item}, nil
		}
		out := make([]any, len(list))
		for i, item := range list {
			c.path = append(c.path, i)
			got, err := c.value(item, t.Elem)
			if err != nil {
				return nil, err
			}
			c.path = c.path[:len(c.path)-1]
			out[i] = got
		}
		return out, nil
	}
	def := c.schema.Types[t.NamedType]
	if def == nil {
		return nil, &coercionError{v, fmt.Sprintf("Unknown type %q.", t.NamedType)}
	}
	switch def.Kind {
	case ast.Scalar:
		return coerceScalar(v, def.Name)
	case ast.Enum:
		if s, ok := v.(string); ok && def.EnumValues.ForName(s) != nil {
			return s, nil
		}
		return nil, &coercionError{v, fmt.Sprintf("Value is not a value of the enum %q.", def.Name)}
	case ast.InputObject:
		return c.inputObject(v, def)
	}
	return nil, &coercionError{v, fmt.Sprintf("%q is not an input type.", def.Name)}
}

func (c *coercer) inputObject(v any, def *ast.Definition) (any, *coercionError) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, &coercionError{v, fmt.Sprintf("Expected type %q to be an object.", def.Name)}
	}
	for name := range obj {
		if def.Fields.ForName(name) == nil {
			return nil, &coercionError{v, fmt.Sprintf("Field %q is not defined by type %q.", name, def.Name)}
		}
	}
	out := make(map[string]any, len(obj))
	for _, f := range def.Fields {
		fv, given := obj[f.Name]
		if !given {
			if f.Type.NonNull && f.DefaultValue == nil {
				return nil, &coercionError{v, fmt.Sprintf("Field %q of required type %q was not provided.", f.Name, f.Type.String())}
			}
			continue
		}
		c.path = append(c.path, f.Name)
		got, err := c.value(fv, f.Type)
		if err != nil {
			return nil, err
		}
		c.path = c.path[:len(c.path)-1]
		out[f.Name] = got
	}
	return out, nil
}

// coerceScalar coerces a JSON value (numbers as json.Number, or as Go numbers when coerced already)
// to a built-in scalar: an Int as int64, a Float as float64, an ID as a string.
func coerceScalar(v any, name string) (any, *coercionError) {
	switch name {
	case "Int":
		n, ok := integer(v)
		if !ok {
			return nil, &coercionError{v, "Int cannot represent non-integer value: " + quote(v)}
		}
		if n < math.MinInt32 || n > math.MaxInt32 {
			return nil, &coercionError{v, "Int cannot represent non 32-bit signed integer value: " + quote(v)}
		}
		return n, nil
	case "Float":
		var f float64
		var err error
		switch x := v.(type) {
		case json.Number:
			f, err = strconv.ParseFloat(string(x), 64)
		case float64:
			f = x
		case int64:
			f = float64(x)
		case int:
			f = float64(x)
		default:
			return nil, &coercionError{v, "Float cannot represent non numeric value: " + quote(v)}
		}
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, &coercionError{v, "Float cannot represent a number out of range: " + quote(v)}
		}
		return f, nil
	case "String":
		if s, ok := v.(string); ok {
			return s, nil
		}
		return nil, &coercionError{v, "String cannot represent a non string value: " + quote(v)}
	case "Boolean":
		if b, ok := v.(bool); ok {
			return b, nil
		}
		return nil, &coercionError{v, "Boolean cannot represent a non boolean value: " + quote(v)}
	case "ID":
		if s, ok := v.(string); ok {
			return s, nil
		}
		if n, ok := v.(json.Number); ok && integerText(string(n)) {
			return string(n), nil
		}
		if n, ok := integer(v); ok {
			return strconv.FormatInt(n, 10), nil
		}
		return nil, &coercionError{v, "ID cannot represent a non-string and non-integer value: " + quote(v)}
	}
	return v, nil // a custom scalar: its unmarshaler decides
}

// integer returns v as an int64 when it is an integer: a json.Number written without fraction or
// exponent and within int64, or a Go integer (or a float64 with no fraction, as coerced already).
func integer(v any) (int64, bool) {
	switch x := v.(type) {
	case json.Number:
		if !integerText(string(x)) {
			return 0, false
		}
		n, err := strconv.ParseInt(string(x), 10, 64)
		if err != nil { // beyond int64: report it as out of the 32-bit range
			return math.MaxInt64, true
		}
		return n, true
	case int64:
		return x, true
	case int:
		return int64(x), true
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x), true
		}
	}
	return 0, false
}

// integerText reports whether s is a JSON integer: an optional minus and digits only.
func integerText(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// maxQuoted bounds how much of a refused value an error message quotes.
const maxQuoted = 40

// quote prints v as JSON, cut to maxQuoted bytes.
func quote(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "a value"
	}
	if len(b) > maxQuoted {
		cut := b[:maxQuoted]
		for !utf8.Valid(cut) { // not inside a character
			cut = cut[:len(cut)-1]
		}
		return string(cut) + "…"
	}
	return string(b)
}
