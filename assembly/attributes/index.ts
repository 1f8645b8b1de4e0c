// The attribute layer's public surface: what the filter glue and the CEL integration use.
//
//   on_configure:   const options = new AttributeOptions();  (fill options.identity ...)
//   per request:    const attrs = new RequestAttributes(new HostAttributeSource(), options);
//                   evaluator.evaluate(plan, attrs) ...
//   metrics:        attrs.identityFailure, options.identityStats

export { AttributeSource } from "./source";
export { HostAttributeSource } from "./host_source";
export { TableAttributeSource } from "./table_source";
export { RequestAttributes, AttributeOptions, knownAttributeNames } from "./request";
export { IdentityOptions, IdentitySource, parseIdentitySource } from "./identity";
export { IdentityFailure, IdentityStats, identityFailureName, isInvalidCredential, IDENTITY_FAILURE_COUNT } from "./failure";
export { collectFilterStateKeys } from "./filter_state_keys";
