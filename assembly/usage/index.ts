// Public API of the usage module (see README.md): reading token usage from LLM responses
// as they stream, turning it into a cost, and inspecting/rewriting LLM requests.
// Pure functions over bytes in guest memory: no hostcalls.

export { Usage, SCAN_OK, SCAN_EMPTY, SCAN_INCOMPLETE, SCAN_INVALID, SCAN_GAVE_UP, scanStatusName, TEXT_BYTES_PER_TOKEN, tokensForBytes } from "./usage";
export {
  FIELD_INPUT, FIELD_OUTPUT, FIELD_TOTAL, FIELD_CACHED, FIELD_REASONING, FIELD_CACHE_WRITE, FIELD_COUNT, FIELD_TEXT,
  fieldByName, fieldName,
} from "./fields";
export { UsagePaths, parsePath, ParsedPath, MAX_PATH_SEGMENTS, MAX_KEY_BYTES } from "./paths";
export { UsageScanner, MAX_DEPTH } from "./scanner";
export { SseFramer, SseSink, FramerCore, MAX_EVENT_NAME } from "./sse";
export { SseUsageScanner } from "./sse_usage";
export {
  Preset, PresetBuild, PresetResolver, presetByName, presetForPath, presetFor, buildPreset, customPreset,
  presetWithOverrides, addSpecs, PRESET_NAMES,
} from "./presets";
export {
  ResponseUsageReader, modeForContentType, MODE_SNIFF, MODE_JSON, MODE_SSE, MODE_NDJSON,
} from "./reader";
export {
  CostWeights, costOf, TokenKind, TOKEN_KIND_NAMES, tokenKindByName,
  usageToFields, usageFieldValue, UsageField, USAGE_FIELD_NAMES, roundUpClamped,
} from "./cost";
export {
  RequestInfo, inspectRequest, addIncludeUsage,
  INCLUDE_USAGE_ABSENT, INCLUDE_USAGE_FALSE, INCLUDE_USAGE_TRUE, INCLUDE_USAGE_OTHER,
} from "./request";
