package schemacheck

// Kind names a change. The names are graphql-inspector's ChangeType values where it has one; the
// comment of each gives its level here, and where that differs from graphql-inspector's, why.
type Kind string

// Schema root operation types.
const (
	// SchemaQueryTypeChanged: the query root is another type. Breaking.
	SchemaQueryTypeChanged Kind = "SCHEMA_QUERY_TYPE_CHANGED"
	// SchemaMutationTypeChanged: the mutation root is another type or gone: breaking; a mutation root
	// where there was none: safe.
	SchemaMutationTypeChanged Kind = "SCHEMA_MUTATION_TYPE_CHANGED"
	// SchemaSubscriptionTypeChanged: as SchemaMutationTypeChanged, for subscriptions.
	SchemaSubscriptionTypeChanged Kind = "SCHEMA_SUBSCRIPTION_TYPE_CHANGED"
)

// Named types.
const (
	// TypeAdded: a new named type. Safe.
	TypeAdded Kind = "TYPE_ADDED"
	// TypeRemoved: a named type is gone. Breaking.
	TypeRemoved Kind = "TYPE_REMOVED"
	// TypeKindChanged: a type of the same name is of another kind (object to interface, …). Breaking.
	TypeKindChanged Kind = "TYPE_KIND_CHANGED"
	// DescriptionChanged: the description of any element was added, removed or changed. Safe.
	// (graphql-inspector has one kind per element and per added/removed/changed: TYPE_DESCRIPTION_ADDED,
	// FIELD_DESCRIPTION_CHANGED, …, 17 kinds; they are all safe, so one kind serves here.)
	DescriptionChanged Kind = "DESCRIPTION_CHANGED"
	// ScalarSpecifiedByChanged: a scalar's @specifiedBy URL was added, removed or changed. Dangerous:
	// clients may validate values by it. (graphql-inspector: no such kind.)
	ScalarSpecifiedByChanged Kind = "SCALAR_SPECIFIED_BY_CHANGED"
)

// Fields of objects and interfaces.
const (
	// FieldAdded: a new output field. Safe.
	FieldAdded Kind = "FIELD_ADDED"
	// FieldRemoved: an output field is gone. Breaking, deprecated or not (graphql-inspector too; its
	// message says when the field was deprecated, as this one does). `schema check --usage` tells whether
	// anyone still selects it.
	FieldRemoved Kind = "FIELD_REMOVED"
	// FieldTypeChanged: an output field's type changed. Safe when every value of the new type is one
	// of the old (String to String!, [Int] to [Int!]); else breaking.
	FieldTypeChanged Kind = "FIELD_TYPE_CHANGED"
	// FieldDeprecationAdded: a field became @deprecated. Safe.
	FieldDeprecationAdded Kind = "FIELD_DEPRECATION_ADDED"
	// FieldDeprecationRemoved: a field is no longer @deprecated. Dangerous (as graphql-inspector).
	FieldDeprecationRemoved Kind = "FIELD_DEPRECATION_REMOVED"
	// FieldDeprecationReasonChanged: the reason of a deprecation changed. Safe.
	FieldDeprecationReasonChanged Kind = "FIELD_DEPRECATION_REASON_CHANGED"
	// FieldArgumentAdded: a field has a new argument. Breaking when it is required (non-null without a
	// default); else dangerous, as graphql-inspector and graphql-js say (the resolver may act on it).
	FieldArgumentAdded Kind = "FIELD_ARGUMENT_ADDED"
	// FieldArgumentRemoved: a field's argument is gone. Breaking.
	FieldArgumentRemoved Kind = "FIELD_ARGUMENT_REMOVED"
	// FieldArgumentTypeChanged: an argument's type changed. Safe when every value the old type accepts
	// the new one accepts too (Int! to Int); else breaking.
	FieldArgumentTypeChanged Kind = "FIELD_ARGUMENT_TYPE_CHANGED"
	// FieldArgumentDefaultChanged: an argument's default value was added, removed or changed. Dangerous.
	FieldArgumentDefaultChanged Kind = "FIELD_ARGUMENT_DEFAULT_CHANGED"
	// ObjectTypeInterfaceAdded: an object or interface implements one more interface. Dangerous:
	// fragments on the interface now match it.
	ObjectTypeInterfaceAdded Kind = "OBJECT_TYPE_INTERFACE_ADDED"
	// ObjectTypeInterfaceRemoved: an object or interface no longer implements an interface. Breaking.
	ObjectTypeInterfaceRemoved Kind = "OBJECT_TYPE_INTERFACE_REMOVED"
)

// Input objects.
const (
	// InputFieldAdded: an input object has a new field. Breaking when it is required (non-null without
	// a default); else dangerous. (graphql-inspector calls a non-null input field with a default
	// breaking too; by the specification a field with a default may be left out, so it is dangerous
	// here.)
	InputFieldAdded Kind = "INPUT_FIELD_ADDED"
	// InputFieldRemoved: an input field is gone. Breaking.
	InputFieldRemoved Kind = "INPUT_FIELD_REMOVED"
	// InputFieldTypeChanged: an input field's type changed; as FieldArgumentTypeChanged.
	InputFieldTypeChanged Kind = "INPUT_FIELD_TYPE_CHANGED"
	// InputFieldDefaultValueChanged: an input field's default was added, removed or changed. Dangerous.
	InputFieldDefaultValueChanged Kind = "INPUT_FIELD_DEFAULT_VALUE_CHANGED"
	// InputValueDeprecationAdded: an argument or input field became @deprecated. Safe.
	// (graphql-inspector: no such kind; it compares deprecations of fields and enum values only.)
	InputValueDeprecationAdded Kind = "INPUT_VALUE_DEPRECATION_ADDED"
	// InputValueDeprecationRemoved: an argument or input field is no longer @deprecated. Dangerous, as
	// for fields.
	InputValueDeprecationRemoved Kind = "INPUT_VALUE_DEPRECATION_REMOVED"
	// InputValueDeprecationReasonChanged: the reason of an argument's or input field's deprecation
	// changed. Safe.
	InputValueDeprecationReasonChanged Kind = "INPUT_VALUE_DEPRECATION_REASON_CHANGED"
	// InputObjectOneOfAdded: an input object became @oneOf. Breaking: operations that set two fields,
	// or none, now fail. (graphql-inspector: a directive usage change, dangerous.)
	InputObjectOneOfAdded Kind = "INPUT_OBJECT_ONE_OF_ADDED"
	// InputObjectOneOfRemoved: an input object is no longer @oneOf. Dangerous: the resolver may now
	// receive several fields.
	InputObjectOneOfRemoved Kind = "INPUT_OBJECT_ONE_OF_REMOVED"
)

// Enums and unions.
const (
	// EnumValueAdded: an enum has a new value. Dangerous: a client switch over the enum may not
	// handle it.
	EnumValueAdded Kind = "ENUM_VALUE_ADDED"
	// EnumValueRemoved: an enum value is gone. Breaking.
	EnumValueRemoved Kind = "ENUM_VALUE_REMOVED"
	// EnumValueDeprecationAdded: an enum value became @deprecated. Safe.
	EnumValueDeprecationAdded Kind = "ENUM_VALUE_DEPRECATION_ADDED"
	// EnumValueDeprecationRemoved: an enum value is no longer @deprecated. Dangerous, as for fields.
	// (graphql-inspector: ENUM_VALUE_DEPRECATION_REASON_REMOVED, safe.)
	EnumValueDeprecationRemoved Kind = "ENUM_VALUE_DEPRECATION_REMOVED"
	// EnumValueDeprecationReasonChanged: the reason of an enum value's deprecation changed. Safe.
	EnumValueDeprecationReasonChanged Kind = "ENUM_VALUE_DEPRECATION_REASON_CHANGED"
	// UnionMemberAdded: a union has a new member. Dangerous (graphql-inspector since 1.27).
	UnionMemberAdded Kind = "UNION_MEMBER_ADDED"
	// UnionMemberRemoved: a union member is gone. Breaking.
	UnionMemberRemoved Kind = "UNION_MEMBER_REMOVED"
)

// Directive definitions.
const (
	// DirectiveAdded: a new directive definition. Safe.
	DirectiveAdded Kind = "DIRECTIVE_ADDED"
	// DirectiveRemoved: a directive definition is gone. Breaking.
	DirectiveRemoved Kind = "DIRECTIVE_REMOVED"
	// DirectiveLocationAdded: a directive may be used in one more location. Safe.
	DirectiveLocationAdded Kind = "DIRECTIVE_LOCATION_ADDED"
	// DirectiveLocationRemoved: a directive may no longer be used in a location. Breaking.
	DirectiveLocationRemoved Kind = "DIRECTIVE_LOCATION_REMOVED"
	// DirectiveRepeatableAdded: a directive became repeatable. Safe. (graphql-inspector: no such kind.)
	DirectiveRepeatableAdded Kind = "DIRECTIVE_REPEATABLE_ADDED"
	// DirectiveRepeatableRemoved: a directive is no longer repeatable. Breaking (graphql-js:
	// REPEATABLE_DIRECTIVE_REMOVED; graphql-inspector: no such kind).
	DirectiveRepeatableRemoved Kind = "DIRECTIVE_REPEATABLE_REMOVED"
	// DirectiveArgumentAdded: a directive has a new argument. Breaking when required (non-null without
	// a default; graphql-inspector: whenever non-null), else safe.
	DirectiveArgumentAdded Kind = "DIRECTIVE_ARGUMENT_ADDED"
	// DirectiveArgumentRemoved: a directive's argument is gone. Breaking.
	DirectiveArgumentRemoved Kind = "DIRECTIVE_ARGUMENT_REMOVED"
	// DirectiveArgumentTypeChanged: as FieldArgumentTypeChanged, for a directive's argument.
	DirectiveArgumentTypeChanged Kind = "DIRECTIVE_ARGUMENT_TYPE_CHANGED"
	// DirectiveArgumentDefaultValueChanged: a directive argument's default changed. Dangerous.
	DirectiveArgumentDefaultValueChanged Kind = "DIRECTIVE_ARGUMENT_DEFAULT_VALUE_CHANGED"
)

// Directives applied to schema elements (other than @deprecated, @specifiedBy and @oneOf, which have
// kinds of their own).
const (
	// DirectiveUsageAdded: a directive was applied to an element (e.g. @authenticated on a field).
	// Dangerous: what a client may select or what it costs can change. (graphql-inspector has one
	// DIRECTIVE_USAGE_<LOCATION>_ADDED kind per location.)
	DirectiveUsageAdded Kind = "DIRECTIVE_USAGE_ADDED"
	// DirectiveUsageRemoved: a directive applied to an element was removed. Dangerous.
	DirectiveUsageRemoved Kind = "DIRECTIVE_USAGE_REMOVED"
	// DirectiveUsageChanged: the arguments of an applied directive changed. Dangerous.
	DirectiveUsageChanged Kind = "DIRECTIVE_USAGE_CHANGED"
)
