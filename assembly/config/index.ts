// The plugin configuration: parse with `parseConfig`/`parseConfigBytes`, then read the
// typed, validated `PluginConfig`. See docs/configuration.md for every field.
export { isBlank, parseConfig, parseConfigBuffer, parseConfigBytes, ConfigResult, PluginConfig,
  OnCounterError, FailureMode, MAX_CONFIG_BYTES, MAX_CONFIG_DEPTH } from "./plugin";
export { LimitConfig, RateConfig, Expression, TokenKind } from "./limits";
export { IdentityConfig, IdentitySource, JwtHeaderConfig, JwtAuthnConfig, IdentityHeadersConfig } from "./identity";
export { UsageConfig, UsageProvider, UsagePaths, UsagePath, OnMissingUsage, parseUsagePath, usageProviderName } from "./usage";
export { CostConfig, CostMode, CostWeights } from "./cost";
export { AdmissionConfig, AdmissionMode } from "./admission";
export { ResponseConfig, ResponseHeaderNames, ErrorFormat } from "./response";
export { parseDuration, formatDuration, DurationResult, MAX_DURATION_MS } from "./duration";
export { CountersConfig, CounterBackend, ServiceConfig, ServiceFailureMode, ServiceMode, CacheConfig } from "./counters";
export { AlertThreshold, AlertsConfig, WebhookConfig, MAX_ALERTS_PER_LIMIT } from "./alerts";
